//! One call's media on the wire, sans-IO: a [`MediaSession`] plus where its
//! packets go and when. It latches onto where the peer's RTP and RTCP really
//! come from (symmetric RTP behind a NAT), times its RTCP reports (RFC 3550
//! 6.3.1: a random 0.5-1.5 times the mean interval, from a seeded generator)
//! and says when DTMF must go by SIP INFO instead. The edge moves datagrams
//! and 20 ms frames and hands in the time (`now`, and the wall clock as NTP
//! for reports).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::MediaSession;
use crate::sdp::Negotiated;

/// Which of a call's two sockets a datagram came in on or goes out by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Rtp,
    /// RTP's port + 1 (unused when RTCP is multiplexed on the RTP port).
    Rtcp,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub via: Via,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// What the stream tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The peer pressed a key (RFC 4733, or heard in the audio).
    Dtmf(char),
    /// Keys the peer cannot take as RFC 4733 events: send them by SIP INFO.
    DtmfNeedsInfo(String),
}

pub struct MediaStream {
    session: MediaSession,
    /// Where our RTP goes: the SDP's address, or where the peer's packets
    /// come from once they do (latched).
    remote: Option<SocketAddr>,
    latched: bool,
    /// Where the peer's RTCP comes from (symmetric RTCP).
    rtcp_source: Option<SocketAddr>,
    rtcp_interval: Duration,
    rtcp_due: Instant,
    rng: StdRng,
    transmits: VecDeque<Transmit>,
    events: VecDeque<StreamEvent>,
}

impl MediaStream {
    /// A stream for `negotiated` from `now`, its randomness (SSRC, sequence,
    /// timestamps, RTCP intervals) drawn from `seed`.
    pub fn new(negotiated: Negotiated, seed: u64, rtcp_interval: Duration, now: Instant) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let session = MediaSession::seeded(negotiated, rng.random());
        let remote = session.negotiated().remote;
        let mut stream = MediaStream {
            session,
            remote,
            latched: false,
            rtcp_source: None,
            rtcp_interval,
            rtcp_due: now,
            rng,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        stream.rtcp_due = now + stream.next_rtcp_interval();
        stream
    }

    pub fn session(&self) -> &MediaSession {
        &self.session
    }

    pub fn session_mut(&mut self) -> &mut MediaSession {
        &mut self.session
    }

    /// Where our RTP goes now.
    pub fn remote(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// A new offer/answer changed the stream: a latched address stays (the
    /// SDP's is what the NAT hides), unless the peer holds with no address.
    pub fn update(&mut self, negotiated: Negotiated) {
        if !self.latched || negotiated.remote.is_none() {
            self.remote = negotiated.remote;
        }
        self.session.update(negotiated);
    }

    /// The 20 ms frame just captured: its packets are queued.
    pub fn send_frame(&mut self, pcm: &[i16]) {
        let Some(to) = self.remote else {
            return;
        };
        for bytes in self.session.send_frame(pcm) {
            self.transmits.push_back(Transmit {
                via: Via::Rtp,
                to,
                bytes,
            });
        }
    }

    /// The 20 ms frame to play; keys heard meanwhile become events.
    pub fn play_frame(&mut self, out: &mut Vec<i16>) {
        self.session.play_frame(out);
        while let Some(key) = self.session.poll_dtmf() {
            self.events.push_back(StreamEvent::Dtmf(key));
        }
    }

    /// Keys to send: RFC 4733 events, or an event asking for SIP INFO when
    /// the peer did not negotiate telephone-event.
    pub fn send_dtmf(&mut self, keys: &str) {
        if !self.session.send_dtmf(keys) {
            self.events
                .push_back(StreamEvent::DtmfNeedsInfo(keys.to_string()));
        }
    }

    /// A datagram that came in on `via` from `from` at `now`. Packets that do
    /// not parse or authenticate are counted by the session and dropped.
    pub fn handle_receive(&mut self, now: Instant, via: Via, from: SocketAddr, bytes: &[u8]) {
        match via {
            Via::Rtp => {
                let good = self.session.receive(bytes, now).is_ok();
                if good && !self.latched && self.remote.is_some_and(|r| r != from) {
                    tracing::debug!(%from, "RTP latched to the packets' source");
                    self.remote = Some(from);
                    self.latched = true;
                }
            }
            Via::Rtcp => match self.session.receive_rtcp(bytes, now) {
                Ok(()) if self.rtcp_source != Some(from) => {
                    tracing::debug!(%from, "RTCP latched to the reports' source");
                    self.rtcp_source = Some(from);
                }
                Ok(()) => {}
                Err(e) => tracing::debug!("RTCP from the peer dropped: {e}"),
            },
        }
    }

    /// When the next RTCP report is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.rtcp_due)
    }

    /// Time has reached `now` (`ntp`: the wall clock, for the report).
    pub fn handle_timeout(&mut self, now: Instant, ntp: u64) {
        if now < self.rtcp_due {
            return;
        }
        self.rtcp_due = now + self.next_rtcp_interval();
        let report = self.session.rtcp_report(now, ntp);
        self.queue_rtcp(report);
    }

    /// The call is over: the final report with BYE.
    pub fn close(&mut self, now: Instant, ntp: u64) {
        let bye = self.session.rtcp_bye(now, ntp);
        self.queue_rtcp(bye);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<StreamEvent> {
        self.events.pop_front()
    }

    /// Where our RTCP goes: the RTP address itself when multiplexed (RFC
    /// 5761); else where the peer's RTCP comes from once it has (symmetric
    /// RTCP, for NATs), else its RTP port + 1 (RFC 3550 11).
    fn rtcp_target(&self) -> Option<(Via, SocketAddr)> {
        if self.session.negotiated().rtcp_mux {
            return self.remote.map(|r| (Via::Rtp, r));
        }
        let to = self.rtcp_source.or_else(|| {
            self.remote
                .map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)))
        })?;
        Some((Via::Rtcp, to))
    }

    fn queue_rtcp(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some((via, to)) = self.rtcp_target() {
            self.transmits.push_back(Transmit { via, to, bytes });
        }
    }

    /// Each interval is drawn from 0.5 to 1.5 times the mean (RFC 3550
    /// 6.3.1), so peers do not synchronise.
    fn next_rtcp_interval(&mut self) -> Duration {
        self.rtcp_interval.mul_f64(self.rng.random_range(0.5..1.5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecKind;
    use crate::sdp::Direction;

    fn negotiated(remote: &str, mux: bool, te: bool) -> Negotiated {
        Negotiated {
            remote: Some(remote.parse().unwrap()),
            codec: CodecKind::PCMU,
            payload_type: 0,
            telephone_event: te.then_some(101),
            telephone_event_clock: 8000,
            comfort_noise: None,
            rtcp_xr: false,
            rtcp_mux: mux,
            direction: Direction::SendRecv,
            ptime: 20,
            params: Default::default(),
            srtp: None,
        }
    }

    /// A stream to `remote` from the start of time `t0`, RTCP every 5 s on average.
    fn stream(remote: &str, mux: bool, te: bool, seed: u64, t0: Instant) -> MediaStream {
        MediaStream::new(
            negotiated(remote, mux, te),
            seed,
            Duration::from_secs(5),
            t0,
        )
    }

    fn sent(s: &mut MediaStream) -> Vec<Transmit> {
        std::iter::from_fn(|| s.poll_transmit()).collect()
    }

    #[test]
    fn rtp_follows_where_the_peers_packets_come_from() {
        let t0 = Instant::now();
        let mut a = stream("10.0.0.2:4000", false, true, 1, t0);
        let mut b = stream("10.0.0.1:5000", false, true, 2, t0);
        a.send_frame(&[0; 160]);
        assert_eq!(sent(&mut a)[0].to, "10.0.0.2:4000".parse().unwrap());
        // b's packets arrive from its NAT's address: a answers there.
        b.send_frame(&[0; 160]);
        let nat: SocketAddr = "198.51.100.7:31000".parse().unwrap();
        for t in sent(&mut b) {
            a.handle_receive(t0, Via::Rtp, nat, &t.bytes);
        }
        a.send_frame(&[0; 160]);
        assert_eq!(sent(&mut a)[0].to, nat);
        // A re-offer naming the old address does not undo the latch.
        a.update(negotiated("10.0.0.2:4000", false, true));
        a.send_frame(&[0; 160]);
        assert_eq!(sent(&mut a)[0].to, nat);
        // Garbage from elsewhere latches nothing.
        let mut c = stream("10.0.0.2:4000", false, true, 3, t0);
        c.handle_receive(t0, Via::Rtp, nat, &[1, 2, 3]);
        c.send_frame(&[0; 160]);
        assert_eq!(sent(&mut c)[0].to, "10.0.0.2:4000".parse().unwrap());
    }

    #[test]
    fn rtcp_goes_out_at_random_intervals_around_the_mean_to_the_right_port() {
        let t0 = Instant::now();
        let mean = Duration::from_secs(5);
        let mut a = MediaStream::new(negotiated("10.0.0.2:4000", false, true), 9, mean, t0);
        let mut dues = Vec::new();
        let mut now = t0;
        for _ in 0..50 {
            let due = a.poll_timeout().unwrap();
            assert!(due > now);
            dues.push(due - now);
            now = due;
            a.handle_timeout(now, 0);
            let t = sent(&mut a);
            assert_eq!(t.len(), 1);
            assert_eq!(
                (t[0].via, t[0].to),
                (Via::Rtcp, "10.0.0.2:4001".parse().unwrap())
            );
        }
        assert!(
            dues.iter().all(|d| *d >= mean / 2 && *d <= mean * 3 / 2),
            "{dues:?}"
        );
        assert!(dues.windows(2).any(|w| w[0] != w[1]), "the intervals vary");
        // The same seed, the same intervals.
        let mut again = MediaStream::new(negotiated("10.0.0.2:4000", false, true), 9, mean, t0);
        assert_eq!(again.poll_timeout(), Some(t0 + dues[0]));
        // Multiplexed RTCP goes by the RTP socket to the RTP address.
        let mut mux = MediaStream::new(negotiated("10.0.0.2:4000", true, true), 9, mean, t0);
        mux.handle_timeout(t0 + mean * 2, 0);
        let t = sent(&mut mux);
        assert_eq!(
            (t[0].via, t[0].to),
            (Via::Rtp, "10.0.0.2:4000".parse().unwrap())
        );
        again.close(t0, 0);
        assert_eq!(sent(&mut again).len(), 1, "the BYE");
    }

    #[test]
    fn dtmf_without_telephone_event_asks_for_sip_info() {
        let t0 = Instant::now();
        let mut plain = stream("10.0.0.2:4000", false, false, 1, t0);
        plain.send_dtmf("12#");
        assert_eq!(
            plain.poll_event(),
            Some(StreamEvent::DtmfNeedsInfo("12#".into()))
        );
        let mut a = stream("10.0.0.2:4000", false, true, 1, t0);
        let mut b = stream("10.0.0.1:5000", false, true, 2, t0);
        a.send_dtmf("5");
        assert_eq!(a.poll_event(), None);
        let mut heard = Vec::new();
        for _ in 0..20 {
            a.send_frame(&[0; 160]);
            for t in sent(&mut a) {
                b.handle_receive(t0, Via::Rtp, "10.0.0.1:5000".parse().unwrap(), &t.bytes);
            }
            b.play_frame(&mut heard);
        }
        assert_eq!(b.poll_event(), Some(StreamEvent::Dtmf('5')));
    }
}
