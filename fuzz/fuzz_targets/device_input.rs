//! What devices and the kernel send: uevent datagrams, CM109 and Yealink
//! answers, and reports fed to `hid-learn`'s learner over any descriptor.
#![no_main]

use hookswitch_devices::hotplug::uevent;
use hookswitch_devices::usb::{cm109, yealink};
use hookswitch_hid::learn::{Draft, Gesture, Learner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = uevent::parse(data);
    let mut c = cm109::Cm109::new(cm109::Keymap::Atcom);
    let mut y = yealink::Yealink::new();
    for chunk in data.chunks(16) {
        let _ = c.on_report(chunk);
        let _ = y.on_answer(chunk);
        assert!(yealink::checksum_ok(&y.next_step().packet));
    }
    let Some((&n, rest)) = data.split_first() else { return };
    let (descriptor, reports) = rest.split_at(usize::from(n).min(rest.len()));
    let Ok(d) = hookswitch_hid::parse(descriptor) else { return };
    let mut learner = Learner::new(&d);
    let reports: Vec<Vec<u8>> = reports.split(|&b| b == 0xFF).map(<[u8]>::to_vec).collect();
    if let Some(first) = reports.first() {
        learner.observe_idle(first);
    }
    let mut draft = Draft::new("fuzz", 1, 2);
    draft.learn(Gesture::Answer, &learner.changes(&reports));
    assert!(hookswitch_hid::Profile::from_toml(&draft.to_toml()).is_ok());
});
