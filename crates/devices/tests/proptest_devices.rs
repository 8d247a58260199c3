//! Nothing a device or the kernel sends makes the edge panic.

use hookswitch_devices::hotplug::uevent;
use hookswitch_devices::usb::{cm109, yealink};
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_uevent_datagram_parses_or_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = uevent::parse(&bytes);
        let mut udev = b"libudev\0".to_vec();
        udev.extend_from_slice(&bytes);
        let _ = uevent::parse(&udev);
    }

    #[test]
    fn any_cm109_report_sequence_is_safe(reports in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..64)) {
        let mut c = cm109::Cm109::new(cm109::Keymap::Kip1000);
        for r in &reports {
            let _ = c.on_report(r);
            let p = c.control_packet();
            // The column driven is idle (0xF) or one of the four columns.
            prop_assert!([0x0f, 1, 2, 4, 8].contains(&p[1]));
        }
    }

    #[test]
    fn any_yealink_answer_is_safe_and_packets_stay_valid(answers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..64), number in "[0-9+* #-]{0,20}") {
        let mut y = yealink::Yealink::new();
        y.show_text(&number);
        for a in &answers {
            let _ = y.on_answer(a);
            let step = y.next_step();
            prop_assert!(yealink::checksum_ok(&step.packet));
        }
    }
}
