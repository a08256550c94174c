//! Propensity-to-pay scoring: a logistic regression fitted on the tenant's own history, with
//! exact explanations. Each feature adds `weight x (value - training mean)` to the log-odds, so
//! an account's top reasons are read straight off the model (no sampling, no approximation).
//!
//! - [`data`]: the feature table and its encoding (numbers standardised, categories one-hot);
//! - [`model`]: training (linfa-logistic, L2), probabilities and explanations;
//! - [`metrics`]: AUC, log-loss and calibration by decile;
//! - [`features`]: an account as it stood on a snapshot day, and the outcome it is scored for;
//! - [`fairness`]: score spreads and selection rates by protected group, for review.
//!
//! Protected attributes (age, sex, race, religion, national origin, marital status, and ZIP where
//! the tenant says it stands for them) are never features: [`data::protected`] names them and
//! training refuses a table that carries one.

pub mod data;
pub mod fairness;
pub mod features;
pub mod metrics;
pub mod model;

pub use data::{Column, DataError, Encoder, Table, Values};
pub use metrics::{Calibration, auc, calibration, log_loss};
pub use model::{Contribution, Model, TrainError, TrainOptions};
