"""A media player as the desktop sees one (MPRIS on the session bus), for
crates/cli/tests/media_pause.rs: `mpris_player.py NAME STATUS` owns
org.mpris.MediaPlayer2.NAME, starts as STATUS (Playing or Paused) and prints
each Pause, Play or PlayPause it is asked for with the status after it.
"""

import sys

from gi.repository import Gio, GLib

NAME, status = sys.argv[1], sys.argv[2]
XML = """<node>
  <interface name="org.mpris.MediaPlayer2">
    <property name="Identity" type="s" access="read"/>
  </interface>
  <interface name="org.mpris.MediaPlayer2.Player">
    <method name="Pause"/>
    <method name="Play"/>
    <method name="PlayPause"/>
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="CanPause" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
  </interface>
</node>"""


def method(_conn, _sender, _path, _iface, name, _params, invocation):
    global status
    if name == "Pause":
        status = "Paused"
    elif name == "Play":
        status = "Playing"
    elif name == "PlayPause":
        status = "Paused" if status == "Playing" else "Playing"
    print(f"{name} -> {status}", flush=True)
    invocation.return_value(None)


def get_property(_conn, _sender, _path, _iface, prop):
    if prop == "PlaybackStatus":
        return GLib.Variant("s", status)
    if prop in ("CanPause", "CanPlay"):
        return GLib.Variant("b", True)
    return GLib.Variant("s", NAME)


node = Gio.DBusNodeInfo.new_for_xml(XML)


def on_bus(conn, _name):
    for iface in node.interfaces:
        conn.register_object("/org/mpris/MediaPlayer2", iface, method, get_property, None)


def on_name(_conn, name):
    print(f"ready {name} {status}", flush=True)


Gio.bus_own_name(
    Gio.BusType.SESSION,
    "org.mpris.MediaPlayer2." + NAME,
    Gio.BusNameOwnerFlags.NONE,
    on_bus,
    on_name,
    None,
)
GLib.MainLoop().run()
