//! The udev rules give the desk user access to the vendors we ship profiles for,
//! and never to a whole keyboard vendor.

#[test]
fn rules_cover_the_profile_vendors_and_nothing_broader() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../udev/70-hookswitch.rules");
    let text = std::fs::read_to_string(path).unwrap();
    let rules: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(!rules.is_empty());
    for r in &rules {
        assert!(
            r.starts_with("SUBSYSTEM==\"hidraw\"") || r.starts_with("SUBSYSTEM==\"usb\""),
            "{r}"
        );
        assert!(r.ends_with("TAG+=\"uaccess\""), "{r}");
        assert!(r.contains("ATTRS{idVendor}==\""), "{r}");
        assert!(
            !r.contains("MODE=\"0666\""),
            "world-writable nodes are not needed: {r}"
        );
    }
    for vendor in ["0b0e", "047f", "1395", "6993"] {
        assert!(
            rules
                .iter()
                .any(|r| r.contains(&format!("idVendor}}==\"{vendor}\"")) && r.contains("hidraw")),
            "{vendor}"
        );
    }
    // Logitech makes keyboards: never the whole vendor.
    assert!(
        !rules
            .iter()
            .any(|r| r.contains("\"046d\"") && !r.contains("idProduct"))
    );
    // Every busylight we drive, by its vendor (one that makes only lights)
    // or by its product; the shared vendor IDs never wholesale.
    for family in hookswitch_hid::busylight::FAMILIES {
        for m in family.models {
            let vendor = format!("idVendor}}==\"{:04x}\"", m.vendor_id);
            let product = format!("idProduct}}==\"{:04x}\"", m.product_id);
            assert!(
                rules.iter().any(|r| r.contains("hidraw")
                    && r.contains(&vendor)
                    && (r.contains(&product) || !r.contains("idProduct"))),
                "{} {:04x}:{:04x} has no rule",
                m.name,
                m.vendor_id,
                m.product_id
            );
        }
    }
    for shared in ["04d8", "20a0", "0e53", "27b8"] {
        assert!(
            !rules
                .iter()
                .any(|r| r.contains(&format!("\"{shared}\"")) && !r.contains("idProduct")),
            "{shared} is shared: by product only"
        );
    }
    // The libusb phones are matched by product.
    assert!(
        rules
            .iter()
            .any(|r| r.contains("\"0d8c\"") && r.contains("\"000e\""))
    );
}
