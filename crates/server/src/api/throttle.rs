//! Sign-in throttling (ASVS 2.2.1, COMPLIANCE rule 36): after too many failures for one e-mail in
//! a window, further attempts wait. Failures live in the store, so every node sees them.

/// Failures counted within this window...
pub const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;
/// ...lock the e-mail once there are this many...
pub const MAX_FAILURES: usize = 5;
/// ...until this long after the last one.
pub const LOCKOUT_MICROS: i64 = 15 * 60 * 1_000_000;

/// When `failures` (the window's failure times, oldest first) lock sign-in at `now`, the instant
/// the lock ends.
pub fn locked_until(failures: &[i64], now: i64) -> Option<i64> {
    if failures.len() < MAX_FAILURES {
        return None;
    }
    let until = failures.last()? + LOCKOUT_MICROS;
    (until > now).then_some(until)
}

/// "14 minutes", "1 minute": how long to wait, rounded up, for the message.
pub fn wait_text(micros: i64) -> String {
    let minutes = (micros + 59_999_999) / 60_000_000;
    if minutes == 1 { "1 minute".into() } else { format!("{minutes} minutes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    #[test]
    fn the_fifth_failure_locks_and_the_lock_ends() {
        let four = [0, MIN, 2 * MIN, 3 * MIN];
        assert_eq!(locked_until(&four, 3 * MIN + 1), None, "four failures do not lock");
        let five = [0, MIN, 2 * MIN, 3 * MIN, 4 * MIN];
        assert_eq!(locked_until(&five, 4 * MIN + 1), Some(4 * MIN + LOCKOUT_MICROS));
        assert_eq!(locked_until(&five, 4 * MIN + LOCKOUT_MICROS - 1), Some(4 * MIN + LOCKOUT_MICROS), "still locked a moment before");
        assert_eq!(locked_until(&five, 4 * MIN + LOCKOUT_MICROS), None, "open at the instant the lock ends");
        assert_eq!(locked_until(&[], 0), None);
    }

    #[test]
    fn waits_are_rounded_up_to_whole_minutes() {
        assert_eq!(wait_text(1), "1 minute");
        assert_eq!(wait_text(MIN), "1 minute");
        assert_eq!(wait_text(MIN + 1), "2 minutes");
        assert_eq!(wait_text(15 * MIN), "15 minutes");
    }
}
