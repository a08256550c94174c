//! Limitation periods: how long a creditor may sue on a debt, by state and kind of debt, and
//! whether a payment starts the clock again. Once the period has run the debt is time-barred:
//! no suit and no threat of suit (Reg F 1006.26(b)), so legal wording and legal steps are shut
//! off. The table ships with defaults (COMPLIANCE 28; check) and a client's policy can add or
//! override rules without code.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The kind of obligation, which sets the period in most states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DebtType {
    /// A signed agreement (loans, most card agreements).
    Written,
    /// A running account (utilities, medical bills, store accounts).
    OpenAccount,
    Oral,
    Promissory,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitationRule {
    /// Two-letter state code.
    pub state: String,
    /// The kind of debt it covers; every kind when left out.
    #[serde(default)]
    pub debt_type: Option<DebtType>,
    pub years: u8,
    /// A payment starts the period again (not in New York: CPLR 214-i).
    pub payment_restarts: bool,
    /// Where the rule comes from, for the explanation.
    pub source: String,
}

fn rule(state: &str, debt_type: Option<DebtType>, years: u8, payment_restarts: bool, source: &str) -> LimitationRule {
    LimitationRule { state: state.into(), debt_type, years, payment_restarts, source: source.into() }
}

/// The defaults, built once: every account a run judges is checked against them.
pub fn defaults() -> &'static [LimitationRule] {
    static DEFAULTS: std::sync::LazyLock<Vec<LimitationRule>> = std::sync::LazyLock::new(default_rules);
    &DEFAULTS
}

/// The defaults (COMPLIANCE 28; check each against current law before relying on it).
pub fn default_rules() -> Vec<LimitationRule> {
    use DebtType::*;
    vec![
        // CPLR 214-i: three years for consumer credit, and a payment does not revive it.
        rule("NY", None, 3, false, "N.Y. CPLR 214-i (check)"),
        rule("CA", Some(Written), 4, true, "Cal. Civ. Proc. Code 337 (check)"),
        rule("CA", Some(OpenAccount), 4, true, "Cal. Civ. Proc. Code 337 (check)"),
        rule("CA", Some(Promissory), 4, true, "Cal. Civ. Proc. Code 337 (check)"),
        rule("CA", Some(Oral), 2, true, "Cal. Civ. Proc. Code 339 (check)"),
        rule("TX", None, 4, true, "Tex. Civ. Prac. & Rem. Code 16.004 (check)"),
        rule("FL", Some(Written), 5, true, "Fla. Stat. 95.11(2)(b) (check)"),
        rule("FL", Some(Promissory), 5, true, "Fla. Stat. 95.11(2)(b) (check)"),
        rule("FL", Some(OpenAccount), 4, true, "Fla. Stat. 95.11(3)(k) (check)"),
        rule("FL", Some(Oral), 4, true, "Fla. Stat. 95.11(3)(k) (check)"),
    ]
}

/// What the table says about one debt today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TimeBar {
    /// No rule covers the state and kind of debt, or a date is missing: not judged.
    Unknown,
    /// Suit is still possible until `runs_on`.
    Open {
        #[schema(value_type = String)]
        runs_on: Date,
        source: String,
    },
    /// The period ran on `since`.
    Barred {
        #[schema(value_type = String)]
        since: Date,
        source: String,
    },
}

impl TimeBar {
    pub fn is_barred(&self) -> bool {
        matches!(self, TimeBar::Barred { .. })
    }
}

/// The facts the period is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debt<'a> {
    pub state: Option<&'a str>,
    pub debt_type: DebtType,
    /// When the debt went into default: the clock starts here.
    pub defaulted_on: Option<Date>,
    pub last_payment_on: Option<Date>,
}

/// Judges a debt by the first matching rule of `overrides`, then of `defaults`. A rule for the
/// exact kind of debt wins over one for every kind within the same list.
pub fn judge(overrides: &[LimitationRule], defaults: &[LimitationRule], debt: &Debt, today: Date) -> TimeBar {
    let Some(state) = debt.state.map(|s| s.trim().to_ascii_uppercase()) else { return TimeBar::Unknown };
    let find = |rules: &[LimitationRule]| {
        let here = |r: &&LimitationRule| r.state.eq_ignore_ascii_case(&state);
        let exact = rules.iter().filter(here).find(|r| r.debt_type == Some(debt.debt_type));
        exact.or_else(|| rules.iter().filter(here).find(|r| r.debt_type.is_none())).cloned()
    };
    let Some(rule) = find(overrides).or_else(|| find(defaults)) else { return TimeBar::Unknown };
    let Some(defaulted) = debt.defaulted_on else { return TimeBar::Unknown };
    let start = match (rule.payment_restarts, debt.last_payment_on) {
        (true, Some(paid)) if paid > defaulted => paid,
        _ => defaulted,
    };
    let Ok(runs_on) = start.checked_add(jiff::Span::new().years(i64::from(rule.years))) else { return TimeBar::Unknown };
    if today >= runs_on { TimeBar::Barred { since: runs_on, source: rule.source } } else { TimeBar::Open { runs_on, source: rule.source } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn debt(state: &str, t: DebtType, defaulted: Date, paid: Option<Date>) -> Debt<'_> {
        Debt { state: Some(state), debt_type: t, defaulted_on: Some(defaulted), last_payment_on: paid }
    }

    #[test]
    fn the_period_runs_on_its_anniversary_and_not_a_day_before() {
        let d = debt("TX", DebtType::Written, date(2020, 3, 15), None);
        let rules = default_rules();
        assert!(matches!(judge(&[], &rules, &d, date(2024, 3, 14)), TimeBar::Open { runs_on, .. } if runs_on == date(2024, 3, 15)));
        assert!(judge(&[], &rules, &d, date(2024, 3, 15)).is_barred());
    }

    #[test]
    fn a_payment_restarts_the_clock_except_in_new_york() {
        let rules = default_rules();
        let paid = Some(date(2022, 1, 10));
        let tx = debt("TX", DebtType::Written, date(2019, 1, 1), paid);
        assert!(!judge(&[], &rules, &tx, date(2025, 1, 1)).is_barred(), "TX: 4 years from the 2022 payment");
        let ny = debt("NY", DebtType::Written, date(2019, 1, 1), paid);
        assert!(judge(&[], &rules, &ny, date(2022, 1, 1)).is_barred(), "CPLR 214-i: 3 years from default, the payment does not revive it");
    }

    #[test]
    fn the_kind_of_debt_chooses_the_row() {
        let rules = default_rules();
        let oral = debt("CA", DebtType::Oral, date(2020, 6, 1), None);
        let written = debt("CA", DebtType::Written, date(2020, 6, 1), None);
        assert!(judge(&[], &rules, &oral, date(2022, 6, 1)).is_barred(), "CA oral: 2 years");
        assert!(!judge(&[], &rules, &written, date(2022, 6, 1)).is_barred(), "CA written: 4 years");
    }

    #[test]
    fn a_clients_rule_overrides_the_default_and_unknowns_are_not_judged() {
        let rules = default_rules();
        let tighter = vec![rule("TX", Some(DebtType::Written), 2, true, "client counsel")];
        let d = debt("TX", DebtType::Written, date(2020, 1, 1), None);
        assert!(matches!(judge(&tighter, &rules, &d, date(2022, 1, 1)), TimeBar::Barred { source, .. } if source == "client counsel"));
        assert_eq!(judge(&[], &rules, &debt("WY", DebtType::Written, date(2000, 1, 1), None), date(2026, 1, 1)), TimeBar::Unknown);
        let no_date = Debt { state: Some("TX"), debt_type: DebtType::Written, defaulted_on: None, last_payment_on: None };
        assert_eq!(judge(&[], &rules, &no_date, date(2026, 1, 1)), TimeBar::Unknown);
        assert_eq!(judge(&[], &rules, &Debt { state: None, ..no_date }, date(2026, 1, 1)), TimeBar::Unknown);
    }

    #[test]
    fn a_leap_day_default_runs_on_the_last_day_of_february() {
        let d = debt("TX", DebtType::Written, date(2020, 2, 29), None);
        assert!(
            matches!(judge(&[], &default_rules(), &d, date(2024, 2, 28)), TimeBar::Open { runs_on, .. } if runs_on == date(2024, 2, 29))
        );
        let d = debt("NY", DebtType::Written, date(2020, 2, 29), None);
        assert!(judge(&[], &default_rules(), &d, date(2023, 2, 28)).is_barred(), "2023 has no 29 February: the period runs on the 28th");
    }
}
