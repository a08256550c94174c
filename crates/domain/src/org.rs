//! Who owns what: tenants, their clients (creditors), portfolios and placements.

use crate::ledger::Waterfall;
use crate::money::Currency;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: Uuid,
    /// Short stable name used on the command line ("demo", "acme-recovery").
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Client {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Short stable code, unique per tenant ("LSB").
    pub code: String,
    pub name: String,
    /// Contingency commission as a fraction (0.25 = 25 %) of commissionable collections.
    #[schema(value_type = String, example = "0.25")]
    pub commission_rate: Decimal,
    /// The order payments pay down components.
    #[schema(value_type = Vec<crate::ledger::Component>)]
    pub waterfall: Waterfall,
    #[schema(value_type = String, example = "USD")]
    pub default_currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Portfolio {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub code: String,
    pub name: String,
    /// Credit cards, medical, utilities, B2B invoices, ...
    pub product: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementStatus {
    Importing,
    Completed,
    /// Stopped by an error after some batches landed; each landed row is whole.
    Failed,
}

impl PlacementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementStatus::Importing => "importing",
            PlacementStatus::Completed => "completed",
            PlacementStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Importing, Self::Completed, Self::Failed].into_iter().find(|v| v.as_str() == s)
    }
}

/// Counts of what an import did with the rows of its file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// One batch of accounts handed over on a date; its month is the vintage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Placement {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub portfolio_id: Uuid,
    pub placed_on: Date,
    pub file_name: String,
    pub status: PlacementStatus,
    pub counts: ImportCounts,
}

impl Placement {
    /// "2026-11": the vintage recovery curves are grouped by.
    pub fn vintage(&self) -> String {
        format!("{:04}-{:02}", self.placed_on.year(), self.placed_on.month())
    }
}

/// Reads a contingency commission: a decimal fraction from 0 to 1 ("0.25" is 25 %).
pub fn parse_commission(text: &str) -> Result<Decimal, String> {
    let rate: Decimal = text.trim().parse().map_err(|_| format!("commission {text:?} is not a decimal number"))?;
    if rate < Decimal::ZERO || rate > Decimal::ONE {
        return Err(format!("commission {text} must be a fraction between 0 and 1 (0.25 for 25 %)"));
    }
    Ok(rate)
}

#[cfg(test)]
mod commission_tests {
    use super::*;

    #[test]
    fn commission_is_a_fraction() {
        assert_eq!(parse_commission("0.25"), Ok(Decimal::new(25, 2)));
        assert_eq!(parse_commission("1"), Ok(Decimal::ONE));
        assert_eq!(parse_commission("0"), Ok(Decimal::ZERO));
        assert!(parse_commission("25").is_err());
        assert!(parse_commission("-0.01").is_err());
        assert!(parse_commission("a quarter").is_err());
    }
}
