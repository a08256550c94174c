//! Convenient times (FDCPA 805(a)(1); Reg F 1006.6(b)(1)(i)): a call, text or email only from
//! `window_start` to before `window_end` in the person's local time, in every candidate zone.
//! Local civil times are compared, so daylight-saving change days need no special case.

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

/// Whether `t` falls inside the window in zone `z`.
pub fn inside(z: &TimeZone, start: Time, end: Time, t: Timestamp) -> bool {
    let local = t.to_zoned(z.clone()).time();
    start <= local && local < end
}

/// The next instant after `t` at which the window opens in `z` (today's start if still ahead,
/// else tomorrow's). A start inside a DST gap resolves to the first instant after the gap.
fn next_start(z: &TimeZone, start: Time, t: Timestamp) -> Option<Timestamp> {
    let local = t.to_zoned(z.clone()).datetime();
    let day = if local.time() < start { local.date() } else { local.date().tomorrow().ok()? };
    z.to_ambiguous_zoned(day.to_datetime(start)).compatible().ok().map(|zdt| zdt.timestamp())
}

/// The earliest instant at or after `t` inside the window in every zone, or `None` when the
/// zones share no window (the search gives up after a few days).
pub fn earliest(zones: &[TimeZone], start: Time, end: Time, t: Timestamp) -> Option<Timestamp> {
    let mut t = t;
    // Each pass moves `t` to some zone's next opening; with zones a day apart at most, a few
    // dozen passes either settle or prove there is no common window.
    for _ in 0..64 {
        match zones.iter().find(|z| !inside(z, start, end, t)) {
            None => return Some(t),
            Some(z) => t = next_start(z, start, t)?,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn zones_twenty_hours_apart_still_share_a_window() {
        let zones = [TimeZone::get("Pacific/Guam").unwrap(), TimeZone::get("Pacific/Honolulu").unwrap()];
        let at = earliest(&zones, time(8, 0, 0, 0), time(21, 0, 0, 0), ts("2026-06-01T12:00:00Z")).unwrap();
        assert_eq!(at, ts("2026-06-01T22:00:00Z"), "08:00 in Guam is 12:00 in Honolulu");
        assert_eq!(earliest(&zones, time(8, 0, 0, 0), time(9, 0, 0, 0), ts("2026-06-01T12:00:00Z")), None);
    }
}
