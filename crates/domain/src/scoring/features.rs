//! What a tenant's propensity model learns from: each account as it stood on a snapshot day,
//! and whether it paid at least a set amount in the days after. A model is trained on one
//! snapshot and tested on a later one (an out-of-time split: the test accounts' outcomes all
//! come after everything the model saw), and scores today's accounts on today's snapshot.
//!
//! Every feature is read from the account's own servicing history; nothing about the person
//! (age, sex, origin, marital status, where they live) is ever one of them.

use super::data::{Column, Table, Values};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// One account as it stood at the end of a snapshot day: money in minor units, dates, counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub account_id: uuid::Uuid,
    pub client: String,
    pub product: Option<String>,
    pub placed_on: Date,
    pub first_delinquency_on: Option<Date>,
    /// Owed on the day.
    pub owed_minor: i64,
    /// Paid (less reversals) up to the day.
    pub paid_minor: i64,
    pub payments: u32,
    pub last_payment_on: Option<Date>,
    /// Contact attempts up to the day, and the conversations with the debtor among them.
    pub attempts: u32,
    pub conversations: u32,
    pub promises_kept: u32,
    pub promises_broken: u32,
    /// Paid (less reversals) in the days after the snapshot; what the label is read from.
    pub paid_after_minor: i64,
}

/// What counts as "paid": at least `min_paid_minor` within `horizon_days` after the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub horizon_days: i32,
    pub min_paid_minor: i64,
}

impl Default for Outcome {
    /// Paid at least 25.00 within 30 days: a real payment, not a token one.
    fn default() -> Self {
        Outcome { horizon_days: 30, min_paid_minor: 2_500 }
    }
}

impl Outcome {
    pub fn paid(&self, s: &Snapshot) -> bool {
        s.paid_after_minor >= self.min_paid_minor
    }
}

/// The features, in the order the table holds them, each with the words an agent reads.
pub const FEATURES: [(&str, &str); 11] = [
    ("owed", "the balance owed"),
    ("days_delinquent", "how long the debt has been delinquent"),
    ("days_placed", "how long we have had the account"),
    ("days_since_payment", "how long since the last payment"),
    ("payments", "how many payments were made"),
    ("paid_share", "how much of the debt is already paid"),
    ("attempts", "how often we have tried to reach them"),
    ("conversation_rate", "how often a call reached them"),
    ("promises_kept", "promises kept"),
    ("promises_broken", "promises broken"),
    ("client", "which client placed it"),
];

/// The words for a feature's name; the name itself if it has none.
pub fn words(feature: &str) -> &str {
    FEATURES.iter().find(|(f, _)| *f == feature).map_or(feature, |(_, w)| w)
}

fn days(from: Option<Date>, to: Date) -> Option<f64> {
    from.and_then(|d| d.until(to).ok()).map(|s| f64::from(s.get_days().max(0)))
}

/// The snapshots taken on `on` as a feature table. Money enters as log(1 + major units), so a
/// balance ten times larger moves the score by a step, not by ten; a date never reached (no
/// payment yet) is missing, which the encoding marks.
pub fn table(rows: &[Snapshot], on: Date) -> Table {
    let numeric = |name: &str, f: &dyn Fn(&Snapshot) -> Option<f64>| Column {
        name: name.into(),
        values: Values::Numeric(rows.iter().map(f).collect()),
    };
    let money = |minor: i64| (minor.max(0) as f64 / 100.0).ln_1p();
    let ratio = |n: f64, d: f64| if d > 0.0 { Some(n / d) } else { Some(0.0) };
    Table {
        columns: vec![
            numeric("owed", &|s| Some(money(s.owed_minor))),
            numeric("days_delinquent", &|s| days(s.first_delinquency_on, on)),
            numeric("days_placed", &|s| days(Some(s.placed_on), on)),
            numeric("days_since_payment", &|s| days(s.last_payment_on, on)),
            numeric("payments", &|s| Some(f64::from(s.payments))),
            numeric("paid_share", &|s| ratio(s.paid_minor.max(0) as f64, (s.paid_minor.max(0) + s.owed_minor.max(0)) as f64)),
            numeric("attempts", &|s| Some(f64::from(s.attempts))),
            numeric("conversation_rate", &|s| ratio(f64::from(s.conversations), f64::from(s.attempts))),
            numeric("promises_kept", &|s| Some(f64::from(s.promises_kept))),
            numeric("promises_broken", &|s| Some(f64::from(s.promises_broken))),
            Column { name: "client".into(), values: Values::Categorical(rows.iter().map(|s| Some(s.client.clone())).collect()) },
        ],
    }
}

/// A reason in plain words: "how long since the last payment lowers it".
pub fn reason(feature: &str, log_odds: f64) -> String {
    format!("{} {} it", words(feature), if log_odds >= 0.0 { "raises" } else { "lowers" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn snap(owed: i64, paid: i64, last_payment_on: Option<Date>) -> Snapshot {
        Snapshot {
            account_id: uuid::Uuid::nil(),
            client: "LSB".into(),
            product: None,
            placed_on: date(2026, 6, 1),
            first_delinquency_on: Some(date(2026, 1, 1)),
            owed_minor: owed,
            paid_minor: paid,
            payments: u32::from(paid > 0),
            last_payment_on,
            attempts: 4,
            conversations: 1,
            promises_kept: 0,
            promises_broken: 0,
            paid_after_minor: 0,
        }
    }

    #[test]
    fn features_are_read_as_of_the_snapshot_day() {
        let on = date(2026, 7, 1);
        let t = table(&[snap(99_900, 10_000, Some(date(2026, 6, 21))), snap(0, 0, None)], on);
        t.check().unwrap();
        let col = |name: &str| t.columns.iter().find(|c| c.name == name).unwrap().values.clone();
        assert_eq!(col("days_placed"), Values::Numeric(vec![Some(30.0), Some(30.0)]));
        assert_eq!(col("days_since_payment"), Values::Numeric(vec![Some(10.0), None]), "never paid is missing, not zero");
        assert_eq!(col("conversation_rate"), Values::Numeric(vec![Some(0.25), Some(0.25)]));
        let Values::Numeric(share) = col("paid_share") else { panic!() };
        assert!((share[0].unwrap() - 10_000.0 / 109_900.0).abs() < 1e-12 && share[1] == Some(0.0), "no debt: nothing paid, not NaN");
        let Values::Numeric(owed) = col("owed") else { panic!() };
        assert!((owed[0].unwrap() - 1_000f64.ln()).abs() < 1e-12, "log(1 + 999.00)");
    }

    #[test]
    fn no_feature_is_a_protected_attribute() {
        for (f, _) in FEATURES {
            assert!(!super::super::data::protected(f, true), "{f}");
        }
    }

    #[test]
    fn the_outcome_is_paid_at_least_the_amount_within_the_horizon() {
        let o = Outcome::default();
        let mut s = snap(10_000, 0, None);
        s.paid_after_minor = 2_499;
        assert!(!o.paid(&s), "a cent short");
        s.paid_after_minor = 2_500;
        assert!(o.paid(&s));
    }

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(reason("days_since_payment", -0.4), "how long since the last payment lowers it");
        assert_eq!(reason("promises_kept", 0.2), "promises kept raises it");
    }
}
