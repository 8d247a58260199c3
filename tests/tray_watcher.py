#!/usr/bin/python3
"""The StatusNotifier watcher a desktop's panel runs (KDE, XFCE, GNOME's
AppIndicator extension): tray icons register their item with it. This one
serves org.kde.StatusNotifierWatcher on the bus in DBUS_SESSION_BUS_ADDRESS,
says a host is present (so apps show their icon rather than fall back), and
prints each registered item as `item <bus name> <object path>` for the test,
which then reads and clicks the item over D-Bus as a panel does.
Needs python3-gi (installed by `cargo xtask setup`)."""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""
PATH = "/StatusNotifierWatcher"
items = []


def on_call(connection, sender, _path, _interface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        (service,) = params.unpack()
        # An item names either its object path (we take the sender's bus
        # name) or a bus name (its item is at /StatusNotifierItem).
        if service.startswith("/"):
            bus, path = sender, service
        else:
            bus, path = service, "/StatusNotifierItem"
        items.append(f"{bus}{path}")
        print(f"item {bus} {path}", flush=True)
        connection.emit_signal(
            None, PATH, "org.kde.StatusNotifierWatcher",
            "StatusNotifierItemRegistered", GLib.Variant("(s)", (f"{bus}{path}",)),
        )
    invocation.return_value(None)


def on_get(_connection, _sender, _path, _interface, name):
    if name == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", items)
    if name == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    return GLib.Variant("i", 0)


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    bus.register_object(PATH, info, on_call, on_get, None)
    # The panel's own host name, then the watcher's well-known name.
    Gio.bus_own_name_on_connection(
        bus, "org.kde.StatusNotifierHost-test", Gio.BusNameOwnerFlags.NONE, None, None)
    Gio.bus_own_name_on_connection(
        bus, "org.kde.StatusNotifierWatcher", Gio.BusNameOwnerFlags.NONE,
        lambda *_: print("watching", flush=True), lambda *_: sys.exit("name taken"))
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
