//! The `test` gateway: an in-memory processor for development, demos and tests. It never touches
//! the network and forgets everything when dropped. Its test cards (any expiry month 1–12, any
//! 3–4 digit CVC) answer as follows:
//!
//! | number             | brand      | charge answers                  |
//! |--------------------|------------|---------------------------------|
//! | `4242424242424242` | visa       | approved                        |
//! | `4000000000000002` | visa       | declined (`declined`)           |
//! | `4000000000009995` | visa       | declined (`insufficient_funds`) |
//! | `4000000000000069` | visa       | declined (`expired_card`)       |
//! | `5555555555554444` | mastercard | approved                        |
//! | `378282246310005`  | amex       | approved                        |
//!
//! Any other number that passes the Luhn check is approved; one that fails it cannot be
//! tokenized. Like a real processor it keeps only a token's outcome, brand and last 4 digits.

use crate::{CardDetails, CardToken, Charge, ChargeRequest, ChargeStatus, DeclineCode, GatewayError, PaymentGateway, Refund, card_brand};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub const VISA_APPROVED: &str = "4242424242424242";
pub const VISA_DECLINED: &str = "4000000000000002";
pub const VISA_INSUFFICIENT_FUNDS: &str = "4000000000009995";
pub const VISA_EXPIRED: &str = "4000000000000069";
pub const MASTERCARD_APPROVED: &str = "5555555555554444";
pub const AMEX_APPROVED: &str = "378282246310005";

/// The in-memory processor. Cheap to create; share one behind an `Arc` so tokens outlive a call.
#[derive(Debug, Default)]
pub struct TestGateway {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    cards: HashMap<String, StoredCard>,
    charges: HashMap<String, StoredCharge>,
    charges_by_key: HashMap<String, (Fingerprint, Charge)>,
    refunds_by_key: HashMap<String, (String, Refund)>,
}

/// Everything the gateway remembers of a card: no number, no CVC.
#[derive(Debug)]
struct StoredCard {
    decline: Option<DeclineCode>,
    brand: &'static str,
    last4: String,
}

#[derive(Debug)]
struct StoredCharge {
    succeeded: bool,
    refunded: bool,
}

/// What a retried charge must repeat for its idempotency key to stand for the same charge.
type Fingerprint = (String, i64, String);

impl TestGateway {
    pub fn new() -> Self {
        TestGateway::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the lock with the maps half-updated, so a poisoned
        // lock still guards consistent data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How a documented test card answers a charge; `None` approves.
fn decline_for(number: &str) -> Option<DeclineCode> {
    match number {
        VISA_DECLINED => Some(DeclineCode::Declined),
        VISA_INSUFFICIENT_FUNDS => Some(DeclineCode::InsufficientFunds),
        VISA_EXPIRED => Some(DeclineCode::ExpiredCard),
        _ => None,
    }
}

fn decline_message(code: &DeclineCode) -> &'static str {
    match code {
        DeclineCode::InsufficientFunds => "Your card has insufficient funds.",
        DeclineCode::ExpiredCard => "Your card has expired.",
        _ => "Your card was declined.",
    }
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

#[async_trait]
impl PaymentGateway for TestGateway {
    fn name(&self) -> &'static str {
        "test"
    }

    async fn tokenize(&self, card: &CardDetails) -> Result<CardToken, GatewayError> {
        card.validate()?;
        let brand = card_brand(&card.number);
        let token = CardToken {
            token: new_id("tok_test_"),
            brand: brand.to_string(),
            last4: card.last4(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        };
        let stored = StoredCard { decline: decline_for(&card.number), brand, last4: token.last4.clone() };
        self.state().cards.insert(token.token.clone(), stored);
        Ok(token)
    }

    async fn charge(&self, req: &ChargeRequest) -> Result<Charge, GatewayError> {
        req.validate()?;
        let fingerprint = (req.token.clone(), req.amount_minor, req.currency.to_ascii_uppercase());
        let mut state = self.state();
        if let Some((seen, charge)) = state.charges_by_key.get(&req.idempotency_key) {
            if *seen != fingerprint {
                return Err(GatewayError::Rejected("the idempotency key was used for a different charge".into()));
            }
            return Ok(charge.clone());
        }
        let Some(card) = state.cards.get(&req.token) else {
            return Err(GatewayError::Rejected(format!("no such token: {}", req.token)));
        };
        let status = match &card.decline {
            None => ChargeStatus::Succeeded,
            Some(code) => ChargeStatus::Declined { code: code.clone(), message: decline_message(code).to_string() },
        };
        let charge = Charge { id: new_id("ch_test_"), status, amount_minor: req.amount_minor, currency: fingerprint.2.clone() };
        tracing::debug!(charge = %charge.id, brand = card.brand, last4 = %card.last4, succeeded = charge.succeeded(), "test gateway charge");
        state.charges.insert(charge.id.clone(), StoredCharge { succeeded: charge.succeeded(), refunded: false });
        state.charges_by_key.insert(req.idempotency_key.clone(), (fingerprint, charge.clone()));
        Ok(charge)
    }

    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> Result<Refund, GatewayError> {
        let mut state = self.state();
        if let Some((refunded_charge, refund)) = state.refunds_by_key.get(idempotency_key) {
            if refunded_charge != charge_id {
                return Err(GatewayError::Rejected("the idempotency key was used for a different refund".into()));
            }
            return Ok(refund.clone());
        }
        let Some(charge) = state.charges.get_mut(charge_id) else {
            return Err(GatewayError::Rejected(format!("no such charge: {charge_id}")));
        };
        if !charge.succeeded {
            return Err(GatewayError::Rejected("a declined charge has nothing to refund".into()));
        }
        if charge.refunded {
            return Err(GatewayError::Rejected(format!("charge {charge_id} is already refunded")));
        }
        charge.refunded = true;
        let refund = Refund { id: new_id("re_test_"), status: "succeeded".into() };
        state.refunds_by_key.insert(idempotency_key.to_string(), (charge_id.to_string(), refund.clone()));
        Ok(refund)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str) -> CardDetails {
        CardDetails { number: number.into(), exp_month: 4, exp_year: 2031, cvc: "737".into(), holder: None }
    }

    fn request(token: &str, key: &str) -> ChargeRequest {
        ChargeRequest {
            token: token.into(),
            amount_minor: 12_345,
            currency: "usd".into(),
            idempotency_key: key.into(),
            description: "account 42".into(),
        }
    }

    async fn charge_card(gw: &dyn PaymentGateway, number: &str) -> Charge {
        let token = gw.tokenize(&card(number)).await.expect("a test card tokenizes");
        gw.charge(&request(&token.token, number)).await.expect("the charge gets a decision")
    }

    fn declined_with(charge: &Charge) -> Option<&DeclineCode> {
        match &charge.status {
            ChargeStatus::Succeeded => None,
            ChargeStatus::Declined { code, .. } => Some(code),
        }
    }

    #[tokio::test]
    async fn every_documented_card_answers_as_documented() {
        let gw = TestGateway::new();
        let cases = [
            (VISA_APPROVED, "visa", None),
            (VISA_DECLINED, "visa", Some(DeclineCode::Declined)),
            (VISA_INSUFFICIENT_FUNDS, "visa", Some(DeclineCode::InsufficientFunds)),
            (VISA_EXPIRED, "visa", Some(DeclineCode::ExpiredCard)),
            (MASTERCARD_APPROVED, "mastercard", None),
            (AMEX_APPROVED, "amex", None),
            ("6011111111111117", "discover", None),
        ];
        for (number, brand, decline) in cases {
            let token = gw.tokenize(&card(number)).await.unwrap();
            assert_eq!(token.brand, brand, "{number}");
            assert_eq!(token.last4, &number[number.len() - 4..]);
            assert!(token.token.starts_with("tok_test_"));
            assert_eq!((token.exp_month, token.exp_year), (4, 2031));
            let charge = gw.charge(&request(&token.token, number)).await.unwrap();
            assert!(charge.id.starts_with("ch_test_"));
            assert_eq!(declined_with(&charge), decline.as_ref(), "{number}");
            assert_eq!((charge.amount_minor, charge.currency.as_str()), (12_345, "USD"));
        }
    }

    #[tokio::test]
    async fn declines_carry_a_message_for_the_payer() {
        let charge = charge_card(&TestGateway::new(), VISA_INSUFFICIENT_FUNDS).await;
        let ChargeStatus::Declined { message, .. } = charge.status else { panic!("approved") };
        assert!(message.contains("insufficient funds"), "{message}");
    }

    #[tokio::test]
    async fn a_number_failing_luhn_is_not_tokenized() {
        let err = TestGateway::new().tokenize(&card("4242424242424241")).await.unwrap_err();
        assert!(matches!(err, GatewayError::InvalidCard(_)), "{err:?}");
    }

    #[tokio::test]
    async fn the_gateway_keeps_no_card_number() {
        let gw = TestGateway::new();
        gw.tokenize(&card(VISA_APPROVED)).await.unwrap();
        let kept = format!("{gw:?}");
        assert!(!kept.contains(VISA_APPROVED), "{kept}");
    }

    #[tokio::test]
    async fn the_same_key_charges_once() {
        let gw = TestGateway::new();
        let token = gw.tokenize(&card(VISA_APPROVED)).await.unwrap().token;
        let first = gw.charge(&request(&token, "k1")).await.unwrap();
        let retry = gw.charge(&request(&token, "k1")).await.unwrap();
        let other = gw.charge(&request(&token, "k2")).await.unwrap();
        assert_eq!(first, retry);
        assert_ne!(first.id, other.id);
        let changed = ChargeRequest { amount_minor: 1, ..request(&token, "k1") };
        assert!(matches!(gw.charge(&changed).await, Err(GatewayError::Rejected(_))));
    }

    #[tokio::test]
    async fn an_unknown_token_is_rejected() {
        let err = TestGateway::new().charge(&request("tok_test_nope", "k")).await.unwrap_err();
        assert!(matches!(err, GatewayError::Rejected(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_charge_refunds_once() {
        let gw = TestGateway::new();
        let charge = charge_card(&gw, MASTERCARD_APPROVED).await;
        let refund = gw.refund(&charge.id, "r1").await.unwrap();
        assert!(refund.id.starts_with("re_test_"));
        assert_eq!(refund.status, "succeeded");
        assert_eq!(gw.refund(&charge.id, "r1").await.unwrap(), refund, "a retry answers the same refund");
        let again = gw.refund(&charge.id, "r2").await.unwrap_err();
        assert!(matches!(again, GatewayError::Rejected(_)), "{again:?}");
    }

    #[tokio::test]
    async fn unknown_and_declined_charges_are_not_refunded() {
        let gw = TestGateway::new();
        assert!(matches!(gw.refund("ch_test_nope", "r").await, Err(GatewayError::Rejected(_))));
        let declined = charge_card(&gw, VISA_DECLINED).await;
        assert!(matches!(gw.refund(&declined.id, "r").await, Err(GatewayError::Rejected(_))));
    }

    #[test]
    fn the_gateway_is_named_test() {
        assert_eq!(TestGateway::new().name(), "test");
    }
}
