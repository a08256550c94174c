//! What one row of a placement file becomes once it has been read and checked: an account with
//! its parties, their contact points, the balance the client reports and any invoices.

use crate::account::Account;
use crate::contact::ContactPoint;
use crate::invoice::Invoice;
use crate::ledger::Amounts;
use crate::party::{Party, PartyRole};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlacedParty {
    pub role: PartyRole,
    pub party: Party,
    pub contact_points: Vec<ContactPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedAccount {
    /// 1-based line of the row in its file, for reports.
    pub line: u64,
    pub account: Account,
    pub parties: Vec<PlacedParty>,
    /// The balance by component as the client reports it on placement.
    pub reported: Amounts,
    pub invoices: Vec<Invoice>,
    /// A digest of the row's normalized content: a re-import with the same digest is unchanged.
    pub fingerprint: [u8; 32],
}

/// What the store did with one placed account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Updated,
    Unchanged,
    /// Valid on its own but not against what is stored (for example a re-placement whose
    /// lower balance would undo payments already taken); nothing of the row was applied.
    Refused(String),
}

/// The ledger change a re-placement makes: the difference between what the client reports now
/// and what it reported before. Payments taken in recoup since are not the client's to undo, so
/// the change is relative to the previous report, never to the current balance.
pub fn replacement_adjustment(previous_report: &Amounts, new_report: &Amounts) -> Amounts {
    Amounts {
        principal: new_report.principal - previous_report.principal,
        interest: new_report.interest - previous_report.interest,
        fees: new_report.fees - previous_report.fees,
        costs: new_report.costs - previous_report.costs,
        credit: 0,
    }
}
