//! The feature table a model is trained on and scores, and how it becomes numbers: each numeric
//! column is standardised with the training mean and (population) standard deviation, a missing
//! value taking the mean and, where training saw any missing, a 0/1 "is missing" column beside
//! it; each categorical column becomes one 0/1 column per level seen in training, in byte order,
//! none dropped, so a level training never saw encodes as all zeros.

use serde::{Deserialize, Serialize};

/// One column's values, row by row; `None` is missing.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Numeric(Vec<Option<f64>>),
    Categorical(Vec<Option<String>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Numeric(v) => v.len(),
            Values::Categorical(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("column {name:?} has {got} values where the table has {want} rows")]
    Ragged { name: String, got: usize, want: usize },
    #[error("column {0:?} appears twice")]
    Duplicate(String),
    #[error("column {name:?} has a value that is not a finite number in row {row}")]
    NotFinite { name: String, row: usize },
    #[error("the model needs column {name:?} ({kind}), which the table does not have")]
    Missing { name: String, kind: &'static str },
    #[error("{0:?} is a protected attribute and is never a feature")]
    Protected(String),
}

/// Attributes a score must never use (ECOA / Reg B 1002.6(b); Equality Act 2010 s.4), matched on
/// the column's name. ZIP joins them where a tenant says it stands in for one.
pub const PROTECTED: [&str; 12] = [
    "age",
    "date_of_birth",
    "sex",
    "gender",
    "race",
    "ethnicity",
    "religion",
    "national_origin",
    "nationality",
    "marital_status",
    "disability",
    "pregnancy",
];

/// Whether `column` names a protected attribute (or ZIP, when `zip_is_proxy`).
pub fn protected(column: &str, zip_is_proxy: bool) -> bool {
    let c = column.to_ascii_lowercase();
    let is = |p: &str| c == p || c.starts_with(&format!("{p}_")) || c.ends_with(&format!("_{p}"));
    PROTECTED.iter().any(|p| is(p)) || (zip_is_proxy && (is("zip") || is("postal_code")))
}

impl Table {
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    pub fn check(&self) -> Result<(), DataError> {
        let want = self.rows();
        for (i, c) in self.columns.iter().enumerate() {
            if c.values.len() != want {
                return Err(DataError::Ragged { name: c.name.clone(), got: c.values.len(), want });
            }
            if self.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(DataError::Duplicate(c.name.clone()));
            }
            if let Values::Numeric(v) = &c.values
                && let Some(row) = v.iter().position(|x| x.is_some_and(|x| !x.is_finite()))
            {
                return Err(DataError::NotFinite { name: c.name.clone(), row });
            }
        }
        Ok(())
    }

    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// How one table column becomes model columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Encoding {
    Numeric { name: String, mean: f64, std: f64, missing_indicator: bool },
    OneHot { name: String, levels: Vec<String> },
}

impl Encoding {
    pub fn name(&self) -> &str {
        match self {
            Encoding::Numeric { name, .. } | Encoding::OneHot { name, .. } => name,
        }
    }

    fn width(&self) -> usize {
        match self {
            Encoding::Numeric { missing_indicator, .. } => 1 + usize::from(*missing_indicator),
            Encoding::OneHot { levels, .. } => levels.len(),
        }
    }
}

/// The encoding fitted on a training table, kept with the model so scoring encodes the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    pub columns: Vec<Encoding>,
}

/// A categorical column's missing value, as a level of its own.
pub const MISSING_LEVEL: &str = "(missing)";

impl Encoder {
    pub fn fit(t: &Table) -> Result<Encoder, DataError> {
        t.check()?;
        let columns = t.columns.iter().map(fit_column).collect();
        Ok(Encoder { columns })
    }

    /// Model columns in all.
    pub fn width(&self) -> usize {
        self.columns.iter().map(Encoding::width).sum()
    }

    /// Each model column's name and the table column it comes from ("purpose=car", "purpose").
    pub fn names(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(self.width());
        for e in &self.columns {
            match e {
                Encoding::Numeric { name, missing_indicator, .. } => {
                    out.push((name.clone(), name.clone()));
                    if *missing_indicator {
                        out.push((format!("{name} is missing"), name.clone()));
                    }
                }
                Encoding::OneHot { name, levels } => out.extend(levels.iter().map(|l| (format!("{name}={l}"), name.clone()))),
            }
        }
        out
    }

    /// The table as a row-major matrix of `rows x width`.
    pub fn encode(&self, t: &Table) -> Result<Vec<f64>, DataError> {
        t.check()?;
        let (rows, width) = (t.rows(), self.width());
        let mut out = vec![0.0; rows * width];
        let mut at = 0;
        for e in &self.columns {
            let kind = if matches!(e, Encoding::Numeric { .. }) { "numeric" } else { "categorical" };
            let col = t.column(e.name()).ok_or_else(|| DataError::Missing { name: e.name().to_string(), kind })?;
            match (e, &col.values) {
                (Encoding::Numeric { mean, std, missing_indicator, .. }, Values::Numeric(v)) => {
                    for (r, x) in v.iter().enumerate() {
                        out[r * width + at] = x.map_or(0.0, |x| (x - mean) / std);
                        if *missing_indicator && x.is_none() {
                            out[r * width + at + 1] = 1.0;
                        }
                    }
                }
                (Encoding::OneHot { levels, .. }, Values::Categorical(v)) => {
                    for (r, x) in v.iter().enumerate() {
                        let level = x.as_deref().unwrap_or(MISSING_LEVEL);
                        if let Ok(i) = levels.binary_search_by(|l| l.as_str().cmp(level)) {
                            out[r * width + at + i] = 1.0;
                        }
                    }
                }
                _ => return Err(DataError::Missing { name: e.name().to_string(), kind }),
            }
            at += e.width();
        }
        Ok(out)
    }
}

fn fit_column(c: &Column) -> Encoding {
    match &c.values {
        Values::Numeric(v) => {
            let present: Vec<f64> = v.iter().flatten().copied().collect();
            let n = present.len().max(1) as f64;
            let mean = present.iter().sum::<f64>() / n;
            let var = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
            // A constant column carries nothing; dividing by 1 keeps it finite (and zero).
            let std = if var > 0.0 { var.sqrt() } else { 1.0 };
            Encoding::Numeric { name: c.name.clone(), mean, std, missing_indicator: present.len() < v.len() }
        }
        Values::Categorical(v) => {
            let mut levels: Vec<String> = v.iter().map(|x| x.clone().unwrap_or_else(|| MISSING_LEVEL.to_string())).collect();
            levels.sort_unstable();
            levels.dedup();
            Encoding::OneHot { name: c.name.clone(), levels }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: vec![
                Column { name: "balance".into(), values: Values::Numeric(vec![Some(1.0), Some(3.0), None]) },
                Column { name: "channel".into(), values: Values::Categorical(vec![Some("sms".into()), Some("email".into()), None]) },
            ],
        }
    }

    #[test]
    fn numbers_are_standardised_missing_ones_flagged_and_categories_one_hot_in_byte_order() {
        let e = Encoder::fit(&table()).unwrap();
        let names: Vec<String> = e.names().into_iter().map(|n| n.0).collect();
        assert_eq!(names, ["balance", "balance is missing", "channel=(missing)", "channel=email", "channel=sms"]);
        let x = e.encode(&table()).unwrap();
        // mean 2, population std 1.
        assert_eq!(&x[..5], [-1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(&x[5..10], [1.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(&x[10..], [0.0, 1.0, 1.0, 0.0, 0.0], "missing: the mean, flagged; its own level");
    }

    #[test]
    fn a_level_never_seen_in_training_encodes_as_zeros_and_a_constant_column_stays_finite() {
        let e = Encoder::fit(&table()).unwrap();
        let mut later = table();
        later.columns[1].values = Values::Categorical(vec![Some("letter".into()), Some("sms".into()), Some("sms".into())]);
        later.columns[0].values = Values::Numeric(vec![Some(2.0); 3]);
        let x = e.encode(&later).unwrap();
        assert_eq!(&x[2..5], [0.0, 0.0, 0.0]);
        let flat = Encoder::fit(&later).unwrap();
        assert!(flat.encode(&later).unwrap().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_tables_are_refused_with_the_column() {
        let mut t = table();
        t.columns[1].values = Values::Categorical(vec![None]);
        assert!(matches!(Encoder::fit(&t), Err(DataError::Ragged { name, got: 1, want: 3 }) if name == "channel"));
        let mut t = table();
        t.columns[0].values = Values::Numeric(vec![Some(1.0), Some(f64::NAN), None]);
        assert_eq!(Encoder::fit(&t), Err(DataError::NotFinite { name: "balance".into(), row: 1 }));
        let e = Encoder::fit(&table()).unwrap();
        let only = Table { columns: vec![table().columns[0].clone()] };
        assert!(matches!(e.encode(&only), Err(DataError::Missing { name, .. }) if name == "channel"));
    }

    #[test]
    fn protected_attributes_are_recognised_by_name_and_zip_only_when_a_proxy() {
        for name in ["age", "age_in_years", "debtor_race", "marital_status", "Sex"] {
            assert!(protected(name, false), "{name}");
        }
        assert!(!protected("days_since_placement", false));
        assert!(!protected("zip", false) && protected("zip", true) && protected("postal_code", true));
        assert!(!protected("usage", false), "a word merely containing one is not it");
    }
}
