//! Interest and fee accrual on a client's accounts, as its contract allows.
//!
//! FDCPA 1692f(1) forbids collecting any amount (interest, fee, charge) not expressly authorized
//! by the agreement creating the debt or permitted by law (COMPLIANCE 20), so nothing accrues
//! unless the client's policy says so: the default is no interest and no fee.
//!
//! Interest is simple interest on principal, actual/365, for the days since it was last posted
//! (or since the balance was placed), rounded half-even once, at
//! posting (DESIGN: money conventions). Postings happen once a month on the policy's posting day,
//! or the first day after it that the scheduler runs, so a missed day catches up and the same
//! month never posts twice: a fee is never added twice.

use jiff::civil::Date;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Accrual {
    /// Simple annual rate on principal ("0.06" for 6%); none when left out.
    #[schema(value_type = Option<String>)]
    pub interest_apr: Option<Decimal>,
    /// A flat monthly fee in minor units; none when left out.
    pub monthly_fee_minor: Option<i64>,
    /// Day of the month postings are made, 1 to 28.
    pub posting_day: u8,
}

impl Default for Accrual {
    fn default() -> Self {
        Accrual { interest_apr: None, monthly_fee_minor: None, posting_day: 1 }
    }
}

/// Why an accrual policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AccrualError {
    pub field: &'static str,
    pub reason: &'static str,
}

impl Accrual {
    /// The highest rate accepted: above it a typing mistake ("6" for 6%) is far likelier than a
    /// lawful contract rate.
    pub fn max_apr() -> Decimal {
        Decimal::new(36, 2)
    }

    pub fn check(&self) -> Result<(), AccrualError> {
        if self.interest_apr.is_some_and(|r| r <= Decimal::ZERO || r > Self::max_apr()) {
            return Err(AccrualError { field: "/accrual/interest_apr", reason: "a yearly rate above 0 and at most 0.36" });
        }
        if self.monthly_fee_minor.is_some_and(|f| f <= 0) {
            return Err(AccrualError { field: "/accrual/monthly_fee_minor", reason: "a positive amount in minor units" });
        }
        if !(1..=28).contains(&self.posting_day) {
            return Err(AccrualError { field: "/accrual/posting_day", reason: "a day of the month from 1 to 28" });
        }
        Ok(())
    }

    pub fn accrues(&self) -> bool {
        self.interest_apr.is_some() || self.monthly_fee_minor.is_some()
    }
}

/// What an account's ledger says about earlier postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// Interest counted through this day (its last interest posting, or the itemization date).
    pub interest_through: Date,
    /// The day of the last monthly fee, if any.
    pub last_fee_on: Option<Date>,
    /// The last day anything was posted by accrual.
    pub last_posting_on: Option<Date>,
}

/// What to post today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Due {
    pub interest_minor: i64,
    /// Days the interest covers.
    pub days: i64,
    pub fee_minor: i64,
}

impl Due {
    pub fn is_nothing(&self) -> bool {
        self.interest_minor == 0 && self.fee_minor == 0
    }
}

fn same_month(a: Date, b: Date) -> bool {
    a.year() == b.year() && a.month() == b.month()
}

/// Whether `today` is a posting day: on or after the month's posting day, nothing posted yet
/// this month.
pub fn posting_today(policy: &Accrual, posted: &Posted, today: Date) -> bool {
    today.day() >= policy.posting_day as i8 && !posted.last_posting_on.is_some_and(|d| same_month(d, today))
}

/// Simple interest on `principal_minor` for `days` at `apr`, actual/365, rounded half-even.
pub fn interest(principal_minor: i64, apr: Decimal, days: i64) -> i64 {
    if principal_minor <= 0 || days <= 0 {
        return 0;
    }
    let exact = Decimal::from(principal_minor) * apr * Decimal::from(days) / Decimal::from(365);
    exact.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven).to_i64().unwrap_or(0)
}

/// What the policy posts today on an account with `principal_minor` owed in principal.
pub fn due(policy: &Accrual, principal_minor: i64, posted: &Posted, today: Date) -> Due {
    if !policy.accrues() || !posting_today(policy, posted, today) {
        return Due::default();
    }
    let days = i64::from((today - posted.interest_through).get_days()).max(0);
    let interest_minor = policy.interest_apr.map_or(0, |apr| interest(principal_minor, apr, days));
    let fee_minor = match (policy.monthly_fee_minor, posted.last_fee_on) {
        (Some(_), Some(last)) if same_month(last, today) => 0,
        (Some(f), _) => f,
        (None, _) => 0,
    };
    Due { interest_minor, days: if interest_minor > 0 { days } else { 0 }, fee_minor }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn apr(s: &str) -> Option<Decimal> {
        Some(s.parse().unwrap())
    }

    fn posted(through: Date) -> Posted {
        Posted { interest_through: through, last_fee_on: None, last_posting_on: None }
    }

    #[test]
    fn nothing_accrues_unless_the_policy_says_so() {
        // FDCPA 1692f(1): only what the agreement or the law allows.
        let p = Accrual::default();
        assert_eq!(due(&p, 1_000_000, &posted(date(2026, 1, 1)), date(2026, 11, 1)), Due::default());
    }

    #[test]
    fn interest_is_simple_actual_365_and_rounded_half_even_once() {
        // 10,000.00 at 7.3% for 1 day = 2.00 exactly.
        assert_eq!(interest(1_000_000, "0.073".parse().unwrap(), 1), 200);
        // 1.00 at 18.25% for 1 day = 0.0005 dollars = 0.05 cents -> 0; for 10 days = 0.5 cents -> 0 (even).
        assert_eq!(interest(100, "0.1825".parse().unwrap(), 10), 0);
        // 30 days: 1.5 cents -> 2 (even).
        assert_eq!(interest(100, "0.1825".parse().unwrap(), 30), 2);
        assert_eq!(interest(-500, "0.1".parse().unwrap(), 30), 0);
        assert_eq!(interest(500, "0.1".parse().unwrap(), 0), 0);
    }

    #[test]
    fn a_month_posts_once_on_its_posting_day_or_the_first_run_after() {
        let p = Accrual { interest_apr: apr("0.0365"), monthly_fee_minor: Some(500), posting_day: 5 };
        let before = posted(date(2026, 10, 5));
        assert!(due(&p, 1_000_000, &before, date(2026, 11, 4)).is_nothing(), "the day before the posting day");
        let d = due(&p, 1_000_000, &before, date(2026, 11, 5));
        // 31 days of 10,000.00 at 3.65% = 31.00
        assert_eq!(d, Due { interest_minor: 3_100, days: 31, fee_minor: 500 });
        let after =
            Posted { interest_through: date(2026, 11, 5), last_fee_on: Some(date(2026, 11, 5)), last_posting_on: Some(date(2026, 11, 5)) };
        assert!(due(&p, 1_000_000, &after, date(2026, 11, 5)).is_nothing(), "the same day again");
        assert!(due(&p, 1_000_000, &after, date(2026, 11, 30)).is_nothing(), "later in the same month");
        // The scheduler missed the 5th of December: the 9th catches up, interest to the 9th.
        let d = due(&p, 1_000_000, &after, date(2026, 12, 9));
        assert_eq!((d.days, d.interest_minor, d.fee_minor), (34, 3_400, 500));
    }

    #[test]
    fn a_year_turning_is_a_new_month_and_a_leap_day_is_a_day() {
        let p = Accrual { interest_apr: apr("0.0365"), monthly_fee_minor: None, posting_day: 1 };
        let last = Posted { interest_through: date(2027, 12, 1), last_fee_on: None, last_posting_on: Some(date(2027, 12, 1)) };
        assert_eq!(due(&p, 1_000_000, &last, date(2028, 1, 1)).days, 31);
        let feb = Posted { interest_through: date(2028, 2, 1), last_fee_on: None, last_posting_on: Some(date(2028, 2, 1)) };
        assert_eq!(due(&p, 1_000_000, &feb, date(2028, 3, 1)).days, 29);
    }

    #[test]
    fn policies_are_checked() {
        let ok = Accrual { interest_apr: apr("0.36"), monthly_fee_minor: Some(1), posting_day: 28 };
        assert!(ok.check().is_ok());
        assert_eq!(Accrual { interest_apr: apr("0.3601"), ..ok.clone() }.check().unwrap_err().field, "/accrual/interest_apr");
        assert_eq!(Accrual { interest_apr: apr("0"), ..ok.clone() }.check().unwrap_err().field, "/accrual/interest_apr");
        assert_eq!(Accrual { monthly_fee_minor: Some(0), ..ok.clone() }.check().unwrap_err().field, "/accrual/monthly_fee_minor");
        assert_eq!(Accrual { posting_day: 29, ..ok.clone() }.check().unwrap_err().field, "/accrual/posting_day");
        assert_eq!(Accrual { posting_day: 0, ..ok }.check().unwrap_err().field, "/accrual/posting_day");
    }
}
