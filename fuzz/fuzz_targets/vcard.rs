//! vCard files from anywhere (an import, a CardDAV server): never a panic;
//! every card is a contact or an error; what we write of the contacts
//! reads back to as many contacts.
#![no_main]

use hookswitch_directory::vcard::{self, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = vcard::parse(data);
    let written = vcard::write(&parsed.contacts, Version::V4);
    let again = vcard::parse(written.as_bytes());
    assert_eq!(again.contacts.len(), parsed.contacts.len(), "{:?}", again.errors);
    let plan = hookswitch_directory::NumberPlan::new(Some("DE"), None).unwrap();
    for c in &parsed.contacts {
        for a in &c.addresses {
            let _ = plan.key(&a.value);
        }
    }
});
