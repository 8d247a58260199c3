//! Busylight settings as people type them (`"red flash"`, button names) and
//! every light's driver fed any looks at any times: nothing panics, every
//! report has its report ID, and once what is due is done the driver's next
//! wake-up is after now.
#![no_main]

use std::time::{Duration, Instant};

use hookswitch_hid::busylight::{Appearance, Effect, FAMILIES, LightDriver, Look, Rgb, Sound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<Appearance>();
    let _ = text.parse::<Rgb>();
    let _ = text.parse::<hookswitch_hid::ButtonName>();
    let Some((&which, steps)) = data.split_first() else { return };
    let family = FAMILIES[usize::from(which) % FAMILIES.len()];
    let mut driver = LightDriver::new((family.protocol)("BS000001-3.0"));
    let mut now = Instant::now();
    for step in steps.chunks(6) {
        let [op, r, g, b, effect, dt] = *step else { break };
        now += Duration::from_millis(u64::from(dt) * 37);
        let reports = match op % 4 {
            0 => {
                let effect = [Effect::Steady, Effect::Flash, Effect::Pulse, Effect::Wink]
                    [usize::from(effect) % 4];
                let sound = (effect as u8 % 2 == 0).then_some(Sound { tune: r, volume: g });
                driver.show(Look { colour: Rgb::new(r, g, b), effect, sound }, now)
            }
            1 => driver.test(now),
            2 => driver.off(),
            _ => driver.handle_timeout(now),
        };
        assert!(reports.iter().all(|r| !r.bytes().is_empty()));
        // What is due now is done by handle_timeout: the next wake-up is then
        // later than now.
        if driver.poll_timeout().is_some_and(|t| t <= now) {
            driver.handle_timeout(now);
        }
        assert!(driver.poll_timeout().is_none_or(|t| t > now));
    }
});
