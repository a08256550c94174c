//! Agent productivity: attempts, right-party contacts, promises and amount collected per hour
//! worked. Hours worked are the agent's signed-in time (the spans of their console sessions),
//! the "logged-in hours" a contact centre pays for, clipped to the period asked for.

use std::collections::BTreeMap;
use uuid::Uuid;

/// One span an agent was signed in, in microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkPeriod {
    pub user_id: Uuid,
    pub started_at: i64,
    pub ended_at: i64,
}

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Microseconds each user worked within `[from, to)`. Overlapping spans of one user (two tabs,
/// two devices) count once: an agent signed in twice is not working twice as long.
pub fn worked(periods: &[WorkPeriod], from: i64, to: i64) -> BTreeMap<Uuid, i64> {
    let mut by_user: BTreeMap<Uuid, Vec<(i64, i64)>> = BTreeMap::new();
    for p in periods {
        let (start, end) = (p.started_at.max(from), p.ended_at.min(to));
        if start < end {
            by_user.entry(p.user_id).or_default().push((start, end));
        }
    }
    by_user.into_iter().map(|(user, spans)| (user, union_length(spans))).collect()
}

fn union_length(mut spans: Vec<(i64, i64)>) -> i64 {
    spans.sort_unstable();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

/// What one agent did in a period, and for how long they were signed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Productivity {
    /// Outbound contact attempts they logged.
    pub attempts: u64,
    /// Calls that reached the debtor (COMPLIANCE.md: right-party contact).
    pub right_party_contacts: u64,
    pub promises: u64,
    /// Payments they took, not reversed, per currency, in minor units.
    pub collected: BTreeMap<String, i64>,
    pub worked_micros: i64,
}

impl Productivity {
    pub fn hours_worked(&self) -> f64 {
        self.worked_micros as f64 / MICROS_PER_HOUR as f64
    }

    /// `count` per hour worked; `None` when no signed-in time was recorded.
    pub fn per_hour(&self, count: u64) -> Option<f64> {
        (self.worked_micros > 0).then(|| count as f64 * MICROS_PER_HOUR as f64 / self.worked_micros as f64)
    }

    /// Minor units collected per hour worked in `currency`, rounded half up; `None` without time.
    pub fn collected_per_hour(&self, currency: &str) -> Option<i64> {
        if self.worked_micros <= 0 {
            return None;
        }
        let amount = i128::from(*self.collected.get(currency).unwrap_or(&0));
        let scaled = amount * i128::from(MICROS_PER_HOUR);
        let w = i128::from(self.worked_micros);
        let rounded = (2 * scaled + w * scaled.signum()) / (2 * w);
        Some(i64::try_from(rounded).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = MICROS_PER_HOUR;

    fn p(user: u128, started_at: i64, ended_at: i64) -> WorkPeriod {
        WorkPeriod { user_id: Uuid::from_u128(user), started_at, ended_at }
    }

    #[test]
    fn overlapping_sessions_of_one_agent_count_once_and_spans_are_clipped_to_the_period() {
        // 08:00-12:00 and 11:00-13:00 (a second tab) and 14:00-18:00; the period ends at 17:00.
        let periods = [p(1, 8 * H, 12 * H), p(1, 11 * H, 13 * H), p(1, 14 * H, 18 * H), p(2, 9 * H, 10 * H)];
        let w = worked(&periods, 0, 17 * H);
        assert_eq!(w[&Uuid::from_u128(1)], 5 * H + 3 * H);
        assert_eq!(w[&Uuid::from_u128(2)], H);
    }

    #[test]
    fn a_span_wholly_outside_the_period_or_empty_counts_nothing() {
        let periods = [p(1, 0, H), p(1, 5 * H, 5 * H)];
        assert!(worked(&periods, 2 * H, 10 * H).is_empty());
    }

    #[test]
    fn touching_spans_join_without_double_counting_the_instant() {
        let periods = [p(1, 0, H), p(1, H, 2 * H)];
        assert_eq!(worked(&periods, 0, 10 * H)[&Uuid::from_u128(1)], 2 * H);
    }

    #[test]
    fn rates_per_hour_worked_and_none_without_time() {
        let mut a = Productivity { attempts: 30, worked_micros: 4 * H, ..Default::default() };
        a.collected.insert("USD".into(), 100_001);
        assert_eq!(a.per_hour(a.attempts), Some(7.5));
        // 1,000.01 over 4 hours = 250.0025 an hour: 25,000.25 minor units rounds to 25,000.
        assert_eq!(a.collected_per_hour("USD"), Some(25_000));
        assert_eq!(a.collected_per_hour("EUR"), Some(0));
        let idle = Productivity { attempts: 3, ..Default::default() };
        assert_eq!((idle.per_hour(3), idle.collected_per_hour("USD")), (None, None));
    }

    #[test]
    fn collected_per_hour_rounds_half_up() {
        let mut a = Productivity { worked_micros: 2 * H, ..Default::default() };
        a.collected.insert("USD".into(), 3);
        assert_eq!(a.collected_per_hour("USD"), Some(2));
    }
}
