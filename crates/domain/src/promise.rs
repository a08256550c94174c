//! Promises to pay: one or several dated amounts. A promise is kept when the payments made from
//! the day it was taken reach each amount by its date plus the grace period; broken when a date
//! and its grace pass short. Evaluation is a pure function of the promise, the payments (reversed
//! ones left out, so a reversal reopens a kept promise) and the day.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Most dated amounts one promise may hold.
pub const MAX_ITEMS: usize = 12;
/// How far ahead a promise may be dated: longer is a payment plan.
pub const MAX_HORIZON_DAYS: i32 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromiseItem {
    pub due_on: Date,
    /// Minor units.
    pub amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    Pending,
    Kept,
    Broken,
}

impl PromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::Pending => "pending",
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromiseError {
    #[error("a promise needs at least one dated amount, and at most {MAX_ITEMS}")]
    Items,
    #[error("amount {0} must be above zero")]
    Amount(usize),
    #[error("date {0} is in the past")]
    Past(usize),
    #[error("date {0} is more than {MAX_HORIZON_DAYS} days ahead; offer a payment plan instead")]
    TooFar(usize),
    #[error("dates must be in order, one amount per day")]
    Order,
    #[error("the promised total {promised} is more than the balance {owed}")]
    MoreThanOwed { promised: i64, owed: i64 },
}

/// Checks a promise taken on `taken_on` against what is owed.
pub fn check(items: &[PromiseItem], taken_on: Date, owed: i64) -> Result<(), PromiseError> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(PromiseError::Items);
    }
    let horizon = taken_on.checked_add(MAX_HORIZON_DAYS.days()).unwrap_or(taken_on);
    for (i, item) in items.iter().enumerate() {
        if item.amount <= 0 {
            return Err(PromiseError::Amount(i));
        }
        if item.due_on < taken_on {
            return Err(PromiseError::Past(i));
        }
        if item.due_on > horizon {
            return Err(PromiseError::TooFar(i));
        }
    }
    if items.windows(2).any(|w| w[0].due_on >= w[1].due_on) {
        return Err(PromiseError::Order);
    }
    let promised: i64 = items.iter().map(|i| i.amount).sum();
    if promised > owed {
        return Err(PromiseError::MoreThanOwed { promised, owed });
    }
    Ok(())
}

/// Each item's status and the promise's: broken as soon as one item is, kept when all are.
pub fn evaluate(
    items: &[PromiseItem],
    taken_on: Date,
    payments: &[(Date, i64)],
    today: Date,
    grace_days: i32,
) -> (PromiseStatus, Vec<PromiseStatus>) {
    let counted: Vec<(Date, i64)> = payments.iter().copied().filter(|(d, _)| *d >= taken_on).collect();
    let paid_by = |day: Date| counted.iter().filter(|(d, _)| *d <= day).map(|(_, a)| *a).sum::<i64>();
    let mut promised = 0;
    let mut each = Vec::with_capacity(items.len());
    for item in items {
        promised += item.amount;
        let deadline = item.due_on.checked_add(grace_days.days()).unwrap_or(item.due_on);
        let status = if paid_by(deadline.min(today)) >= promised {
            PromiseStatus::Kept
        } else if today > deadline {
            PromiseStatus::Broken
        } else {
            PromiseStatus::Pending
        };
        each.push(status);
    }
    let overall = if each.contains(&PromiseStatus::Broken) {
        PromiseStatus::Broken
    } else if each.iter().all(|s| *s == PromiseStatus::Kept) {
        PromiseStatus::Kept
    } else {
        PromiseStatus::Pending
    };
    (overall, each)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn item(m: i8, d: i8, amount: i64) -> PromiseItem {
        PromiseItem { due_on: date(2026, m, d), amount }
    }

    #[test]
    fn checks() {
        let today = date(2026, 11, 23);
        assert_eq!(check(&[item(11, 30, 5_000)], today, 10_000), Ok(()));
        assert_eq!(check(&[item(11, 23, 5_000)], today, 10_000), Ok(()), "today is allowed");
        assert_eq!(check(&[item(11, 22, 5_000)], today, 10_000), Err(PromiseError::Past(0)));
        assert_eq!(check(&[item(11, 30, 0)], today, 10_000), Err(PromiseError::Amount(0)));
        assert_eq!(check(&[item(12, 1, 100), item(11, 30, 100)], today, 10_000), Err(PromiseError::Order));
        assert_eq!(check(&[item(11, 30, 100), item(11, 30, 100)], today, 10_000), Err(PromiseError::Order));
        assert_eq!(check(&[item(11, 30, 10_001)], today, 10_000), Err(PromiseError::MoreThanOwed { promised: 10_001, owed: 10_000 }));
        assert_eq!(check(&[PromiseItem { due_on: date(2027, 3, 23), amount: 1 }], today, 10), Ok(()), "120 days ahead");
        assert_eq!(check(&[PromiseItem { due_on: date(2027, 3, 24), amount: 1 }], today, 10), Err(PromiseError::TooFar(0)));
        assert_eq!(check(&[], today, 10), Err(PromiseError::Items));
    }

    #[test]
    fn kept_broken_and_pending_around_the_grace_period() {
        let taken = date(2026, 11, 1);
        let items = [item(11, 10, 5_000), item(11, 20, 5_000)];
        let grace = 3;
        // Nothing paid: pending through Nov 13 (10 + 3), broken on the 14th.
        assert_eq!(evaluate(&items, taken, &[], date(2026, 11, 13), grace).0, PromiseStatus::Pending);
        assert_eq!(evaluate(&items, taken, &[], date(2026, 11, 14), grace).0, PromiseStatus::Broken);
        // Paid late but within grace: the first is kept.
        let pays = [(date(2026, 11, 12), 5_000)];
        assert_eq!(evaluate(&items, taken, &pays, date(2026, 11, 15), grace).1, [PromiseStatus::Kept, PromiseStatus::Pending]);
        // A payment before the promise was taken does not count towards it.
        let early = [(date(2026, 10, 31), 10_000)];
        assert_eq!(evaluate(&items, taken, &early, date(2026, 11, 24), grace).0, PromiseStatus::Broken);
        // Paid in full up front keeps every item.
        let all = [(date(2026, 11, 2), 10_000)];
        assert_eq!(evaluate(&items, taken, &all, date(2026, 11, 2), grace).0, PromiseStatus::Kept);
        // A payment after the deadline does not rescue the item it was late for.
        let late = [(date(2026, 11, 14), 10_000)];
        assert_eq!(evaluate(&items, taken, &late, date(2026, 11, 30), grace).1[0], PromiseStatus::Broken);
    }

    proptest! {
        #[test]
        fn removing_a_payment_never_improves_a_promise(
            amounts in proptest::collection::vec(1i64..100_000, 1..4),
            pays in proptest::collection::vec((0i64..60, 1i64..100_000), 0..6),
            today_off in 0i64..90,
            drop in 0usize..6,
        ) {
            let taken = date(2026, 1, 1);
            let items: Vec<PromiseItem> = amounts.iter().enumerate()
                .map(|(i, a)| PromiseItem { due_on: taken.checked_add((10 * (i as i64 + 1)).days()).unwrap(), amount: *a }).collect();
            let payments: Vec<(Date, i64)> = pays.iter().map(|(d, a)| (taken.checked_add(d.days()).unwrap(), *a)).collect();
            let today = taken.checked_add(today_off.days()).unwrap();
            let rank = |s: PromiseStatus| match s { PromiseStatus::Broken => 0, PromiseStatus::Pending => 1, PromiseStatus::Kept => 2 };
            let (with, _) = evaluate(&items, taken, &payments, today, 3);
            let mut fewer = payments.clone();
            if drop < fewer.len() { fewer.remove(drop); }
            let (without, _) = evaluate(&items, taken, &fewer, today, 3);
            prop_assert!(rank(without) <= rank(with), "a reversal can only reopen or break: {:?} -> {:?}", with, without);
        }
    }
}
