//! Receivables measures (COMPLIANCE.md, "KPI definitions"): DSO, standard and countback, and the
//! collection effectiveness index. Amounts are minor units; the results are days or a percentage.

/// DSO standard = closing AR / credit sales in the period x days in the period. `None` without
/// sales.
pub fn dso_standard(closing_ar_minor: i64, sales_minor: i64, days: u32) -> Option<f64> {
    (sales_minor > 0).then(|| closing_ar_minor as f64 / sales_minor as f64 * f64::from(days))
}

/// One month of credit sales (for an agency, new placements) and its length in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSales {
    pub sales_minor: i64,
    pub days: u32,
}

/// DSO countback: walk back month by month, newest first, taking each month's sales out of the
/// closing AR and adding its days, until what is left is less than a month's sales, which adds
/// that fraction of its days. AR beyond every month given counts all their days (a floor: the
/// true figure is longer). `None` when AR is negative.
pub fn dso_countback(closing_ar_minor: i64, newest_first: &[MonthSales]) -> Option<f64> {
    if closing_ar_minor < 0 {
        return None;
    }
    let mut left = closing_ar_minor;
    let mut days = 0.0;
    for m in newest_first {
        if left <= 0 {
            break;
        }
        if left >= m.sales_minor {
            left -= m.sales_minor;
            days += f64::from(m.days);
        } else {
            days += left as f64 / m.sales_minor as f64 * f64::from(m.days);
            left = 0;
        }
    }
    Some(days)
}

/// CEI = (opening AR + new placements - closing total AR) / (opening AR + new placements -
/// closing current AR) x 100. `None` when the denominator is not positive.
pub fn cei(opening_ar_minor: i64, placed_minor: i64, closing_ar_minor: i64, closing_current_minor: i64) -> Option<f64> {
    let available = i128::from(opening_ar_minor) + i128::from(placed_minor);
    let collected = available - i128::from(closing_ar_minor);
    let collectible = available - i128::from(closing_current_minor);
    (collectible > 0).then(|| collected as f64 / collectible as f64 * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn month(sales_minor: i64) -> MonthSales {
        MonthSales { sales_minor, days: 30 }
    }

    #[test]
    fn countback_follows_the_worked_example_in_compliance_md() {
        // AR 212k, sales 100k, 80k, 70k -> 30 + 30 + 32/70 x 30 = 73.7 days.
        let d = dso_countback(21_200_000, &[month(10_000_000), month(8_000_000), month(7_000_000)]).unwrap();
        assert_eq!(format!("{d:.1}"), "73.7");
        assert!((d - (60.0 + 32.0 / 70.0 * 30.0)).abs() < 1e-9);
    }

    #[test]
    fn countback_edges_exactly_one_month_more_than_all_months_and_nothing_owed() {
        assert_eq!(dso_countback(10_000_000, &[month(10_000_000), month(8_000_000)]), Some(30.0));
        assert_eq!(dso_countback(30_000_000, &[month(10_000_000), month(8_000_000)]), Some(60.0), "a floor");
        assert_eq!(dso_countback(0, &[month(1)]), Some(0.0));
        assert_eq!(dso_countback(-1, &[month(1)]), None);
    }

    #[test]
    fn standard_dso_and_cei() {
        assert_eq!(dso_standard(21_200_000, 25_000_000, 90).map(|d| (d * 10.0).round() / 10.0), Some(76.3));
        assert_eq!(dso_standard(1, 0, 30), None, "no sales, no DSO");
        // Opening 500, placed 300, closing 450 of which 100 current: (800-450)/(800-100) = 50%.
        assert_eq!(cei(50_000, 30_000, 45_000, 10_000), Some(50.0));
        assert_eq!(cei(0, 0, 0, 0), None);
    }
}
