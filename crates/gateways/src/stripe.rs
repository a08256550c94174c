//! The `stripe` gateway: Stripe's public REST API (form-encoded requests, JSON answers).
//! Cards become PaymentMethods (`pm_...`), charges are confirmed PaymentIntents (`pi_...`) and
//! refunds refund a whole PaymentIntent. Charges and refunds carry our idempotency key as
//! Stripe's `Idempotency-Key` header, so a retry after a timeout never charges twice.

use crate::{CardDetails, CardToken, Charge, ChargeRequest, ChargeStatus, DeclineCode, GatewayError, PaymentGateway, Refund};
use async_trait::async_trait;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// Authorisations usually take a few seconds; past this the caller is better served by a retry
/// with the same idempotency key than by waiting on.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct StripeGateway {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl StripeGateway {
    /// `base_url` is normally `https://api.stripe.com`; tests point it at a local server.
    pub fn new(base_url: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        StripeGateway { http: http_client(DEFAULT_TIMEOUT), base_url, secret_key: secret_key.into() }
    }

    /// Replaces the per-request timeout ([`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        StripeGateway { http: http_client(timeout), ..self }
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, form: &[(&str, String)], key: Option<&str>) -> Result<Answer<T>, GatewayError> {
        let mut request = self.http.post(format!("{}{path}", self.base_url)).bearer_auth(&self.secret_key).form(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        tracing::debug!(path, status, "stripe answered");
        interpret(status, &body)
    }
}

impl fmt::Debug for StripeGateway {
    // The secret key moves money: it must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeGateway").field("base_url", &self.base_url).field("secret_key", &"[redacted]").finish_non_exhaustive()
    }
}

fn http_client(timeout: Duration) -> reqwest::Client {
    // reqwest is built without a bundled crypto provider; ring is ours. Installing twice is
    // harmless (the second call reports the first is in place).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        // Stripe does not redirect API calls; following one would hand a charge to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("recoup-gateways/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's settings are valid")
}

/// Stripe's answer once the transport worked: the object asked for, or a card error (HTTP 402),
/// which is a decision about the card rather than a failed call.
enum Answer<T> {
    Done(T),
    CardError(ApiError),
}

fn interpret<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Answer<T>, GatewayError> {
    match status {
        200..=299 => serde_json::from_slice(body).map(Answer::Done).map_err(|e| GatewayError::Protocol(format!("Stripe's answer: {e}"))),
        // Rate limits pass with time, like outages: the caller may retry with the same key.
        429 | 500..=599 => Err(GatewayError::Unavailable(format!("Stripe answered HTTP {status}"))),
        400..=499 => match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) if error.kind.as_deref() == Some("card_error") => Ok(Answer::CardError(error)),
            Ok(Envelope { error }) => {
                Err(GatewayError::Rejected(error.message.unwrap_or_else(|| format!("Stripe answered HTTP {status}"))))
            }
            Err(_) => Err(GatewayError::Rejected(format!("Stripe answered HTTP {status}"))),
        },
        _ => Err(GatewayError::Protocol(format!("Stripe answered HTTP {status}"))),
    }
}

/// A transport failure in words an operator can act on, without the URL.
fn transport(e: reqwest::Error) -> GatewayError {
    if e.is_timeout() {
        return GatewayError::Unavailable("Stripe did not answer in time".into());
    }
    if e.is_connect() {
        return GatewayError::Unavailable("could not connect to Stripe".into());
    }
    GatewayError::Unavailable(e.without_url().to_string())
}

#[derive(Deserialize)]
struct Envelope {
    error: ApiError,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
    payment_intent: Option<ObjectId>,
}

#[derive(Debug, Deserialize)]
struct ObjectId {
    id: String,
}

#[derive(Deserialize)]
struct PaymentMethod {
    id: String,
    card: Option<PaymentMethodCard>,
}

#[derive(Deserialize)]
struct PaymentMethodCard {
    brand: String,
    last4: String,
    exp_month: u8,
    exp_year: u16,
}

#[derive(Deserialize)]
struct PaymentIntent {
    id: String,
    status: String,
    amount: i64,
    currency: String,
    last_payment_error: Option<ApiError>,
}

#[derive(Deserialize)]
struct StripeRefund {
    id: String,
    status: String,
}

/// The issuer's reason (`decline_code`) says more than Stripe's category (`code`).
fn decline_code(e: &ApiError) -> DeclineCode {
    match e.decline_code.as_deref().or(e.code.as_deref()) {
        None | Some("card_declined" | "generic_decline") => DeclineCode::Declined,
        Some(code) => DeclineCode::parse(code),
    }
}

fn declined(e: ApiError, fallback: &str) -> ChargeStatus {
    let code = decline_code(&e);
    ChargeStatus::Declined { code, message: e.message.unwrap_or_else(|| fallback.to_string()) }
}

/// A PaymentIntent that did not succeed is not a charge we can count on; an off-session charge
/// cannot complete authentication or wait for a later settlement.
fn intent_status(pi: PaymentIntent) -> ChargeStatus {
    match (pi.status.as_str(), pi.last_payment_error) {
        ("succeeded", _) => ChargeStatus::Succeeded,
        ("processing", _) => {
            ChargeStatus::Declined { code: DeclineCode::ProcessingError, message: "the payment is still processing at Stripe".into() }
        }
        (_, Some(error)) => declined(error, "Your card was declined."),
        ("requires_action", None) => ChargeStatus::Declined {
            code: DeclineCode::Other("requires_action".into()),
            message: "the card asks for the holder's authentication, which a charge without the payer cannot give".into(),
        },
        (other, None) => {
            ChargeStatus::Declined { code: DeclineCode::Other(other.to_string()), message: format!("the payment is {other} at Stripe") }
        }
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn tokenize(&self, card: &CardDetails) -> Result<CardToken, GatewayError> {
        card.validate()?;
        let mut form = vec![
            ("type", "card".to_string()),
            ("card[number]", card.number.clone()),
            ("card[exp_month]", card.exp_month.to_string()),
            ("card[exp_year]", card.exp_year.to_string()),
            ("card[cvc]", card.cvc.clone()),
        ];
        if let Some(holder) = &card.holder {
            form.push(("billing_details[name]", holder.clone()));
        }
        // Creating a PaymentMethod has no side effect worth deduplicating, so no idempotency key.
        let pm = match self.post::<PaymentMethod>("/v1/payment_methods", &form, None).await? {
            Answer::Done(pm) => pm,
            Answer::CardError(e) => return Err(GatewayError::InvalidCard(e.message.unwrap_or_else(|| "Stripe refused the card".into()))),
        };
        let c = pm.card.ok_or_else(|| GatewayError::Protocol("Stripe's payment method has no card".into()))?;
        Ok(CardToken { token: pm.id, brand: c.brand, last4: c.last4, exp_month: c.exp_month, exp_year: c.exp_year })
    }

    async fn charge(&self, req: &ChargeRequest) -> Result<Charge, GatewayError> {
        req.validate()?;
        let form = [
            ("amount", req.amount_minor.to_string()),
            ("currency", req.currency.to_ascii_lowercase()),
            ("payment_method", req.token.clone()),
            ("confirm", "true".into()),
            ("description", req.description.clone()),
            ("automatic_payment_methods[enabled]", "true".into()),
            // A redirect-based method would need the payer in a browser; we charge without one.
            ("automatic_payment_methods[allow_redirects]", "never".into()),
        ];
        match self.post::<PaymentIntent>("/v1/payment_intents", &form, Some(&req.idempotency_key)).await? {
            Answer::Done(pi) => {
                let (id, amount_minor, currency) = (pi.id.clone(), pi.amount, pi.currency.to_ascii_uppercase());
                Ok(Charge { id, status: intent_status(pi), amount_minor, currency })
            }
            Answer::CardError(mut e) => {
                let id = e.payment_intent.take().map(|pi| pi.id).unwrap_or_default();
                let status = declined(e, "Your card was declined.");
                Ok(Charge { id, status, amount_minor: req.amount_minor, currency: req.currency.to_ascii_uppercase() })
            }
        }
    }

    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> Result<Refund, GatewayError> {
        if idempotency_key.is_empty() {
            return Err(GatewayError::Rejected("an idempotency key is required".into()));
        }
        let form = [("payment_intent", charge_id.to_string())];
        match self.post::<StripeRefund>("/v1/refunds", &form, Some(idempotency_key)).await? {
            Answer::Done(r) => Ok(Refund { id: r.id, status: r.status }),
            Answer::CardError(e) => Err(GatewayError::Rejected(e.message.unwrap_or_else(|| "Stripe refused the refund".into()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card_error(body: &str) -> ApiError {
        match interpret::<PaymentIntent>(402, body.as_bytes()) {
            Ok(Answer::CardError(e)) => e,
            _ => panic!("not a card error: {body}"),
        }
    }

    #[test]
    fn the_issuers_decline_code_wins_over_stripes_code() {
        let e = card_error(r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"m"}}"#);
        assert_eq!(decline_code(&e), DeclineCode::InsufficientFunds);
        let e = card_error(r#"{"error":{"type":"card_error","code":"incorrect_cvc","message":"m"}}"#);
        assert_eq!(decline_code(&e), DeclineCode::IncorrectCvc);
        let e = card_error(r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline"}}"#);
        assert_eq!(decline_code(&e), DeclineCode::Declined);
        let e = card_error(r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"lost_card"}}"#);
        assert_eq!(decline_code(&e), DeclineCode::Other("lost_card".into()));
    }

    #[test]
    fn http_statuses_map_to_errors() {
        let status = |s: u16, body: &str| interpret::<PaymentIntent>(s, body.as_bytes()).err();
        let invalid = r#"{"error":{"type":"invalid_request_error","message":"No such payment_method"}}"#;
        assert_eq!(status(400, invalid), Some(GatewayError::Rejected("No such payment_method".into())));
        assert_eq!(status(401, "not json"), Some(GatewayError::Rejected("Stripe answered HTTP 401".into())));
        assert!(matches!(status(429, ""), Some(GatewayError::Unavailable(_))));
        assert!(matches!(status(503, ""), Some(GatewayError::Unavailable(_))));
        assert!(matches!(status(200, "{"), Some(GatewayError::Protocol(_))));
        assert!(matches!(status(302, ""), Some(GatewayError::Protocol(_))));
    }

    #[test]
    fn intents_that_did_not_succeed_are_declines() {
        let pi = |status: &str| PaymentIntent {
            id: "pi_1".into(),
            status: status.into(),
            amount: 1,
            currency: "usd".into(),
            last_payment_error: None,
        };
        assert_eq!(intent_status(pi("succeeded")), ChargeStatus::Succeeded);
        let code = |s: ChargeStatus| match s {
            ChargeStatus::Declined { code, .. } => code,
            ChargeStatus::Succeeded => panic!("succeeded"),
        };
        assert_eq!(code(intent_status(pi("processing"))), DeclineCode::ProcessingError);
        assert_eq!(code(intent_status(pi("requires_action"))), DeclineCode::Other("requires_action".into()));
        let failed = PaymentIntent {
            last_payment_error: Some(ApiError {
                kind: Some("card_error".into()),
                code: Some("expired_card".into()),
                decline_code: None,
                message: None,
                payment_intent: None,
            }),
            ..pi("requires_payment_method")
        };
        assert_eq!(code(intent_status(failed)), DeclineCode::ExpiredCard);
    }

    #[test]
    fn debug_hides_the_secret_key() {
        let gw = StripeGateway::new("https://api.stripe.com/", "sk_test_supersecret");
        let shown = format!("{gw:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("https://api.stripe.com\""), "{shown}");
    }
}
