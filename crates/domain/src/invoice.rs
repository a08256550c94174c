//! B2B obligations: the invoices under one account (parent-child). The account's ledger carries
//! the money; an invoice says which document an amount came from and what is still open on it.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub number: String,
    pub issued_on: Date,
    pub due_on: Date,
    pub amount_minor: i64,
    pub open_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("invoice {0}: due date is before the issue date")]
    DueBeforeIssue(String),
    #[error("invoice {0}: open amount must be between 0 and the invoice amount")]
    OpenOutOfRange(String),
}

impl Invoice {
    pub fn check(&self) -> Result<(), InvoiceError> {
        if self.due_on < self.issued_on {
            return Err(InvoiceError::DueBeforeIssue(self.number.clone()));
        }
        if self.open_minor < 0 || self.open_minor > self.amount_minor {
            return Err(InvoiceError::OpenOutOfRange(self.number.clone()));
        }
        Ok(())
    }

    /// Days past due on `today` (0 when not yet due).
    pub fn days_past_due(&self, today: Date) -> i64 {
        let days = (today - self.due_on).get_days() as i64;
        days.max(0)
    }
}
