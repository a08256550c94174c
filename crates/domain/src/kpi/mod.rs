//! KPIs: the formulas behind the reports and dashboards, on counts and amounts the store
//! gathers. Definitions follow COMPLIANCE.md ("KPI definitions"); each function says which.
//! Money stays in integer minor units; rates are proportions and may be floating point. A
//! figure with nothing to divide by is `None`, shown as "-", never NaN or a division by zero.

pub mod aging;
pub mod curves;
pub mod netback;
pub mod productivity;
pub mod rates;
pub mod receivables;
pub mod recovery;
pub mod roll;
pub mod uplift;

pub use aging::{Aging, Bucket};
pub use productivity::{Productivity, WorkPeriod, worked};
pub use rates::Ratio;
pub use recovery::{percent, recovery_rate};
