#!/usr/bin/python3
"""A desktop's screen saver as applications see it: serves
org.freedesktop.ScreenSaver on the bus in DBUS_SESSION_BUS_ADDRESS, its
GetActive answering whether the file given as the first argument holds "1"
(the test writes it to lock and unlock the screen), and prints `ready` once
it owns the name. Needs python3-gi (installed by `cargo xtask setup`)."""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

XML = """
<node>
  <interface name="org.freedesktop.ScreenSaver">
    <method name="GetActive"><arg type="b" direction="out"/></method>
    <signal name="ActiveChanged"><arg type="b"/></signal>
  </interface>
</node>
"""

STATE = sys.argv[1]


def active():
    try:
        with open(STATE) as f:
            return f.read().strip() == "1"
    except OSError:
        return False


def on_call(_conn, _sender, _path, _iface, method, _params, invocation):
    if method == "GetActive":
        invocation.return_value(GLib.Variant("(b)", (active(),)))
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def on_bus(conn, _name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/org/freedesktop/ScreenSaver", node.interfaces[0], on_call, None, None)


def on_name(_conn, _name):
    print("ready", flush=True)


Gio.bus_own_name(
    Gio.BusType.SESSION,
    "org.freedesktop.ScreenSaver",
    Gio.BusNameOwnerFlags.NONE,
    on_bus,
    on_name,
    None,
)
GLib.MainLoop().run()
