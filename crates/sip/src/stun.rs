//! STUN Binding (RFC 8489, formerly 5389), sans-IO: what a client behind a NAT
//! needs to learn the public address a socket is seen at. Used for the SIP
//! socket (Contact and Via) and for RTP sockets (SDP); STUN shares those
//! sockets with SIP and RTP, told apart by [`is_stun`].
//!
//! Only the client side of Binding, without authentication: public STUN
//! servers answer unauthenticated Binding requests, and the answer is checked
//! against the transaction ID we chose.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const MAGIC_COOKIE: u32 = 0x2112_A442;
const HEADER_LEN: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;
const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
const ATTR_ERROR_CODE: u16 = 0x0009;
const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunError {
    #[error("not a STUN message")]
    NotStun,
    #[error("STUN message truncated")]
    Truncated,
    #[error("not a Binding response (type {0:#06x})")]
    NotBindingResponse(u16),
    #[error("STUN address attribute malformed")]
    BadAddress,
    #[error("Binding response without a mapped address")]
    NoAddress,
}

/// A transaction ID: 96 random bits (RFC 8489 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    pub fn random() -> TransactionId {
        TransactionId(rand::random())
    }
}

/// True if `datagram` looks like a STUN message: the two top bits zero, the
/// magic cookie in place, a length that is a multiple of 4 and fits (RFC 8489 6,
/// RFC 7983 for telling STUN from RTP and SIP on one socket).
pub fn is_stun(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN
        && datagram[0] & 0xC0 == 0
        && datagram[4..8] == MAGIC_COOKIE.to_be_bytes()
        && {
            let len = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
            len % 4 == 0 && HEADER_LEN + len <= datagram.len()
        }
}

/// A Binding request with no attributes.
pub fn binding_request(id: TransactionId) -> Vec<u8> {
    let mut m = Vec::with_capacity(HEADER_LEN);
    m.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
    m.extend_from_slice(&0u16.to_be_bytes());
    m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m.extend_from_slice(&id.0);
    m
}

/// A Binding success response carrying XOR-MAPPED-ADDRESS, as a server sends
/// it (used by tests and fuzzing to make answers).
pub fn binding_success(id: TransactionId, mapped: SocketAddr) -> Vec<u8> {
    let value = xor_address(mapped, &id);
    let mut m = Vec::with_capacity(HEADER_LEN + 4 + value.len());
    m.extend_from_slice(&BINDING_SUCCESS.to_be_bytes());
    m.extend_from_slice(&((4 + value.len()) as u16).to_be_bytes());
    m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m.extend_from_slice(&id.0);
    m.extend_from_slice(&ATTR_XOR_MAPPED_ADDRESS.to_be_bytes());
    m.extend_from_slice(&(value.len() as u16).to_be_bytes());
    m.extend_from_slice(&value);
    m
}

/// What a Binding response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingResponse {
    pub id: TransactionId,
    pub outcome: Result<SocketAddr, BindingRefused>,
}

/// A Binding error response's code and reason phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRefused {
    pub code: u16,
    pub reason: String,
}

/// Reads a Binding response: the mapped address (XOR-MAPPED-ADDRESS, else the
/// old MAPPED-ADDRESS of RFC 3489 servers) or the error code.
pub fn parse_binding_response(datagram: &[u8]) -> Result<BindingResponse, StunError> {
    if !is_stun(datagram) {
        return Err(StunError::NotStun);
    }
    let kind = u16::from_be_bytes([datagram[0], datagram[1]]);
    if kind != BINDING_SUCCESS && kind != BINDING_ERROR {
        return Err(StunError::NotBindingResponse(kind));
    }
    let len = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    let mut id = [0u8; 12];
    id.copy_from_slice(&datagram[8..20]);
    let id = TransactionId(id);
    let mut attributes = &datagram[HEADER_LEN..HEADER_LEN + len];
    let (mut xor_mapped, mut mapped, mut error) = (None, None, None);
    while !attributes.is_empty() {
        if attributes.len() < 4 {
            return Err(StunError::Truncated);
        }
        let kind = u16::from_be_bytes([attributes[0], attributes[1]]);
        let value_len = usize::from(u16::from_be_bytes([attributes[2], attributes[3]]));
        let padded = value_len.div_ceil(4) * 4;
        let value = attributes
            .get(4..4 + value_len)
            .ok_or(StunError::Truncated)?;
        match kind {
            ATTR_XOR_MAPPED_ADDRESS if xor_mapped.is_none() => {
                xor_mapped = Some(read_xor_address(value, &id)?);
            }
            ATTR_MAPPED_ADDRESS if mapped.is_none() => mapped = Some(read_address(value)?),
            ATTR_ERROR_CODE if error.is_none() => error = Some(read_error(value)?),
            _ => {}
        }
        attributes = attributes.get(4 + padded..).unwrap_or_default();
    }
    let outcome = if kind == BINDING_ERROR {
        Err(error.unwrap_or(BindingRefused {
            code: 0,
            reason: "no ERROR-CODE".into(),
        }))
    } else {
        Ok(xor_mapped.or(mapped).ok_or(StunError::NoAddress)?)
    };
    Ok(BindingResponse { id, outcome })
}

fn read_address(value: &[u8]) -> Result<SocketAddr, StunError> {
    let port = u16::from_be_bytes([
        *value.get(2).ok_or(StunError::BadAddress)?,
        *value.get(3).ok_or(StunError::BadAddress)?,
    ]);
    let ip = match (value[1], value.len()) {
        (0x01, 8) => IpAddr::V4(Ipv4Addr::new(value[4], value[5], value[6], value[7])),
        (0x02, 20) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&value[4..20]);
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return Err(StunError::BadAddress),
    };
    Ok(SocketAddr::new(ip, port))
}

/// The XOR mask of an address: the magic cookie, then the transaction ID.
fn xor_mask(id: &TransactionId) -> [u8; 16] {
    let mut mask = [0u8; 16];
    mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    mask[4..].copy_from_slice(&id.0);
    mask
}

fn read_xor_address(value: &[u8], id: &TransactionId) -> Result<SocketAddr, StunError> {
    if value.len() != 8 && value.len() != 20 {
        return Err(StunError::BadAddress);
    }
    let mask = xor_mask(id);
    let mut plain = value.to_vec();
    for (i, b) in plain.iter_mut().enumerate().skip(2) {
        // Port under the cookie's top 16 bits, address under cookie + ID.
        *b ^= if i < 4 { mask[i - 2] } else { mask[i - 4] };
    }
    read_address(&plain)
}

fn xor_address(addr: SocketAddr, id: &TransactionId) -> Vec<u8> {
    let mask = xor_mask(id);
    let (family, octets): (u8, Vec<u8>) = match addr.ip() {
        IpAddr::V4(v4) => (0x01, v4.octets().to_vec()),
        IpAddr::V6(v6) => (0x02, v6.octets().to_vec()),
    };
    let port = addr.port().to_be_bytes();
    let mut v = vec![0, family, port[0] ^ mask[0], port[1] ^ mask[1]];
    v.extend(octets.iter().zip(mask).map(|(b, m)| b ^ m));
    v
}

fn read_error(value: &[u8]) -> Result<BindingRefused, StunError> {
    if value.len() < 4 {
        return Err(StunError::Truncated);
    }
    let code = u16::from(value[2] & 0x07) * 100 + u16::from(value[3]);
    Ok(BindingRefused {
        code,
        reason: String::from_utf8_lossy(&value[4..]).into_owned(),
    })
}

/// How a Binding transaction retransmits: over UDP, the first wait is `rto`
/// and doubles; after `requests` requests it waits `last_wait` for an answer
/// (RFC 8489 6.2.1 uses 500 ms, 7 requests and 16 x RTO: 39.5 s; a phone
/// wants its answer sooner, so the defaults are shorter).
#[derive(Debug, Clone, Copy)]
pub struct Retransmission {
    pub rto: Duration,
    pub requests: u32,
    pub last_wait: Duration,
}

impl Default for Retransmission {
    /// Requests at 0, 0.5, 1.5 and 3.5 s; no answer by 7.5 s is a failure.
    fn default() -> Self {
        Retransmission {
            rto: Duration::from_millis(500),
            requests: 4,
            last_wait: Duration::from_secs(4),
        }
    }
}

/// How a Binding transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingOutcome {
    /// The server sees us at this address.
    Mapped(SocketAddr),
    Refused(BindingRefused),
    /// No answer after every retransmission.
    TimedOut,
}

/// One Binding transaction towards `server`: poll it for datagrams to send
/// and for its deadline; feed it answers and timeouts.
#[derive(Debug)]
pub struct Binding {
    server: SocketAddr,
    id: TransactionId,
    schedule: Retransmission,
    sent: u32,
    next_at: Instant,
    wait: Duration,
    send_now: bool,
    outcome: Option<BindingOutcome>,
}

impl Binding {
    pub fn new(server: SocketAddr, now: Instant, schedule: Retransmission) -> Binding {
        // The first request goes out at once.
        Binding {
            server,
            id: TransactionId::random(),
            schedule,
            sent: 1,
            next_at: now + schedule.rto,
            wait: schedule.rto.saturating_mul(2),
            send_now: true,
            outcome: None,
        }
    }

    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The request to send now, if one is due.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        if !std::mem::take(&mut self.send_now) || self.outcome.is_some() {
            return None;
        }
        Some((self.server, binding_request(self.id)))
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.outcome.is_none().then_some(self.next_at)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.outcome.is_some() || now < self.next_at {
            return;
        }
        if self.sent >= self.schedule.requests {
            self.outcome = Some(BindingOutcome::TimedOut);
            return;
        }
        self.sent += 1;
        self.send_now = true;
        self.next_at = now
            + if self.sent >= self.schedule.requests {
                self.schedule.last_wait
            } else {
                self.wait
            };
        self.wait = self.wait.saturating_mul(2);
    }

    /// Feeds a datagram from the server's address. Returns true if it was
    /// this transaction's answer (anything else is not ours and ignored).
    pub fn handle_response(&mut self, source: SocketAddr, datagram: &[u8]) -> bool {
        if self.outcome.is_some() || source != self.server {
            return false;
        }
        let Ok(response) = parse_binding_response(datagram) else {
            return false;
        };
        if response.id != self.id {
            return false;
        }
        self.outcome = Some(match response.outcome {
            Ok(addr) => BindingOutcome::Mapped(addr),
            Err(refused) => BindingOutcome::Refused(refused),
        });
        true
    }

    /// The outcome, once the transaction has ended.
    pub fn outcome(&self) -> Option<&BindingOutcome> {
        self.outcome.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const VECTOR_ID: [u8; 12] = [
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ];

    /// RFC 5769 2.2, "Sample IPv4 Response" (SOFTWARE, XOR-MAPPED-ADDRESS,
    /// MESSAGE-INTEGRITY, FINGERPRINT): 192.0.2.1 port 32853.
    #[test]
    fn reads_the_rfc5769_ipv4_response() {
        let m = hex("0101003c 2112a442 b7e7a701 bc34d686 fa87dfae
             8022000b 74657374 20766563 746f7220
             00200008 0001a147 e112a643
             00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
             80280004 c07d4c96");
        assert!(is_stun(&m));
        let r = parse_binding_response(&m).unwrap();
        assert_eq!(r.id, TransactionId(VECTOR_ID));
        assert_eq!(r.outcome, Ok("192.0.2.1:32853".parse().unwrap()));
    }

    /// RFC 5769 2.3, the IPv6 response's XOR-MAPPED-ADDRESS:
    /// 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    #[test]
    fn reads_the_rfc5769_ipv6_address() {
        let m = hex("01010018 2112a442 b7e7a701 bc34d686 fa87dfae
             00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9");
        let r = parse_binding_response(&m).unwrap();
        assert_eq!(
            r.outcome,
            Ok("[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                .parse()
                .unwrap())
        );
        // Our encoder writes the same bytes.
        assert_eq!(
            binding_success(TransactionId(VECTOR_ID), r.outcome.unwrap()),
            m
        );
    }

    /// What coturn 4.6 answered a Binding request here: XOR-MAPPED-ADDRESS,
    /// MAPPED-ADDRESS and RESPONSE-ORIGIN (127.0.0.1:53343 seen from 127.0.0.1).
    #[test]
    fn reads_a_coturn_answer() {
        let m = hex("01010024 2112a442 a0ae870e 16f2baa8 cea42c6e
             00200008 0001f14d 5e12a443
             00010008 0001d05f 7f000001
             802b0008 000187dc 7f000001");
        let r = parse_binding_response(&m).unwrap();
        assert_eq!(r.outcome, Ok("127.0.0.1:53343".parse().unwrap()));
    }

    #[test]
    fn reads_an_error_response() {
        let m =
            hex("01110010 2112a442 b7e7a701 bc34d686 fa87dfae 0009000b 00000401 556e6175 74682000");
        let r = parse_binding_response(&m).unwrap();
        assert_eq!(
            r.outcome,
            Err(BindingRefused {
                code: 401,
                reason: "Unauth ".into()
            })
        );
    }

    /// Found by cargo fuzz: an XOR-MAPPED-ADDRESS longer than any address.
    #[test]
    fn an_overlong_address_is_an_error() {
        let id = TransactionId([0; 12]);
        let mut m = binding_success(id, "192.0.2.1:1".parse().unwrap());
        m.truncate(HEADER_LEN);
        m[2..4].copy_from_slice(&28u16.to_be_bytes());
        m.extend_from_slice(&[0x00, 0x20, 0x00, 24, 0, 1]);
        m.extend_from_slice(&[0xff; 22]);
        assert_eq!(parse_binding_response(&m), Err(StunError::BadAddress));
    }

    #[test]
    fn tells_stun_from_sip_and_rtp() {
        assert!(is_stun(&binding_request(TransactionId([7; 12]))));
        assert!(!is_stun(b"REGISTER sip:example.org SIP/2.0\r\n\r\n"));
        assert!(!is_stun(b"\r\n\r\n"));
        let mut rtp = vec![0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        rtp.extend_from_slice(&[0xff; 160]);
        assert!(!is_stun(&rtp));
        // A length beyond the datagram is not STUN.
        let mut short = binding_request(TransactionId([1; 12]));
        short[3] = 8;
        assert!(!is_stun(&short));
    }

    #[test]
    fn malformed_answers_are_errors() {
        let id = TransactionId([3; 12]);
        let good = binding_success(id, "198.51.100.7:4000".parse().unwrap());
        for cut in 0..good.len() {
            let mut m = good[..cut].to_vec();
            if m.len() >= 4 {
                let len = m.len().saturating_sub(HEADER_LEN) as u16 & !3;
                m[2..4].copy_from_slice(&len.to_be_bytes());
            }
            assert!(parse_binding_response(&m).is_err(), "cut at {cut}");
        }
        // A request is not a response.
        assert_eq!(
            parse_binding_response(&binding_request(id)),
            Err(StunError::NotBindingResponse(1))
        );
    }

    #[test]
    fn a_binding_retransmits_then_times_out() {
        let t0 = Instant::now();
        let server = "192.0.2.9:3478".parse().unwrap();
        let mut b = Binding::new(server, t0, Retransmission::default());
        let mut sent = vec![];
        let mut now = t0;
        while b.outcome().is_none() {
            if b.poll_transmit().is_some() {
                sent.push(now - t0);
            }
            now = b.poll_timeout().unwrap();
            b.handle_timeout(now);
        }
        let ms: Vec<u128> = sent.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 500, 1500, 3500]);
        assert_eq!(now - t0, Duration::from_millis(7500));
        assert_eq!(b.outcome(), Some(&BindingOutcome::TimedOut));
    }

    #[test]
    fn a_binding_takes_only_its_own_answer() {
        let t0 = Instant::now();
        let server: SocketAddr = "192.0.2.9:3478".parse().unwrap();
        let mut b = Binding::new(server, t0, Retransmission::default());
        let (to, request) = b.poll_transmit().unwrap();
        assert_eq!(to, server);
        let mut id = [0u8; 12];
        id.copy_from_slice(&request[8..20]);
        let mapped: SocketAddr = "203.0.113.5:61000".parse().unwrap();
        // Another transaction's answer, and ours from the wrong address: ignored.
        assert!(!b.handle_response(server, &binding_success(TransactionId([0; 12]), mapped)));
        let elsewhere = "192.0.2.10:3478".parse().unwrap();
        assert!(!b.handle_response(elsewhere, &binding_success(TransactionId(id), mapped)));
        assert!(b.handle_response(server, &binding_success(TransactionId(id), mapped)));
        assert_eq!(b.outcome(), Some(&BindingOutcome::Mapped(mapped)));
        assert_eq!(b.poll_timeout(), None);
    }
}
