//! The name of a recording made from the window: local date and time, then
//! the other party, so a folder of them sorts by time and reads at a
//! glance ("2026-12-06 14-05-09 bob.wav"); a name taken gets " (2)".

use std::time::SystemTime;

/// The file name for a recording begun at `at` with `label`; `taken` says
/// whether a name is in use.
pub fn recording_name(at: SystemTime, label: &str, taken: impl Fn(&str) -> bool) -> String {
    let label = if label.is_empty() { "call" } else { label };
    let stem = format!("{} {label}", local_time(at));
    let mut name = format!("{stem}.wav");
    let mut n = 2;
    while taken(&name) && n < 1000 {
        name = format!("{stem} ({n}).wav");
        n += 1;
    }
    name
}

/// "YYYY-MM-DD HH-MM-SS" in the local time zone (the C library's, as the
/// desktop's clock shows it); UTC with a "Z" when that cannot be had.
fn local_time(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = secs as libc::time_t;
    // SAFETY: localtime_r reads `t` and writes only the struct it is given.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let local = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !local {
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let s = secs % 86_400;
        return format!(
            "{y:04}-{m:02}-{d:02} {:02}-{:02}-{:02}Z",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
    }
    format!(
        "{:04}-{:02}-{:02} {:02}-{:02}-{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_name_is_the_time_and_the_party_and_a_taken_one_is_numbered() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_565_909);
        let name = recording_name(at, "bob", |_| false);
        assert!(name.ends_with(" bob.wav"), "{name}");
        assert_eq!(name.len(), "2026-12-06 14-05-09 bob.wav".len(), "{name}");
        let first = name.clone();
        let again = recording_name(at, "bob", |n| n == first);
        assert_eq!(again, first.replace(".wav", " (2).wav"));
        assert!(recording_name(at, "", |_| false).ends_with(" call.wav"));
    }

    #[test]
    fn the_utc_fallback_counts_days_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
