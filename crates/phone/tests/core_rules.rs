//! Every call rule of the phone, on the sans-IO core in virtual time: no
//! socket, no sound device, no sleep. Phones talk to each other through
//! `support::Net`; registrars and proxies are the test, answering what
//! reaches the wire.

mod support;

use std::time::Duration;

use hookswitch_phone::call_handling::ForwardReason;
use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::core::{Input, MediaCommand, MediaReport};
use hookswitch_phone::state::CallPhase;
use hookswitch_phone::{
    Action, DeflectReason, EndReason, EngineError, MediaDirection, PhoneEvent, Reply,
};
use hookswitch_sip::message::{HeaderName, Method};
use support::{Net, config};

/// An account that does not register (the tests say when it does).
fn account(name: &str, aor: &str) -> AccountSettings {
    AccountSettings {
        register: false,
        ..AccountSettings::new(name, aor)
    }
}

/// Phones a (127.0.0.1) and b (127.0.0.2), peer to peer.
fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let b = net.add(2, &config(), 2);
    (net, a, b)
}

fn phase(net: &Net, phone: usize, call: u64) -> Option<CallPhase> {
    net.phones[phone].core.state().call(call).map(|c| c.phase)
}

fn ended(net: &Net, phone: usize, call: u64) -> Option<(EndReason, Option<u16>)> {
    net.phones[phone].events.iter().find_map(|e| match e {
        PhoneEvent::Ended {
            call: c,
            reason,
            status,
            ..
        } if *c == call => Some((*reason, *status)),
        _ => None,
    })
}

fn answer(net: &mut Net, phone: usize, call: u64) -> Result<Reply, EngineError> {
    net.act(phone, Action::Answer { call, audio: None })
}

/// a calls b and b answers: the two call numbers.
fn connected(net: &mut Net, a: usize, b: usize, target: &str) -> (u64, u64) {
    let ac = net.call(a, target);
    let bc = net.ringing(b);
    answer(net, b, bc).expect("answered");
    assert_eq!(phase(net, a, ac), Some(CallPhase::Connected));
    assert_eq!(phase(net, b, bc), Some(CallPhase::Connected));
    (ac, bc)
}

fn sent_responses(net: &Net, from: usize, status: u16) -> usize {
    let addr = net.phones[from].addr;
    net.log
        .iter()
        .filter(|s| s.from == addr && s.response().is_some_and(|r| r.status == status))
        .count()
}

#[test]
fn a_call_connects_and_ends_in_virtual_time() {
    let (mut net, a, b) = two();
    let (ac, bc) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    assert!(net.phones[a].running.contains(&ac) && net.phones[b].running.contains(&bc));
    net.act(a, Action::Hangup { call: Some(ac) }).unwrap();
    assert_eq!(ended(&net, a, ac), Some((EndReason::Local, None)));
    assert_eq!(ended(&net, b, bc), Some((EndReason::Remote, None)));
    for p in &net.phones {
        assert!(
            p.running.is_empty() && p.prepared.is_empty(),
            "media left behind"
        );
        assert!(p.core.state().calls.is_empty());
    }
}

#[test]
fn dnd_refuses_with_486_and_nothing_rings() {
    let (mut net, a, b) = two();
    net.act(
        b,
        Action::Dnd {
            on: true,
            account: None,
        },
    )
    .unwrap();
    let ac = net.call(a, "sip:b@127.0.0.2");
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(486))));
    let p = &net.phones[b];
    assert!(p.events.iter().any(|e| matches!(
        e,
        PhoneEvent::Deflected {
            reason: DeflectReason::Dnd,
            status: 486,
            ..
        }
    )));
    assert!(
        !p.events
            .iter()
            .any(|e| matches!(e, PhoneEvent::IncomingCall { .. }))
    );
    assert!(
        p.shown.iter().all(|l| !l.ring),
        "the Ring LED never came on"
    );
    assert!(p.core.state().dnd && p.shown.last().is_some_and(|l| l.dnd));
}

#[test]
fn forwarding_always_when_busy_and_when_not_answered() {
    let (mut net, a, b) = two();
    let forward = |net: &mut Net, when, target: Option<&str>| {
        net.act(
            b,
            Action::Forward {
                when,
                target: target.map(str::to_string),
                account: None,
            },
        )
        .unwrap();
    };
    let deflected = |net: &Net| {
        net.phones[b].events.iter().rev().find_map(|e| match e {
            PhoneEvent::Deflected {
                reason,
                forwarded_to,
                status,
                ..
            } => Some((*reason, forwarded_to.clone(), *status)),
            _ => None,
        })
    };
    // Always: 302 at once, nothing rings.
    forward(&mut net, ForwardReason::Always, Some("sip:c@127.0.0.3"));
    let ac = net.call(a, "sip:b@127.0.0.2");
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(302))));
    assert_eq!(
        deflected(&net),
        Some((DeflectReason::Always, Some("sip:c@127.0.0.3".into()), 302))
    );
    forward(&mut net, ForwardReason::Always, None);
    // Busy: refusing as busy forwards.
    forward(
        &mut net,
        ForwardReason::Busy,
        Some("sip:voicemail@127.0.0.3"),
    );
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    net.act(
        b,
        Action::Reject {
            call: bc,
            status: 486,
        },
    )
    .unwrap();
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(302))));
    assert_eq!(deflected(&net).map(|d| d.0), Some(DeflectReason::Busy));
    // Not answered: 302 after the ring time (20 s), not a moment before.
    forward(&mut net, ForwardReason::NoAnswer, Some("sip:c@127.0.0.3"));
    let ac = net.call(a, "sip:b@127.0.0.2");
    net.advance(Duration::from_millis(19_900));
    assert_eq!(phase(&net, a, ac), Some(CallPhase::RingingOut));
    net.advance(Duration::from_millis(200));
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(302))));
    assert_eq!(deflected(&net).map(|d| d.0), Some(DeflectReason::NoAnswer));
}

#[test]
fn a_target_that_cannot_be_dialled_is_refused_as_forwarding() {
    let (mut net, _a, b) = two();
    let refused = net.act(
        b,
        Action::Forward {
            when: ForwardReason::Always,
            target: Some("1234".into()),
            account: None,
        },
    );
    assert!(
        matches!(refused, Err(EngineError::BadTarget(_))),
        "{refused:?}"
    );
}

#[test]
fn blind_transfer_as_transferor_transferee_and_target() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let b = net.add(2, &config(), 2);
    let c = net.add(3, &config(), 3);
    let (ab, ba) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    // b (transferor) sends a (transferee) to c (target).
    net.act(
        b,
        Action::Transfer {
            call: ba,
            target: "sip:c@127.0.0.3".into(),
        },
    )
    .unwrap();
    let ac = net.phones[a]
        .events
        .iter()
        .find_map(|e| match e {
            PhoneEvent::Transferring {
                call,
                new_call,
                target,
            } if *call == ab => {
                assert_eq!(target, "sip:c@127.0.0.3");
                Some(*new_call)
            }
            _ => None,
        })
        .expect("a calls the target");
    let invite = net
        .log
        .iter()
        .filter_map(|s| s.request())
        .find(|r| r.method == Method::Invite && r.uri.to_string() == "sip:c@127.0.0.3")
        .expect("the INVITE to c");
    assert!(
        invite
            .headers
            .get(&HeaderName::ReferredBy)
            .is_some_and(|v| v.contains("127.0.0.2")),
        "Referred-By names b"
    );
    let ca = net.ringing(c);
    answer(&mut net, c, ca).unwrap();
    assert_eq!(phase(&net, a, ac), Some(CallPhase::Connected));
    // b heard it worked and left; a's first call ended by b's BYE.
    assert!(net.phones[b].events.iter().any(|e| matches!(
        e,
        PhoneEvent::TransferProgress {
            status: 200,
            done: true,
            ..
        }
    )));
    assert_eq!(ended(&net, b, ba).map(|e| e.0), Some(EndReason::Local));
    assert_eq!(ended(&net, a, ab).map(|e| e.0), Some(EndReason::Remote));
}

#[test]
fn attended_transfer_replaces_the_consultation() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let b = net.add(2, &config(), 2);
    let c = net.add(3, &config(), 3);
    let (ab, ba) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    // b places a consultation call to c: a is held first.
    let (bc, cb) = connected(&mut net, b, c, "sip:c@127.0.0.3");
    assert!(net.phones[b].core.state().call(ba).unwrap().held);
    net.act(
        b,
        Action::TransferAttended {
            call: ba,
            to_call: bc,
        },
    )
    .unwrap();
    // c takes a's call at once (it replaces the one with b), nothing rings.
    let (ca, replaces) = net.phones[c]
        .events
        .iter()
        .find_map(|e| match e {
            PhoneEvent::IncomingCall { call, replaces, .. } if *call != cb => {
                Some((*call, *replaces))
            }
            _ => None,
        })
        .expect("a calls c");
    assert_eq!(replaces, Some(cb));
    assert_eq!(phase(&net, c, ca), Some(CallPhase::Connected));
    assert!(ended(&net, c, cb).is_some(), "the replaced call ended");
    assert!(ended(&net, b, ba).is_some() && ended(&net, b, bc).is_some());
    assert!(ended(&net, a, ab).is_some());
    assert_eq!(net.phones[b].core.state().calls.len(), 0);
}

#[test]
fn answering_a_waiting_call_holds_the_talking_one_first() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let b = net.add(2, &config(), 2);
    let c = net.add(3, &config(), 3);
    let (_ab, ba) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    let cb = net.call(c, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    answer(&mut net, b, bc).unwrap();
    let events = &net.phones[b].events;
    let held = events
        .iter()
        .position(|e| matches!(e, PhoneEvent::Held { call, held: true } if *call == ba))
        .expect("the talking call is held");
    let up = events
        .iter()
        .position(|e| matches!(e, PhoneEvent::Established { call, .. } if *call == bc))
        .unwrap();
    assert!(held < up, "held before the waiting call was answered");
    assert_eq!(phase(&net, c, cb), Some(CallPhase::Connected));
    let a_sees = net.phones[a].core.state().calls[0].media_direction;
    assert_eq!(a_sees, Some(MediaDirection::RecvOnly), "a hears it is held");
}

#[test]
fn answer_or_hang_up_answers_then_hangs_up() {
    let (mut net, a, b) = two();
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    assert_eq!(net.act(b, Action::AnswerOrHangUp), Ok(Reply::Answered(bc)));
    assert_eq!(phase(&net, a, ac), Some(CallPhase::Connected));
    assert_eq!(net.act(b, Action::AnswerOrHangUp), Ok(Reply::HungUp));
    assert!(ended(&net, a, ac).is_some());
    assert_eq!(
        net.act(b, Action::AnswerOrHangUp),
        Err(EngineError::WrongState)
    );
}

#[test]
fn glare_is_resolved_by_waiting_and_trying_again() {
    let (mut net, a, b) = two();
    let (ac, bc) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    // Both hold at the same moment: each re-INVITE meets the other's.
    let now = net.now;
    for (p, call) in [(a, ac), (b, bc)] {
        net.phones[p].core.handle(
            now,
            Input::Action {
                action: Action::Hold { call, held: true },
                reply: hookswitch_phone::core::ReplyTo(99),
            },
        );
    }
    net.settle();
    assert!(sent_responses(&net, a, 491) + sent_responses(&net, b, 491) >= 1);
    // RFC 3261 14.1: the retry comes after a random wait of at most 4 s.
    net.advance(Duration::from_secs(5));
    for (p, call) in [(a, ac), (b, bc)] {
        let c = net.phones[p].core.state().call(call).cloned().unwrap();
        assert!(c.held, "phone {p}'s hold went through in the end");
        assert_eq!(c.media_direction, Some(MediaDirection::Inactive));
    }
}

#[test]
fn peer_to_peer_calls_are_refused_when_off() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let mut closed = config();
    closed.sip.accept_p2p = false;
    let b = net.add(2, &closed, 2);
    let ac = net.call(a, "sip:b@127.0.0.2");
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(403))));
    assert!(net.phones[b].core.state().calls.is_empty());
}

#[test]
fn only_calls_from_the_registrar_ring_when_asked() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let mut guarded = config();
    guarded.sip.only_from_registrar = true;
    guarded.accounts.push(AccountSettings {
        register: true,
        ..account("pbx", "sip:bob@127.0.0.9:5080")
    });
    let b = net.add(2, &guarded, 2);
    let register = net.wire_requests("REGISTER").remove(0);
    net.respond(
        &register,
        200,
        &[(HeaderName::Contact, "<sip:bob@127.0.0.2>;expires=600")],
    );
    // Straight from a: refused.
    let ac = net.call(a, "sip:bob@127.0.0.2");
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(403))));
    // The same kind of INVITE, but from where the registrar is: it rings.
    net.call(a, "sip:bob@127.0.0.77");
    let invite = net.wire_requests("INVITE").pop().unwrap();
    let registrar = "127.0.0.9:5080".parse().unwrap();
    net.deliver_from_outside(registrar, b, &invite.transmit.payload);
    assert_eq!(net.phones[b].core.state().calls.len(), 1);
}

#[test]
fn an_account_that_requires_srtp_refuses_plain_calls() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let mut secure = config();
    secure.accounts.push(AccountSettings {
        srtp: hookswitch_media::srtp::SrtpMode::Required,
        ..account("secure", "sip:bob@127.0.0.9")
    });
    let b = net.add(2, &secure, 2);
    let before = net.log.len();
    let placed = net.act(
        b,
        Action::Call {
            target: "77".into(),
            account: Some("secure".into()),
            audio: None,
        },
    );
    assert!(
        matches!(&placed, Err(EngineError::Config(why)) if why.contains("SRTP")),
        "{placed:?}"
    );
    assert_eq!(net.log.len(), before, "nothing went on the wire");
    // A call to that account over UDP: 488.
    let ac = net.call(a, "sip:bob@127.0.0.2");
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(488))));
}

/// The default-account rule for every kind of target.
#[test]
fn targets_go_through_the_default_account_unless_they_name_another_host() {
    let mut net = Net::new();
    let mut c = config();
    c.accounts.push(AccountSettings {
        outbound_proxy: Some("sip:127.0.0.50".into()),
        ..account("pbx", "sip:alice@pbx.example.com")
    });
    c.accounts.push(AccountSettings {
        outbound_proxy: Some("sip:127.0.0.51".into()),
        default: true,
        ..account("work", "sip:alice@work.example.com")
    });
    let p = net.add(1, &c, 1);
    net.add(2, &config(), 2);
    let placed = |net: &mut Net, target: &str, account: Option<&str>| {
        let before = net.wire.len();
        let reply = net.act(
            p,
            Action::Call {
                target: target.into(),
                account: account.map(str::to_string),
                audio: None,
            },
        );
        let call = match reply {
            Ok(Reply::Call(call)) => call,
            other => panic!("{target}: {other:?}"),
        };
        let invite = net.wire[before..]
            .iter()
            .find(|s| s.request().is_some_and(|r| r.method == Method::Invite))
            .cloned();
        let account = net.phones[p]
            .core
            .state()
            .call(call)
            .and_then(|c| c.account.clone());
        net.act(p, Action::Hangup { call: Some(call) }).unwrap();
        (invite, account)
    };
    let through = |sent: &Option<support::Sent>| {
        let s = sent.as_ref().expect("an INVITE to a proxy");
        let r = s.request().unwrap();
        (s.transmit.destination.to_string(), r.uri.to_string())
    };
    for (typed, uri) in [
        ("1234", "sip:1234@work.example.com"),
        ("bob", "sip:bob@work.example.com"),
        ("+49 (30) 1234-56", "sip:+4930123456@work.example.com"),
        ("tel:+49-30-1234", "sip:+49301234@work.example.com"),
    ] {
        let (invite, account) = placed(&mut net, typed, None);
        assert_eq!(
            through(&invite),
            ("127.0.0.51:5060".into(), uri.into()),
            "{typed}"
        );
        assert_eq!(account.as_deref(), Some("work"), "{typed}");
    }
    for typed in ["bob@pbx.example.com", "sip:carol@pbx.example.com"] {
        let (invite, account) = placed(&mut net, typed, None);
        assert_eq!(through(&invite).0, "127.0.0.50:5060", "{typed}");
        assert_eq!(account.as_deref(), Some("pbx"), "{typed}");
    }
    let (invite, account) = placed(&mut net, "77", Some("pbx"));
    assert_eq!(
        through(&invite),
        ("127.0.0.50:5060".into(), "sip:77@pbx.example.com".into())
    );
    assert_eq!(account.as_deref(), Some("pbx"));
    // Another host: peer to peer, from no account.
    let (invite, account) = placed(&mut net, "sip:dave@127.0.0.2", None);
    assert!(invite.is_none(), "it went to the phone at 127.0.0.2");
    assert_eq!(account, None);
    // The proxy asks who we are: the INVITE goes again with credentials.
    let before = net.wire.len();
    net.call(p, "1234");
    let invite = net.wire[before..]
        .iter()
        .find(|s| s.request().is_some_and(|r| r.method == Method::Invite))
        .cloned()
        .unwrap();
    net.respond(
        &invite,
        407,
        &[(
            HeaderName::ProxyAuthenticate,
            "Digest realm=\"work\", nonce=\"n1\", qop=\"auth\"",
        )],
    );
    let again = net
        .wire_requests("INVITE")
        .pop()
        .unwrap()
        .request()
        .unwrap();
    let auth = again
        .headers
        .get(&HeaderName::ProxyAuthorization)
        .expect("credentials");
    assert!(auth.contains("username=\"alice\"") && auth.contains("realm=\"work\""));
}

#[test]
fn without_accounts_a_number_has_nowhere_to_go() {
    let (mut net, a, _b) = two();
    let refused = net.act(
        a,
        Action::Call {
            target: "1234".into(),
            account: None,
            audio: None,
        },
    );
    assert!(
        matches!(&refused, Err(EngineError::BadTarget(why)) if why.contains("needs an account")),
        "{refused:?}"
    );
    net.call(a, "sip:b@127.0.0.2");
}

#[test]
fn with_one_account_and_no_default_the_first_is_the_default() {
    let mut net = Net::new();
    let mut c = config();
    c.accounts.push(AccountSettings {
        outbound_proxy: Some("sip:127.0.0.50".into()),
        ..account("only", "sip:alice@pbx.example.com")
    });
    let p = net.add(1, &c, 1);
    let call = net.call(p, "1234");
    let invite = net.wire_requests("INVITE").pop().unwrap();
    assert_eq!(
        invite.request().unwrap().uri.to_string(),
        "sip:1234@pbx.example.com"
    );
    let state = net.phones[p].core.state();
    assert_eq!(state.call(call).unwrap().account.as_deref(), Some("only"));
}

#[test]
fn answering_without_sound_leaves_the_call_ringing_and_says_why() {
    let (mut net, a, b) = two();
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    net.phones[b].refuse_sound = Some("no such sound device: headset".into());
    let refused = answer(&mut net, b, bc);
    assert_eq!(
        refused,
        Err(EngineError::Audio("no such sound device: headset".into()))
    );
    assert_eq!(sent_responses(&net, b, 200), 0, "no 200 OK went out");
    assert_eq!(phase(&net, b, bc), Some(CallPhase::Incoming));
    assert!(
        net.phones[b].shown.last().is_some_and(|l| l.ring),
        "it still rings"
    );
    // The device is back: answering works.
    net.phones[b].refuse_sound = None;
    answer(&mut net, b, bc).unwrap();
    assert_eq!(phase(&net, a, ac), Some(CallPhase::Connected));
    assert!(net.phones[b].running.contains(&bc));
}

#[test]
fn placing_without_sound_sends_nothing() {
    let (mut net, a, _b) = two();
    net.phones[a].refuse_sound = Some("no microphone".into());
    let refused = net.act(
        a,
        Action::Call {
            target: "sip:b@127.0.0.2".into(),
            account: None,
            audio: None,
        },
    );
    assert_eq!(refused, Err(EngineError::Audio("no microphone".into())));
    assert!(net.log.is_empty(), "nothing went on the wire");
    assert!(net.phones[a].core.state().calls.is_empty());
}

#[test]
fn media_that_cannot_start_ends_the_call_with_the_reason() {
    let (mut net, a, b) = two();
    let (ac, bc) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    let report = MediaReport::Failed("the speaker cannot play 48 kHz".into());
    net.input(a, Input::Media { call: ac, report });
    let detail = net.phones[a].events.iter().find_map(|e| match e {
        PhoneEvent::Ended {
            reason: EndReason::Failed,
            detail,
            ..
        } => detail.clone(),
        _ => None,
    });
    assert_eq!(detail.as_deref(), Some("the speaker cannot play 48 kHz"));
    assert_eq!(ended(&net, b, bc).map(|e| e.0), Some(EndReason::Remote));
}

#[test]
fn mute_and_volume_before_media_apply_when_it_starts() {
    let (mut net, a, b) = two();
    let ac = net.call(a, "sip:b@127.0.0.2");
    net.act(
        a,
        Action::Mute {
            call: ac,
            muted: true,
        },
    )
    .unwrap();
    net.act(
        a,
        Action::Volume {
            call: ac,
            speaker: Some(150),
            microphone: None,
        },
    )
    .unwrap();
    let bc = net.ringing(b);
    answer(&mut net, b, bc).unwrap();
    let start = net.phones[a].media.iter().find_map(|(c, m)| match m {
        MediaCommand::Start(s) if *c == ac => Some(s.clone()),
        _ => None,
    });
    let start = start.expect("media started");
    assert!(start.muted);
    assert_eq!(start.speaker.percent(), 150);
    assert_eq!(
        net.act(
            a,
            Action::Volume {
                call: ac,
                speaker: Some(401),
                microphone: None
            }
        ),
        Err(EngineError::Audio("volume 401% is above 400%".into()))
    );
}

#[test]
fn dnd_and_forwarding_of_an_account_make_its_own_table() {
    let mut net = Net::new();
    let mut c = config();
    c.calls.forward_busy = Some("sip:vm@127.0.0.3".into());
    c.accounts.push(account("work", "sip:alice@127.0.0.9"));
    let p = net.add(1, &c, 1);
    net.act(
        p,
        Action::Dnd {
            on: true,
            account: Some("work".into()),
        },
    )
    .unwrap();
    let s = net.phones[p].core.state();
    let own = s.handling_of(Some("work"));
    assert!(own.dnd, "work's own table has DND");
    assert_eq!(
        own.forward_busy.as_deref(),
        Some("sip:vm@127.0.0.3"),
        "made from the shared table"
    );
    assert!(!s.handling_of(None).dnd, "the shared table is as it was");
    assert!(s.dnd, "the DND LED shows some DND is on");
    // The whole phone: every table.
    net.act(
        p,
        Action::Dnd {
            on: false,
            account: None,
        },
    )
    .unwrap();
    let s = net.phones[p].core.state();
    assert!(!s.dnd && !s.handling_of(Some("work")).dnd);
    assert_eq!(
        net.act(
            p,
            Action::Dnd {
                on: true,
                account: Some("nobody".into())
            }
        ),
        Err(EngineError::NoSuchAccount("nobody".into()))
    );
}

#[test]
fn the_ring_device_rings_while_a_call_rings() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let mut ringer = config();
    ringer.audio.ring_device = Some("desk-speaker".into());
    let b = net.add(2, &ringer, 2);
    let ac = net.call(a, "sip:b@127.0.0.2");
    assert_eq!(
        net.phones[b]
            .rings
            .last()
            .and_then(|r| r.as_ref())
            .map(|s| s.device.as_str()),
        Some("desk-speaker")
    );
    net.act(a, Action::Hangup { call: Some(ac) }).unwrap();
    assert_eq!(net.phones[b].rings.last(), Some(&None), "it stops");
}

/// The conference on the core: a calls b and c (the first is held), merges
/// them (the held one is resumed, both legs are told to mix), holding a
/// member ends a conference of two, merging again and one member hanging
/// up leaves an ordinary call, and leaving hangs up every leg.
#[test]
fn a_conference_merges_resumes_and_ends_as_its_members_go() {
    let mut net = Net::new();
    let a = net.add(1, &config(), 1);
    let b = net.add(2, &config(), 2);
    let c = net.add(3, &config(), 3);
    let conference = |net: &Net| net.phones[a].core.state().conference.clone();
    let mixing = |net: &Net, call: u64| {
        net.phones[a]
            .media
            .iter()
            .rev()
            .find_map(|(id, m)| match m {
                MediaCommand::Conference(on) if *id == call => Some(*on),
                _ => None,
            })
            .unwrap_or(false)
    };
    let held = |net: &Net, call: u64| {
        net.phones[a]
            .core
            .state()
            .calls
            .iter()
            .find(|x| x.id == call)
            .map(|x| x.held)
    };

    let (ab, _) = connected(&mut net, a, b, "sip:b@127.0.0.2");
    assert!(
        matches!(
            net.act(a, Action::Merge { calls: None }),
            Err(EngineError::Conference(_))
        ),
        "one call is no conference"
    );
    let (ac, ca) = connected(&mut net, a, c, "sip:c@127.0.0.3");
    assert_eq!(
        held(&net, ab),
        Some(true),
        "placing the second held the first"
    );

    net.act(a, Action::Merge { calls: None }).unwrap();
    assert_eq!(conference(&net), vec![ab, ac]);
    assert_eq!(held(&net, ab), Some(false), "merging resumed the held call");
    assert!(mixing(&net, ab) && mixing(&net, ac));

    // Holding a member takes it out; one left is no conference.
    net.act(
        a,
        Action::Hold {
            call: ac,
            held: true,
        },
    )
    .unwrap();
    assert!(conference(&net).is_empty());
    assert!(!mixing(&net, ab) && !mixing(&net, ac));

    net.act(
        a,
        Action::Merge {
            calls: Some(vec![ab, ac]),
        },
    )
    .unwrap();
    assert_eq!(conference(&net), vec![ab, ac]);
    // c hangs up: b goes on as an ordinary call.
    net.act(c, Action::Hangup { call: Some(ca) }).unwrap();
    assert!(ended(&net, a, ac).is_some());
    assert!(conference(&net).is_empty());
    assert!(!mixing(&net, ab));
    assert_eq!(phase(&net, a, ab), Some(CallPhase::Connected));
    assert!(matches!(
        net.act(a, Action::LeaveConference),
        Err(EngineError::WrongState)
    ));

    // Merged again with a new call to c, then leaving: every leg is hung up.
    let (ac2, _) = connected(&mut net, a, c, "sip:c@127.0.0.3");
    net.act(a, Action::Merge { calls: None }).unwrap();
    assert_eq!(conference(&net), vec![ab, ac2]);
    net.act(a, Action::LeaveConference).unwrap();
    assert!(ended(&net, a, ab).is_some() && ended(&net, a, ac2).is_some());
    assert!(conference(&net).is_empty());
}

#[test]
fn a_name_follows_the_ring_and_is_shown_until_the_call_ends() {
    let (mut net, a, b) = two();
    net.phones[b]
        .address_book
        .push(("127.0.0.1".into(), "Anna Aalto".into()));
    net.phones[a]
        .address_book
        .push(("b@127.0.0.2".into(), "Bert Berg".into()));
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    let events = &net.phones[b].events;
    let rang = events
        .iter()
        .position(|e| matches!(e, PhoneEvent::IncomingCall { .. }))
        .expect("it rang");
    let named = events
        .iter()
        .position(
            |e| matches!(e, PhoneEvent::CallerIdentified { name, .. } if name == "Anna Aalto"),
        )
        .expect("the name came");
    assert!(rang < named, "the ring never waits for the name");
    let view = |net: &Net, p: usize, c: u64| net.phones[p].core.state().call(c).cloned().unwrap();
    assert_eq!(view(&net, b, bc).contact.as_deref(), Some("Anna Aalto"));
    assert_eq!(view(&net, a, ac).contact.as_deref(), Some("Bert Berg"));
    let captions = &net.phones[b].captions;
    assert_eq!(captions.last(), Some(&Some("Anna Aalto".to_string())));
    assert!(captions.len() >= 2, "the number first: {captions:?}");
    assert_ne!(captions[0], Some("Anna Aalto".to_string()));
    answer(&mut net, b, bc).unwrap();
    net.act(b, Action::Hangup { call: Some(bc) }).unwrap();
    assert_eq!(
        net.phones[b].captions.last(),
        Some(&None),
        "cleared at the end"
    );
    // A caller the book does not know keeps what SIP says.
    net.phones[b].address_book.clear();
    net.call(a, "sip:b@127.0.0.2");
    let again = net.ringing(b);
    assert_eq!(view(&net, b, again).contact, None);
    assert_eq!(net.phones[b].identify_asked.len(), 2);
}

#[test]
fn a_digit_then_the_speed_dial_button_calls_that_contact_from_the_device() {
    let (mut net, a, b) = two();
    net.phones[a]
        .speed_dials
        .insert(4, "sip:b@127.0.0.2".into());
    let press = |net: &mut Net, input| {
        let e = hookswitch_devices::DeviceEvent::Input {
            id: hookswitch_devices::DeviceId(1),
            input,
            at: net.now,
        };
        net.input(a, hookswitch_phone::core::Input::Device(e));
    };
    press(&mut net, hookswitch_hid::PhoneInput::HookOff);
    press(&mut net, hookswitch_hid::PhoneInput::Key('4'));
    press(&mut net, hookswitch_hid::PhoneInput::SpeedDial);
    let bc = net.ringing(b);
    let calling = net.phones[a]
        .core
        .state()
        .calls
        .first()
        .cloned()
        .expect("a calls");
    assert!(
        calling.outgoing && calling.remote.contains("b@127.0.0.2"),
        "{calling:?}"
    );
    answer(&mut net, b, bc).unwrap();
    // An empty key calls nobody.
    press(&mut net, hookswitch_hid::PhoneInput::HookOn);
    net.settle();
    press(&mut net, hookswitch_hid::PhoneInput::HookOff);
    press(&mut net, hookswitch_hid::PhoneInput::Key('5'));
    press(&mut net, hookswitch_hid::PhoneInput::SpeedDial);
    assert!(net.phones[a].core.state().calls.is_empty());
}

#[test]
fn the_balance_is_read_at_start_every_period_after_each_call_and_when_asked() {
    let mut c = config();
    let mut carrier = account("carrier", "sip:4930555@127.0.0.1");
    carrier.balance = Some(hookswitch_phone::balance::BalanceSettings {
        url: "https://provider.example/balance?key={password}".into(),
        pointer: Some("/balance".into()),
        xpath: None,
        currency: "EUR".into(),
        every_minutes: 10,
        low: Some(5.0),
        basic_auth: false,
        timeout_secs: 10,
    });
    c.accounts.push(carrier);
    let mut net = Net::new();
    let a = net.add(1, &c, 1);
    let b = net.add(2, &config(), 2);
    let asked = |net: &Net| net.phones[a].balance_asked.len();
    let view = |net: &Net| net.phones[a].core.state().balances[0].clone();
    let fetched = |net: &mut Net, result: Result<f64, String>| {
        let account = "carrier".to_string();
        net.input(a, Input::BalanceFetched { account, result });
    };

    // At start.
    net.advance(Duration::ZERO);
    assert_eq!(net.phones[a].balance_asked, ["carrier"]);
    assert!(
        net.phones[a].core.state().balances.is_empty(),
        "nothing known yet"
    );
    fetched(&mut net, Ok(12.5));
    let v = view(&net);
    assert_eq!(
        (v.amount, v.low, v.error.clone(), v.checks),
        (Some(12.5), false, None, 1)
    );
    assert_eq!(v.summary(), "12.50 EUR");

    // Every period, not before.
    net.advance(Duration::from_secs(9 * 60));
    assert_eq!(asked(&net), 1);
    net.advance(Duration::from_secs(60));
    assert_eq!(asked(&net), 2);
    // A failure keeps the amount and says why.
    fetched(&mut net, Err("the provider answered 503".into()));
    let v = view(&net);
    assert_eq!(v.amount, Some(12.5));
    assert_eq!(
        v.summary(),
        "12.50 EUR (could not check: the provider answered 503)"
    );

    // Asked for: at once; asked again while one is on its way: once more after.
    assert_eq!(
        net.act(a, Action::CheckBalance { account: None }),
        Ok(Reply::Done)
    );
    assert_eq!(asked(&net), 3);
    net.act(
        a,
        Action::CheckBalance {
            account: Some("carrier".into()),
        },
    )
    .unwrap();
    assert_eq!(asked(&net), 3, "one at a time");
    fetched(&mut net, Ok(4.0));
    assert!(view(&net).low, "under 5: low");
    net.advance(Duration::ZERO);
    assert_eq!(asked(&net), 4, "the check asked for meanwhile");
    fetched(&mut net, Ok(4.0));
    assert_eq!(
        net.act(
            a,
            Action::CheckBalance {
                account: Some("home".into())
            }
        ),
        Err(EngineError::NoSuchAccount(
            "home (with a balance URL)".into()
        ))
    );

    // A call from the account ends: read again.
    let placed = net.act(
        a,
        Action::Call {
            target: "sip:bob@127.0.0.2".into(),
            account: Some("carrier".into()),
            audio: None,
        },
    );
    let Ok(Reply::Call(ac)) = placed else {
        panic!("{placed:?}")
    };
    let bc = net.ringing(b);
    answer(&mut net, b, bc).unwrap();
    assert_eq!(asked(&net), 4);
    net.act(a, Action::Hangup { call: Some(ac) }).unwrap();
    assert_eq!(asked(&net), 5);
}

#[test]
fn past_max_ringing_a_call_is_refused_busy_and_counted() {
    let mut net = Net::new();
    let mut small = config();
    small.sip.max_ringing = 2;
    let callers: Vec<usize> = (0..3)
        .map(|i| net.add(10 + i, &config(), 10 + u64::from(i)))
        .collect();
    let b = net.add(2, &small, 2);
    let calls: Vec<u64> = callers
        .iter()
        .map(|&c| net.call(c, "sip:b@127.0.0.2"))
        .collect();
    assert_eq!(
        ended(&net, callers[2], calls[2]),
        Some((EndReason::Rejected, Some(486))),
        "the third is busy"
    );
    for i in 0..2 {
        assert_eq!(
            phase(&net, callers[i], calls[i]),
            Some(CallPhase::RingingOut)
        );
    }
    assert_eq!(net.phones[b].core.refused_over_limit(), 1);
    // One rings no more: a new call rings again.
    net.act(
        callers[0],
        Action::Hangup {
            call: Some(calls[0]),
        },
    )
    .unwrap();
    let again = net.call(callers[2], "sip:b@127.0.0.2");
    assert_eq!(phase(&net, callers[2], again), Some(CallPhase::RingingOut));
    assert_eq!(net.phones[b].core.refused_over_limit(), 1);
}

#[test]
fn a_call_nobody_answers_is_refused_with_480_after_the_ring_time_and_missed() {
    let (mut net, a, b) = two();
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    net.advance(Duration::from_secs(179));
    assert_eq!(phase(&net, b, bc), Some(CallPhase::Incoming));
    net.advance(Duration::from_secs(2));
    assert_eq!(ended(&net, a, ac), Some((EndReason::Rejected, Some(480))));
    assert!(ended(&net, b, bc).is_some(), "over at b too");
    assert!(net.phones[b].core.state().calls.is_empty());
    // Answered in time, the ring timer is forgotten.
    let ac = net.call(a, "sip:b@127.0.0.2");
    let bc = net.ringing(b);
    answer(&mut net, b, bc).unwrap();
    net.advance(Duration::from_secs(400));
    assert_eq!(phase(&net, a, ac), Some(CallPhase::Connected));
}
