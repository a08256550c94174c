//! Training a logistic regression on a feature table and reading scores and reasons from it.
//!
//! The fit minimises `sum(log-loss) + alpha/2 * |w|^2` (intercept unpenalised) with L-BFGS, the
//! same objective as scikit-learn's `LogisticRegression(C = 1/alpha)`; the model check in
//! `tests/german_credit.rs` compares the two on public data.

use super::data::{DataError, Encoder, Table, protected};
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// L2 strength (scikit-learn's 1/C).
    pub alpha: f64,
    pub max_iterations: u64,
    /// Fewer training rows than this and no model is fitted.
    pub min_rows: usize,
    /// Each class (paid, not paid) needs at least this many rows.
    pub min_per_class: usize,
    /// The tenant has said ZIP stands in for a protected attribute.
    pub zip_is_proxy: bool,
    /// Lets protected attributes in: only for checks on public data, never a tenant's model.
    pub allow_protected: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { alpha: 1.0, max_iterations: 1_000, min_rows: 200, min_per_class: 20, zip_is_proxy: false, allow_protected: false }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    #[error("{rows} rows to learn from; a model needs at least {min}")]
    TooFewRows { rows: usize, min: usize },
    #[error("every row has the same outcome ({}); a model needs accounts that paid and accounts that did not", if *paid { "paid" } else { "did not pay" })]
    OneClass { paid: bool },
    #[error("only {count} rows {} in the training window; a model needs at least {min}", if *paid { "paid" } else { "did not pay" })]
    TooFewOfClass { paid: bool, count: usize, min: usize },
    #[error("{labels} outcomes for {rows} rows")]
    LabelCount { rows: usize, labels: usize },
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("the fit failed: {0}")]
    Fit(String),
}

/// A fitted model: how to encode a table, a weight per encoded column, and the training means the
/// explanations measure from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub encoder: Encoder,
    pub weights: Vec<f64>,
    pub intercept: f64,
    /// Each encoded column's mean over the training rows.
    pub means: Vec<f64>,
}

/// What one table column added to an account's log-odds of paying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub feature: String,
    pub log_odds: f64,
}

impl Model {
    pub fn train(t: &Table, paid: &[bool], o: &TrainOptions) -> Result<Model, TrainError> {
        if let Some(c) = t.columns.iter().find(|c| !o.allow_protected && protected(&c.name, o.zip_is_proxy)) {
            return Err(DataError::Protected(c.name.clone()).into());
        }
        let rows = t.rows();
        if paid.len() != rows {
            return Err(TrainError::LabelCount { rows, labels: paid.len() });
        }
        if rows < o.min_rows {
            return Err(TrainError::TooFewRows { rows, min: o.min_rows });
        }
        let payers = paid.iter().filter(|p| **p).count();
        for (class, count) in [(true, payers), (false, rows - payers)] {
            if count == 0 {
                return Err(TrainError::OneClass { paid: !class });
            }
            if count < o.min_per_class {
                return Err(TrainError::TooFewOfClass { paid: class, count, min: o.min_per_class });
            }
        }
        let encoder = Encoder::fit(t)?;
        let width = encoder.width();
        let x = Array2::from_shape_vec((rows, width), encoder.encode(t)?).map_err(|e| TrainError::Fit(e.to_string()))?;
        let means = x.mean_axis(ndarray::Axis(0)).map(|m| m.to_vec()).unwrap_or_else(|| vec![0.0; width]);
        let data = linfa::Dataset::new(x, Array1::from(paid.to_vec()));
        let fitted = linfa_logistic::LogisticRegression::default()
            .alpha(o.alpha)
            .max_iterations(o.max_iterations)
            .gradient_tolerance(1e-6)
            .fit(&data)
            .map_err(|e| TrainError::Fit(e.to_string()))?;
        // linfa makes the larger class its "positive" one; the score is always P(paid).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        Ok(Model { encoder, weights: fitted.params().iter().map(|w| sign * w).collect(), intercept: sign * fitted.intercept(), means })
    }

    /// Probability of paying for each row of `t`.
    pub fn probabilities(&self, t: &Table) -> Result<Vec<f64>, DataError> {
        let width = self.weights.len();
        let x = self.encoder.encode(t)?;
        Ok(x.chunks(width.max(1)).take(t.rows()).map(|row| sigmoid(self.log_odds(row))).collect())
    }

    fn log_odds(&self, row: &[f64]) -> f64 {
        self.intercept + row.iter().zip(&self.weights).map(|(x, w)| x * w).sum::<f64>()
    }

    /// Row `row`'s reasons: per table column, `sum(weight x (value - mean))` over its encoded
    /// columns, largest effect first, `top` of them.
    pub fn explain(&self, t: &Table, row: usize, top: usize) -> Result<Vec<Contribution>, DataError> {
        Ok(self.score(t, top)?.into_iter().nth(row).map(|(_, reasons)| reasons).unwrap_or_default())
    }

    /// Every row's probability of paying and its `top` reasons, encoding the table once.
    pub fn score(&self, t: &Table, top: usize) -> Result<Vec<(f64, Vec<Contribution>)>, DataError> {
        let width = self.weights.len();
        let x = self.encoder.encode(t)?;
        // Which table column each encoded column belongs to, worked out once.
        let mut columns: Vec<String> = Vec::new();
        let mut group = Vec::with_capacity(width);
        for (_, column) in self.encoder.names() {
            if columns.last() != Some(&column) {
                columns.push(column);
            }
            group.push(columns.len() - 1);
        }
        let mut sums = vec![0.0; columns.len()];
        let mut order: Vec<usize> = (0..columns.len()).collect();
        let mut out = Vec::with_capacity(t.rows());
        for row in x.chunks(width.max(1)).take(t.rows()) {
            sums.iter_mut().for_each(|s| *s = 0.0);
            order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
            for (j, value) in row.iter().enumerate() {
                sums[group[j]] += self.weights[j] * (value - self.means[j]);
            }
            order.sort_by(|a, b| sums[*b].abs().total_cmp(&sums[*a].abs()));
            let reasons = order.iter().take(top).map(|&i| Contribution { feature: columns[i].clone(), log_odds: sums[i] }).collect();
            out.push((sigmoid(self.log_odds(row)), reasons));
        }
        Ok(out)
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::data::{Column, Values};

    /// 300 rows where paying rises with `paid_before` and falls with `days_late`; `noise` is noise.
    fn history() -> (Table, Vec<bool>) {
        let n = 300;
        let mut paid_before = Vec::new();
        let mut days_late = Vec::new();
        let mut noise = Vec::new();
        let mut paid = Vec::new();
        for i in 0..n {
            let before = (i % 5) as f64;
            let late = ((i * 7) % 11) as f64 * 10.0;
            let z = 1.2 * before - 0.04 * late - 0.5 + if i % 3 == 0 { 0.8 } else { -0.8 };
            paid_before.push(Some(before));
            days_late.push(Some(late));
            noise.push(Some(if i % 2 == 0 { "a".to_string() } else { "b".to_string() }));
            paid.push(z > 0.0);
        }
        let t = Table {
            columns: vec![
                Column { name: "paid_before".into(), values: Values::Numeric(paid_before) },
                Column { name: "days_late".into(), values: Values::Numeric(days_late) },
                Column { name: "channel".into(), values: Values::Categorical(noise) },
            ],
        };
        (t, paid)
    }

    #[test]
    fn a_fitted_model_ranks_payers_first_and_explains_with_the_signs_it_learned() {
        let (t, paid) = history();
        let m = Model::train(&t, &paid, &TrainOptions::default()).unwrap();
        assert!(m.weights[0] > 0.0 && m.weights[1] < 0.0, "{:?}", m.weights);
        let p = m.probabilities(&t).unwrap();
        assert!(p.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!(crate::scoring::auc(&p, &paid).unwrap() > 0.8);
        // Row 4 paid before four times and is 80 days late (i=4: late = 28 % 11 = 6 -> 60).
        let why = m.explain(&t, 4, 2).unwrap();
        assert_eq!(why[0].feature, "paid_before");
        assert!(why[0].log_odds > 0.0, "{why:?}");
        // The contributions and the intercept rebuild the log-odds exactly.
        let all = m.explain(&t, 4, 10).unwrap();
        let base = m.intercept + m.weights.iter().zip(&m.means).map(|(w, x)| w * x).sum::<f64>();
        let z = base + all.iter().map(|c| c.log_odds).sum::<f64>();
        assert!((sigmoid(z) - p[4]).abs() < 1e-9);
    }

    #[test]
    fn too_little_data_one_class_or_a_protected_attribute_is_refused_plainly() {
        let (t, paid) = history();
        let small = TrainOptions { min_rows: 1_000, ..TrainOptions::default() };
        assert_eq!(Model::train(&t, &paid, &small), Err(TrainError::TooFewRows { rows: 300, min: 1_000 }));
        let all_paid = vec![true; 300];
        let e = Model::train(&t, &all_paid, &TrainOptions::default()).unwrap_err();
        assert_eq!(e, TrainError::OneClass { paid: true });
        assert!(e.to_string().contains("every row has the same outcome (paid)"));
        let mut few = vec![false; 300];
        few[..5].iter_mut().for_each(|p| *p = true);
        assert_eq!(Model::train(&t, &few, &TrainOptions::default()), Err(TrainError::TooFewOfClass { paid: true, count: 5, min: 20 }));
        let mut with_age = t.clone();
        with_age.columns.push(Column { name: "age".into(), values: Values::Numeric(vec![Some(40.0); 300]) });
        assert_eq!(Model::train(&with_age, &paid, &TrainOptions::default()), Err(TrainError::Data(DataError::Protected("age".into()))));
        assert_eq!(Model::train(&t, &paid[..10], &TrainOptions::default()), Err(TrainError::LabelCount { rows: 300, labels: 10 }));
    }

    #[test]
    fn a_model_round_trips_through_json_and_scores_the_same() {
        let (t, paid) = history();
        let m = Model::train(&t, &paid, &TrainOptions::default()).unwrap();
        let back: Model = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back.probabilities(&t).unwrap(), m.probabilities(&t).unwrap());
    }
}
