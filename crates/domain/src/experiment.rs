//! Experiments: how each arm of a champion/challenger test did, with 95% confidence intervals,
//! and promoting the arm that won.
//!
//! Measures per arm, counted from the day each account joined the experiment:
//! - accounts that joined;
//! - collected: payments not reversed, in each currency, in total and per account (a mean with
//!   its interval, in minor units, computed in integers);
//! - right-party contact rate = conversations / call attempts (COMPLIANCE.md, "KPI definitions");
//! - promise-kept rate = promises kept / promises that came due (kept or broken);
//! - complaints: disputes opened and cease requests, the two ways a debtor pushes back on record.
//!
//! Rates carry a Wilson score interval, which stays inside 0..1 and behaves with few trials. Rates
//! are proportions, not money, so they are computed in floating point; money never is.

use std::collections::BTreeMap;

/// What one arm gathered; the store fills it from the records of the arm's accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArmTally {
    pub arm: String,
    pub accounts: u64,
    /// Per currency: each account's collected total, in minor units (accounts with nothing
    /// collected count as 0 in the mean, so they are not listed).
    pub collected: BTreeMap<String, Vec<i64>>,
    pub call_attempts: u64,
    pub conversations: u64,
    pub promises_kept: u64,
    pub promises_broken: u64,
    pub complaints: u64,
}

/// A proportion with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub successes: u64,
    pub trials: u64,
    /// None with no trials.
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A mean amount per account with its 95% interval, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Amount {
    pub currency: String,
    pub total_minor: i64,
    pub per_account_minor: i64,
    pub low_minor: i64,
    pub high_minor: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ArmResult {
    pub arm: String,
    pub accounts: u64,
    pub collected: Vec<Amount>,
    pub rpc_rate: Rate,
    pub promise_kept_rate: Rate,
    pub complaints: u64,
    /// Complaints per 1,000 accounts, with its interval.
    pub complaint_rate: Rate,
}

/// z for a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;
/// Z² x 10,000, rounded, for the integer interval of a mean.
const Z2_X10K: i128 = 38_415;

/// The Wilson score interval for `successes` out of `trials`.
pub fn wilson(successes: u64, trials: u64) -> Rate {
    if trials == 0 {
        return Rate { successes, trials, value: None, low: None, high: None };
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Rate { successes, trials, value: Some(p), low: Some((centre - half).max(0.0)), high: Some((centre + half).min(1.0)) }
}

/// Mean of `values` padded with zeros to `n` accounts, and its normal-approximation interval,
/// all in integer minor units (the mean rounded half away from zero, the half-width down).
pub fn mean_interval(currency: &str, values: &[i64], n: u64) -> Amount {
    let n = i128::from(n.max(values.len() as u64));
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    let total_minor = i64::try_from(sum).unwrap_or(i64::MAX);
    if n == 0 {
        return Amount { currency: currency.into(), total_minor, per_account_minor: 0, low_minor: 0, high_minor: 0 };
    }
    let mean = div_round(sum, n);
    let half = if n < 2 {
        0
    } else {
        let sum_sq: i128 = values.iter().map(|v| i128::from(*v) * i128::from(*v)).sum();
        // Sample variance x n(n-1) = n·Σx² - (Σx)², kept exact; then z²·var/n under one root.
        let spread = (n * sum_sq - sum * sum).max(0);
        let denominator = n * n * (n - 1) * 10_000;
        isqrt(Z2_X10K * spread / denominator)
    };
    let to64 = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    Amount {
        currency: currency.into(),
        total_minor,
        per_account_minor: to64(mean),
        low_minor: to64(mean - half),
        high_minor: to64(mean + half),
    }
}

fn div_round(a: i128, b: i128) -> i128 {
    let q = a / b;
    let r = a % b;
    if 2 * r.abs() >= b.abs() { q + a.signum() * b.signum() } else { q }
}

fn isqrt(v: i128) -> i128 {
    if v <= 0 { 0 } else { v.isqrt() }
}

/// The result of one arm from its tally.
pub fn result(t: &ArmTally) -> ArmResult {
    ArmResult {
        arm: t.arm.clone(),
        accounts: t.accounts,
        collected: t.collected.iter().map(|(c, v)| mean_interval(c, v, t.accounts)).collect(),
        rpc_rate: wilson(t.conversations, t.call_attempts),
        promise_kept_rate: wilson(t.promises_kept, t.promises_kept + t.promises_broken),
        complaints: t.complaints,
        complaint_rate: wilson(t.complaints.min(t.accounts), t.accounts),
    }
}

/// Why a promotion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoteError {
    #[error("the strategy file does not parse: {0}")]
    Syntax(String),
    #[error("no segment runs an experiment named {0:?}")]
    NoExperiment(String),
    #[error("the experiment has no arm {arm:?}; its arms are {arms}")]
    NoArm { arm: String, arms: String },
    #[error("the control group is held out on purpose; promote an arm that treats accounts")]
    Control,
}

/// The strategy file with the experiment ended in favour of `arm`: the segment takes the arm's
/// treatment (the champion keeps its own) and the experiment table goes. Everything else in the
/// file, comments included, is kept as written.
pub fn promote(body: &str, experiment: &str, arm: &str) -> Result<String, PromoteError> {
    use crate::strategy::{CHAMPION, CONTROL};
    let mut doc: toml_edit::DocumentMut = body.parse().map_err(|e: toml_edit::TomlError| PromoteError::Syntax(e.to_string()))?;
    let segments = doc.get_mut("segments").and_then(|s| s.as_array_of_tables_mut());
    let segment = segments
        .into_iter()
        .flat_map(|s| s.iter_mut())
        .find(|s| s.get("experiment").and_then(|e| e.get("name")).and_then(|n| n.as_str()) == Some(experiment))
        .ok_or_else(|| PromoteError::NoExperiment(experiment.into()))?;
    if arm == CONTROL {
        return Err(PromoteError::Control);
    }
    let challengers: Vec<(String, Option<String>)> = segment
        .get("experiment")
        .and_then(|e| e.get("challengers"))
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_inline_table())
                .map(|c| {
                    let name = c.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
                    (name, c.get("treatment").and_then(|t| t.as_str()).map(str::to_string))
                })
                .collect()
        })
        .unwrap_or_default();
    if arm != CHAMPION {
        let Some((_, treatment)) = challengers.iter().find(|(n, _)| n == arm) else {
            let mut arms = vec![CHAMPION.to_string(), CONTROL.to_string()];
            arms.extend(challengers.iter().map(|(n, _)| n.clone()));
            return Err(PromoteError::NoArm { arm: arm.into(), arms: arms.join(", ") });
        };
        match treatment {
            Some(t) => segment["treatment"] = toml_edit::value(t.as_str()),
            None => {
                segment.remove("treatment");
            }
        }
    }
    segment.remove("experiment");
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests;
