//! Settlements: accepting less than the balance. An offer is a percentage of what is owed or an
//! amount, paid at once or in installments before it expires. How deep a discount a role may give
//! on its own is the tenant's policy; deeper offers wait for someone senior, never for the person
//! who asked. On completion the remainder is written off through the ledger.

use crate::access::Role;
use jiff::civil::Date;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Offer {
    /// A fraction of what is owed (0.6 = pay 60 %).
    #[schema(value_type = String)]
    Percent(Decimal),
    /// Minor units.
    Amount(i64),
}

/// Discount limits by role, as fractions of the balance forgiven, and the floor below which no
/// one may settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalLimits {
    #[schema(value_type = String)]
    pub agent: Decimal,
    #[schema(value_type = String)]
    pub supervisor: Decimal,
    #[schema(value_type = String)]
    pub admin: Decimal,
    /// The least share of the balance any settlement must collect.
    #[schema(value_type = String)]
    pub floor: Decimal,
    pub max_days_to_expiry: i32,
}

impl Default for ApprovalLimits {
    fn default() -> Self {
        ApprovalLimits {
            agent: Decimal::new(30, 2),
            supervisor: Decimal::new(50, 2),
            admin: Decimal::new(70, 2),
            floor: Decimal::new(30, 2),
            max_days_to_expiry: 60,
        }
    }
}

impl ApprovalLimits {
    fn of(&self, role: Role) -> Decimal {
        match role {
            Role::Agent => self.agent,
            Role::Supervisor => self.supervisor,
            Role::Admin => self.admin,
            _ => Decimal::ZERO,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettlementError {
    #[error("there is nothing owed to settle")]
    NothingOwed,
    #[error("the offer must be above zero and below the balance")]
    OutOfRange,
    #[error("the offer collects {collects} of {owed}; policy requires at least {floor} of the balance")]
    BelowFloor { collects: i64, owed: i64, floor: Decimal },
    #[error("the offer must expire after it is made and within {0} days")]
    Expiry(i32),
    #[error("a {role} may approve discounts up to {limit}; this one is {discount}")]
    OverLimit { role: &'static str, limit: Decimal, discount: Decimal },
    #[error("a settlement cannot be approved by the person who asked for it")]
    OwnRequest,
}

/// The amount an offer collects, rounded half-even to the minor unit.
pub fn amount(owed: i64, offer: Offer) -> i64 {
    match offer {
        Offer::Amount(a) => a,
        Offer::Percent(p) => {
            (Decimal::from(owed) * p).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven).to_i64().unwrap_or(i64::MAX)
        }
    }
}

/// The share of the balance forgiven, unrounded: a limit of 30 % must refuse 30.001 %.
pub fn discount(owed: i64, collects: i64) -> Decimal {
    Decimal::ONE - Decimal::from(collects) / Decimal::from(owed)
}

/// What an offer needs before it can be put to the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Within the offerer's own limit.
    NotNeeded,
    /// Over it: the least senior role whose limit covers it must approve.
    Needed(Role),
}

/// Checks an offer made by `by` and says whose approval it needs.
pub fn assess(
    owed: i64,
    offer: Offer,
    offered_on: Date,
    expires_on: Date,
    by: Role,
    limits: &ApprovalLimits,
) -> Result<(i64, Approval), SettlementError> {
    if owed <= 0 {
        return Err(SettlementError::NothingOwed);
    }
    let collects = amount(owed, offer);
    if collects <= 0 || collects >= owed {
        return Err(SettlementError::OutOfRange);
    }
    if Decimal::from(collects) < Decimal::from(owed) * limits.floor {
        return Err(SettlementError::BelowFloor { collects, owed, floor: limits.floor });
    }
    let days = (expires_on - offered_on).get_days();
    if days <= 0 || days > limits.max_days_to_expiry {
        return Err(SettlementError::Expiry(limits.max_days_to_expiry));
    }
    let d = discount(owed, collects);
    if d <= limits.of(by) {
        return Ok((collects, Approval::NotNeeded));
    }
    let approver = [Role::Supervisor, Role::Admin].into_iter().find(|r| d <= limits.of(*r));
    match approver {
        Some(r) => Ok((collects, Approval::Needed(r))),
        None => Err(SettlementError::OverLimit { role: Role::Admin.as_str(), limit: limits.admin, discount: d }),
    }
}

/// Whether `approver` (a user of role `role`) may approve a discount asked for by `requester`.
pub fn may_approve(approver: Uuid, role: Role, requester: Uuid, discount: Decimal, limits: &ApprovalLimits) -> Result<(), SettlementError> {
    if approver == requester {
        return Err(SettlementError::OwnRequest);
    }
    let limit = limits.of(role);
    if discount > limit {
        return Err(SettlementError::OverLimit { role: role.as_str(), limit, discount });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn pct(p: i64) -> Offer {
        Offer::Percent(Decimal::new(p, 2))
    }

    #[test]
    fn offers_by_percent_or_amount_round_half_even() {
        assert_eq!(amount(100_001, Offer::Percent(Decimal::new(5, 1))), 50_000, "50,000.5 rounds to even");
        assert_eq!(amount(100_003, Offer::Percent(Decimal::new(5, 1))), 50_002, "50,001.5 rounds to even");
        assert_eq!(amount(100_000, Offer::Amount(61_234)), 61_234);
        assert_eq!(discount(100_000, 70_000), Decimal::new(3, 1));
    }

    #[test]
    fn limits_by_role_at_their_edges() {
        let l = ApprovalLimits::default();
        let (on, exp) = (date(2026, 11, 23), date(2026, 12, 23));
        assert_eq!(assess(100_000, pct(70), on, exp, Role::Agent, &l), Ok((70_000, Approval::NotNeeded)), "30 % off is the agent's limit");
        assert_eq!(assess(100_000, Offer::Amount(69_999), on, exp, Role::Agent, &l), Ok((69_999, Approval::Needed(Role::Supervisor))));
        assert_eq!(
            assess(100_000, pct(50), on, exp, Role::Agent, &l),
            Ok((50_000, Approval::Needed(Role::Supervisor))),
            "50 % off: the supervisor's limit"
        );
        assert_eq!(assess(100_000, pct(49), on, exp, Role::Supervisor, &l), Ok((49_000, Approval::Needed(Role::Admin))));
        assert_eq!(assess(100_000, pct(30), on, exp, Role::Admin, &l), Ok((30_000, Approval::NotNeeded)), "at the floor");
        assert!(matches!(assess(100_000, Offer::Amount(29_999), on, exp, Role::Admin, &l), Err(SettlementError::BelowFloor { .. })));
        assert_eq!(assess(100_000, pct(100), on, exp, Role::Agent, &l), Err(SettlementError::OutOfRange));
        assert_eq!(assess(100_000, pct(80), on, on, Role::Agent, &l), Err(SettlementError::Expiry(60)));
        assert_eq!(assess(100_000, pct(80), on, date(2027, 1, 23), Role::Agent, &l), Err(SettlementError::Expiry(60)));
        assert_eq!(assess(0, pct(80), on, exp, Role::Agent, &l), Err(SettlementError::NothingOwed));
    }

    #[test]
    fn nobody_approves_their_own_request_or_beyond_their_limit() {
        let l = ApprovalLimits::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(may_approve(a, Role::Supervisor, a, Decimal::new(40, 2), &l), Err(SettlementError::OwnRequest));
        assert_eq!(may_approve(b, Role::Supervisor, a, Decimal::new(40, 2), &l), Ok(()));
        assert!(matches!(may_approve(b, Role::Supervisor, a, Decimal::new(51, 2), &l), Err(SettlementError::OverLimit { .. })));
        assert!(matches!(may_approve(b, Role::Auditor, a, Decimal::new(1, 2), &l), Err(SettlementError::OverLimit { .. })));
    }
}
