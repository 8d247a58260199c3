//! DNS parsing never panics on any bytes, a query's name reads back, and
//! the RFC 3263 locator fed any answers ends with candidates or none.

use hookswitch_sip::dns::message::{parse, query};
use hookswitch_sip::dns::{Answer, Locator, Record, RecordData, RecordType, Request};
use hookswitch_sip::ua::Transport;
use proptest::prelude::*;
use rand::SeedableRng;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,20}"
}

proptest! {
    #[test]
    fn any_bytes_are_a_response_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn a_query_is_not_taken_for_a_response(labels in proptest::collection::vec(label(), 1..5), id in any::<u16>()) {
        let name = labels.join(".");
        let q = query(id, &name, RecordType::Srv).unwrap();
        // A query has QR = 0: never read as an answer.
        prop_assert!(parse(&q).is_err());
        let mut as_response = q.clone();
        as_response[2] |= 0x80;
        let r = parse(&as_response).unwrap();
        prop_assert_eq!(r.id, id);
        prop_assert!(r.records.is_empty());
    }

    #[test]
    fn the_locator_ends_whatever_it_is_told(
        answers in proptest::collection::vec((0u8..4, any::<u16>(), any::<u16>(), any::<u16>(), any::<[u8; 4]>()), 0..30),
        port in proptest::option::of(1u16..),
        transport in 0u8..4,
        seed in any::<u64>(),
    ) {
        let transport = [None, Some(Transport::Udp), Some(Transport::Tcp), Some(Transport::Tls)][transport as usize];
        let mut l = Locator::new(
            Request { host: "example.com".into(), port, transport, secure: false },
            &[Transport::Udp, Transport::Tcp, Transport::Tls],
            true,
        );
        let mut answers = answers.into_iter();
        let mut steps = 0;
        while let Some((name, rtype)) = l.poll_query() {
            steps += 1;
            prop_assert!(steps < 100, "the locator keeps asking");
            let answer = match answers.next() {
                None => Answer::Nothing,
                Some((0, ..)) => Answer::Failed("timeout".into()),
                Some((kind, p, w, port, ip)) => {
                    let data = match kind {
                        1 => RecordData::Srv { priority: p, weight: w, port, target: name.clone() },
                        2 => RecordData::Naptr {
                            order: p,
                            preference: w,
                            flags: "s".into(),
                            service: "SIP+D2T".into(),
                            regexp: String::new(),
                            replacement: format!("_sip._tcp.{name}"),
                        },
                        _ => RecordData::A(ip.into()),
                    };
                    Answer::Records(vec![Record { name: name.clone(), ttl: 60, data }])
                }
            };
            l.handle(&name, rtype, answer);
        }
        prop_assert!(l.is_done());
        let _ = l.candidates(&mut rand::rngs::StdRng::seed_from_u64(seed));
    }
}
