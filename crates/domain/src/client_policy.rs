//! A client's servicing policy: the terms its contract lets the agency offer (plan interest,
//! fees, length and grace; how deep a settlement each role may give and the floor), the grace a
//! promise gets, and the commission it pays (a rate per portfolio where the contract differs, and
//! whether payments made to it directly earn commission). Stored per client; the defaults are
//! the conservative ones (no interest, no fees).

use crate::plan::Policy;
use crate::policy::{Profile, ProfileConfig, ProfileError};
use crate::settlement::ApprovalLimits;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClientPolicy {
    pub plans: Policy,
    pub settlements: ApprovalLimits,
    /// Days after a promised date before an unpaid promise is broken.
    pub promise_grace_days: i32,
    /// Commission rates that differ from the client's by portfolio (fractions, "0.30").
    #[schema(value_type = BTreeMap<String, String>)]
    pub portfolio_commission: BTreeMap<Uuid, Decimal>,
    /// Whether payments the debtor makes to the client directly earn the agency commission.
    pub direct_payments_commissionable: bool,
    /// The contact policy profile for this client's accounts (`{"profile": "us-ma"}`), with any
    /// field tuned (`"call_cap": 5`); us-federal when left out.
    #[schema(value_type = Object)]
    pub contact: ProfileConfig,
    /// A different contact profile for some portfolios.
    #[schema(value_type = BTreeMap<String, Object>)]
    pub portfolio_contact: BTreeMap<Uuid, ProfileConfig>,
    /// Who the consumer deals with: the name and address every letter and the validation notice
    /// state, and the phone and hours messages give.
    pub collector: Collector,
    /// How long suit is possible on these debts: their kind, and rules that add to or override the
    /// default table (Reg F 1006.26(b); COMPLIANCE 17, 28).
    pub limitation: Limitation,
    /// Interest and a monthly fee the contract lets accrue on the balance; none by default
    /// (FDCPA 1692f(1)).
    pub accrual: crate::accrual::Accrual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limitation {
    pub debt_type: crate::limitation::DebtType,
    /// Checked before the defaults.
    pub rules: Vec<crate::limitation::LimitationRule>,
}

impl Default for Limitation {
    fn default() -> Self {
        Limitation { debt_type: crate::limitation::DebtType::Written, rules: Vec::new() }
    }
}

impl Limitation {
    /// The time bar of `account`, whose debtor lives in `state`, on `today`.
    pub fn judge(&self, account: &crate::account::Account, state: Option<&str>, today: jiff::civil::Date) -> crate::limitation::TimeBar {
        self.judge_dates(state, account.first_delinquency_on, account.charged_off_on, account.last_payment_on, today)
    }

    /// The same judgement from the dates alone, for callers that read no whole account.
    pub fn judge_dates(
        &self,
        state: Option<&str>,
        first_delinquency_on: Option<jiff::civil::Date>,
        charged_off_on: Option<jiff::civil::Date>,
        last_payment_on: Option<jiff::civil::Date>,
        today: jiff::civil::Date,
    ) -> crate::limitation::TimeBar {
        let debt = crate::limitation::Debt {
            state,
            debt_type: self.debt_type,
            defaulted_on: first_delinquency_on.or(charged_off_on),
            last_payment_on,
        };
        crate::limitation::judge(&self.rules, crate::limitation::defaults(), &debt, today)
    }
}

/// The debt collector as messages name it (Reg F 1006.34(c)(1): the notice names the collector
/// and its mailing address). An agency may collect under a different trade name per client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Collector {
    pub name: String,
    /// Mailing address, lines separated by newlines.
    pub address: String,
    pub phone: String,
    /// When people answer the phone, in words ("Mon-Fri 8am-8pm ET").
    pub hours: String,
    pub website: String,
    /// Where disputes may be sent electronically (an e-mail or portal address), if accepted.
    pub electronic_dispute: Option<String>,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy {
            plans: Policy::default(),
            settlements: ApprovalLimits::default(),
            promise_grace_days: 2,
            portfolio_commission: BTreeMap::new(),
            direct_payments_commissionable: true,
            contact: ProfileConfig::default(),
            portfolio_contact: BTreeMap::new(),
            collector: Collector::default(),
            limitation: Limitation::default(),
            accrual: crate::accrual::Accrual::default(),
        }
    }
}

/// A policy value out of range: the JSON pointer of the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyFault {
    pub field: String,
    pub reason: &'static str,
}

fn fraction(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= Decimal::ONE
}

impl ClientPolicy {
    /// The commission rate for a payment on an account of `portfolio`.
    pub fn commission_rate(&self, client_rate: Decimal, portfolio: Uuid) -> Decimal {
        self.portfolio_commission.get(&portfolio).copied().unwrap_or(client_rate)
    }

    /// The contact profile for an account of `portfolio`: the portfolio's own, else the client's.
    pub fn contact_profile(&self, portfolio: Uuid) -> Result<Profile, ProfileError> {
        self.portfolio_contact.get(&portfolio).unwrap_or(&self.contact).build()
    }

    /// Checks every value is one a contract could say; the first fault found.
    pub fn check(&self) -> Result<(), PolicyFault> {
        let fault = |field: &str, reason| Err(PolicyFault { field: field.to_string(), reason });
        let (p, s) = (&self.plans, &self.settlements);
        if !fraction(p.max_apr) {
            return fault("/plans/max_apr", "a rate from 0 to 1 (1 = 100 % APR)");
        }
        if !(1..=360).contains(&p.max_installments) {
            return fault("/plans/max_installments", "from 1 to 360");
        }
        if p.min_installment < 1 {
            return fault("/plans/min_installment", "at least 1 minor unit");
        }
        if !(0..=30).contains(&p.grace_days) {
            return fault("/plans/grace_days", "from 0 to 30 days");
        }
        if !(1..=12).contains(&p.misses_to_break) {
            return fault("/plans/misses_to_break", "from 1 to 12");
        }
        for (name, v) in [("agent", s.agent), ("supervisor", s.supervisor), ("admin", s.admin), ("floor", s.floor)] {
            if !fraction(v) {
                return fault(&format!("/settlements/{name}"), "a fraction from 0 to 1");
            }
        }
        if s.agent > s.supervisor || s.supervisor > s.admin {
            return fault("/settlements/supervisor", "limits must not fall with seniority (agent <= supervisor <= admin)");
        }
        if !(1..=365).contains(&s.max_days_to_expiry) {
            return fault("/settlements/max_days_to_expiry", "from 1 to 365 days");
        }
        if let Err(e) = self.accrual.check() {
            return fault(e.field, e.reason);
        }
        if !(0..=10).contains(&self.promise_grace_days) {
            return fault("/promise_grace_days", "from 0 to 10 days");
        }
        if let Some((id, _)) = self.portfolio_commission.iter().find(|(_, r)| !fraction(**r)) {
            return fault(&format!("/portfolio_commission/{id}"), "a fraction from 0 to 1");
        }
        if self.contact.build().is_err() {
            return fault("/contact", "not a contact profile: a known profile name and valid overrides");
        }
        if let Some((id, _)) = self.portfolio_contact.iter().find(|(_, c)| c.build().is_err()) {
            return fault(&format!("/portfolio_contact/{id}"), "not a contact profile: a known profile name and valid overrides");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_each_bound_is_checked_at_its_edge() {
        let ok = ClientPolicy::default();
        assert_eq!(ok.check(), Ok(()));
        let mut p = ok.clone();
        p.plans.max_apr = Decimal::ONE;
        assert_eq!(p.check(), Ok(()), "100 % APR is the edge, allowed");
        p.plans.max_apr = Decimal::new(10001, 4);
        assert_eq!(p.check().unwrap_err().field, "/plans/max_apr");
        let mut p = ok.clone();
        p.settlements.agent = Decimal::new(60, 2);
        assert_eq!(p.check().unwrap_err().field, "/settlements/supervisor", "an agent may not outrank a supervisor");
        let mut p = ok.clone();
        p.promise_grace_days = 11;
        assert_eq!(p.check().unwrap_err().field, "/promise_grace_days");
        let mut p = ok.clone();
        let portfolio = Uuid::from_u128(7);
        p.portfolio_commission.insert(portfolio, Decimal::new(-1, 2));
        assert_eq!(p.check().unwrap_err().field, format!("/portfolio_commission/{portfolio}"));
        let p: ClientPolicy = serde_json::from_str(r#"{"contact":{"profile":"us-ma","call_capp":3}}"#).unwrap();
        assert_eq!(p.check().unwrap_err().field, "/contact", "a typo in a tuned field is caught when saved");
    }

    #[test]
    fn the_contact_profile_is_the_portfolios_else_the_clients() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let p: ClientPolicy =
            serde_json::from_str(&format!(r#"{{"contact":{{"profile":"us-ma"}},"portfolio_contact":{{"{a}":{{"call_cap":5}}}}}}"#))
                .unwrap();
        assert_eq!(p.check(), Ok(()));
        assert_eq!(p.contact_profile(b).unwrap().name, "us-ma");
        let tuned = p.contact_profile(a).unwrap();
        assert_eq!((tuned.name.as_str(), tuned.call_cap), ("us-federal", 5));
        assert_eq!(ClientPolicy::default().contact_profile(a).unwrap().name, "us-federal");
    }

    #[test]
    fn a_portfolio_rate_overrides_the_clients() {
        let mut p = ClientPolicy::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        p.portfolio_commission.insert(a, Decimal::new(30, 2));
        assert_eq!(p.commission_rate(Decimal::new(25, 2), a), Decimal::new(30, 2));
        assert_eq!(p.commission_rate(Decimal::new(25, 2), b), Decimal::new(25, 2));
    }

    #[test]
    fn partial_json_keeps_the_other_defaults_and_unknown_fields_are_refused() {
        let p: ClientPolicy = serde_json::from_str(r#"{"plans":{"interest_allowed":true,"max_apr":"0.18"}}"#).unwrap();
        assert!(p.plans.interest_allowed);
        assert_eq!(p.plans.grace_days, Policy::default().grace_days);
        assert_eq!(p.settlements, ApprovalLimits::default());
        assert!(serde_json::from_str::<ClientPolicy>(r#"{"plan":{}}"#).is_err());
    }
}
