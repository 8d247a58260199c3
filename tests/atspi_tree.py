"""Prints the accessibility tree of the running hookswitch-app as a screen
reader reads it over AT-SPI (the session bus of DBUS_SESSION_BUS_ADDRESS):
one line per object, `ROLE<TAB>NAME<TAB>LIVE-ATTRIBUTES<TAB>LIVE-TEXT`, indented by depth.
Exits 2 when the app is not (yet) on the bus. Used by
tests/desktop_accessibility.rs.
"""

import sys

import pyatspi


def walk(acc, depth, out):
    try:
        role = acc.getRoleName()
        name = acc.name or ""
        attrs = ",".join(a for a in acc.getAttributes() if a.split(":")[0] in ("live", "container-live", "xml-roles"))
        # A live region's words, as the screen reader says them.
        text = ""
        if "live:" in attrs:
            try:
                text = acc.queryText().getText(0, -1)
            except NotImplementedError:
                pass
    except Exception:  # an object that went away while we read
        return
    out.append(f"{'  ' * depth}{role}\t{name}\t{attrs}\t{text}")
    if depth > 60:
        return
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            walk(child, depth + 1, out)


def main():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == "hookswitch-app":
            out = []
            walk(app, 0, out)
            print("\n".join(out))
            return 0
    return 2


sys.exit(main())
