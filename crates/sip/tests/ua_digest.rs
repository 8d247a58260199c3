//! Challenges as registrars and proxies really send them: what we cannot
//! answer (no nonce, an algorithm or qop we lack, not Digest) is reported as
//! what it is, not as a wrong password, and not retried; several challenges
//! get the first we can answer (RFC 8760 2.4); SHA-512-256 is answered.

use std::net::SocketAddr;
use std::time::Instant;

use hookswitch_sip::auth::Credentials;
use hookswitch_sip::message::{HeaderName, Message, Request, SipUri, Uri, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{
    AccountConfig, AccountId, Config, Event, Keepalive, RegistrationState, Transport, UserAgent,
    response_to,
};

const REGISTRAR: &str = "127.0.0.1:5062";

fn registering() -> (UserAgent, Instant, Request) {
    let aor = "sip:alice@127.0.0.1".parse::<Uri>().unwrap();
    let mut ua = UserAgent::new(Config {
        local: "127.0.0.1:5061".parse().unwrap(),
        timers: TimerConfig::default(),
        accounts: vec![AccountConfig {
            aor: aor.as_sip().unwrap().clone(),
            display_name: None,
            credentials: Some(Credentials {
                username: "alice".into(),
                password: "secret".into(),
            }),
            registrar: Some(SipUri::new(None, "127.0.0.1", Some(5062))),
            outbound_proxy: None,
            transport: Some(Transport::Udp),
            expires: 120,
            register: true,
            subscribe_voicemail: false,
        }],
        contact_user: "alice".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: hookswitch_sip::ua::AcceptMessages::No,
    });
    let now = Instant::now();
    ua.register(now, AccountId(0)).unwrap();
    let register = next_request(&mut ua);
    (ua, now, register)
}

fn next_request(ua: &mut UserAgent) -> Request {
    loop {
        let t = ua.poll_transmit().expect("a request");
        if let Ok(Message::Request(r)) = parse_datagram(&t.payload) {
            return r;
        }
    }
}

/// Answers `register` with a 401 carrying these WWW-Authenticate values;
/// returns the failure the UA reports, if it reports one.
fn challenge(
    ua: &mut UserAgent,
    now: Instant,
    register: &Request,
    challenges: &[&str],
) -> Option<(String, Option<u32>)> {
    let mut resp = response_to(register, 401, Some("reg"));
    for c in challenges {
        resp.headers.push(HeaderName::WwwAuthenticate, *c);
    }
    let from: SocketAddr = REGISTRAR.parse().unwrap();
    ua.handle_datagram(now, from, &resp.to_bytes());
    std::iter::from_fn(|| ua.poll_event()).find_map(|e| match e {
        Event::Registration {
            state: RegistrationState::Failed {
                reason, retry_in, ..
            },
            ..
        } => Some((reason, retry_in)),
        _ => None,
    })
}

#[test]
fn a_challenge_we_cannot_answer_is_named_not_blamed_on_the_password() {
    for (challenge_value, expected) in [
        (r#"Digest realm="pbx", qop="auth""#, "has no nonce"),
        (
            r#"Digest realm="pbx", nonce="n1", algorithm=SHA3-256"#,
            "digest algorithm SHA3-256",
        ),
        (
            r#"Digest realm="pbx", nonce="n1", qop="auth-int""#,
            "qop=auth-int",
        ),
        (r#"Bearer realm="pbx""#, "Bearer authentication"),
    ] {
        let (mut ua, now, register) = registering();
        let (reason, retry_in) =
            challenge(&mut ua, now, &register, &[challenge_value]).expect("a failure");
        assert!(reason.starts_with("401 "), "{reason}");
        assert!(reason.contains(expected), "{challenge_value}: {reason}");
        assert!(!reason.contains("password"), "{reason}");
        assert_eq!(retry_in, None, "the same challenge would come again");
        assert!(ua.poll_transmit().is_none(), "no REGISTER with credentials");
    }
}

#[test]
fn the_first_challenge_we_can_answer_is_answered() {
    let (mut ua, now, register) = registering();
    let failure = challenge(
        &mut ua,
        now,
        &register,
        &[
            r#"Digest realm="pbx", nonce="a", algorithm=SHA3-256, qop="auth""#,
            r#"Digest realm="pbx", nonce="b", algorithm=SHA-512-256, qop="auth""#,
            r#"Digest realm="pbx", nonce="c", algorithm=MD5, qop="auth""#,
        ],
    );
    assert_eq!(failure, None);
    let again = next_request(&mut ua);
    let auth = again.headers.get(&HeaderName::Authorization).unwrap();
    assert!(auth.contains("algorithm=SHA-512-256"), "{auth}");
    assert!(auth.contains(r#"nonce="b""#), "{auth}");
    // SHA-512/256 gives 64 hex digits.
    let response = auth.split("response=\"").nth(1).unwrap();
    assert_eq!(response.find('"'), Some(64), "{auth}");
}

#[test]
fn a_wrong_password_is_still_called_that() {
    let (mut ua, now, register) = registering();
    let c = r#"Digest realm="pbx", nonce="same", qop="auth""#;
    assert_eq!(challenge(&mut ua, now, &register, &[c]), None);
    let with_credentials = next_request(&mut ua);
    let (reason, retry_in) = challenge(&mut ua, now, &with_credentials, &[c]).unwrap();
    assert!(reason.contains("check user name and password"), "{reason}");
    assert_eq!(retry_in, None);
}
