//! A headset's HID interface and its sound card are interfaces of one USB
//! device: sysfs shows both under the same USB device directory. Finding the
//! card a call-control device belongs to lets calls handled from a headset
//! use that headset's microphone and speaker.

use std::path::{Path, PathBuf};

/// The ALSA card id (`/proc/asound/cards`' short name, e.g. "Link") of the
/// sound card on the same USB device as `device_path` (`/dev/hidraw3` or a
/// USB phone's `usb:1-4`), looked up under `sysfs` (normally `/sys`).
pub fn sound_card_of(sysfs: &Path, device_path: &str) -> Option<String> {
    let entry = if let Some(node) = device_path.strip_prefix("/dev/") {
        // /dev/hidraw3 is /sys/class/hidraw/hidraw3.
        let class = node.trim_end_matches(|c: char| c.is_ascii_digit());
        sysfs.join("class").join(class).join(node).join("device")
    } else if let Some(bus_path) = device_path.strip_prefix("usb:") {
        sysfs.join("bus/usb/devices").join(bus_path)
    } else {
        return None;
    };
    let entry = entry.canonicalize().ok()?;
    let usb = usb_device_of(&entry)?;
    let cards = std::fs::read_dir(sysfs.join("class/sound")).ok()?;
    let mut found: Vec<(String, String)> = cards
        .flatten()
        .filter(|c| c.file_name().to_string_lossy().starts_with("card"))
        .filter_map(|c| {
            let device = c.path().join("device").canonicalize().ok()?;
            if !device.starts_with(&usb) {
                return None;
            }
            let id = std::fs::read_to_string(c.path().join("id")).ok()?;
            Some((
                c.file_name().to_string_lossy().into_owned(),
                id.trim().to_string(),
            ))
        })
        .collect();
    found.sort();
    found.into_iter().next().map(|(_, id)| id)
}

/// The sound device (a name `sound::Microphone`/`Speaker` open) of the
/// headset or handset at `device_path`, if it has a sound card of its own.
pub fn paired_sound_device(device_path: &str) -> Option<String> {
    let card = sound_card_of(Path::new("/sys"), device_path)?;
    let names: Vec<String> = crate::sound::list()
        .ok()?
        .into_iter()
        .map(|d| d.name)
        .collect();
    let found = sound_device_for_card(&card, &names);
    if found.is_none() {
        tracing::info!(%device_path, %card, "its sound card has no PCM we can open");
    }
    found
}

/// The USB device (the directory with `busnum`) that `entry` is part of:
/// the entry itself or its nearest ancestor.
fn usb_device_of(entry: &Path) -> Option<PathBuf> {
    entry
        .ancestors()
        .find(|p| p.join("busnum").is_file() && p.join("idVendor").is_file())
        .map(Path::to_path_buf)
}

/// The sound device name to open for ALSA card `card` among `names` (what
/// `sound::list` offers): the card's own default PCM if listed, else its
/// first plug or hardware PCM.
pub fn sound_device_for_card(card: &str, names: &[String]) -> Option<String> {
    let of_card = |prefix: &str| {
        names
            .iter()
            .find(|n| {
                n.starts_with(prefix)
                    && n.split(&[':', ','][..])
                        .any(|part| part == format!("CARD={card}"))
            })
            .cloned()
    };
    ["sysdefault:", "plughw:", "front:", "hw:"]
        .into_iter()
        .find_map(of_card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A sysfs tree as Linux lays out a USB headset at 1-1 (HID on interface
    /// 3, audio on 0) and an unrelated card on the PCI bus.
    fn fake_sysfs() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let usb = r.join("devices/pci0000:00/0000:00:14.0/usb1/1-1");
        std::fs::create_dir_all(usb.join("1-1:1.3/0003:0B0E:0307.0001/hidraw/hidraw3")).unwrap();
        std::fs::create_dir_all(usb.join("1-1:1.0/sound/card2")).unwrap();
        std::fs::write(usb.join("busnum"), "1\n").unwrap();
        std::fs::write(usb.join("idVendor"), "0b0e\n").unwrap();
        let pci_card = r.join("devices/pci0000:00/0000:00:1f.3/sound/card0");
        std::fs::create_dir_all(&pci_card).unwrap();
        std::fs::create_dir_all(r.join("class/hidraw/hidraw3")).unwrap();
        symlink(
            usb.join("1-1:1.3/0003:0B0E:0307.0001"),
            r.join("class/hidraw/hidraw3/device"),
        )
        .unwrap();
        for (card, device, id) in [
            ("card0", r.join("devices/pci0000:00/0000:00:1f.3"), "PCH"),
            ("card2", usb.join("1-1:1.0"), "Link"),
        ] {
            let dir = r.join("class/sound").join(card);
            std::fs::create_dir_all(&dir).unwrap();
            symlink(device, dir.join("device")).unwrap();
            std::fs::write(dir.join("id"), format!("{id}\n")).unwrap();
        }
        std::fs::create_dir_all(r.join("bus/usb/devices")).unwrap();
        symlink(&usb, r.join("bus/usb/devices/1-1")).unwrap();
        root
    }

    #[test]
    fn a_hidraw_node_finds_the_card_of_its_usb_device() {
        let sys = fake_sysfs();
        assert_eq!(
            sound_card_of(sys.path(), "/dev/hidraw3").as_deref(),
            Some("Link")
        );
        assert_eq!(
            sound_card_of(sys.path(), "usb:1-1").as_deref(),
            Some("Link")
        );
        assert_eq!(sound_card_of(sys.path(), "/dev/hidraw9"), None);
        assert_eq!(sound_card_of(sys.path(), "simulated:Jabra"), None);
    }

    #[test]
    fn the_cards_own_pcm_is_preferred() {
        let names: Vec<String> = [
            "default",
            "pulse",
            "hw:CARD=Link,DEV=0",
            "plughw:CARD=Link,DEV=0",
            "sysdefault:CARD=PCH",
            "sysdefault:CARD=Link",
            "front:CARD=Linkage,DEV=0",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            sound_device_for_card("Link", &names).as_deref(),
            Some("sysdefault:CARD=Link")
        );
        assert_eq!(
            sound_device_for_card("Link", &names[..4]).as_deref(),
            Some("plughw:CARD=Link,DEV=0")
        );
        assert_eq!(sound_device_for_card("Linkage", &names[..4]), None);
    }
}
