//! Business events: what integrators are told happened, as opposed to the audit chain, which
//! records every change for auditors. An event is written in the same transaction as the change
//! it reports, so a subscriber never hears of a change that was rolled back and never misses one
//! that was committed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kinds of event a webhook subscription can ask for. The dotted names are the wire format
/// and stable: integrators match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventType {
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "account.updated")]
    AccountUpdated,
    #[serde(rename = "account.status_changed")]
    AccountStatusChanged,
    #[serde(rename = "placement.completed")]
    PlacementCompleted,
    #[serde(rename = "payment.posted")]
    PaymentPosted,
    #[serde(rename = "payment.reversed")]
    PaymentReversed,
    #[serde(rename = "consent.changed")]
    ConsentChanged,
    #[serde(rename = "note.added")]
    NoteAdded,
    #[serde(rename = "promise.kept")]
    PromiseKept,
    #[serde(rename = "promise.broken")]
    PromiseBroken,
    #[serde(rename = "dispute.opened")]
    DisputeOpened,
    #[serde(rename = "hold.added")]
    HoldAdded,
    #[serde(rename = "promise.created")]
    PromiseCreated,
    #[serde(rename = "plan.created")]
    PlanCreated,
    #[serde(rename = "plan.at_risk")]
    PlanAtRisk,
    #[serde(rename = "plan.broken")]
    PlanBroken,
    #[serde(rename = "plan.completed")]
    PlanCompleted,
    #[serde(rename = "settlement.offered")]
    SettlementOffered,
    #[serde(rename = "settlement.completed")]
    SettlementCompleted,
    #[serde(rename = "dispute.updated")]
    DisputeUpdated,
    #[serde(rename = "hold.released")]
    HoldReleased,
    #[serde(rename = "message.blocked")]
    MessageBlocked,
    /// Sent by `POST /webhooks/{id}/ping` so an integrator can check its receiver.
    #[serde(rename = "webhook.ping")]
    WebhookPing,
}

impl EventType {
    pub const ALL: [EventType; 23] = [
        EventType::AccountCreated,
        EventType::AccountUpdated,
        EventType::AccountStatusChanged,
        EventType::PlacementCompleted,
        EventType::PaymentPosted,
        EventType::PaymentReversed,
        EventType::ConsentChanged,
        EventType::NoteAdded,
        EventType::PromiseKept,
        EventType::PromiseBroken,
        EventType::DisputeOpened,
        EventType::HoldAdded,
        EventType::PromiseCreated,
        EventType::PlanCreated,
        EventType::PlanAtRisk,
        EventType::PlanBroken,
        EventType::PlanCompleted,
        EventType::SettlementOffered,
        EventType::SettlementCompleted,
        EventType::DisputeUpdated,
        EventType::HoldReleased,
        EventType::MessageBlocked,
        EventType::WebhookPing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AccountCreated => "account.created",
            EventType::AccountUpdated => "account.updated",
            EventType::AccountStatusChanged => "account.status_changed",
            EventType::PlacementCompleted => "placement.completed",
            EventType::PaymentPosted => "payment.posted",
            EventType::PaymentReversed => "payment.reversed",
            EventType::ConsentChanged => "consent.changed",
            EventType::NoteAdded => "note.added",
            EventType::PromiseKept => "promise.kept",
            EventType::PromiseBroken => "promise.broken",
            EventType::DisputeOpened => "dispute.opened",
            EventType::HoldAdded => "hold.added",
            EventType::PromiseCreated => "promise.created",
            EventType::PlanCreated => "plan.created",
            EventType::PlanAtRisk => "plan.at_risk",
            EventType::PlanBroken => "plan.broken",
            EventType::PlanCompleted => "plan.completed",
            EventType::SettlementOffered => "settlement.offered",
            EventType::SettlementCompleted => "settlement.completed",
            EventType::DisputeUpdated => "dispute.updated",
            EventType::HoldReleased => "hold.released",
            EventType::MessageBlocked => "message.blocked",
            EventType::WebhookPing => "webhook.ping",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event as stored and as delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// UTC microseconds since the Unix epoch.
    pub occurred_at: i64,
    /// The entity the event is about (an account, a placement, a webhook subscription).
    pub subject_id: Uuid,
    /// The event's details: for account events the account's id, reference and client at least.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::json!(t.as_str()));
        }
        assert_eq!(EventType::parse("payment.posted "), None);
        assert_eq!(EventType::parse("Payment.Posted"), None);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
    }
}
