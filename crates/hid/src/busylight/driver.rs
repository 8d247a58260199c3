//! One light, without IO: what to write for a look, when to wake up for the
//! next frame of an effect the light cannot run itself or its keep-alive,
//! and the test sequence of the Devices page.

use std::time::{Duration, Instant};

use super::look::{Effect, Look, Rgb};
use super::{LightReport, Protocol, SoundCommand};

/// The Devices page's "test": each presence colour, then a flash, then back.
const TEST: [(Look, u32); 5] = [
    (Look::steady(Rgb::new(0, 255, 0)), 600),
    (Look::steady(Rgb::new(255, 160, 0)), 600),
    (Look::steady(Rgb::new(255, 0, 0)), 600),
    (Look::steady(Rgb::new(160, 0, 255)), 600),
    (
        Look {
            colour: Rgb::new(255, 255, 255),
            effect: Effect::Flash,
            sound: None,
        },
        1600,
    ),
];

/// Frames of an effect the host animates.
struct Animation {
    colour: Rgb,
    frames: Vec<(u8, u32)>,
    index: usize,
    next: Instant,
}

struct TestRun {
    step: usize,
    until: Instant,
}

pub struct LightDriver {
    protocol: Box<dyn Protocol>,
    /// What the phone asks for (shown again after a test).
    look: Option<Look>,
    /// What is on the light now.
    shown: Option<Look>,
    animation: Option<Animation>,
    test: Option<TestRun>,
    keep_alive_at: Option<Instant>,
    /// Reports handed out to be written so far (a light never written is
    /// not put out when it is closed).
    pub written: u64,
}

impl LightDriver {
    pub fn new(protocol: Box<dyn Protocol>) -> LightDriver {
        LightDriver {
            protocol,
            look: None,
            shown: None,
            animation: None,
            test: None,
            keep_alive_at: None,
            written: 0,
        }
    }

    /// The reports that show `look` (none when it shows already, or while a
    /// test runs: the look follows it).
    pub fn show(&mut self, look: Look, now: Instant) -> Vec<LightReport> {
        self.look = Some(look);
        if self.test.is_some() {
            return Vec::new();
        }
        self.render(look, now)
    }

    /// Starts the test sequence (again, if it runs).
    pub fn test(&mut self, now: Instant) -> Vec<LightReport> {
        let (look, ms) = TEST[0];
        self.test = Some(TestRun {
            step: 0,
            until: now + Duration::from_millis(u64::from(ms)),
        });
        // Written even when it shows already: the test is seen to start.
        self.shown = None;
        self.render(look, now)
    }

    pub fn testing(&self) -> bool {
        self.test.is_some()
    }

    /// Off, for good: no more frames or keep-alives (at exit, or when the
    /// light is closed).
    pub fn off(&mut self) -> Vec<LightReport> {
        self.look = None;
        self.test = None;
        self.animation = None;
        self.keep_alive_at = None;
        self.shown = Some(Look::OFF);
        let reports = self.protocol.steady(Rgb::OFF, SoundCommand::Set(None));
        self.count(reports)
    }

    /// When `handle_timeout` has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.animation.as_ref().map(|a| a.next),
            self.test.as_ref().map(|t| t.until),
            self.keep_alive_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) -> Vec<LightReport> {
        let mut out = Vec::new();
        if let Some(run) = &mut self.test
            && run.until <= now
        {
            run.step += 1;
            match TEST.get(run.step) {
                Some(&(look, ms)) => {
                    run.until = now + Duration::from_millis(u64::from(ms));
                    out.extend(self.render(look, now));
                }
                None => {
                    self.test = None;
                    let back = self.look.unwrap_or(Look::OFF);
                    out.extend(self.render(back, now));
                }
            }
        }
        if let Some(a) = &mut self.animation
            && a.next <= now
        {
            a.index = (a.index + 1) % a.frames.len();
            let (percent, ms) = a.frames[a.index];
            // A light late by more than a frame starts the next one from now,
            // instead of writing every frame it missed.
            let base = if now.duration_since(a.next) > Duration::from_millis(u64::from(ms)) {
                now
            } else {
                a.next
            };
            a.next = base + Duration::from_millis(u64::from(ms));
            let colour = a.colour.scaled(percent);
            let reports = self.protocol.steady(colour, SoundCommand::Keep);
            out.extend(self.count(reports));
        }
        if let Some(at) = self.keep_alive_at
            && at <= now
            && let Some((every, report)) = self.protocol.keep_alive()
        {
            self.keep_alive_at = Some(now + every);
            out.extend(self.count(vec![report]));
        }
        out
    }

    fn render(&mut self, look: Look, now: Instant) -> Vec<LightReport> {
        if self.shown == Some(look) {
            return Vec::new();
        }
        self.shown = Some(look);
        self.animation = None;
        let sound = SoundCommand::Set(look.sound);
        let reports = if look.effect == Effect::Steady || look.colour.is_off() {
            self.protocol.steady(look.colour, sound)
        } else if let Some(native) = self.protocol.native(look.colour, look.effect, sound) {
            native
        } else {
            let frames = look.effect.frames();
            let (percent, ms) = frames[0];
            self.animation = Some(Animation {
                colour: look.colour,
                frames,
                index: 0,
                next: now + Duration::from_millis(u64::from(ms)),
            });
            self.protocol.steady(look.colour.scaled(percent), sound)
        };
        self.keep_alive_at = self.protocol.keep_alive().map(|(every, _)| now + every);
        self.count(reports)
    }

    fn count(&mut self, reports: Vec<LightReport>) -> Vec<LightReport> {
        self.written += reports.len() as u64;
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::busylight::Sound;

    /// Writes what it was asked, readably; keeps alive every 10 s.
    struct Recorder {
        native_flash: bool,
    }

    impl Protocol for Recorder {
        fn steady(&mut self, c: Rgb, sound: SoundCommand) -> Vec<LightReport> {
            let s = match sound {
                SoundCommand::Keep => 0,
                SoundCommand::Set(None) => 1,
                SoundCommand::Set(Some(s)) => s.tune,
            };
            vec![LightReport::Output(vec![0, c.r, c.g, c.b, s])]
        }

        fn native(&mut self, c: Rgb, e: Effect, _: SoundCommand) -> Option<Vec<LightReport>> {
            (self.native_flash && e == Effect::Flash)
                .then(|| vec![LightReport::Output(vec![0xf1, c.r, c.g, c.b])])
        }

        fn keep_alive(&self) -> Option<(Duration, LightReport)> {
            Some((Duration::from_secs(10), LightReport::Output(vec![0xaa])))
        }
    }

    fn driver(native_flash: bool) -> LightDriver {
        LightDriver::new(Box::new(Recorder { native_flash }))
    }

    fn bytes(r: &[LightReport]) -> Vec<Vec<u8>> {
        r.iter().map(|r| r.bytes().to_vec()).collect()
    }

    const RED: Rgb = Rgb::new(255, 0, 0);

    #[test]
    fn a_look_is_written_once_and_the_keep_alive_follows() {
        let t0 = Instant::now();
        let mut d = driver(false);
        assert_eq!(
            bytes(&d.show(Look::steady(RED), t0)),
            vec![vec![0, 255, 0, 0, 1]]
        );
        assert!(d.show(Look::steady(RED), t0).is_empty());
        assert_eq!(d.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(d.handle_timeout(t0 + Duration::from_secs(9)).is_empty());
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(bytes(&d.handle_timeout(t1)), vec![vec![0xaa]]);
        assert_eq!(d.poll_timeout(), Some(t1 + Duration::from_secs(10)));
        assert_eq!(d.written, 2);
    }

    #[test]
    fn the_host_animates_what_the_light_cannot() {
        let t0 = Instant::now();
        let mut d = driver(false);
        let flash = Look {
            colour: RED,
            effect: Effect::Flash,
            sound: Some(Sound {
                tune: 7,
                volume: 50,
            }),
        };
        // The first frame starts the sound; the next ones keep it.
        assert_eq!(bytes(&d.show(flash, t0)), vec![vec![0, 255, 0, 0, 7]]);
        let t1 = t0 + Duration::from_millis(200);
        assert_eq!(d.poll_timeout(), Some(t1));
        assert_eq!(bytes(&d.handle_timeout(t1)), vec![vec![0, 0, 0, 0, 0]]);
        let t2 = t1 + Duration::from_millis(200);
        assert_eq!(bytes(&d.handle_timeout(t2)), vec![vec![0, 255, 0, 0, 0]]);
        // A wake-up seconds late writes one frame, not the ones it missed.
        let late = t2 + Duration::from_secs(3);
        assert_eq!(d.handle_timeout(late).len(), 1);
        assert_eq!(d.poll_timeout(), Some(late + Duration::from_millis(200)));
        // A steady look ends the animation and silences the sound.
        assert_eq!(
            bytes(&d.show(Look::steady(RED), late)),
            vec![vec![0, 255, 0, 0, 1]]
        );
        assert_eq!(d.poll_timeout(), Some(late + Duration::from_secs(10)));
    }

    #[test]
    fn a_light_that_flashes_itself_is_told_once() {
        let t0 = Instant::now();
        let mut d = driver(true);
        let flash = Look {
            colour: RED,
            effect: Effect::Flash,
            sound: None,
        };
        assert_eq!(bytes(&d.show(flash, t0)), vec![vec![0xf1, 255, 0, 0]]);
        assert_eq!(d.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    }

    #[test]
    fn the_test_runs_its_steps_then_shows_the_look_again() {
        let mut now = Instant::now();
        let mut d = driver(false);
        d.show(Look::steady(Rgb::new(0, 255, 0)), now);
        let first = d.test(now);
        assert_eq!(
            bytes(&first),
            vec![vec![0, 0, 255, 0, 1]],
            "written though shown"
        );
        // A change during the test waits for its end.
        let green = Look::steady(Rgb::new(0, 200, 0));
        assert!(d.show(green, now).is_empty());
        let mut colours = Vec::new();
        while d.testing() {
            now = d.poll_timeout().unwrap();
            for r in d.handle_timeout(now) {
                colours.push(r.bytes()[1..4].to_vec());
            }
        }
        assert_eq!(colours.first(), Some(&vec![255, 160, 0]));
        assert_eq!(colours.last(), Some(&vec![0, 200, 0]), "{colours:?}");
        assert!(colours.contains(&vec![255, 255, 255]));
        assert!(colours.contains(&vec![0, 0, 0]), "the flash goes dark");
    }

    #[test]
    fn off_stops_everything() {
        let t0 = Instant::now();
        let mut d = driver(false);
        d.show(
            Look {
                colour: RED,
                effect: Effect::Pulse,
                sound: None,
            },
            t0,
        );
        assert_eq!(bytes(&d.off()), vec![vec![0, 0, 0, 0, 1]]);
        assert_eq!(d.poll_timeout(), None);
        assert!(d.handle_timeout(t0 + Duration::from_secs(60)).is_empty());
    }
}
