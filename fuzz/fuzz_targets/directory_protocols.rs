//! What directory servers send and what users type: an LDAP server's bytes
//! (read message by message), a CardDAV server's multistatus, and any text
//! as an LDAP filter template value. Never a panic; a typed value never
//! changes the filter's shape.
#![no_main]

use hookswitch_directory::carddav;
use hookswitch_directory::ldap::{filter, message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((_, _, used))) = message::read(rest) {
        if used == 0 {
            break;
        }
        rest = &rest[used..];
    }
    let _ = carddav::multistatus(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = filter::encode(text);
        let filled = filter::fill("(|(cn=*{text}*)(mail={text}))", &[("text", text)]);
        let encoded = filter::encode(&filled).expect("an escaped value keeps the filter valid");
        // An OR of exactly two items, whatever was typed.
        assert_eq!(encoded[0], 0xa1);
    }
});
