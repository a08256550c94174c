//! Recovery (liquidation) rate = collected / placed (COMPLIANCE.md, "KPI definitions"), by
//! placement and, for the curves, by vintage and months since placement.

/// `collected / placed`; `None` when nothing was placed.
pub fn recovery_rate(collected_minor: i64, placed_minor: i64) -> Option<f64> {
    (placed_minor > 0).then(|| collected_minor as f64 / placed_minor as f64)
}

/// A rate as a percentage with one decimal, or "-" when there is none.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_is_collected_over_placed_and_none_when_nothing_was_placed() {
        assert_eq!(recovery_rate(31_500, 147_000).map(|r| (r * 10_000.0).round()), Some(2_143.0));
        assert_eq!(percent(recovery_rate(31_500, 147_000)), "21.4%");
        assert_eq!(recovery_rate(5, 0), None);
        assert_eq!(percent(None), "-");
    }
}
