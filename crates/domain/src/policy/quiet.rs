//! Convenient times (FDCPA 805(a)(1); Reg F 1006.6(b)(1)): a call, text or email only from
//! `window_start` to before `window_end` in the person's local time, and outside any hours the
//! person named as inconvenient, in every candidate zone. Local civil times are compared, so
//! daylight-saving change days need no special case.

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Local hours, `from` up to (not including) `to`; `from` after `to` wraps past midnight, equal
/// ends cover nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalHours {
    pub from: Time,
    pub to: Time,
}

impl LocalHours {
    pub fn contains(&self, x: Time) -> bool {
        if self.from <= self.to { self.from <= x && x < self.to } else { x >= self.from || x < self.to }
    }
}

/// Which local times of every day are allowed.
#[derive(Debug, Clone, Copy)]
pub enum Daily<'a> {
    /// Only inside `[start, end)`.
    Window(Time, Time),
    /// Any time outside these hours.
    Except(&'a [LocalHours]),
}

impl Daily<'_> {
    pub fn allows(&self, x: Time) -> bool {
        match self {
            Daily::Window(start, end) => *start <= x && x < *end,
            Daily::Except(hours) => !hours.iter().any(|h| h.contains(x)),
        }
    }

    /// The local times at which an allowed stretch can begin.
    fn opens(&self) -> Vec<Time> {
        let mut opens = match self {
            Daily::Window(start, _) => vec![*start],
            Daily::Except(hours) => hours.iter().map(|h| h.to).collect(),
        };
        opens.retain(|x| self.allows(*x));
        opens.sort_unstable();
        opens
    }
}

/// Whether `t` is allowed in zone `z`.
pub fn inside(z: &TimeZone, daily: &Daily, t: Timestamp) -> bool {
    daily.allows(t.to_zoned(z.clone()).time())
}

/// The next instant after `t` at which an allowed stretch begins in `z` (later today, else
/// tomorrow). A time inside a DST gap resolves to the first instant after the gap.
fn next_open(z: &TimeZone, daily: &Daily, t: Timestamp) -> Option<Timestamp> {
    let local = t.to_zoned(z.clone()).datetime();
    let opens = daily.opens();
    let at = match opens.iter().find(|x| **x > local.time()) {
        Some(x) => local.date().to_datetime(*x),
        None => local.date().tomorrow().ok()?.to_datetime(*opens.first()?),
    };
    let next = z.to_ambiguous_zoned(at).compatible().ok()?.timestamp();
    (next > t).then_some(next)
}

/// The earliest instant at or after `t` allowed in every zone, or `None` when the zones share no
/// allowed time (the search gives up after a few days).
pub fn earliest(zones: &[TimeZone], daily: &Daily, t: Timestamp) -> Option<Timestamp> {
    let mut t = t;
    // Each pass moves `t` to some zone's next opening; with zones a day apart at most, a few
    // dozen passes either settle or prove there is no common time.
    for _ in 0..64 {
        match zones.iter().find(|z| !inside(z, daily, t)) {
            None => return Some(t),
            Some(z) => t = next_open(z, daily, t)?,
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

    const DAY: Daily = Daily::Window(time(8, 0, 0, 0), time(21, 0, 0, 0));

    #[test]
    fn zones_twenty_hours_apart_still_share_a_window() {
        let zones = [TimeZone::get("Pacific/Guam").unwrap(), TimeZone::get("Pacific/Honolulu").unwrap()];
        let at = earliest(&zones, &DAY, ts("2026-06-01T12:00:00Z")).unwrap();
        assert_eq!(at, ts("2026-06-01T22:00:00Z"), "08:00 in Guam is 12:00 in Honolulu");
        let narrow = Daily::Window(time(8, 0, 0, 0), time(9, 0, 0, 0));
        assert_eq!(earliest(&zones, &narrow, ts("2026-06-01T12:00:00Z")), None);
    }

    #[test]
    fn named_hours_wrap_past_midnight_and_can_cover_the_day() {
        let night = LocalHours { from: time(18, 0, 0, 0), to: time(10, 0, 0, 0) };
        assert!(night.contains(time(23, 0, 0, 0)) && night.contains(time(9, 59, 0, 0)) && !night.contains(time(10, 0, 0, 0)));
        let ny = [TimeZone::get("America/New_York").unwrap()];
        let at = earliest(&ny, &Daily::Except(&[night]), ts("2026-06-01T23:00:00Z")).unwrap();
        assert_eq!(at, ts("2026-06-02T14:00:00Z"), "10:00 EDT next morning");
        let all_day =
            [LocalHours { from: time(0, 0, 0, 0), to: time(12, 0, 0, 0) }, LocalHours { from: time(12, 0, 0, 0), to: time(0, 0, 0, 0) }];
        assert_eq!(earliest(&ny, &Daily::Except(&all_day), ts("2026-06-01T23:00:00Z")), None);
    }
}
