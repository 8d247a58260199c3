//! Sharing devices politely. hidraw lets several applications read the same
//! headset; when another application holds one exclusively (a libusb program
//! that detached the kernel driver), Hookswitch says who, and leaves it alone.

use std::path::Path;

/// A process that has a device node open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub pid: u32,
    pub name: String,
}

/// The processes (other than this one) that have `node` open, from /proc. Only
/// processes of the same user are visible, which is the case that matters.
pub fn holders(node: &str) -> Vec<Holder> {
    holders_in(Path::new("/proc"), node, std::process::id())
}

fn holders_in(proc_root: &Path, node: &str, me: u32) -> Vec<Holder> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let opens = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == Path::new(node)));
        if opens {
            let name = std::fs::read_to_string(entry.path().join("comm"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            out.push(Holder { pid, name });
        }
    }
    out.sort_by_key(|h| h.pid);
    out
}

/// " (by gonnect, pid 4242)" or "" when nobody is known.
pub fn describe(holders: &[Holder]) -> String {
    if holders.is_empty() {
        return String::new();
    }
    let list: Vec<String> = holders
        .iter()
        .map(|h| format!("{}, pid {}", h.name, h.pid))
        .collect();
    format!(" (by {})", list.join("; "))
}

/// A USB HID interface that some application has taken from the kernel
/// (its driver is usbfs): its hidraw node is gone until that application lets go.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Claimed {
    /// The sysfs name of the interface, e.g. "1-4:1.3".
    pub interface: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub product: String,
    pub holders: Vec<Holder>,
}

/// HID interfaces claimed through usbfs by another program, for vendors in
/// `vendors` (the telephony vendors our profiles know).
pub fn claimed_hid_interfaces(vendors: &[u16]) -> Vec<Claimed> {
    claimed_in(Path::new("/sys/bus/usb/devices"), vendors)
}

fn read_hex(path: &Path) -> Option<u16> {
    let s = std::fs::read_to_string(path).ok()?;
    u16::from_str_radix(s.trim(), 16).ok()
}

fn claimed_in(root: &Path, vendors: &[u16]) -> Vec<Claimed> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.contains(':') {
            continue;
        }
        let iface = entry.path();
        if read_hex(&iface.join("bInterfaceClass")) != Some(0x03) {
            continue;
        }
        let driver = std::fs::read_link(iface.join("driver"))
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        if driver.as_deref() != Some("usbfs") {
            continue;
        }
        let device = iface.join("..");
        let (Some(vendor_id), Some(product_id)) = (
            read_hex(&device.join("idVendor")),
            read_hex(&device.join("idProduct")),
        ) else {
            continue;
        };
        if !vendors.contains(&vendor_id) {
            continue;
        }
        let product = std::fs::read_to_string(device.join("product"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let node = match (
            std::fs::read_to_string(device.join("busnum")),
            std::fs::read_to_string(device.join("devnum")),
        ) {
            (Ok(b), Ok(d)) => format!(
                "/dev/bus/usb/{:03}/{:03}",
                b.trim().parse::<u32>().unwrap_or(0),
                d.trim().parse::<u32>().unwrap_or(0)
            ),
            _ => String::new(),
        };
        out.push(Claimed {
            interface: name,
            vendor_id,
            product_id,
            product,
            holders: holders(&node),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_process_that_holds_a_node_open() {
        let dir = std::env::temp_dir().join(format!("hs-arb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let node = dir.join("hidraw7");
        let fd_dir = dir.join("proc/4242/fd");
        std::fs::create_dir_all(&fd_dir).unwrap();
        std::fs::create_dir_all(dir.join("proc/99/fd")).unwrap();
        std::fs::write(&node, b"").unwrap();
        std::os::unix::fs::symlink(&node, fd_dir.join("5")).unwrap();
        std::fs::write(dir.join("proc/4242/comm"), "gonnect\n").unwrap();
        let found = holders_in(&dir.join("proc"), node.to_str().unwrap(), 1);
        assert_eq!(
            found,
            vec![Holder {
                pid: 4242,
                name: "gonnect".into()
            }]
        );
        assert_eq!(describe(&found), " (by gonnect, pid 4242)");
        // This process itself never counts.
        assert!(holders_in(&dir.join("proc"), node.to_str().unwrap(), 4242).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_usbfs_claimed_hid_interface_of_a_known_vendor_is_reported() {
        let dir = std::env::temp_dir().join(format!("hs-usbfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let dev = dir.join("1-4");
        let iface = dev.join("1-4:1.3");
        std::fs::create_dir_all(&iface).unwrap();
        std::fs::create_dir_all(dir.join("drivers/usbfs")).unwrap();
        std::fs::write(dev.join("idVendor"), "0b0e\n").unwrap();
        std::fs::write(dev.join("idProduct"), "0307\n").unwrap();
        std::fs::write(dev.join("product"), "Jabra EVOLVE LINK\n").unwrap();
        std::fs::write(iface.join("bInterfaceClass"), "03\n").unwrap();
        std::os::unix::fs::symlink(dir.join("drivers/usbfs"), iface.join("driver")).unwrap();
        // sysfs lists interfaces beside devices; so does the fake tree.
        std::os::unix::fs::symlink(&iface, dir.join("1-4:1.3")).unwrap();
        let found = claimed_in(&dir, &[0x0b0e]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].product, "Jabra EVOLVE LINK");
        assert!(claimed_in(&dir, &[0x047f]).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
