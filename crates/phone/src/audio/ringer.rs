//! The ring of an incoming call, on its own output: a desk speaker can ring
//! while the call itself goes to the headset. A thread per ringing call plays
//! the ring (a WAV file looped with a pause, or a double-ring tone) on the
//! chosen device until the call is answered or ends.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hookswitch_media::progress::{ToneGenerator, ToneSpec};

use super::{AudioSource, WavSource};

/// The rate the ring is made at (the device's own rate is the resampler's job).
const RATE: u32 = 16000;
const FRAME: usize = (RATE / 50) as usize;

/// The built-in ring: 400+450 Hz, ring-ring, pause (BT's cadence), louder
/// than a progress tone since it has to be heard across a room.
const DOUBLE_RING: ToneSpec = ToneSpec {
    frequencies: &[400.0, 450.0],
    cadence: &[(400, 200), (400, 2000)],
};
const RING_AMPLITUDE: f64 = 8000.0;

/// The silence between two plays of a ring file.
const FILE_PAUSE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq)]
pub enum RingSound {
    DoubleRing,
    File(PathBuf),
    /// A call progress tone at its usual level: the dial or busy tone a
    /// lifted handset hears while no call plays.
    Progress(ToneSpec),
}

/// Rings until dropped.
pub struct Ringer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

enum Sound {
    Tone(ToneGenerator),
    File {
        // Boxed: a streaming file (reader, converter) is large beside a tone.
        file: Box<WavSource>,
        pause_frames: usize,
    },
}

impl Sound {
    fn new(sound: &RingSound) -> Result<Sound, String> {
        Ok(match sound {
            RingSound::DoubleRing => {
                Sound::Tone(ToneGenerator::new(DOUBLE_RING, RATE).with_amplitude(RING_AMPLITUDE))
            }
            RingSound::Progress(spec) => Sound::Tone(ToneGenerator::new(*spec, RATE)),
            RingSound::File(path) => Sound::File {
                file: Box::new(WavSource::open(path, RATE)?),
                pause_frames: 0,
            },
        })
    }

    fn fill(&mut self, out: &mut [i16]) {
        match self {
            Sound::Tone(t) => t.fill(out),
            Sound::File { file, pause_frames } => {
                if *pause_frames > 0 {
                    *pause_frames -= 1;
                    out.fill(0);
                    if *pause_frames == 0 {
                        file.rewind();
                    }
                } else if !file.read_frame(out) {
                    *pause_frames = (FILE_PAUSE.as_millis() / 20) as usize;
                }
            }
        }
    }
}

impl Ringer {
    /// Starts ringing on `device` ("default": the system's output). A device
    /// that cannot be opened is retried once a second (it may be plugged in
    /// while the call rings).
    pub fn start(device: &str, sound: &RingSound) -> Result<Ringer, String> {
        let mut sound = Sound::new(sound)?;
        let stop = Arc::new(AtomicBool::new(false));
        let device = device.to_string();
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ringer".into())
            .spawn(move || {
                let mut speaker = None;
                let mut next_try = Instant::now();
                let mut frame = vec![0i16; FRAME];
                let mut due = Instant::now();
                while !stopped.load(Ordering::Relaxed) {
                    if speaker.is_none() && Instant::now() >= next_try {
                        let asked = Instant::now();
                        match hookswitch_devices::sound::Speaker::open(&device, RATE) {
                            Ok(s) => {
                                tracing::debug!(%device, took = ?asked.elapsed(), "ring or tone device open");
                                speaker = Some(s);
                                // The sound starts now, from its beginning:
                                // a slow open is not made up for by a burst
                                // of frames the device would drop.
                                due = Instant::now();
                            }
                            Err(e) => {
                                tracing::warn!(%device, "cannot ring: {e}");
                                next_try = Instant::now() + Duration::from_secs(1);
                            }
                        }
                    }
                    if let Some(s) = &mut speaker {
                        sound.fill(&mut frame);
                        s.write_frame(&frame);
                    }
                    // Paced by the clock: the device's ring buffer absorbs the jitter.
                    due += Duration::from_millis(20);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
            })
            .map_err(|e| format!("cannot start the ringer: {e}"))?;
        Ok(Ringer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ringer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_double_ring_rings_twice_then_pauses() {
        let mut s = Sound::new(&RingSound::DoubleRing).unwrap();
        let mut frame = vec![0i16; FRAME];
        let levels: Vec<bool> = (0..170)
            .map(|_| {
                s.fill(&mut frame);
                hookswitch_media::tone::rms(&frame) > 1000.0
            })
            .collect();
        // 0.4 s on, 0.2 s off, 0.4 s on, 2 s off: 20, 10, 20, 100 frames.
        assert!(levels[..20].iter().all(|&l| l));
        assert!(levels[20..30].iter().all(|&l| !l));
        assert!(levels[30..50].iter().all(|&l| l));
        assert!(levels[50..150].iter().all(|&l| !l));
        assert!(levels[150]);
    }

    #[test]
    fn a_ring_file_loops_with_a_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring.wav");
        let mut w = hound::WavWriter::create(
            &path,
            hound::WavSpec {
                channels: 1,
                sample_rate: RATE,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )
        .unwrap();
        for i in 0..RATE / 5 {
            w.write_sample(if i % 16 < 8 { 9000i16 } else { -9000 })
                .unwrap();
        }
        w.finalize().unwrap();
        let mut s = Sound::new(&RingSound::File(path)).unwrap();
        let mut frame = vec![0i16; FRAME];
        let loud: Vec<bool> = (0..130)
            .map(|_| {
                s.fill(&mut frame);
                hookswitch_media::tone::rms(&frame) > 1000.0
            })
            .collect();
        // 0.2 s of sound (10 frames), a frame to notice the end, 2 s of pause, again.
        assert!(loud[..9].iter().all(|&l| l));
        assert!(loud[12..110].iter().all(|&l| !l));
        assert!(loud[112..120].iter().all(|&l| l));
        assert!(Sound::new(&RingSound::File("/nonexistent.wav".into())).is_err());
    }
}
