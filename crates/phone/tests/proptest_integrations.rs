//! Properties of what the integrations read and tell: amounts read back as
//! written, template values decode to themselves, and hook events keep a
//! call's story in order whatever order the phone's events come in.

use std::time::{Duration, Instant};

use hookswitch_phone::PhoneEvent;
use hookswitch_phone::balance::extract::amount;
use hookswitch_phone::event::EndReason;
use hookswitch_phone::hooks::template::encode;
use hookswitch_phone::hooks::{Follower, HookEventKind};
use proptest::prelude::*;

fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// 1234567.5 -> "1,234,567.50"
fn with_thousands(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", cents % 100)
}

#[derive(Debug, Clone)]
enum Step {
    Rings(u64),
    Places(u64),
    Named(u64),
    Answered(u64),
    Ends(u64),
    Wait,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..4).prop_map(Step::Rings),
        (0u64..4).prop_map(Step::Places),
        (0u64..4).prop_map(Step::Named),
        (0u64..4).prop_map(Step::Answered),
        (0u64..4).prop_map(Step::Ends),
        Just(Step::Wait),
    ]
}

proptest! {
    #[test]
    fn amounts_read_back_as_written(cents in -1_000_000_000_000i64..1_000_000_000_000) {
        let want = cents as f64 / 100.0;
        let plain = format!("{want:.2}");
        prop_assert!((amount(&plain).unwrap() - want).abs() < 1e-6, "{plain}");
        let grouped = with_thousands(cents);
        prop_assert!((amount(&grouped).unwrap() - want).abs() < 1e-6, "{grouped}");
        let european = grouped.replace(',', " ").replace('.', ",").replace(' ', ".");
        prop_assert!((amount(&european).unwrap() - want).abs() < 1e-6, "{european}");
        let labelled = format!("EUR {plain}");
        prop_assert!((amount(&labelled).unwrap() - want).abs() < 1e-6);
    }

    #[test]
    fn an_encoded_value_is_safe_and_decodes_to_itself(value in ".*") {
        let e = encode(&value);
        prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(decode(&e), value.as_bytes());
    }

    #[test]
    fn hook_events_keep_each_call_in_order(steps in prop::collection::vec(step(), 0..40)) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut f = Follower::default();
        let mut out = Vec::new();
        // The engine never numbers two calls alike.
        let mut started = std::collections::HashSet::new();
        for s in steps {
            if let Step::Rings(c) | Step::Places(c) = s
                && !started.insert(c)
            {
                continue;
            }
            let e = match s {
                Step::Rings(c) => Some(PhoneEvent::IncomingCall {
                    call: c, from: format!("<sip:{c}@pbx>"), to: "sip:me@pbx".into(),
                    account: None, answer_after: None, replaces: None,
                }),
                Step::Places(c) => Some(PhoneEvent::Calling {
                    call: c, to: format!("sip:{c}@pbx"), account: None,
                }),
                Step::Named(c) => Some(PhoneEvent::CallerIdentified {
                    call: c, name: "X".into(), source: "Contacts".into(),
                }),
                Step::Answered(c) => Some(PhoneEvent::Established {
                    call: c, codec: "PCMU".into(), remote_media: None, encryption: None,
                }),
                Step::Ends(c) => Some(PhoneEvent::Ended {
                    call: c, reason: EndReason::Remote, status: None, detail: None, stats: None,
                }),
                Step::Wait => None,
            };
            match e {
                Some(e) => out.extend(f.on_event(&e, now, 0)),
                None => {
                    now += Duration::from_millis(300);
                    out.extend(f.poll(now, 0));
                }
            }
        }
        // Each call's story: [ringing] [answered] [missed] ended, per life.
        for call in 0..4 {
            let kinds: Vec<HookEventKind> = out
                .iter()
                .filter(|e| e.call == Some(call))
                .map(|e| e.event)
                .collect();
            let mut life: Vec<HookEventKind> = Vec::new();
            for k in kinds {
                life.push(k);
                if k == HookEventKind::Ended {
                    let n = |x| life.iter().filter(|k| **k == x).count();
                    prop_assert!(n(HookEventKind::Ringing) <= 1, "{life:?}");
                    prop_assert!(n(HookEventKind::Answered) <= 1, "{life:?}");
                    prop_assert!(!(n(HookEventKind::Missed) == 1 && n(HookEventKind::Answered) == 1), "{life:?}");
                    if let Some(r) = life.iter().position(|k| *k == HookEventKind::Ringing) {
                        prop_assert_eq!(r, 0, "ringing first: {:?}", life);
                    }
                    life.clear();
                }
            }
        }
    }
}
