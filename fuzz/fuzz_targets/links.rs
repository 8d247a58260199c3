//! `sip:`/`tel:`/`callto:` links as the desktop hands them over (any
//! program may open one): never a panic; a `tel:` link gives only dialable
//! characters (a leading + at most).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(link) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(target) = hookswitch_phone::links::target_of_link(link)
        && link.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("tel:"))
    {
        let dialable = target.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || c == '*' || c == '#' || (i == 0 && c == '+')
        });
        assert!(dialable, "{link:?} -> {target:?}");
    }
    let _ = hookswitch_phone::links::target_in_args(&[link.to_string()]);
});
