//! STUN parsing never panics, and what our encoder writes reads back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hookswitch_sip::stun::{TransactionId, binding_success, is_stun, parse_binding_response};
use proptest::prelude::*;

fn address() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

proptest! {
    #[test]
    fn a_success_response_reads_back(id in any::<[u8; 12]>(), mapped in address()) {
        let m = binding_success(TransactionId(id), mapped);
        prop_assert!(is_stun(&m));
        let r = parse_binding_response(&m).unwrap();
        prop_assert_eq!(r.id, TransactionId(id));
        prop_assert_eq!(r.outcome, Ok(mapped));
    }

    #[test]
    fn any_bytes_are_an_answer_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_binding_response(&bytes);
    }

    #[test]
    fn damaged_responses_never_panic(
        id in any::<[u8; 12]>(),
        mapped in address(),
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let mut m = binding_success(TransactionId(id), mapped);
        let i = at.index(m.len());
        m[i] = value;
        let _ = parse_binding_response(&m);
    }
}
