//! RTCP: packets round-trip, reception statistics under a seeded impairment
//! model (loss, reordering, duplicates, sequence wrap, jitter), the round trip
//! measured from SR/RR between two sessions with injected delays, and the
//! E-model's MOS for known conditions.

use std::time::{Duration, Instant};

use hookswitch_media::MediaSession;
use hookswitch_media::codec::CodecKind;
use hookswitch_media::rtcp::packet::{self, ReportBlock, RtcpPacket, SenderInfo, VoipMetrics};
use hookswitch_media::rtcp::{ReceptionStats, mos, ntp_from_unix, r_factor};
use hookswitch_media::sdp::{Direction, Negotiated};

#[test]
fn compound_packets_round_trip() {
    let block = ReportBlock {
        ssrc: 0x1122_3344,
        fraction_lost: 25,
        cumulative_lost: -3,
        highest_sequence: 0x0001_0005,
        jitter: 77,
        last_sr: 0xAABB_CCDD,
        delay_since_last_sr: 65536,
    };
    let packets = vec![
        RtcpPacket::SenderReport {
            ssrc: 7,
            info: SenderInfo {
                ntp: 0xE000_0000_8000_0000,
                rtp_timestamp: 160,
                packets: 10,
                octets: 1600,
            },
            reports: vec![block, ReportBlock { ssrc: 9, ..block }],
        },
        RtcpPacket::Sdes(vec![(7, "hookswitch-test".into())]),
        RtcpPacket::Bye {
            ssrcs: vec![7],
            reason: Some("bye".into()),
        },
        RtcpPacket::Xr {
            ssrc: 7,
            voip_metrics: vec![VoipMetrics {
                ssrc: 9,
                loss_rate: 12,
                discard_rate: 3,
                gap_density: 15,
                round_trip_delay: 61,
                end_system_delay: 80,
                signal_level: -20,
                noise_level: 127,
                residual_echo_return_loss: 127,
                gmin: 16,
                r_factor: 88,
                ext_r_factor: 127,
                mos_lq: 42,
                mos_cq: 41,
                rx_config: 0b1011_0000,
                jb_nominal: 40,
                jb_maximum: 200,
                jb_abs_max: 1000,
                ..VoipMetrics::default()
            }],
        },
    ];
    let bytes = packet::write(&packets);
    assert_eq!(bytes.len() % 4, 0);
    assert_eq!(packet::parse(&bytes).unwrap(), packets);
    // Lengths that run past the datagram, and other versions, are refused.
    assert!(packet::parse(&bytes[..bytes.len() - 4]).is_err());
    let mut v1 = bytes.clone();
    v1[0] = 0x40;
    assert!(packet::parse(&v1).is_err());
}

#[test]
fn an_unknown_packet_type_is_skipped() {
    let mut bytes = packet::write(&[RtcpPacket::ReceiverReport {
        ssrc: 1,
        reports: vec![],
    }]);
    // An APP packet (204) of two words, then the RR again.
    bytes.extend_from_slice(&[0x80, 204, 0, 1, b'a', b'b', b'c', b'd']);
    bytes.extend(packet::write(&[RtcpPacket::ReceiverReport {
        ssrc: 2,
        reports: vec![],
    }]));
    assert_eq!(packet::parse(&bytes).unwrap().len(), 2);
}

/// A deterministic impairment model: 5% loss, 5% reordered by one, 2%
/// duplicated, arrival jitter uniform in 0-40 ms.
struct Impairment(u64);

impl Impairment {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.0 >> 33
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[test]
fn reception_statistics_under_seeded_impairment() {
    let t0 = Instant::now();
    let mut rng = Impairment(42);
    let mut stats = ReceptionStats::new(8000);
    // 1000 packets starting near the sequence wrap.
    let first: u16 = 65000;
    let mut sent = Vec::new();
    let mut lost = 0;
    for i in 0..1000u32 {
        if rng.chance(5) {
            lost += 1;
            continue;
        }
        let arrival = t0 + Duration::from_millis(20 * u64::from(i) + rng.next() % 40);
        sent.push((first.wrapping_add(i as u16), 160 * i, arrival));
        if rng.chance(2) {
            sent.push((first.wrapping_add(i as u16), 160 * i, arrival));
        }
    }
    // The last packet always arrives (else "expected" ends earlier).
    if sent.last().map(|p| p.1) != Some(160 * 999) {
        lost -= 1;
        sent.push((
            first.wrapping_add(999),
            160 * 999,
            t0 + Duration::from_secs(20),
        ));
    }
    for i in 1..sent.len() {
        if rng.chance(5) {
            sent.swap(i - 1, i);
        }
    }
    let duplicates = sent.len() as i64 - (1000 - lost);
    for (seq, ts, at) in &sent {
        stats.on_packet(*seq, *ts, *at);
    }
    assert_eq!(stats.expected(), 1000);
    assert_eq!(stats.cumulative_lost(), lost - duplicates);
    let block = stats.report(5, 0, 0);
    assert_eq!(
        block.highest_sequence,
        65536 + u32::from(first.wrapping_add(999))
    );
    // Uniform 0-40 ms arrival noise: mean |D| is about 13 ms.
    let jitter = stats.jitter_ms();
    assert!((8.0..20.0).contains(&jitter), "jitter {jitter:.1} ms");
    // A steady stream has no jitter.
    let mut steady = ReceptionStats::new(8000);
    for i in 0..100u32 {
        steady.on_packet(
            i as u16,
            160 * i,
            t0 + Duration::from_millis(20 * u64::from(i)),
        );
    }
    assert!(steady.jitter_ms() < 0.01);
    assert_eq!(steady.report(1, 0, 0).fraction_lost, 0);
}

fn link() -> Negotiated {
    Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::PCMU,
        payload_type: 0,
        telephone_event: None,
        telephone_event_clock: 8000,
        comfort_noise: None,
        rtcp_xr: true,
        rtcp_mux: false,
        direction: Direction::SendRecv,
        ptime: 20,
        params: Default::default(),
        srtp: None,
    }
}

#[test]
fn the_round_trip_comes_from_sr_and_rr_with_injected_delays() {
    let t0 = Instant::now();
    let one_way = Duration::from_millis(30);
    let mut a = MediaSession::new(link());
    let mut b = MediaSession::new(link());
    let frame = vec![1000i16; 160];
    // A talks for a second; B hears it 30 ms later.
    for i in 0..50u64 {
        let at = t0 + Duration::from_millis(20 * i);
        for p in a.send_frame(&frame) {
            b.receive(&p, at + one_way).unwrap();
        }
    }
    let ntp = ntp_from_unix(Duration::from_secs(1_800_000_000));
    let sent_at = t0 + Duration::from_secs(1);
    let sr = a.rtcp_report(sent_at, ntp);
    b.receive_rtcp(&sr, sent_at + one_way).unwrap();
    // B holds the SR 700 ms before its own report goes out.
    let rr_at = sent_at + one_way + Duration::from_millis(700);
    let rr = b.rtcp_report(rr_at, ntp + (1 << 32));
    a.receive_rtcp(&rr, rr_at + one_way).unwrap();
    let rtt = a.rtcp_stats().rtt.expect("a round trip");
    let ms = rtt.as_secs_f64() * 1000.0;
    assert!((ms - 60.0).abs() < 1.0, "rtt {ms:.2} ms");
    assert_eq!(a.rtcp_stats().remote_fraction_lost, Some(0.0));
    let q = a.quality();
    assert_eq!(q.rtt_ms.map(|r| r.round()), Some(60.0));
    // B's view: nothing lost, a steady stream.
    let qb = b.quality();
    assert_eq!((qb.packets_expected, qb.packets_lost), (50, 0));
    assert!(qb.mos > 4.3, "{qb:?}");
    // B's report carried its RTCP-XR VoIP metrics: A knows how B hears it.
    let remote = q.remote.expect("B's VoIP metrics");
    assert_eq!(remote.loss_percent, 0.0);
    assert!(remote.mos.is_some_and(|m| m > 4.2), "{remote:?}");
    assert!(remote.end_system_delay_ms >= 40.0, "{remote:?}");
    // Without rtcp-xr negotiated, no block goes out.
    let mut plain = link();
    plain.rtcp_xr = false;
    let mut c = MediaSession::new(plain);
    for i in 0..5u64 {
        for p in a.send_frame(&frame) {
            c.receive(&p, t0 + Duration::from_millis(20 * i)).unwrap();
        }
    }
    let report = c.rtcp_report(rr_at, ntp);
    let parsed = packet::parse(&report).unwrap();
    assert!(!parsed.iter().any(|p| matches!(p, RtcpPacket::Xr { .. })));
    // A BYE ends with a report and is recognised.
    let bye = a.rtcp_bye(rr_at, ntp);
    b.receive_rtcp(&bye, rr_at).unwrap();
    assert!(b.rtcp_stats().bye_received);
}

#[test]
fn the_e_model_ranks_conditions_as_expected() {
    // G.711 on a LAN: R about 91, MOS about 4.4.
    let lan = mos(r_factor(CodecKind::PCMU, 80.0, 0.0));
    assert!((4.3..=4.5).contains(&lan), "{lan}");
    // 10% random loss with concealment: about 3.3 (G.113 Bpl 25.1).
    let lossy = mos(r_factor(CodecKind::PCMU, 80.0, 10.0));
    assert!((3.0..3.6).contains(&lossy), "{lossy}");
    // Opus's FEC makes it more robust to the same loss.
    assert!(mos(r_factor(CodecKind::OPUS, 80.0, 10.0)) > lossy);
    // 400 ms one way: delay alone costs about a point.
    let far = mos(r_factor(CodecKind::PCMU, 400.0, 0.0));
    assert!(far < 3.8 && far > 2.5, "{far}");
}
