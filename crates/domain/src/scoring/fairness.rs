//! The fairness review of a tenant's scores: for each protected attribute the tenant holds about
//! debtors (age from the date of birth, language, where they live), how the scores are spread in
//! each group and how often each group is selected (scored at or above a threshold, the accounts
//! a strategy would favour). None of these attributes is a feature; this shows whether the score
//! stands in for one anyway.
//!
//! A group selected at less than four fifths of the best group's rate is flagged for review
//! (the four-fifths rule of thumb for adverse impact: 29 CFR 1607.4(D)); a group too small to
//! judge is said to be so rather than flagged.

use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// Fewer accounts than this in a group and its rate is not judged.
pub const MIN_GROUP: usize = 30;

/// The four-fifths rule's ratio.
pub const FOUR_FIFTHS: f64 = 0.8;

/// One scored account and the groups it falls in, as (attribute, group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub per_mille: i32,
    pub groups: Vec<(&'static str, String)>,
}

/// One group of one attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    pub attribute: &'static str,
    pub group: String,
    pub accounts: usize,
    pub mean_per_mille: f64,
    pub median_per_mille: i32,
    /// Scored at or above the threshold.
    pub selected: usize,
    pub selected_rate: f64,
    /// This group's rate over the best-selected group's (of those large enough to judge).
    pub impact_ratio: Option<f64>,
    pub flagged: bool,
}

/// The age band on `on` of someone born on `born`, or "unknown".
pub fn age_band(born: Option<Date>, on: Date) -> String {
    let Some(years) = born.and_then(|b| b.until((jiff::Unit::Year, on)).ok()).map(|s| s.get_years()) else {
        return "unknown".into();
    };
    match years {
        i16::MIN..=24 => "under 25",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65 and over",
    }
    .into()
}

/// Every attribute's groups, each with its spread and selection rate, attribute by attribute.
pub fn report(scored: &[Scored], threshold: i32) -> Vec<GroupRow> {
    let mut by: BTreeMap<(&'static str, String), Vec<i32>> = BTreeMap::new();
    for s in scored {
        for (attribute, group) in &s.groups {
            by.entry((attribute, group.clone())).or_default().push(s.per_mille);
        }
    }
    let mut rows: Vec<GroupRow> = by
        .into_iter()
        .map(|((attribute, group), mut marks)| {
            marks.sort_unstable();
            let n = marks.len();
            let selected = marks.iter().filter(|m| **m >= threshold).count();
            GroupRow {
                attribute,
                group,
                accounts: n,
                mean_per_mille: marks.iter().map(|m| f64::from(*m)).sum::<f64>() / n as f64,
                median_per_mille: marks[n / 2],
                selected,
                selected_rate: selected as f64 / n as f64,
                impact_ratio: None,
                flagged: false,
            }
        })
        .collect();
    let mut best: BTreeMap<&'static str, f64> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.accounts >= MIN_GROUP) {
        let b = best.entry(r.attribute).or_insert(0.0);
        *b = b.max(r.selected_rate);
    }
    for r in rows.iter_mut().filter(|r| r.accounts >= MIN_GROUP) {
        if let Some(b) = best.get(r.attribute).filter(|b| **b > 0.0) {
            let ratio = r.selected_rate / b;
            (r.impact_ratio, r.flagged) = (Some(ratio), ratio < FOUR_FIFTHS);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn age_bands_turn_on_the_birthday() {
        let on = date(2026, 11, 24);
        assert_eq!(age_band(Some(date(2001, 11, 25)), on), "under 25", "24 until tomorrow");
        assert_eq!(age_band(Some(date(2001, 11, 24)), on), "25-34", "25 today");
        assert_eq!(age_band(Some(date(1961, 1, 1)), on), "65 and over");
        assert_eq!(age_band(None, on), "unknown");
    }

    fn many(n: usize, per_mille: i32, group: &str) -> Vec<Scored> {
        (0..n).map(|_| Scored { per_mille, groups: vec![("language", group.into())] }).collect()
    }

    #[test]
    fn a_group_selected_at_under_four_fifths_of_the_best_is_flagged() {
        // en: 40 of 50 selected (80%); es: 30 of 50 (60%, ratio 0.75); fr: 10 accounts only.
        let mut s = many(40, 700, "en");
        s.extend(many(10, 300, "en"));
        s.extend(many(30, 650, "es"));
        s.extend(many(20, 100, "es"));
        s.extend(many(10, 100, "fr"));
        let rows = report(&s, 500);
        let row = |g: &str| rows.iter().find(|r| r.group == g).unwrap();
        assert_eq!((row("en").selected, row("en").impact_ratio, row("en").flagged), (40, Some(1.0), false));
        assert_eq!((row("es").selected, row("es").flagged), (30, true));
        assert!((row("es").impact_ratio.unwrap() - 0.75).abs() < 1e-12);
        assert_eq!((row("fr").impact_ratio, row("fr").flagged), (None, false), "too few to judge, not flagged");
        assert_eq!((row("en").median_per_mille, row("es").mean_per_mille), (700, 430.0));
    }

    #[test]
    fn at_exactly_four_fifths_nothing_is_flagged() {
        let mut s = many(50, 600, "a");
        s.extend(many(40, 600, "b"));
        s.extend(many(10, 100, "b"));
        let rows = report(&s, 500);
        assert!(rows.iter().all(|r| !r.flagged), "{rows:?}");
    }
}
