//! Recovery curves: for each placement vintage (the month placed), cumulative collected / placed
//! by month since placement (COMPLIANCE.md: recovery rate by vintage and months since placement).

use serde::Serialize;
use std::collections::BTreeMap;

/// Money in on accounts of one vintage, in its `month`-th month since placement (0 = the month
/// placed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub vintage: String,
    pub month: u32,
    pub minor: i64,
}

/// One vintage's curve: placed, and the cumulative recovery rate after each month up to `months`
/// (months not yet reached are absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    pub vintage: String,
    pub placed_minor: i64,
    pub cumulative: Vec<f64>,
}

/// Curves for each vintage in `placed` (vintage -> amount placed, and months since it was placed
/// as of the report day), from the money collected.
pub fn recovery_curves(placed: &BTreeMap<String, (i64, u32)>, collected: &[Collected]) -> Vec<Curve> {
    placed
        .iter()
        .map(|(vintage, (placed_minor, age))| {
            let mut by_month = vec![0i64; *age as usize + 1];
            for c in collected.iter().filter(|c| &c.vintage == vintage && c.month <= *age) {
                by_month[c.month as usize] += c.minor;
            }
            let mut running = 0i64;
            let cumulative = by_month
                .iter()
                .map(|m| {
                    running += m;
                    if *placed_minor > 0 { running as f64 / *placed_minor as f64 } else { 0.0 }
                })
                .collect();
            Curve { vintage: vintage.clone(), placed_minor: *placed_minor, cumulative }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_accumulate_by_month_since_placement_per_vintage() {
        let placed = BTreeMap::from([("2026-09".to_string(), (100_000, 2)), ("2026-10".to_string(), (50_000, 1))]);
        let c = |vintage: &str, month, minor| Collected { vintage: vintage.into(), month, minor };
        let collected = [c("2026-09", 0, 5_000), c("2026-09", 2, 10_000), c("2026-10", 1, 5_000), c("2026-10", 0, 0)];
        let curves = recovery_curves(&placed, &collected);
        assert_eq!(curves[0].cumulative, vec![0.05, 0.05, 0.15]);
        assert_eq!(curves[1].cumulative, vec![0.0, 0.1]);
    }
}
