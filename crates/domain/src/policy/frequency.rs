//! Counting past contacts in local calendar days. Reg F counts "7 consecutive days" and the
//! conversation day "as day 1" in days, not in rolling hours, so attempts are placed on the local
//! date of each candidate zone and the latest resulting date wins.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The local date of `t` in `z`.
pub fn local_date(z: &TimeZone, t: Timestamp) -> Date {
    t.to_zoned(z.clone()).date()
}

/// The first date on which one more contact keeps within `cap` per `window_days` consecutive days,
/// if `today` is not already such a date. `dates` are the counted contacts' local dates.
/// With `cap` contacts already in today's window, the window must move past the `cap`-th most
/// recent one, i.e. to its date plus `window_days` (the oldest of the 7 falls out).
pub fn cap_until(dates: &[Date], today: Date, cap: u32, window_days: u32) -> Option<Date> {
    let first = today.checked_sub(jiff::Span::new().days(i64::from(window_days) - 1)).ok()?;
    let mut inside: Vec<Date> = dates.iter().copied().filter(|d| first <= *d && *d <= today).collect();
    if (inside.len() as u64) < u64::from(cap) {
        return None;
    }
    inside.sort_unstable_by(|a, b| b.cmp(a));
    let pivot = inside[cap as usize - 1];
    pivot.checked_add(jiff::Span::new().days(i64::from(window_days))).ok()
}

/// The first date a call may follow a conversation held on `conversation`, the conversation day
/// counting as day 1 of `quiet_days` (Reg F 1006.14(b)(2)(ii)), if `today` is inside them.
pub fn after_conversation(conversation: Date, today: Date, quiet_days: u32) -> Option<Date> {
    let open = conversation.checked_add(jiff::Span::new().days(i64::from(quiet_days))).ok()?;
    (quiet_days > 0 && today < open).then_some(open)
}

/// The instant a local date starts in `z`.
pub fn start_of(z: &TimeZone, d: Date) -> Option<Timestamp> {
    d.to_zoned(z.clone()).ok().map(|zdt| zdt.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_oldest_of_the_cap_falls_out() {
        let days: Vec<Date> = (1..=7).map(|d| date(2026, 6, d)).collect();
        assert_eq!(cap_until(&days, date(2026, 6, 7), 7, 7), Some(date(2026, 6, 8)));
        assert_eq!(cap_until(&days[1..], date(2026, 6, 7), 7, 7), None, "six in the window");
        assert_eq!(cap_until(&days, date(2026, 6, 8), 7, 7), None, "June 1 has left the window");
        let same_day = [date(2026, 6, 3); 7];
        assert_eq!(cap_until(&same_day, date(2026, 6, 3), 7, 7), Some(date(2026, 6, 10)));
        assert_eq!(cap_until(&[date(2026, 6, 3)], date(2026, 6, 3), 1, 1), Some(date(2026, 6, 4)));
    }

    #[test]
    fn conversation_day_is_day_one() {
        let c = date(2026, 6, 1);
        assert_eq!(after_conversation(c, c, 7), Some(date(2026, 6, 8)));
        assert_eq!(after_conversation(c, date(2026, 6, 7), 7), Some(date(2026, 6, 8)), "day 7");
        assert_eq!(after_conversation(c, date(2026, 6, 8), 7), None, "day 8");
        assert_eq!(after_conversation(c, c, 0), None, "rule off");
    }
}
