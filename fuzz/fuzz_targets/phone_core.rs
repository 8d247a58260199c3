//! The phone core on whatever a network sends it: datagrams (SIP with any
//! SDP, or garbage) from a stranger and a registrar, with the core answering
//! every call that rings (its media prepared at once) and time moving; it
//! never panics, and its state stays the fold of its events.
#![no_main]

use std::time::{Duration, Instant};

use hookswitch_phone::config::{AccountSettings, Config, account_config};
use hookswitch_phone::core::{CoreSettings, Input, Output, PhoneCore, ReplyTo};
use hookswitch_phone::{Action, PhoneEvent, PhoneState};
use hookswitch_sip::ua::Config as UaConfig;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let mut config = Config::default();
    config.sip.accept_p2p = true;
    config
        .accounts
        .push(AccountSettings::new("work", "sip:alice@127.0.0.9"));
    let accounts = config
        .accounts
        .iter()
        .map(|a| account_config(a, Some("secret".into())).unwrap())
        .collect();
    let ua = UaConfig {
        local: "127.0.0.1:5060".parse().unwrap(),
        timers: config.timers(),
        accounts,
        contact_user: "fuzz".into(),
        keepalive: config.keepalive(),
        tls_port: None,
        local_v6: None,
        accept_messages: hookswitch_sip::ua::AcceptMessages::No,
    };
    let settings = CoreSettings::from_config(&config, None).unwrap();
    let mut now = Instant::now();
    let rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut core = PhoneCore::new(ua, settings, rng, now);
    let mut events: Vec<PhoneEvent> = Vec::new();
    core.handle(now, Input::AddressSettled);
    // Datagrams separated by a NUL; the byte before each picks its source
    // and what the user does; time moves on between them.
    for (i, chunk) in data.split(|&b| b == 0).enumerate() {
        let Some((&pick, datagram)) = chunk.split_first() else {
            continue;
        };
        let source = if pick & 1 == 0 {
            "127.0.0.9:5060".parse().unwrap()
        } else {
            "127.0.0.66:5070".parse().unwrap()
        };
        core.handle(now, Input::Datagram { source, bytes: datagram });
        let action = match pick >> 5 {
            0 => Some(Action::AnswerOrHangUp),
            1 => Some(Action::Hangup { call: None }),
            2 => Some(Action::Hold { call: u64::from(pick & 7), held: true }),
            3 => Some(Action::Dnd { on: pick & 2 == 0, account: None }),
            _ => None,
        };
        if let Some(action) = action {
            core.handle(now, Input::Action { action, reply: ReplyTo(i as u64) });
        }
        while let Some(o) = core.poll_output() {
            match o {
                Output::Prepare { call, .. } => {
                    let result = Ok("127.0.0.1:40000".parse().unwrap());
                    core.handle(now, Input::Prepared { call, result });
                }
                Output::Event(e) => events.push(e),
                _ => {}
            }
        }
        now += Duration::from_millis(u64::from(pick) * 40);
        if core.poll_timeout().is_some_and(|t| t <= now) {
            core.handle(now, Input::Timeout);
        }
    }
    while let Some(o) = core.poll_output() {
        if let Output::Event(e) = o {
            events.push(e);
        }
    }
    assert_eq!(&PhoneState::fold(&events), core.state());
});
