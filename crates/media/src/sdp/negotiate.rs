//! SDP offer/answer for one audio stream (RFC 3264), with telephone-event (RFC 4733).

use std::net::{IpAddr, SocketAddr};

pub use super::terms::{Direction, LocalMedia, Negotiated, NegotiationError};
use super::{Attribute, Connection, MediaDescription, Origin, SessionDescription, sdes};
use crate::codec::{CodecKind, CodecParams};

const TELEPHONE_EVENT_PT: u8 = 101;
/// The static payload type of CN/8000 (RFC 3551).
const COMFORT_NOISE_PT: u8 = 13;
/// Dynamic payload types for codecs without a static one (Opus), as most
/// softphones number them.
const FIRST_DYNAMIC_PT: u8 = 111;

/// Our fmtp for a codec (its own file says).
fn our_fmtp(codec: CodecKind) -> Option<&'static str> {
    codec.info().fmtp
}

/// What the peer's fmtp line for `pt` asks of our encoder.
fn params_of(m: &MediaDescription, pt: &str) -> CodecParams {
    let fmtp = m
        .attributes
        .iter()
        .filter(|a| a.name == "fmtp")
        .filter_map(|a| a.value.as_deref())
        .find_map(|v| v.strip_prefix(pt)?.strip_prefix(' '));
    let mut params = CodecParams::default();
    for item in fmtp.unwrap_or_default().split(';') {
        match item.trim().split_once('=') {
            Some(("useinbandfec", v)) => params.fec = v.trim() == "1",
            Some(("usedtx", v)) => params.dtx = v.trim() == "1",
            _ => {}
        }
    }
    params
}

fn addr_type(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "IP4" } else { "IP6" }
}

fn session(local: &LocalMedia, media: Vec<MediaDescription>) -> SessionDescription {
    SessionDescription {
        origin: Origin {
            username: "hookswitch".into(),
            session_id: local.session_id.to_string(),
            session_version: local.session_version,
            net_type: "IN".into(),
            addr_type: addr_type(local.address).into(),
            address: local.address.to_string(),
        },
        session_name: "Hookswitch".into(),
        connection: Some(Connection {
            net_type: "IN".into(),
            addr_type: addr_type(local.address).into(),
            address: local.address.to_string(),
        }),
        other_lines: vec![('t', "0 0".into())],
        attributes: Vec::new(),
        media,
    }
}

fn audio_media(
    local: &LocalMedia,
    codecs: &[(u8, CodecKind)],
    cn: Option<u8>,
    te: &[(u8, u32)],
    (rtcp_xr, rtcp_mux): (bool, bool),
    direction: Direction,
    (proto, crypto): (String, Vec<Attribute>),
) -> MediaDescription {
    let mut formats: Vec<String> = codecs.iter().map(|(pt, _)| pt.to_string()).collect();
    let mut attributes: Vec<Attribute> = codecs
        .iter()
        .flat_map(|(pt, c)| {
            let rtpmap = Attribute::new("rtpmap", Some(&format!("{pt} {}", c.rtpmap())));
            let fmtp = our_fmtp(*c).map(|f| Attribute::new("fmtp", Some(&format!("{pt} {f}"))));
            std::iter::once(rtpmap).chain(fmtp)
        })
        .collect();
    if let Some(pt) = cn {
        formats.push(pt.to_string());
        attributes.push(Attribute::new("rtpmap", Some(&format!("{pt} CN/8000"))));
    }
    for (pt, clock) in te {
        formats.push(pt.to_string());
        attributes.push(Attribute::new(
            "rtpmap",
            Some(&format!("{pt} telephone-event/{clock}")),
        ));
        attributes.push(Attribute::new("fmtp", Some(&format!("{pt} 0-16"))));
    }
    if rtcp_xr {
        attributes.push(Attribute::new("rtcp-xr", Some("voip-metrics")));
    }
    if rtcp_mux {
        attributes.push(Attribute::new("rtcp-mux", None));
    }
    attributes.extend(crypto);
    attributes.push(Attribute::new("ptime", Some(&local.ptime.to_string())));
    attributes.push(Attribute::new(direction.attribute(), None));
    MediaDescription {
        media: "audio".into(),
        port: local.port,
        port_count: None,
        proto,
        formats,
        connection: None,
        other_lines: Vec::new(),
        attributes,
    }
}

/// Our offer: every codec we have, telephone-event, our direction.
pub fn create_offer(local: &LocalMedia) -> SessionDescription {
    let mut dynamic = FIRST_DYNAMIC_PT..;
    let codecs: Vec<(u8, CodecKind)> = local
        .codecs
        .iter()
        .filter_map(|c| {
            c.static_payload_type()
                .or_else(|| dynamic.next())
                .map(|pt| (pt, *c))
        })
        .collect();
    let te = if local.telephone_event {
        telephone_events(&codecs)
    } else {
        Vec::new()
    };
    // CN's clock is 8000: it goes with G.711 and G.722 (Opus has its own DTX).
    let cn = (local.comfort_noise && codecs.iter().any(|(_, c)| c.clock_rate() == 8000))
        .then_some(COMFORT_NOISE_PT);
    session(
        local,
        vec![audio_media(
            local,
            &codecs,
            cn,
            &te,
            (local.rtcp_xr, local.rtcp_mux),
            local.direction,
            sdes::offer(local),
        )],
    )
}

/// The codec a payload type stands for in `m`.
fn codec_of(m: &MediaDescription, pt: &str) -> Option<CodecKind> {
    match m.rtpmap(pt) {
        Some((name, clock)) => CodecKind::from_name(&name, clock),
        None => pt
            .parse()
            .ok()
            .and_then(CodecKind::from_static_payload_type),
    }
}

/// Our telephone-event payloads (RFC 4733 2.1: at the clock of the codec
/// it goes with): one per clock rate among `codecs`, 8000 at 101 as most
/// peers expect, the others from 100 down and 102 up.
fn telephone_events(codecs: &[(u8, CodecKind)]) -> Vec<(u8, u32)> {
    let mut clocks: Vec<u32> = Vec::new();
    for (_, c) in codecs {
        if !clocks.contains(&c.clock_rate()) {
            clocks.push(c.clock_rate());
        }
    }
    let mut spare = [100u8, 102, 103, 104, 105].into_iter();
    clocks
        .into_iter()
        .filter_map(|clock| match clock {
            8000 => Some((TELEPHONE_EVENT_PT, clock)),
            _ => spare.next().map(|pt| (pt, clock)),
        })
        .collect()
}

/// The peer's telephone-event payload types in `m`, with their clocks.
fn telephone_events_of(m: &MediaDescription) -> Vec<(u8, u32)> {
    m.formats
        .iter()
        .filter_map(|pt| {
            let (name, clock) = m.rtpmap(pt)?;
            name.eq_ignore_ascii_case("telephone-event")
                .then(|| Some((pt.parse().ok()?, clock)))?
        })
        .collect()
}

/// The telephone-event of `m` to use with a codec of `clock`: the one at
/// that clock (RFC 4733 2.1), else the first at another (many peers have only
/// telephone-event/8000, also next to Opus; events then count in its clock).
fn telephone_event_for(m: &MediaDescription, clock: u32) -> Option<(u8, u32)> {
    let all = telephone_events_of(m);
    all.iter()
        .find(|(_, c)| *c == clock)
        .or(all.first())
        .copied()
}

/// Whether the peer asks for RTCP-XR VoIP metrics, at media or session
/// level (RFC 3611 5.1: a session-level attribute applies to every stream).
fn wants_voip_metrics(s: &SessionDescription, m: &MediaDescription) -> bool {
    m.attributes
        .iter()
        .chain(s.attributes.iter())
        .filter(|a| a.name == "rtcp-xr")
        .filter_map(|a| a.value.as_deref())
        .any(|v| v.split_whitespace().any(|f| f == "voip-metrics"))
}

/// The peer's CN/8000 payload type (named by rtpmap, or the bare static 13).
fn comfort_noise_of(m: &MediaDescription) -> Option<u8> {
    m.formats.iter().find_map(|pt| match m.rtpmap(pt) {
        Some((name, clock)) => {
            (name.eq_ignore_ascii_case("CN") && clock == 8000).then(|| pt.parse().ok())?
        }
        None => (pt == "13").then_some(COMFORT_NOISE_PT),
    })
}

fn remote_addr(
    s: &SessionDescription,
    m: &MediaDescription,
) -> Result<Option<SocketAddr>, NegotiationError> {
    let c = m
        .connection
        .as_ref()
        .or(s.connection.as_ref())
        .ok_or(NegotiationError::BadAddress)?;
    let ip: IpAddr = c
        .address
        .split('/')
        .next()
        .unwrap_or_default()
        .parse()
        .map_err(|_| NegotiationError::BadAddress)?;
    // RFC 2543-style hold: c=0.0.0.0.
    Ok((!ip.is_unspecified()).then(|| SocketAddr::new(ip, m.port)))
}

fn ptime_of(m: &MediaDescription) -> u32 {
    m.attribute("ptime")
        .and_then(|a| a.value.as_deref())
        .and_then(|v| v.trim().parse().ok())
        .filter(|p| (10..=120).contains(p))
        .unwrap_or(20)
}

/// Our answer to an offer: the first audio stream we can use is accepted with the
/// offerer's preferred codec among ours; every other stream is refused (port 0).
pub fn create_answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated), NegotiationError> {
    let mut media = Vec::new();
    let mut negotiated = None;
    let mut saw_codec_mismatch = false;
    let mut srtp_error = None;
    for m in &offer.media {
        let usable = m.media == "audio"
            && m.port != 0
            && sdes::is_rtp_profile(&m.proto)
            && negotiated.is_none();
        let security = if usable {
            sdes::answer(m, local).inspect_err(|e| srtp_error = Some(e.clone()))
        } else {
            Ok(None)
        };
        let usable = usable && security.is_ok();
        let chosen = if usable {
            m.formats.iter().find_map(|pt| {
                codec_of(m, pt)
                    .filter(|c| local.codecs.contains(c))
                    .map(|c| (pt.parse::<u8>().ok(), c))
            })
        } else {
            None
        };
        match chosen {
            Some((Some(pt), codec)) => {
                let params = params_of(m, &pt.to_string());
                let te = if local.telephone_event {
                    telephone_event_for(m, codec.clock_rate())
                } else {
                    None
                };
                let cn = if local.comfort_noise && codec.clock_rate() == 8000 {
                    comfort_noise_of(m)
                } else {
                    None
                };
                let their = Direction::of(offer, m);
                let direction = local.direction.intersect(their.reversed());
                let (srtp, crypto) = security.clone().ok().flatten().unzip();
                negotiated = Some(Negotiated {
                    remote: remote_addr(offer, m)?,
                    codec,
                    payload_type: pt,
                    telephone_event: te.map(|(pt, _)| pt),
                    telephone_event_clock: te.map_or(codec.clock_rate(), |(_, c)| c),
                    comfort_noise: cn,
                    rtcp_xr: local.rtcp_xr && wants_voip_metrics(offer, m),
                    rtcp_mux: local.rtcp_mux && m.attribute("rtcp-mux").is_some(),
                    direction,
                    ptime: ptime_of(m),
                    params,
                    srtp,
                });
                media.push(audio_media(
                    local,
                    &[(pt, codec)],
                    cn,
                    &te.into_iter().collect::<Vec<_>>(),
                    (
                        local.rtcp_xr && wants_voip_metrics(offer, m),
                        local.rtcp_mux && m.attribute("rtcp-mux").is_some(),
                    ),
                    direction,
                    (m.proto.clone(), crypto.into_iter().collect()),
                ));
            }
            _ => {
                saw_codec_mismatch |= usable;
                media.push(MediaDescription {
                    media: m.media.clone(),
                    port: 0,
                    port_count: None,
                    proto: m.proto.clone(),
                    formats: m.formats.clone(),
                    connection: None,
                    other_lines: Vec::new(),
                    attributes: Vec::new(),
                });
            }
        }
    }
    match negotiated {
        Some(n) => Ok((session(local, media), n)),
        None if saw_codec_mismatch => Err(NegotiationError::NoCommonCodec),
        None => Err(srtp_error.unwrap_or(NegotiationError::NoAudio)),
    }
}

/// Reads the peer's answer to our offer.
pub fn apply_answer(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, NegotiationError> {
    let ours = offer.audio().ok_or(NegotiationError::NoAudio)?;
    let m = answer
        .media
        .iter()
        .find(|m| m.media == "audio" && m.port != 0)
        .ok_or(NegotiationError::NoAudio)?;
    let (pt, codec) = m
        .formats
        .iter()
        .find_map(|pt| {
            let codec = codec_of(m, pt)?;
            ours.formats
                .iter()
                .any(|o| codec_of(ours, o) == Some(codec))
                .then(|| (pt.parse::<u8>().ok(), codec))
        })
        .ok_or(NegotiationError::NoCommonCodec)?;
    let our_direction = Direction::of(offer, ours);
    let srtp = sdes::apply(ours, m)?;
    // Their telephone-event, if it is one we offered (same clock).
    let offered = telephone_events_of(ours);
    let te = telephone_event_for(m, codec.clock_rate())
        .filter(|(_, clock)| offered.iter().any(|(_, c)| c == clock));
    Ok(Negotiated {
        remote: remote_addr(answer, m)?,
        codec,
        payload_type: pt.ok_or(NegotiationError::NoCommonCodec)?,
        telephone_event: te.map(|(pt, _)| pt),
        telephone_event_clock: te.map_or(codec.clock_rate(), |(_, c)| c),
        comfort_noise: comfort_noise_of(ours)
            .and(comfort_noise_of(m))
            .filter(|_| codec.clock_rate() == 8000),
        rtcp_xr: wants_voip_metrics(offer, ours) && wants_voip_metrics(answer, m),
        rtcp_mux: ours.attribute("rtcp-mux").is_some() && m.attribute("rtcp-mux").is_some(),
        direction: our_direction.intersect(Direction::of(answer, m).reversed()),
        ptime: ptime_of(m),
        params: pt.map(|p| params_of(m, &p.to_string())).unwrap_or_default(),
        srtp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(codecs: Vec<CodecKind>) -> LocalMedia {
        LocalMedia {
            address: "127.0.0.1".parse().unwrap(),
            port: 40000,
            codecs,
            telephone_event: true,
            comfort_noise: true,
            rtcp_xr: true,
            rtcp_mux: true,
            ptime: 20,
            direction: Direction::SendRecv,
            session_id: 1,
            session_version: 1,
            srtp: crate::srtp::SrtpMode::Off,
            srtp_key: [0; 30],
        }
    }

    /// RFC 3611 5.1: `a=rtcp-xr` at session level applies to every stream.
    #[test]
    fn session_level_rtcp_xr_is_honoured() {
        let offer = SessionDescription::parse(
            b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
              a=rtcp-xr:voip-metrics\r\nm=audio 5000 RTP/AVP 0\r\n",
        )
        .unwrap();
        let (answer, n) = create_answer(&offer, &local(vec![CodecKind::PCMU])).unwrap();
        assert!(n.rtcp_xr);
        assert!(answer.to_string().contains("a=rtcp-xr:voip-metrics"));
        // And in an answer to our offer.
        let ours = create_offer(&local(vec![CodecKind::PCMU]));
        let n = apply_answer(&ours, &offer).unwrap();
        assert!(n.rtcp_xr);
    }

    #[test]
    fn offer_answer_round() {
        let alice = local(vec![CodecKind::PCMA, CodecKind::PCMU]);
        let offer = create_offer(&alice);
        let text = offer.to_string();
        assert!(
            text.contains("m=audio 40000 RTP/AVP 8 0 13 101\r\n"),
            "{text}"
        );
        assert!(text.contains("a=rtpmap:13 CN/8000\r\n"), "{text}");
        let mut bob = local(vec![CodecKind::PCMU, CodecKind::PCMA]);
        bob.port = 50000;
        let (answer, at_bob) = create_answer(&offer, &bob).unwrap();
        // The answerer follows the offerer's preference.
        assert_eq!(at_bob.codec, CodecKind::PCMA);
        assert_eq!(at_bob.remote, Some("127.0.0.1:40000".parse().unwrap()));
        assert_eq!(at_bob.telephone_event, Some(101));
        let at_alice = apply_answer(&offer, &answer).unwrap();
        assert_eq!(at_alice.codec, CodecKind::PCMA);
        assert_eq!(at_alice.payload_type, 8);
        assert_eq!(at_alice.remote, Some("127.0.0.1:50000".parse().unwrap()));
        assert_eq!(at_alice.direction, Direction::SendRecv);
    }

    #[test]
    fn comfort_noise_goes_with_8khz_codecs_only() {
        let alice = local(vec![CodecKind::PCMU]);
        let (answer, at_bob) = create_answer(&create_offer(&alice), &alice).unwrap();
        assert_eq!(at_bob.comfort_noise, Some(13));
        assert!(answer.to_string().contains("a=rtpmap:13 CN/8000"));
        assert_eq!(
            apply_answer(&create_offer(&alice), &answer)
                .unwrap()
                .comfort_noise,
            Some(13)
        );
        // Opus alone: no CN offered.
        let opus = local(vec![CodecKind::OPUS]);
        assert!(!create_offer(&opus).to_string().contains("CN/8000"));
        // A bare static 13 is CN; a peer who leaves it out gets none.
        let offer: SessionDescription = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 13\r\n".parse().unwrap();
        assert_eq!(
            create_answer(&offer, &alice).unwrap().1.comfort_noise,
            Some(13)
        );
        let offer: SessionDescription = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".parse().unwrap();
        assert_eq!(create_answer(&offer, &alice).unwrap().1.comfort_noise, None);
        // Turned off: neither offered nor accepted.
        let mut quiet = local(vec![CodecKind::PCMU]);
        quiet.comfort_noise = false;
        assert!(!create_offer(&quiet).to_string().contains("CN/8000"));
        let (answer, n) = create_answer(&create_offer(&alice), &quiet).unwrap();
        assert_eq!(n.comfort_noise, None);
        assert!(!answer.to_string().contains("CN/8000"));
    }

    #[cfg(feature = "g729")]
    #[test]
    fn g729_is_offered_without_annex_b_and_chosen() {
        let alice = local(vec![CodecKind::G729, CodecKind::PCMU]);
        let text = create_offer(&alice).to_string();
        assert!(
            text.contains("m=audio 40000 RTP/AVP 18 0 13 101\r\n"),
            "{text}"
        );
        assert!(text.contains("a=rtpmap:18 G729/8000\r\n"), "{text}");
        assert!(text.contains("a=fmtp:18 annexb=no\r\n"), "{text}");
        let (_, n) = create_answer(&create_offer(&alice), &local(vec![CodecKind::G729])).unwrap();
        assert_eq!((n.codec, n.payload_type), (CodecKind::G729, 18));
        // A bare static 18 is G.729 too.
        let offer: SessionDescription = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n".parse().unwrap();
        assert_eq!(
            create_answer(&offer, &alice).unwrap().1.codec,
            CodecKind::G729
        );
    }

    #[test]
    fn rtcp_xr_voip_metrics_only_when_both_ask() {
        let alice = local(vec![CodecKind::PCMU]);
        let offer = create_offer(&alice);
        assert!(offer.to_string().contains("a=rtcp-xr:voip-metrics\r\n"));
        let (answer, at_bob) = create_answer(&offer, &alice).unwrap();
        assert!(at_bob.rtcp_xr);
        assert!(answer.to_string().contains("a=rtcp-xr:voip-metrics"));
        assert!(apply_answer(&offer, &answer).unwrap().rtcp_xr);
        // A peer that does not list voip-metrics gets no block, and is not offered one back.
        let plain: SessionDescription = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp-xr:rcvr-rtt=all\r\n".parse().unwrap();
        let (answer, n) = create_answer(&plain, &alice).unwrap();
        assert!(!n.rtcp_xr);
        assert!(!answer.to_string().contains("rtcp-xr"));
    }

    #[test]
    fn rtcp_mux_only_when_both_offer_it() {
        let alice = local(vec![CodecKind::PCMU]);
        let offer = create_offer(&alice);
        assert!(offer.to_string().contains("a=rtcp-mux\r\n"));
        let (answer, at_bob) = create_answer(&offer, &alice).unwrap();
        assert!(at_bob.rtcp_mux && answer.to_string().contains("a=rtcp-mux"));
        assert!(apply_answer(&offer, &answer).unwrap().rtcp_mux);
        let mut plain = local(vec![CodecKind::PCMU]);
        plain.rtcp_mux = false;
        let (answer, at_plain) = create_answer(&offer, &plain).unwrap();
        assert!(!at_plain.rtcp_mux && !answer.to_string().contains("rtcp-mux"));
        assert!(!apply_answer(&offer, &answer).unwrap().rtcp_mux);
    }

    #[test]
    fn hold_offer_gets_recvonly_answer() {
        let mut alice = local(vec![CodecKind::PCMU]);
        alice.direction = Direction::SendOnly;
        let (answer, at_bob) =
            create_answer(&create_offer(&alice), &local(vec![CodecKind::PCMU])).unwrap();
        assert_eq!(at_bob.direction, Direction::RecvOnly);
        assert!(answer.to_string().contains("a=recvonly"));
    }

    #[test]
    fn zero_address_hold_and_refused_streams() {
        let offer: SessionDescription = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 3227 RTP/AVP 31\r\nm=audio 49217 RTP/AVP 18 0\r\n".parse().unwrap();
        let (answer, n) = create_answer(&offer, &local(vec![CodecKind::PCMU])).unwrap();
        assert_eq!(n.remote, None);
        assert_eq!(n.codec, CodecKind::PCMU);
        assert_eq!(answer.media.len(), 2);
        assert_eq!(answer.media[0].port, 0, "video refused");
        assert_eq!(n.telephone_event, None);
    }

    #[test]
    fn no_common_codec() {
        let offer: SessionDescription = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 18 96\r\na=rtpmap:96 opus/48000/2\r\n".parse().unwrap();
        assert_eq!(
            create_answer(&offer, &local(vec![CodecKind::PCMU])).unwrap_err(),
            NegotiationError::NoCommonCodec
        );
    }
}
