//! recoup's payment gateways: adapters to card processors behind one trait, [`PaymentGateway`],
//! so the rest of recoup charges a card the same way whichever processor holds it. Card details
//! pass through here on their way to the processor and are dropped; recoup keeps only what
//! [`CardToken`] holds (the processor's token, the brand and the last 4 digits), never a card
//! number or a CVV. A card decline is an ordinary answer ([`ChargeStatus::Declined`]), not an
//! error: [`GatewayError`] is for calls that did not get a decision.

mod card;
mod charge;
mod error;
pub mod stripe;
pub mod test_gateway;

use async_trait::async_trait;

pub use card::{CardDetails, CardToken, card_brand};
pub use charge::{Charge, ChargeRequest, ChargeStatus, DeclineCode, Refund};
pub use error::GatewayError;
pub use stripe::StripeGateway;
pub use test_gateway::TestGateway;

/// A card processor. Implementations are shared between requests, hence `Send + Sync`.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Short stable name stored with each payment ("test", "stripe").
    fn name(&self) -> &'static str;
    /// Turns card details into a reusable token. The details are dropped when this returns.
    async fn tokenize(&self, card: &CardDetails) -> Result<CardToken, GatewayError>;
    /// Charges a tokenized card. `idempotency_key` makes a retried call charge once.
    async fn charge(&self, req: &ChargeRequest) -> Result<Charge, GatewayError>;
    /// Refunds a charge in full (used for chargebacks/ reversals initiated by us).
    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> Result<Refund, GatewayError>;
}
