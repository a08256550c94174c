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
    locked_after(failures, now, MAX_FAILURES, LOCKOUT_MICROS)
}

/// The same rule with its own numbers: `max` failures lock until `lockout` after the last.
pub fn locked_after(failures: &[i64], now: i64, max: usize, lockout: i64) -> Option<i64> {
    if failures.len() < max {
        return None;
    }
    let until = failures.last()? + lockout;
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

/// Failed API-key attempts from one address (ASVS 2.2.1): past `KEY_FAILURES` within
/// `KEY_WINDOW_MICROS`, every key from that address is refused until the window has passed, so
/// keys cannot be guessed at speed. Kept in each node's memory: a node that restarts forgets, and
/// an attacker spread over many nodes gets as many windows; the 256-bit secret is the real guard.
pub const KEY_FAILURES: usize = 20;
pub const KEY_WINDOW_MICROS: i64 = 60 * 1_000_000;
/// Addresses tracked at most; the oldest are forgotten first.
const TRACKED: usize = 100_000;

#[derive(Default)]
pub struct KeyFailures {
    by_addr: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, std::collections::VecDeque<i64>>>,
    /// When the latest failure from any address was recorded. Every keyed request asks
    /// [`KeyFailures::blocked`]; with no failure in the window nobody can be blocked, so the
    /// usual case answers from this without taking the lock every request would contend for.
    latest: std::sync::atomic::AtomicI64,
}

impl KeyFailures {
    pub fn record(&self, addr: std::net::IpAddr, now: i64) {
        let mut map = self.by_addr.lock().unwrap_or_else(|p| p.into_inner());
        // Under the lock, so a reader that sees it also finds the failure in the map.
        self.latest.fetch_max(now, std::sync::atomic::Ordering::Release);
        if map.len() >= TRACKED && !map.contains_key(&addr) {
            map.retain(|_, times| times.back().is_some_and(|t| now - t < KEY_WINDOW_MICROS));
            if map.len() >= TRACKED {
                return;
            }
        }
        let times = map.entry(addr).or_default();
        times.push_back(now);
        while times.len() > KEY_FAILURES + 1 {
            times.pop_front();
        }
    }

    /// How long `addr` must wait, if it is blocked at `now`.
    pub fn blocked(&self, addr: std::net::IpAddr, now: i64) -> Option<i64> {
        if now.saturating_sub(self.latest.load(std::sync::atomic::Ordering::Acquire)) >= KEY_WINDOW_MICROS {
            return None;
        }
        let map = self.by_addr.lock().unwrap_or_else(|p| p.into_inner());
        let times = map.get(&addr)?;
        let recent: Vec<i64> = times.iter().copied().filter(|t| now - t < KEY_WINDOW_MICROS).collect();
        if recent.len() <= KEY_FAILURES {
            return None;
        }
        Some(recent[recent.len() - KEY_FAILURES - 1] + KEY_WINDOW_MICROS - now)
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn the_21st_failure_in_a_minute_blocks_until_the_minute_has_passed() {
        let f = KeyFailures::default();
        let ip: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let other: std::net::IpAddr = "203.0.113.8".parse().unwrap();
        for i in 0..20 {
            f.record(ip, i * 1_000);
        }
        assert_eq!(f.blocked(ip, 20_000), None, "20 failures are allowed");
        f.record(ip, 20_000);
        assert_eq!(f.blocked(ip, 20_001), Some(KEY_WINDOW_MICROS - 20_001), "the 21st blocks until the first leaves the window");
        assert_eq!(f.blocked(other, 20_001), None, "per address");
        assert_eq!(f.blocked(ip, KEY_WINDOW_MICROS), None, "open once the oldest failure is a minute old");
    }
}
