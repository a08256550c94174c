//! Worklists: the order in which agents work their accounts, and the limits on handing them out.
//!
//! Order (DESIGN.md, "worklist"): appointments the debtor asked for come first once their time
//! has come, soonest first; then every other due task by expected recovery (propensity to pay x
//! collectible balance), largest first; then by age (the oldest delinquency first). Tasks not yet
//! due wait. The store orders in SQL by the same key; its tests compare against [`order`].

use crate::strategy::facts::Facts;
use jiff::Timestamp;
use jiff::civil::Date;
use std::cmp::Reverse;
use uuid::Uuid;

/// What the propensity heuristic reads about an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// The propensity-to-pay score, 0 to 1000, once a model has scored the account.
    pub score: Option<i32>,
    pub days_past_due: Option<i64>,
    pub days_since_payment: Option<i64>,
    pub days_since_rpc: Option<i64>,
    pub promises_kept: u32,
    pub promises_broken: u32,
    pub plans_broken: u32,
}

impl Signals {
    pub fn of(f: &Facts) -> Signals {
        let since = |d: Option<Date>| d.map(|d| i64::from((f.today - d).get_days()).max(0));
        Signals {
            score: f.score,
            days_past_due: since(f.first_delinquency_on),
            days_since_payment: since(f.last_payment_on),
            days_since_rpc: since(f.last_rpc_on),
            promises_kept: f.promises_kept,
            promises_broken: f.promises_broken,
            plans_broken: f.plans_broken,
        }
    }
}

/// A probability of payment in thousandths, and whether a model gave it or the heuristic did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Propensity {
    pub per_mille: u16,
    pub scored: bool,
}

/// The account's propensity to pay: its score when a model has scored it, otherwise the
/// documented heuristic below. The heuristic's weights are judgement, not fitted: recent
/// delinquency, a recent payment, kept promises and a recent conversation raise it; age and
/// broken promises or plans lower it. It never reaches 0 or 1000 because it is a guess.
pub fn propensity(s: &Signals) -> Propensity {
    if let Some(score) = s.score {
        return Propensity { per_mille: score.clamp(0, 1000) as u16, scored: true };
    }
    let p = BASE + contributions(s).iter().map(|c| c.points).sum::<i64>();
    Propensity { per_mille: p.clamp(20, 950) as u16, scored: false }
}

/// Where the heuristic starts before any signal moves it, in thousandths.
pub const BASE: i64 = 250;

/// One signal's push on the heuristic, in thousandths, and what it is in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub points: i64,
    pub why: String,
}

/// The signals that moved the heuristic from [`BASE`], largest push first: the "top reasons"
/// an agent sees next to the score.
pub fn contributions(s: &Signals) -> Vec<Contribution> {
    let mut out = Vec::new();
    let mut add = |points: i64, why: String| {
        if points != 0 {
            out.push(Contribution { points, why });
        }
    };
    match s.days_past_due {
        None => {}
        Some(d) if d <= 30 => add(200, "delinquent 30 days or less".into()),
        Some(d) if d <= 90 => add(100, "delinquent 31 to 90 days".into()),
        Some(d) if d <= 180 => {}
        Some(d) if d <= 365 => add(-80, "delinquent 181 days to a year".into()),
        Some(_) => add(-150, "delinquent over a year".into()),
    }
    match s.days_since_payment {
        Some(d) if d <= 30 => add(200, "paid in the last 30 days".into()),
        Some(d) if d <= 90 => add(120, "paid in the last 90 days".into()),
        Some(d) if d <= 365 => add(40, "paid in the last year".into()),
        _ => {}
    }
    if s.days_since_rpc.is_some_and(|d| d <= 30) {
        add(60, "spoke with us in the last 30 days".into());
    }
    let kept = s.promises_kept.min(3);
    add(50 * i64::from(kept), format!("kept {} promise{}", s.promises_kept, plural(s.promises_kept)));
    let broken = s.promises_broken.min(3);
    add(-70 * i64::from(broken), format!("broke {} promise{}", s.promises_broken, plural(s.promises_broken)));
    let plans = s.plans_broken.min(2);
    add(-60 * i64::from(plans), format!("broke {} payment plan{}", s.plans_broken, plural(s.plans_broken)));
    out.sort_by_key(|c| std::cmp::Reverse(c.points.abs()));
    out
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Propensity x collectible balance, in the balance's minor units, rounded down. A credit or
/// zero balance has nothing to recover.
pub fn expected_recovery(balance_minor: i64, p: Propensity) -> i64 {
    if balance_minor <= 0 {
        return 0;
    }
    let v = i128::from(balance_minor) * i128::from(p.per_mille) / 1000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// One open task as a worklist sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub task_id: Uuid,
    pub account_id: Uuid,
    pub due_at: Timestamp,
    /// A call at a time the person asked for (a callback), not just "from then on".
    pub appointment: bool,
    pub expected_minor: i64,
    pub delinquent_since: Option<Date>,
}

/// Where an entry stands at `now`: appointments due, other due work, then work not yet due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    Appointment,
    Due,
    Later,
}

pub fn band(e: &Entry, now: Timestamp) -> Band {
    match (e.due_at <= now, e.appointment) {
        (false, _) => Band::Later,
        (true, true) => Band::Appointment,
        (true, false) => Band::Due,
    }
}

/// The sort key of an entry at `now`; smaller comes first.
pub fn key(e: &Entry, now: Timestamp) -> impl Ord + use<> {
    let b = band(e, now);
    let by_time = if b == Band::Due { None } else { Some(e.due_at) };
    // An unknown delinquency date sorts after every known one.
    let age = e.delinquent_since.map_or((1, Date::MAX), |d| (0, d));
    (b, by_time, Reverse(e.expected_minor), age, e.due_at, e.task_id)
}

/// Sorts entries into worklist order at `now`.
pub fn order(entries: &mut [Entry], now: Timestamp) {
    entries.sort_by_cached_key(|e| key(e, now));
}

/// An agent's part in the worklists: the queues they work and how many accounts a day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agent {
    pub user_id: Uuid,
    /// Worked in the order given only as a tie-break: the worklist order decides first.
    pub queues: Vec<String>,
    /// Accounts handed out per local day.
    pub daily_capacity: u32,
    /// The agent's IANA time zone: their day for the capacity.
    pub time_zone: String,
}

/// Why an agent's settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AgentError {
    pub field: &'static str,
    pub reason: String,
}

impl Agent {
    pub const MAX_CAPACITY: u32 = 2_000;

    pub fn check(&self) -> Result<(), AgentError> {
        let bad = |field, reason: &str| Err(AgentError { field, reason: reason.into() });
        if self.queues.is_empty() || self.queues.len() > 50 {
            return bad("/queues", "one to fifty queues");
        }
        if self.queues.iter().any(|q| q.trim().is_empty() || q.len() > 64) {
            return bad("/queues", "each queue name has 1 to 64 characters");
        }
        if self.daily_capacity == 0 || self.daily_capacity > Self::MAX_CAPACITY {
            return bad("/daily_capacity", "between 1 and 2000 accounts a day");
        }
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            return bad("/time_zone", "an IANA time zone such as America/Chicago");
        }
        Ok(())
    }

    /// The agent's local day at `now`, which their capacity counts.
    pub fn day(&self, now: Timestamp) -> Date {
        let tz = jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        now.to_zoned(tz).date()
    }
}

#[cfg(test)]
mod tests;
