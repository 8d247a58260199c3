//! Parsing of device events as the kernel and udev multicast them on
//! NETLINK_KOBJECT_UEVENT: the kernel's "add@/devices/...\0KEY=VALUE\0...", and
//! udev's "libudev\0" header followed by the same KEY=VALUE list.

/// One device event; only what hotplug needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uevent {
    pub action: String,
    pub devpath: String,
    pub subsystem: String,
    /// The node under /dev, e.g. "hidraw3" (kernel) or "/dev/hidraw3" (udev).
    pub devname: Option<String>,
}

const UDEV_PREFIX: &[u8] = b"libudev\0";
const UDEV_MAGIC: u32 = 0xfeed_cafe;

fn u32_at(buf: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_ne_bytes(bytes)
    })
}

/// Parses one datagram; `None` for anything that is not a well-formed event.
pub fn parse(buf: &[u8]) -> Option<Uevent> {
    let properties = if buf.starts_with(UDEV_PREFIX) {
        // struct monitor_netlink_header: prefix[8], magic (big-endian),
        // header_size, properties_off, properties_len (native-endian), ...
        if u32_at(buf, 8, true)? != UDEV_MAGIC {
            return None;
        }
        let off = usize::try_from(u32_at(buf, 16, false)?).ok()?;
        let len = usize::try_from(u32_at(buf, 20, false)?).ok()?;
        buf.get(off..off.checked_add(len)?)?
    } else {
        // "ACTION@DEVPATH\0" then the properties.
        let end = buf.iter().position(|&b| b == 0)?;
        if !buf[..end].contains(&b'@') {
            return None;
        }
        &buf[end + 1..]
    };
    let mut event = Uevent::default();
    for item in properties.split(|&b| b == 0) {
        let Ok(item) = std::str::from_utf8(item) else {
            continue;
        };
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        match key {
            "ACTION" => event.action = value.into(),
            "DEVPATH" => event.devpath = value.into(),
            "SUBSYSTEM" => event.subsystem = value.into(),
            "DEVNAME" => event.devname = Some(value.into()),
            _ => {}
        }
    }
    (!event.action.is_empty() && !event.subsystem.is_empty()).then_some(event)
}

/// Whether an event can change the set of phone devices.
pub fn concerns_devices(event: &Uevent) -> bool {
    matches!(event.subsystem.as_str(), "hidraw" | "usb" | "hid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_event() {
        let msg = b"add@/devices/platform/dummy_hcd.0/usb1/1-1/1-1:1.0/0003:0B0E:0307.0001/hidraw/hidraw0\0ACTION=add\0DEVPATH=/devices/platform/dummy_hcd.0/usb1/1-1/1-1:1.0/0003:0B0E:0307.0001/hidraw/hidraw0\0SUBSYSTEM=hidraw\0MAJOR=240\0MINOR=0\0DEVNAME=hidraw0\0SEQNUM=1234\0";
        let e = parse(msg).unwrap();
        assert_eq!(e.action, "add");
        assert_eq!(e.subsystem, "hidraw");
        assert_eq!(e.devname.as_deref(), Some("hidraw0"));
        assert!(concerns_devices(&e));
    }

    #[test]
    fn udev_event() {
        let props = b"ACTION=remove\0DEVPATH=/devices/x/hidraw/hidraw2\0SUBSYSTEM=hidraw\0DEVNAME=/dev/hidraw2\0";
        let mut msg = Vec::new();
        msg.extend_from_slice(b"libudev\0");
        msg.extend_from_slice(&0xfeed_cafe_u32.to_be_bytes());
        msg.extend_from_slice(&40u32.to_ne_bytes()); // header_size
        msg.extend_from_slice(&40u32.to_ne_bytes()); // properties_off
        msg.extend_from_slice(&(props.len() as u32).to_ne_bytes());
        msg.resize(40, 0);
        msg.extend_from_slice(props);
        let e = parse(&msg).unwrap();
        assert_eq!(e.action, "remove");
        assert_eq!(e.devname.as_deref(), Some("/dev/hidraw2"));
    }

    #[test]
    fn rubbish_is_not_an_event() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"libudev\0\0\0\0\0"), None);
        assert_eq!(parse(b"no at sign\0ACTION=add\0SUBSYSTEM=usb\0"), None);
        let mut bad_offsets = b"libudev\0".to_vec();
        bad_offsets.extend_from_slice(&0xfeed_cafe_u32.to_be_bytes());
        bad_offsets.extend_from_slice(&[0xff; 12]);
        assert_eq!(parse(&bad_offsets), None);
    }
}
