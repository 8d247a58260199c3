//! `sip:`, `sips:`, `tel:` and `callto:` links, as the desktop hands them to
//! us (a new process's arguments, forwarded to the running one): what to
//! dial. Pure, so every form a browser or a CRM produces is tested.

/// The number or SIP address a link names, if any argument is one.
pub fn target_in_args(args: &[String]) -> Option<String> {
    args.iter().find_map(|a| target_of_link(a))
}

/// `sip:bob@example.com` stays a SIP URI (its `?headers` dropped: a link
/// must not set SIP headers); `tel:+49-30-1234;phone-context=...` becomes
/// `+49301234`; `callto:` is either. Anything else is `None`.
pub fn target_of_link(link: &str) -> Option<String> {
    let (scheme, rest) = link.trim().split_once(':')?;
    let rest = percent_decode(rest.trim_start_matches("//"));
    let target = match scheme.to_ascii_lowercase().as_str() {
        "sip" | "sips" => {
            let uri = rest.split('?').next().unwrap_or_default();
            if uri.is_empty() {
                return None;
            }
            format!("{}:{uri}", scheme.to_ascii_lowercase())
        }
        "tel" => number(&rest)?,
        "callto" => {
            if rest.contains('@') {
                format!("sip:{}", rest.split('?').next().unwrap_or_default())
            } else {
                number(&rest)?
            }
        }
        _ => return None,
    };
    Some(target)
}

/// The digits of a telephone number (RFC 3966: visual separators dropped,
/// parameters after `;` ignored); `None` without a digit.
fn number(text: &str) -> Option<String> {
    let main = text.split([';', '?']).next().unwrap_or_default();
    let digits: String = main
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || matches!(c, '*' | '#') || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    digits.chars().any(|c| c.is_ascii_digit()).then_some(digits)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_what_to_dial() {
        let t = |l: &str| target_of_link(l);
        assert_eq!(
            t("sip:bob@example.com").as_deref(),
            Some("sip:bob@example.com")
        );
        assert_eq!(
            t("SIP:bob@example.com?Subject=hi&Priority=urgent").as_deref(),
            Some("sip:bob@example.com")
        );
        assert_eq!(
            t("sips:bob@example.com:5061").as_deref(),
            Some("sips:bob@example.com:5061")
        );
        assert_eq!(t("tel:+49-30-1234-567").as_deref(), Some("+49301234567"));
        assert_eq!(
            t("tel:%2B1%20(555)%20010-9999").as_deref(),
            Some("+15550109999")
        );
        assert_eq!(
            t("tel:7042;phone-context=example.com").as_deref(),
            Some("7042")
        );
        assert_eq!(t("tel:*21#").as_deref(), Some("*21#"));
        assert_eq!(
            t("callto://+441632960000").as_deref(),
            Some("+441632960000")
        );
        assert_eq!(
            t("callto:alice@example.com").as_deref(),
            Some("sip:alice@example.com")
        );
        assert_eq!(t("tel:abc"), None);
        assert_eq!(t("sip:"), None);
        assert_eq!(t("https://example.com"), None);
        assert_eq!(t("no scheme"), None);
        assert_eq!(t("tel:1+2"), Some("12".into()), "a + only leads");
    }

    proptest::proptest! {
        /// Any argument a desktop may pass: no panic, and a `tel:` link gives
        /// only dialable characters (a leading + at most).
        #[test]
        fn any_text_is_taken_or_refused_without_panic(text in "\\PC{0,80}") {
            let _ = target_of_link(&text);
            if let Some(t) = target_of_link(&format!("tel:{text}")) {
                proptest::prop_assert!(t.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_digit() || c == '*' || c == '#' || (i == 0 && c == '+')
                }), "{t:?}");
                proptest::prop_assert!(t.chars().any(|c| c.is_ascii_digit()));
            }
        }

        /// A `sip:` link keeps its address and never carries `?headers`.
        #[test]
        fn sip_links_lose_their_headers(user in "[a-z0-9]{1,12}", host in "[a-z0-9.]{1,20}", header in "[A-Za-z=&]{0,20}") {
            let got = target_of_link(&format!("sip:{user}@{host}?{header}"));
            proptest::prop_assert_eq!(got, Some(format!("sip:{user}@{host}")));
        }
    }

    #[test]
    fn the_link_is_found_among_the_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            target_in_args(&args(&["/usr/bin/hookswitch-app", "tel:110"])).as_deref(),
            Some("110")
        );
        assert_eq!(
            target_in_args(&args(&["/usr/bin/hookswitch-app", "--config", "x"])),
            None
        );
    }
}
