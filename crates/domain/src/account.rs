//! An account is one debt: its creditors, its dates, where it stands (status and stage) and the
//! flags that change how it may be worked. Its balances are not here: they come from the ledger.

use crate::money::Currency;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Where an account is in its life. Holds (dispute, cease, bankruptcy...) are separate: an
/// `Active` account can be on hold, and a hold never changes the status by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Placed and being worked.
    Active,
    /// Nothing left owed after payments.
    PaidInFull,
    /// Closed by a completed settlement; the remainder was written off.
    Settled,
    /// Closed without full recovery (uncollectible, bankruptcy discharge, deceased with no estate).
    Closed,
    /// Taken back by the client.
    Recalled,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an account cannot go from {from} to {to}")]
pub struct TransitionError {
    pub from: &'static str,
    pub to: &'static str,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 5] = [Self::Active, Self::PaidInFull, Self::Settled, Self::Closed, Self::Recalled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PaidInFull => "paid_in_full",
            Self::Settled => "settled",
            Self::Closed => "closed",
            Self::Recalled => "recalled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The allowed moves. Every closed state can come back to `Active`, because each has a real
    /// cause to reopen: a reversed payment (paid, settled), a dismissed bankruptcy or a found
    /// estate (closed), a client re-placing a recalled account. No closed state leads to another
    /// closed state directly: it must be reopened first, so the history shows why.
    pub fn can_become(self, to: AccountStatus) -> bool {
        use AccountStatus::*;
        matches!((self, to), (Active, PaidInFull | Settled | Closed | Recalled) | (PaidInFull | Settled | Closed | Recalled, Active))
    }

    pub fn transition(self, to: AccountStatus) -> Result<AccountStatus, TransitionError> {
        if self.can_become(to) { Ok(to) } else { Err(TransitionError { from: self.as_str(), to: to.as_str() }) }
    }

    pub fn is_open(self) -> bool {
        self == AccountStatus::Active
    }
}

/// How far collection has gone; strategies move accounts forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Early,
    Late,
    Legal,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Early => "early",
            Stage::Late => "late",
            Stage::Legal => "legal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Stage::Early, Stage::Late, Stage::Legal].into_iter().find(|v| v.as_str() == s)
    }
}

/// Facts about an account that change how it may be worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Disputed,
    Cease,
    Bankruptcy,
    Deceased,
    AttorneyRepresented,
    Vulnerable,
    TimeBarred,
    Military,
    Complaint,
}

impl Flag {
    pub const ALL: [Flag; 9] = [
        Flag::Disputed,
        Flag::Cease,
        Flag::Bankruptcy,
        Flag::Deceased,
        Flag::AttorneyRepresented,
        Flag::Vulnerable,
        Flag::TimeBarred,
        Flag::Military,
        Flag::Complaint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Disputed => "disputed",
            Flag::Cease => "cease",
            Flag::Bankruptcy => "bankruptcy",
            Flag::Deceased => "deceased",
            Flag::AttorneyRepresented => "attorney_represented",
            Flag::Vulnerable => "vulnerable",
            Flag::TimeBarred => "time_barred",
            Flag::Military => "military",
            Flag::Complaint => "complaint",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Flag::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }
}

/// A set of flags with a stable text form ("bankruptcy,disputed") for storage and files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flags(pub BTreeSet<Flag>);

impl Flags {
    pub fn contains(&self, f: Flag) -> bool {
        self.0.contains(&f)
    }

    pub fn to_text(&self) -> String {
        self.0.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Parses the text form; returns the first unknown word as the error.
    pub fn parse(text: &str) -> Result<Flags, String> {
        let mut set = BTreeSet::new();
        for word in text.split([',', ';', '|']).map(str::trim).filter(|w| !w.is_empty()) {
            set.insert(Flag::parse(&word.to_ascii_lowercase()).ok_or_else(|| word.to_string())?);
        }
        Ok(Flags(set))
    }
}

/// The date the validation notice itemizes from (Reg F 1006.34(b)(3)); one basis per account,
/// used consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemizationBasis {
    LastStatement,
    ChargeOff,
    LastPayment,
    Transaction,
    Judgment,
}

impl ItemizationBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastStatement => "last_statement",
            Self::ChargeOff => "charge_off",
            Self::LastPayment => "last_payment",
            Self::Transaction => "transaction",
            Self::Judgment => "judgment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::LastStatement, Self::ChargeOff, Self::LastPayment, Self::Transaction, Self::Judgment].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub portfolio_id: Uuid,
    pub placement_id: Uuid,
    /// The client's own account number; unique per client.
    pub external_ref: String,
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    pub original_creditor: String,
    pub current_creditor: String,
    pub product: Option<String>,
    pub opened_on: Option<Date>,
    pub first_delinquency_on: Option<Date>,
    pub charged_off_on: Option<Date>,
    pub itemization_on: Option<Date>,
    pub itemization_basis: Option<ItemizationBasis>,
    pub last_payment_on: Option<Date>,
    pub last_payment_minor: Option<i64>,
    pub status: AccountStatus,
    pub stage: Stage,
    pub flags: Flags,
    pub queue: Option<String>,
    pub agent_id: Option<Uuid>,
    pub score: Option<i32>,
}

/// A date rule an account breaks: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DateFault {
    pub field: &'static str,
    pub reason: String,
}

impl Account {
    /// Checks the order of the account's dates against each other and against the day it is
    /// placed: a debt cannot go delinquent before it was opened, nor be charged off before it,
    /// and nothing can happen after today.
    pub fn check_dates(&self, today: Date) -> Result<(), DateFault> {
        let fault = |field, reason: String| Err(DateFault { field, reason });
        let dated = [
            ("opened_on", self.opened_on),
            ("first_delinquency_on", self.first_delinquency_on),
            ("charged_off_on", self.charged_off_on),
            ("itemization_on", self.itemization_on),
            ("last_payment_on", self.last_payment_on),
        ];
        for (field, d) in dated {
            if let Some(d) = d
                && d > today
            {
                return fault(field, format!("{d} is in the future"));
            }
        }
        let Some(opened) = self.opened_on else {
            return Ok(());
        };
        for (field, d) in &dated[1..] {
            if let Some(d) = d
                && *d < opened
            {
                return fault(field, format!("{d} is before the account was opened on {opened}"));
            }
        }
        if let (Some(delinquent), Some(charged_off)) = (self.first_delinquency_on, self.charged_off_on)
            && charged_off < delinquent
        {
            return fault("charged_off_on", format!("{charged_off} is before first delinquency on {delinquent}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountStatus::*;

    #[test]
    fn status_machine_allows_exactly_these_moves() {
        let allowed = [
            (Active, PaidInFull),
            (Active, Settled),
            (Active, Closed),
            (Active, Recalled),
            (PaidInFull, Active),
            (Settled, Active),
            (Closed, Active),
            (Recalled, Active),
        ];
        for from in AccountStatus::ALL {
            for to in AccountStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from:?} -> {to:?}");
                assert_eq!(from.transition(to).is_ok(), expected);
            }
        }
        assert_eq!(PaidInFull.transition(Settled).unwrap_err().to_string(), "an account cannot go from paid_in_full to settled");
    }

    #[test]
    fn flags_round_trip_and_reject_unknown_words() {
        let f = Flags::parse("Disputed; bankruptcy").unwrap();
        assert_eq!(f.to_text(), "disputed,bankruptcy");
        assert_eq!(Flags::parse(&f.to_text()).unwrap(), f);
        assert_eq!(Flags::parse("disputed,sleepy"), Err("sleepy".to_string()));
        assert_eq!(Flags::parse("").unwrap(), Flags::default());
    }

    fn account() -> Account {
        Account {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            client_id: Uuid::nil(),
            portfolio_id: Uuid::nil(),
            placement_id: Uuid::nil(),
            external_ref: "A-1".into(),
            currency: Currency::USD,
            original_creditor: "Bank".into(),
            current_creditor: "Bank".into(),
            product: None,
            opened_on: Some(jiff::civil::date(2020, 1, 10)),
            first_delinquency_on: Some(jiff::civil::date(2021, 3, 1)),
            charged_off_on: Some(jiff::civil::date(2021, 9, 1)),
            itemization_on: None,
            itemization_basis: None,
            last_payment_on: None,
            last_payment_minor: None,
            status: Active,
            stage: Stage::Early,
            flags: Flags::default(),
            queue: None,
            agent_id: None,
            score: None,
        }
    }

    #[test]
    fn dates_must_follow_each_other() {
        let today = jiff::civil::date(2026, 11, 23);
        assert_eq!(account().check_dates(today), Ok(()));
        let mut a = account();
        a.first_delinquency_on = Some(jiff::civil::date(2019, 12, 31));
        assert_eq!(a.check_dates(today).unwrap_err().field, "first_delinquency_on");
        let mut a = account();
        a.charged_off_on = Some(jiff::civil::date(2021, 2, 28));
        assert_eq!(a.check_dates(today).unwrap_err().field, "charged_off_on");
        let mut a = account();
        a.last_payment_on = Some(jiff::civil::date(2026, 11, 24));
        assert_eq!(a.check_dates(today).unwrap_err().field, "last_payment_on");
        let mut a = account();
        a.charged_off_on = a.opened_on;
        a.first_delinquency_on = a.opened_on;
        assert_eq!(a.check_dates(today), Ok(()), "same-day is allowed");
    }
}
