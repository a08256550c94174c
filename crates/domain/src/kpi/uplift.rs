//! Uplift of an experiment arm over its control, with a 95% interval: for rates, the difference
//! of proportions with Newcombe's hybrid score interval (built from each arm's Wilson interval);
//! for amount collected per account, the difference of means with the arms' half-widths combined
//! in quadrature, in integer minor units.

use crate::experiment::{Amount, Rate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateUplift {
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

/// Arm minus control; `None` when either has no trials.
pub fn rate_uplift(arm: &Rate, control: &Rate) -> Option<RateUplift> {
    let (p1, l1, u1) = (arm.value?, arm.low?, arm.high?);
    let (p2, l2, u2) = (control.value?, control.low?, control.high?);
    let d = p1 - p2;
    Some(RateUplift {
        difference: d,
        low: d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
        high: d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AmountUplift {
    pub difference_minor: i64,
    pub low_minor: i64,
    pub high_minor: i64,
}

/// Arm's mean collected per account minus control's, same currency; `None` across currencies.
pub fn amount_uplift(arm: &Amount, control: &Amount) -> Option<AmountUplift> {
    if arm.currency != control.currency {
        return None;
    }
    let half = |a: &Amount| i128::from(a.high_minor - a.per_account_minor);
    let (h1, h2) = (half(arm), half(control));
    let h = i64::try_from((h1 * h1 + h2 * h2).isqrt()).unwrap_or(i64::MAX);
    let d = arm.per_account_minor - control.per_account_minor;
    Some(AmountUplift { difference_minor: d, low_minor: d - h, high_minor: d + h })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{mean_interval, wilson};

    #[test]
    fn newcombe_interval_of_a_difference_of_proportions() {
        // Newcombe (1998), example (a): 56/70 vs 48/80 -> difference 0.2, 95% CI 0.0524 to 0.3339.
        let u = rate_uplift(&wilson(56, 70), &wilson(48, 80)).unwrap();
        assert!((u.difference - 0.2).abs() < 1e-12);
        assert!((u.low - 0.0524).abs() < 5e-4 && (u.high - 0.3339).abs() < 5e-4, "{u:?}");
        assert_eq!(rate_uplift(&wilson(1, 2), &wilson(0, 0)), None);
    }

    #[test]
    fn amount_uplift_combines_half_widths_in_integers() {
        let arm = mean_interval("USD", &[10_000, 0, 20_000, 10_000], 4);
        let control = mean_interval("USD", &[5_000, 5_000, 0, 10_000], 4);
        let u = amount_uplift(&arm, &control).unwrap();
        assert_eq!(u.difference_minor, 10_000 - 5_000);
        let h1 = arm.high_minor - arm.per_account_minor;
        let h2 = control.high_minor - control.per_account_minor;
        assert_eq!(u.high_minor - u.difference_minor, ((h1 * h1 + h2 * h2) as f64).sqrt() as i64);
        assert_eq!(amount_uplift(&arm, &mean_interval("EUR", &[1], 1)), None);
    }
}
