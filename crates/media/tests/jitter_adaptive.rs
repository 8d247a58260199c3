//! The adaptive jitter buffer under a deterministic, seeded impairment model:
//! packets every 20 ms, a fixed network delay, uniform random jitter (which
//! also reorders), random loss. A simulated 20 ms playout clock pops frames.
//! Measured per scenario: late packets, concealed frames, and the delay from
//! sending to playing.

use std::time::{Duration, Instant};

use hookswitch_media::jitter::{JitterBuffer, Playout};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Outcome {
    late: u64,
    concealed: u64,
    lost: u64,
    /// Mean send-to-play delay (ms) over the given range of played frames.
    delays: Vec<f64>,
    shrunk: u64,
    stretched: u64,
}

impl Outcome {
    fn mean_delay(&self, from: usize, to: usize) -> f64 {
        let d = &self.delays[from.min(self.delays.len())..to.min(self.delays.len())];
        d.iter().sum::<f64>() / d.len().max(1) as f64
    }
}

/// `jitter_ms(i)`: the jitter bound for packet i.
fn simulate(packets: u64, loss: f64, seed: u64, jitter_ms: impl Fn(u64) -> f64) -> Outcome {
    let t0 = Instant::now();
    let mut rng = Rng(seed);
    let mut arrivals: Vec<(f64, u64)> = Vec::new();
    let mut lost = 0;
    for i in 0..packets {
        if rng.next() < loss {
            lost += 1;
            continue;
        }
        let at = 20.0 * i as f64 + 20.0 + rng.next() * jitter_ms(i);
        arrivals.push((at, i));
    }
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut jb = JitterBuffer::new(1);
    let mut delays = Vec::new();
    let mut next_arrival = 0;
    let ticks = packets + 60;
    for tick in 0..ticks {
        let now = 20.0 * tick as f64;
        while next_arrival < arrivals.len() && arrivals[next_arrival].0 <= now {
            let (at, i) = arrivals[next_arrival];
            let when = t0 + Duration::from_secs_f64(at / 1000.0);
            jb.push(i as u16, 0, i.to_be_bytes().to_vec(), when);
            next_arrival += 1;
        }
        if let Playout::Frame { payload, .. } = jb.pop() {
            let i = u64::from_be_bytes(payload.try_into().unwrap());
            delays.push(now - 20.0 * i as f64);
        }
        // The stream is over once everything arrived has been played.
        if next_arrival == arrivals.len() && jb.depth() == 0 {
            break;
        }
    }
    let s = jb.stats();
    Outcome {
        late: s.late,
        concealed: s.concealed,
        lost,
        delays,
        shrunk: s.shrunk,
        stretched: s.stretched,
    }
}

#[test]
fn a_clean_network_keeps_the_buffer_at_its_minimum() {
    let o = simulate(1500, 0.0, 1, |_| 0.0);
    assert_eq!((o.late, o.concealed), (0, 0));
    let d = o.mean_delay(50, 1500);
    // 20 ms of network, one frame of buffer, the tick's granularity.
    assert!(d <= 60.0, "mean delay {d:.1} ms");
    println!("clean: mean delay {d:.1} ms");
}

#[test]
fn sixty_ms_of_jitter_grows_the_buffer_until_almost_nothing_is_late() {
    let o = simulate(1500, 0.0, 7, |_| 60.0);
    // The first second teaches the buffer; after that under 1% late.
    let late_share = o.late as f64 / 1500.0;
    assert!(late_share < 0.02, "late {} of 1500", o.late);
    let d = o.mean_delay(100, 1500);
    assert!(d < 20.0 + 60.0 + 60.0, "mean delay {d:.1} ms");
    assert!(o.stretched > 0);
    println!(
        "60 ms jitter: late {} ({:.2}%), mean delay {d:.1} ms",
        o.late,
        late_share * 100.0
    );
}

#[test]
fn when_the_jitter_goes_the_buffer_shrinks_back() {
    // 60 ms of jitter for 10 s, then a clean network for 20 s.
    let o = simulate(1500, 0.0, 11, |i| if i < 500 { 60.0 } else { 0.0 });
    let during = o.mean_delay(100, 480);
    let after = o.mean_delay(1200, 1500);
    assert!(o.shrunk > 0, "never shrank");
    assert!(
        after < during - 20.0,
        "delay {during:.1} ms -> {after:.1} ms"
    );
    assert!(after <= 80.0, "settled at {after:.1} ms");
    println!(
        "jitter gone: {during:.1} ms -> {after:.1} ms, {} frames dropped",
        o.shrunk
    );
}

#[test]
fn losses_are_concealed_one_for_one() {
    let o = simulate(3000, 0.03, 5, |_| 30.0);
    assert!(o.lost > 60, "{} lost", o.lost);
    // Every lost packet is one concealed frame; late ones add a few.
    assert!(
        o.concealed >= o.lost,
        "{} concealed, {} lost",
        o.concealed,
        o.lost
    );
    assert!(
        o.concealed <= o.lost + o.late + 5,
        "{} concealed, {} lost, {} late",
        o.concealed,
        o.lost,
        o.late
    );
}
