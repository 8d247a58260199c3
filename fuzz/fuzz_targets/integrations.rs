//! What providers, configurations and API clients send the integrations:
//! a balance answer (JSON with a pointer, XML with a path, an amount as
//! text), a hook template, an API request body as the phone's action.
//! Never a panic; an amount read is finite; a template that checks expands.
#![no_main]

use hookswitch_phone::Action;
use hookswitch_phone::balance::extract::{self, XmlPath};
use hookswitch_phone::hooks::template;
use hookswitch_phone::hooks::{HookEvent, HookEventKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the path or pointer, the rest the answer.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let head = String::from_utf8_lossy(head);
    if let Ok(v) = extract::from_json(body, &head) {
        assert!(v.is_finite());
    }
    if let Ok(path) = XmlPath::parse(&head)
        && let Ok(v) = extract::from_xml(body, &path)
    {
        assert!(v.is_finite());
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = extract::amount(&text) {
        assert!(v.is_finite());
    }
    if template::check(&text).is_ok() {
        let event = HookEvent {
            number: text.to_string(),
            ..HookEvent::new(HookEventKind::Ringing, 1, 0)
        };
        let url = template::expand(&text, &event, true);
        let _ = template::expand(&url, &event, false);
    }
    let _ = serde_json::from_slice::<Action>(data);
});
