//! Payment plans: the schedule a debtor is shown before accepting, and how a plan stands once
//! payments come in. Amounts are minor units; interest (only where the client's policy allows)
//! accrues daily on the outstanding principal, actual/365, rounded half-even once per installment.
//! The principal parts of the installments always add up to exactly the amount financed: rounding
//! is settled on the last installment.

use jiff::civil::Date;
use jiff::{Span, ToSpan};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
    BiWeekly,
    Monthly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::BiWeekly => "bi_weekly",
            Frequency::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Frequency::Weekly, Frequency::BiWeekly, Frequency::Monthly].into_iter().find(|f| f.as_str() == s)
    }

    /// The `k`-th due date (0-based) after `first`. Monthly dates keep the first's day of month,
    /// clamped to shorter months (Jan 31, Feb 28, Mar 31), never drifting.
    pub fn due_on(self, first: Date, k: u32) -> Option<Date> {
        let span: Span = match self {
            Frequency::Weekly => (i64::from(k) * 7).days(),
            Frequency::BiWeekly => (i64::from(k) * 14).days(),
            Frequency::Monthly => i64::from(k).months(),
        };
        first.checked_add(span).ok()
    }
}

/// How the plan is sized: a number of installments, or an installment amount (the count follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sizing {
    Count(u32),
    Installment(i64),
}

/// What the debtor is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The balance the plan pays off, minor units.
    pub balance: i64,
    /// Paid on `agreed_on`, before the installments; zero for none.
    pub down_payment: i64,
    /// Interest accrues from this day.
    pub agreed_on: Date,
    pub first_due_on: Date,
    pub frequency: Frequency,
    pub sizing: Sizing,
    /// Annual rate as a fraction (0.08 = 8 % APR); zero for none.
    pub apr: Decimal,
    /// Added to each installment.
    pub fee_per_installment: i64,
}

/// What the client's contract allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub interest_allowed: bool,
    #[schema(value_type = String)]
    pub max_apr: Decimal,
    pub fees_allowed: bool,
    pub max_installments: u32,
    /// The smallest installment worth scheduling.
    pub min_installment: i64,
    /// Days after a due date before an unpaid installment counts as missed.
    pub grace_days: i32,
    /// Missed installments that break the plan.
    pub misses_to_break: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            interest_allowed: false,
            max_apr: Decimal::ZERO,
            fees_allowed: false,
            max_installments: 60,
            min_installment: 1_000,
            grace_days: 5,
            misses_to_break: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Installment {
    /// 0 is the down payment; installments count from 1.
    pub number: u32,
    pub due_on: Date,
    /// principal + interest + fees.
    pub amount: i64,
    pub principal: i64,
    pub interest: i64,
    pub fees: i64,
    /// Principal still owed after this installment.
    pub balance_after: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("there is nothing to finance: the balance is {0}")]
    NothingOwed(i64),
    #[error("the down payment must be between 0 and the balance")]
    DownPayment,
    #[error("the first installment cannot fall before the day the plan is agreed")]
    FirstDueBeforeAgreement,
    #[error("the count of installments must be from 1 to {0}")]
    Count(u32),
    #[error("an installment must be at least {0} (minor units)")]
    TooSmall(i64),
    #[error("this client's policy does not allow interest on plans")]
    InterestNotAllowed,
    #[error("the rate may be from 0 to {0}")]
    Apr(Decimal),
    #[error("this client's policy does not allow fees on plans")]
    FeesNotAllowed,
    #[error("an installment of {installment} does not cover the interest of {interest}: the plan would never end")]
    CannotAmortize { installment: i64, interest: i64 },
    #[error("the plan would need more than {0} installments")]
    TooLong(u32),
    #[error("the dates run past the calendar")]
    Dates,
}

fn interest(principal: i64, apr: Decimal, days: i64) -> i64 {
    if apr.is_zero() || principal <= 0 || days <= 0 {
        return 0;
    }
    let raw = Decimal::from(principal) * apr * Decimal::from(days) / Decimal::from(365);
    raw.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven).to_i64().unwrap_or(i64::MAX)
}

fn check(t: &Terms, p: &Policy) -> Result<i64, PlanError> {
    if t.balance <= 0 {
        return Err(PlanError::NothingOwed(t.balance));
    }
    if t.down_payment < 0 || t.down_payment >= t.balance {
        return Err(PlanError::DownPayment);
    }
    if t.first_due_on < t.agreed_on {
        return Err(PlanError::FirstDueBeforeAgreement);
    }
    if !t.apr.is_zero() && !p.interest_allowed {
        return Err(PlanError::InterestNotAllowed);
    }
    if t.apr < Decimal::ZERO || t.apr > p.max_apr {
        return Err(PlanError::Apr(p.max_apr));
    }
    if t.fee_per_installment != 0 && !p.fees_allowed {
        return Err(PlanError::FeesNotAllowed);
    }
    if t.fee_per_installment < 0 {
        return Err(PlanError::FeesNotAllowed);
    }
    match t.sizing {
        Sizing::Count(n) if n == 0 || n > p.max_installments => Err(PlanError::Count(p.max_installments)),
        Sizing::Installment(a) if a < p.min_installment => Err(PlanError::TooSmall(p.min_installment)),
        _ => Ok(t.balance - t.down_payment),
    }
}

/// Walks the schedule paying `level` (principal + interest) each time until the principal is
/// paid; the last installment takes whatever is left. Used when the installment is given.
fn walk(t: &Terms, financed: i64, level: i64, cap: u32) -> Result<Vec<Installment>, PlanError> {
    let mut out = Vec::new();
    let mut owed = financed;
    let mut from = t.agreed_on;
    for k in 0..cap {
        let due_on = t.frequency.due_on(t.first_due_on, k).ok_or(PlanError::Dates)?;
        let int = interest(owed, t.apr, (due_on - from).get_days().into());
        let principal = (level - int).min(owed);
        if principal <= 0 {
            return Err(PlanError::CannotAmortize { installment: level, interest: int });
        }
        owed -= principal;
        out.push(row(t, k + 1, due_on, principal, int, owed));
        from = due_on;
        if owed == 0 {
            return Ok(out);
        }
    }
    Err(PlanError::TooLong(cap))
}

fn row(t: &Terms, number: u32, due_on: Date, principal: i64, interest: i64, balance_after: i64) -> Installment {
    let fees = t.fee_per_installment;
    Installment { number, due_on, amount: principal + interest + fees, principal, interest, fees, balance_after }
}

/// Why a level payment does not fit exactly `n` installments.
enum Misfit {
    /// The principal is paid off before the n-th: the level is too high.
    PaidEarly,
    Plan(PlanError),
}

/// Exactly `n` installments: `level` for the first n-1, the rest (principal left plus its
/// interest) on the n-th.
fn forced(t: &Terms, financed: i64, level: i64, n: u32) -> Result<Vec<Installment>, Misfit> {
    let mut out = Vec::with_capacity(n as usize);
    let mut owed = financed;
    let mut from = t.agreed_on;
    for k in 0..n {
        let due_on = t.frequency.due_on(t.first_due_on, k).ok_or(Misfit::Plan(PlanError::Dates))?;
        let int = interest(owed, t.apr, (due_on - from).get_days().into());
        let last = k + 1 == n;
        let principal = if last { owed } else { level - int };
        if principal <= 0 {
            return Err(Misfit::Plan(PlanError::CannotAmortize { installment: level, interest: int }));
        }
        if !last && principal >= owed {
            return Err(Misfit::PaidEarly);
        }
        owed -= principal;
        out.push(row(t, k + 1, due_on, principal, int, owed));
        from = due_on;
    }
    Ok(out)
}

/// `n` level installments: the smallest level whose last installment is no larger than the
/// others (found by bisection over the same day count the schedule uses). When whole minor
/// units cannot make the last one fit, the one below it is used and the last is a little larger.
fn by_count(t: &Terms, financed: i64, n: u32) -> Result<Vec<Installment>, PlanError> {
    let settles = |level: i64| match forced(t, financed, level, n) {
        Ok(rows) => rows.last().is_some_and(|r| r.principal + r.interest <= level),
        Err(Misfit::PaidEarly) => true,
        Err(Misfit::Plan(_)) => false,
    };
    let (mut lo, mut hi) = (1i64, financed.max(1));
    while !settles(hi) {
        lo = hi;
        hi = hi.checked_mul(2).ok_or(PlanError::TooLong(n))?;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if settles(mid) { hi = mid } else { lo = mid + 1 }
    }
    for level in [hi, hi - 1] {
        match forced(t, financed, level, n) {
            Ok(rows) => return Ok(rows),
            Err(Misfit::Plan(e)) => return Err(e),
            Err(Misfit::PaidEarly) => continue,
        }
    }
    Err(PlanError::TooSmall(1))
}

/// The amortization table: the down payment (if any) as installment 0, then the installments.
pub fn schedule(t: &Terms, p: &Policy) -> Result<Vec<Installment>, PlanError> {
    let financed = check(t, p)?;
    let rows = match t.sizing {
        Sizing::Count(n) if t.apr.is_zero() => even(t, financed, n)?,
        Sizing::Count(n) => by_count(t, financed, n)?,
        Sizing::Installment(a) => walk(t, financed, a, p.max_installments)?,
    };
    if rows.iter().take(rows.len().saturating_sub(1)).any(|i| i.amount < p.min_installment) {
        return Err(PlanError::TooSmall(p.min_installment));
    }
    let mut out = Vec::with_capacity(rows.len() + 1);
    if t.down_payment > 0 {
        out.push(Installment {
            number: 0,
            due_on: t.agreed_on,
            amount: t.down_payment,
            principal: t.down_payment,
            interest: 0,
            fees: 0,
            balance_after: financed,
        });
    }
    out.extend(rows);
    Ok(out)
}

/// Without interest every installment but the last is the same and the last takes the
/// remainder, so the count is exactly n.
fn even(t: &Terms, financed: i64, n: u32) -> Result<Vec<Installment>, PlanError> {
    let level = financed / i64::from(n);
    if level <= 0 {
        return Err(PlanError::TooSmall(1));
    }
    let mut out = Vec::with_capacity(n as usize);
    let mut owed = financed;
    for k in 0..n {
        let due_on = t.frequency.due_on(t.first_due_on, k).ok_or(PlanError::Dates)?;
        let principal = if k + 1 == n { owed } else { level };
        owed -= principal;
        out.push(row(t, k + 1, due_on, principal, 0, owed));
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Current,
    /// At least one installment missed, fewer than break the plan.
    AtRisk,
    Broken,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub standing: Standing,
    /// Installments fully covered, in order.
    pub met: usize,
    pub missed: u32,
    pub paid: i64,
}

/// How a plan stands on `today` given the payments made to it (reversed ones left out). Payments
/// fill installments in order; one is missed when it is not covered `grace_days` after its due
/// date.
pub fn progress(rows: &[Installment], payments: &[(Date, i64)], today: Date, p: &Policy) -> Progress {
    let paid_by = |day: Date| payments.iter().filter(|(d, _)| *d <= day).map(|(_, a)| *a).sum::<i64>();
    let paid: i64 = payments.iter().map(|(_, a)| *a).sum();
    let total: i64 = rows.iter().map(|i| i.amount).sum();
    let mut due_so_far = 0;
    let mut met = 0;
    let mut missed = 0;
    for row in rows {
        due_so_far += row.amount;
        let deadline = row.due_on.checked_add(i64::from(p.grace_days).days()).unwrap_or(row.due_on);
        if paid >= due_so_far {
            met += 1;
        }
        if today > deadline && paid_by(deadline) < due_so_far {
            missed += 1;
        }
    }
    let standing = if paid >= total {
        Standing::Completed
    } else if missed >= p.misses_to_break.max(1) {
        Standing::Broken
    } else if missed > 0 {
        Standing::AtRisk
    } else {
        Standing::Current
    };
    Progress { standing, met, missed, paid }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn terms(balance: i64, sizing: Sizing) -> Terms {
        Terms {
            balance,
            down_payment: 0,
            agreed_on: date(2026, 1, 15),
            first_due_on: date(2026, 1, 31),
            frequency: Frequency::Monthly,
            sizing,
            apr: Decimal::ZERO,
            fee_per_installment: 0,
        }
    }

    fn open_policy() -> Policy {
        Policy { interest_allowed: true, max_apr: Decimal::new(36, 2), fees_allowed: true, min_installment: 1, ..Policy::default() }
    }

    #[test]
    fn even_split_puts_the_remainder_on_the_last() {
        let rows = schedule(&terms(100_000, Sizing::Count(3)), &Policy::default()).unwrap();
        let amounts: Vec<i64> = rows.iter().map(|r| r.amount).collect();
        assert_eq!(amounts, [33_333, 33_333, 33_334]);
        let dates: Vec<Date> = rows.iter().map(|r| r.due_on).collect();
        assert_eq!(dates, [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)], "month ends clamp without drifting");
    }

    #[test]
    fn by_installment_amount_the_count_follows() {
        let mut t = terms(100_000, Sizing::Installment(30_000));
        t.down_payment = 10_000;
        t.frequency = Frequency::BiWeekly;
        let rows = schedule(&t, &Policy::default()).unwrap();
        let amounts: Vec<i64> = rows.iter().map(|r| r.amount).collect();
        assert_eq!(amounts, [10_000, 30_000, 30_000, 30_000]);
        assert_eq!(rows[3].due_on, date(2026, 2, 28));
        let mut t = terms(100_000, Sizing::Installment(40_000));
        t.frequency = Frequency::Weekly;
        let amounts: Vec<i64> = schedule(&t, &Policy::default()).unwrap().iter().map(|r| r.amount).collect();
        assert_eq!(amounts, [40_000, 40_000, 20_000]);
    }

    #[test]
    fn interest_accrues_daily_actual_365_and_is_rounded_half_even() {
        // 12,000.00 at 12 % over 16 days (Jan 15 -> Jan 31) is 63.12...; then 28 and 31 days.
        let mut t = terms(1_200_000, Sizing::Count(3));
        t.apr = Decimal::new(12, 2);
        let rows = schedule(&t, &open_policy()).unwrap();
        assert_eq!(rows[0].interest, interest(1_200_000, t.apr, 16));
        assert_eq!(rows[0].interest, 6_312);
        assert_eq!(rows.iter().map(|r| r.principal).sum::<i64>(), 1_200_000);
        assert_eq!(rows[0].amount, rows[1].amount, "level payments");
        assert!((rows[2].amount - rows[0].amount).abs() < 10, "the last differs by rounding only: {rows:?}");
        assert_eq!(interest(1, Decimal::new(5, 1), 365), 0, "0.5 rounds to even (0)");
        assert_eq!(interest(3, Decimal::new(5, 1), 365), 2, "1.5 rounds to even (2)");
    }

    #[test]
    fn plans_the_policy_or_arithmetic_forbid_are_refused() {
        let p = Policy::default();
        let mut t = terms(100_000, Sizing::Count(3));
        t.apr = Decimal::new(5, 2);
        assert_eq!(schedule(&t, &p), Err(PlanError::InterestNotAllowed));
        let mut t = terms(100_000, Sizing::Count(3));
        t.fee_per_installment = 500;
        assert_eq!(schedule(&t, &p), Err(PlanError::FeesNotAllowed));
        assert_eq!(schedule(&terms(100_000, Sizing::Count(61)), &p), Err(PlanError::Count(60)));
        assert_eq!(schedule(&terms(100_000, Sizing::Installment(999)), &p), Err(PlanError::TooSmall(1_000)));
        assert_eq!(schedule(&terms(0, Sizing::Count(3)), &p), Err(PlanError::NothingOwed(0)));
        let mut t = terms(100_000, Sizing::Count(3));
        t.first_due_on = date(2026, 1, 1);
        assert_eq!(schedule(&t, &p), Err(PlanError::FirstDueBeforeAgreement));
        let mut t = terms(100_000, Sizing::Count(3));
        t.down_payment = 100_000;
        assert_eq!(schedule(&t, &p), Err(PlanError::DownPayment));
        // 1,000,000.00 at 36 % accrues about 295.89 a day: 100.00 a month never pays it off.
        let mut t = terms(100_000_000, Sizing::Installment(10_000));
        t.apr = Decimal::new(36, 2);
        assert!(matches!(schedule(&t, &open_policy()), Err(PlanError::CannotAmortize { .. })));
    }

    #[test]
    fn progress_through_grace_at_risk_broken_and_completed() {
        let rows = schedule(&terms(90_000, Sizing::Count(3)), &Policy::default()).unwrap();
        let p = Policy::default(); // 5 days' grace, broken after 2 misses
        let feb5 = date(2026, 2, 5);
        assert_eq!(progress(&rows, &[], feb5, &p).standing, Standing::Current, "Jan 31 + 5 days: still in grace");
        assert_eq!(progress(&rows, &[], date(2026, 2, 6), &p).standing, Standing::AtRisk);
        let late = [(date(2026, 2, 10), 30_000)];
        let at = progress(&rows, &late, date(2026, 2, 11), &p);
        assert_eq!((at.standing, at.met, at.missed), (Standing::AtRisk, 1, 1), "paid after grace: met, but it was missed");
        assert_eq!(progress(&rows, &late, date(2026, 3, 6), &p).standing, Standing::Broken);
        let on_time = [(date(2026, 1, 31), 30_000), (date(2026, 3, 1), 30_000), (date(2026, 3, 31), 30_000)];
        assert_eq!(progress(&rows, &on_time, date(2026, 4, 1), &p).standing, Standing::Completed);
    }

    fn any_terms() -> impl Strategy<Value = (Terms, Policy)> {
        (
            1_000i64..50_000_000,
            0u32..=50,
            prop_oneof![Just(Frequency::Weekly), Just(Frequency::BiWeekly), Just(Frequency::Monthly)],
            prop_oneof![(1u32..=48).prop_map(Sizing::Count), (500i64..2_000_000).prop_map(Sizing::Installment)],
            0u32..=3600,
            0i64..=500,
            0i64..40,
        )
            .prop_map(|(balance, down_pct, frequency, sizing, apr_bp, fee, lead_days)| {
                let agreed_on = date(2026, 1, 31);
                let t = Terms {
                    balance,
                    down_payment: balance * i64::from(down_pct) / 100,
                    agreed_on,
                    first_due_on: agreed_on.checked_add(lead_days.days()).unwrap(),
                    frequency,
                    sizing,
                    apr: Decimal::new(i64::from(apr_bp), 4),
                    fee_per_installment: fee,
                };
                let p = Policy { max_installments: 600, ..open_policy() };
                (t, p)
            })
    }

    proptest! {
        #[test]
        fn principal_adds_up_to_the_balance_exactly((t, p) in any_terms()) {
            let Ok(rows) = schedule(&t, &p) else { return Ok(()) };
            prop_assert_eq!(rows.iter().map(|r| r.principal).sum::<i64>(), t.balance);
            prop_assert_eq!(rows.last().unwrap().balance_after, 0);
            for r in &rows {
                prop_assert_eq!(r.amount, r.principal + r.interest + r.fees);
                prop_assert!(r.principal > 0 && r.interest >= 0);
            }
            for w in rows.windows(2) {
                prop_assert!(w[0].due_on <= w[1].due_on);
                prop_assert_eq!(w[1].balance_after, w[0].balance_after - w[1].principal);
            }
        }

        #[test]
        fn the_count_is_kept_and_only_the_last_differs((t, p) in any_terms()) {
            let Ok(rows) = schedule(&t, &p) else { return Ok(()) };
            let installments: Vec<&Installment> = rows.iter().filter(|r| r.number > 0).collect();
            match t.sizing {
                Sizing::Count(n) => prop_assert_eq!(installments.len(), n as usize),
                Sizing::Installment(a) => {
                    for r in &installments[..installments.len() - 1] {
                        prop_assert_eq!(r.principal + r.interest, a);
                    }
                }
            }
            if t.apr.is_zero() {
                prop_assert!(rows.iter().all(|r| r.interest == 0));
                if let Sizing::Count(n) = t.sizing {
                    let first = installments[0].principal;
                    prop_assert!(installments[..installments.len() - 1].iter().all(|r| r.principal == first));
                    prop_assert!(installments.last().unwrap().principal - first < i64::from(n));
                }
            }
        }

        #[test]
        fn paying_every_installment_on_its_day_completes((t, p) in any_terms()) {
            let Ok(rows) = schedule(&t, &p) else { return Ok(()) };
            let payments: Vec<(Date, i64)> = rows.iter().map(|r| (r.due_on, r.amount)).collect();
            let last = rows.last().unwrap().due_on;
            let done = progress(&rows, &payments, last.checked_add(400.days()).unwrap(), &p);
            prop_assert_eq!(done.standing, Standing::Completed);
            prop_assert_eq!(done.missed, 0);
            // Without the last payment it is not complete.
            let short = progress(&rows, &payments[..payments.len() - 1], last, &p);
            prop_assert_ne!(short.standing, Standing::Completed);
        }
    }
}
