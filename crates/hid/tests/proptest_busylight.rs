//! Busylight settings and drivers under any input: what people type reads
//! back as written or is refused, and every light's driver fed any looks at
//! any times writes reports with their IDs, wakes up in order, and stays dark
//! after `off`.

use std::time::{Duration, Instant};

use hookswitch_hid::ButtonName;
use hookswitch_hid::busylight::{
    Appearance, Effect, FAMILIES, LightDriver, Look, Paint, Rgb, Sound,
};
use proptest::prelude::*;

fn effects() -> impl Strategy<Value = Effect> {
    prop_oneof![
        Just(Effect::Steady),
        Just(Effect::Flash),
        Just(Effect::Pulse),
        Just(Effect::Wink)
    ]
}

fn appearances() -> impl Strategy<Value = Appearance> {
    let paint = prop_oneof![
        any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Paint::Colour(Rgb::new(r, g, b))),
        Just(Paint::Presence),
    ];
    (paint, effects()).prop_map(|(paint, effect)| Appearance { paint, effect })
}

proptest! {
    #[test]
    fn any_text_parses_or_is_refused(text in ".{0,40}") {
        let _ = text.parse::<Appearance>();
        let _ = text.parse::<Rgb>();
        let _ = text.parse::<ButtonName>();
    }

    #[test]
    fn appearances_and_buttons_read_back_as_written(a in appearances(), n in any::<u16>()) {
        prop_assert_eq!(a.to_string().parse::<Appearance>(), Ok(a));
        let b = ButtonName::Button(n);
        prop_assert_eq!(b.to_string().parse::<ButtonName>(), Ok(b));
    }

    #[test]
    fn every_driver_takes_any_looks_at_any_times(
        family in 0..FAMILIES.len(),
        steps in proptest::collection::vec(
            (0u8..4, any::<(u8, u8, u8)>(), effects(), any::<bool>(), 0u64..3000),
            0..40,
        ),
    ) {
        let mut d = LightDriver::new((FAMILIES[family].protocol)("BS000001-3.0"));
        let mut now = Instant::now();
        for (op, (r, g, b), effect, sound, dt) in steps {
            now += Duration::from_millis(dt);
            let reports = match op {
                0 => d.show(
                    Look {
                        colour: Rgb::new(r, g, b),
                        effect,
                        sound: sound.then_some(Sound { tune: r, volume: g }),
                    },
                    now,
                ),
                1 => d.test(now),
                2 => d.off(),
                _ => d.handle_timeout(now),
            };
            for report in &reports {
                prop_assert!(!report.bytes().is_empty());
            }
            if op == 2 {
                prop_assert_eq!(d.poll_timeout(), None, "dark and quiet after off");
            }
            // Whatever is due now is done by handle_timeout: the next wake-up
            // is then later than now.
            if d.poll_timeout().is_some_and(|t| t <= now) {
                d.handle_timeout(now);
            }
            prop_assert!(d.poll_timeout().is_none_or(|t| t > now));
        }
    }
}
