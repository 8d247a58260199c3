//! RFC 4733 telephone-events: sending digits as RTP events and receiving them.

/// The event code of a DTMF key (RFC 4733 section 3.2).
pub fn event_code(key: char) -> Option<u8> {
    match key.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        k @ 'A'..='D' => Some(k as u8 - b'A' + 12),
        _ => None,
    }
}

pub fn event_key(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + code - 12) as char),
        _ => None,
    }
}

/// One telephone-event payload: event, end bit, volume (dBm0 below 0), duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl EventPayload {
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    pub fn parse(b: &[u8]) -> Option<EventPayload> {
        let b: &[u8; 4] = b.get(..4)?.try_into().ok()?;
        Some(EventPayload {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }
}

/// How long a key is "held" and the gap after it, in 20 ms frames.
pub const TONE_FRAMES: u32 = 5;
pub const GAP_FRAMES: u32 = 3;
/// The final packet is sent three times (RFC 4733 section 2.5.1.4).
pub const END_REPEATS: usize = 3;

/// Turns queued keys into event payloads, one step per 20 ms frame.
#[derive(Debug, Default)]
pub struct DtmfSender {
    queue: std::collections::VecDeque<u8>,
    current: Option<(u8, u32)>,
    gap: u32,
}

/// What the sender wants on the wire for this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtmfStep {
    /// No event: send audio.
    Idle,
    /// Event packets (one, or the repeated end packet); `start` marks the first
    /// packet of an event, which takes a new timestamp and the marker bit.
    Event {
        start: bool,
        payloads: Vec<EventPayload>,
    },
    /// Between two keys: send nothing (the inter-digit pause).
    Pause,
}

impl DtmfSender {
    /// Queues keys; unknown characters are skipped. Returns how many were queued.
    pub fn queue(&mut self, keys: &str) -> usize {
        let codes: Vec<u8> = keys.chars().filter_map(event_code).collect();
        self.queue.extend(&codes);
        codes.len()
    }

    pub fn is_busy(&self) -> bool {
        self.current.is_some() || !self.queue.is_empty() || self.gap > 0
    }

    /// Advances one 20 ms frame of `samples_per_frame` RTP clock ticks.
    pub fn step(&mut self, samples_per_frame: u32) -> DtmfStep {
        if self.gap > 0 {
            self.gap -= 1;
            return if self.gap == 0 && self.queue.is_empty() {
                DtmfStep::Idle
            } else {
                DtmfStep::Pause
            };
        }
        let (event, frames) = match self.current {
            Some(c) => c,
            None => match self.queue.pop_front() {
                Some(e) => (e, 0),
                None => return DtmfStep::Idle,
            },
        };
        let frames = frames + 1;
        let duration = (frames * samples_per_frame).min(u32::from(u16::MAX)) as u16;
        let start = frames == 1;
        if frames >= TONE_FRAMES {
            self.current = None;
            self.gap = GAP_FRAMES;
            let end = EventPayload {
                event,
                end: true,
                volume: 10,
                duration,
            };
            return DtmfStep::Event {
                start,
                payloads: vec![end; END_REPEATS],
            };
        }
        self.current = Some((event, frames));
        DtmfStep::Event {
            start,
            payloads: vec![EventPayload {
                event,
                end: false,
                volume: 10,
                duration,
            }],
        }
    }
}

/// Reports each received key once, however many packets carry it.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    last: Option<(u32, u8)>,
}

impl DtmfReceiver {
    /// Feeds one telephone-event packet (its RTP timestamp and payload).
    pub fn receive(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let ev = EventPayload::parse(payload)?;
        if self.last == Some((timestamp, ev.event)) {
            return None;
        }
        self.last = Some((timestamp, ev.event));
        event_key(ev.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        for (k, c) in [
            ('0', 0),
            ('9', 9),
            ('*', 10),
            ('#', 11),
            ('A', 12),
            ('d', 15),
        ] {
            assert_eq!(event_code(k), Some(c));
            assert_eq!(event_key(c), Some(k.to_ascii_uppercase()));
        }
        assert_eq!(event_code('x'), None);
    }

    #[test]
    fn sender_sends_growing_durations_then_end_three_times() {
        let mut s = DtmfSender::default();
        assert_eq!(s.queue("1x#"), 2);
        let mut steps = Vec::new();
        while s.is_busy() {
            steps.push(s.step(160));
        }
        let events: Vec<&DtmfStep> = steps
            .iter()
            .filter(|s| matches!(s, DtmfStep::Event { .. }))
            .collect();
        assert_eq!(events.len(), 2 * TONE_FRAMES as usize);
        match events[0] {
            DtmfStep::Event { start, payloads } => {
                assert!(start);
                assert_eq!(payloads[0].duration, 160);
                assert_eq!(payloads[0].event, 1);
            }
            _ => unreachable!(),
        }
        match events[4] {
            DtmfStep::Event { start, payloads } => {
                assert!(!start);
                assert_eq!(payloads.len(), 3);
                assert!(payloads.iter().all(|p| p.end && p.duration == 800));
            }
            _ => unreachable!(),
        }
        assert!(steps.contains(&DtmfStep::Pause));
    }

    #[test]
    fn receiver_dedupes_by_timestamp() {
        let mut r = DtmfReceiver::default();
        let p = EventPayload {
            event: 5,
            end: false,
            volume: 10,
            duration: 160,
        }
        .to_bytes();
        assert_eq!(r.receive(1000, &p), Some('5'));
        assert_eq!(r.receive(1000, &p), None);
        let end = EventPayload {
            event: 5,
            end: true,
            volume: 10,
            duration: 800,
        }
        .to_bytes();
        assert_eq!(r.receive(1000, &end), None);
        assert_eq!(
            r.receive(2000, &p),
            Some('5'),
            "same key again is a new event"
        );
        assert_eq!(r.receive(3000, &[1, 2]), None, "short payload");
    }
}
