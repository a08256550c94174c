//! The Stripe adapter against a local HTTP server that speaks the subset of Stripe's API it uses:
//! real requests, real form bodies, real status codes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Form, Json, Router};
use recoup_gateways::test_gateway::{MASTERCARD_APPROVED, VISA_APPROVED, VISA_DECLINED, VISA_EXPIRED, VISA_INSUFFICIENT_FUNDS};
use recoup_gateways::{CardDetails, ChargeRequest, ChargeStatus, DeclineCode, GatewayError, PaymentGateway, StripeGateway, card_brand};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk_test_recoup";

type Fields = Vec<(String, String)>;
type Reply = (StatusCode, Json<Value>);
type Shared = Arc<Mutex<FakeStripe>>;

/// The fake's memory. Like Stripe it keeps a card's brand, last 4 and (for test cards) how it
/// will answer, never the number.
#[derive(Default)]
struct FakeStripe {
    methods: HashMap<String, Method>,
    /// PaymentIntent id -> refunded.
    intents: HashMap<String, bool>,
    replies: HashMap<String, Reply>,
    /// The form of every PaymentIntent the fake created (not of idempotent replays).
    intent_forms: Vec<Fields>,
    next_id: u32,
}

struct Method {
    brand: &'static str,
    last4: String,
    /// Stripe's (code, decline_code) for a card that declines.
    decline: Option<(&'static str, Option<&'static str>)>,
}

impl FakeStripe {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{}", self.next_id)
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v)
}

fn error(status: StatusCode, kind: &str, message: &str) -> Reply {
    (status, Json(json!({"error": {"type": kind, "message": message}})))
}

fn authorized(headers: &HeaderMap) -> Result<(), Reply> {
    let expected = format!("Bearer {KEY}");
    match headers.get(header::AUTHORIZATION) {
        Some(v) if v.as_bytes() == expected.as_bytes() => Ok(()),
        _ => Err(error(StatusCode::UNAUTHORIZED, "invalid_request_error", "Invalid API Key provided")),
    }
}

/// Answers a POST once per Idempotency-Key: a replay gets the first answer without running again.
fn once(fake: &Shared, headers: &HeaderMap, answer: impl FnOnce(&mut FakeStripe) -> Reply) -> Reply {
    if let Err(denied) = authorized(headers) {
        return denied;
    }
    let mut fake = fake.lock().unwrap();
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(seen) = key.as_ref().and_then(|k| fake.replies.get(k)) {
        return seen.clone();
    }
    let reply = answer(&mut fake);
    if let Some(key) = key {
        fake.replies.insert(key, reply.clone());
    }
    reply
}

async fn payment_methods(State(fake): State<Shared>, headers: HeaderMap, Form(f): Form<Fields>) -> Reply {
    once(&fake, &headers, |fake| {
        let number = field(&f, "card[number]");
        if field(&f, "type") != "card" || number.len() < 12 {
            return error(StatusCode::PAYMENT_REQUIRED, "card_error", "Your card number is incorrect.");
        }
        let decline = match number {
            VISA_DECLINED => Some(("card_declined", Some("generic_decline"))),
            VISA_INSUFFICIENT_FUNDS => Some(("card_declined", Some("insufficient_funds"))),
            VISA_EXPIRED => Some(("expired_card", None)),
            _ => None,
        };
        let method = Method { brand: card_brand(number), last4: number[number.len() - 4..].to_string(), decline };
        let id = fake.id("pm");
        let card = json!({
            "brand": method.brand,
            "last4": method.last4,
            "exp_month": field(&f, "card[exp_month]").parse::<u8>().unwrap(),
            "exp_year": field(&f, "card[exp_year]").parse::<u16>().unwrap(),
        });
        fake.methods.insert(id.clone(), method);
        (StatusCode::OK, Json(json!({"id": id, "object": "payment_method", "card": card})))
    })
}

async fn payment_intents(State(fake): State<Shared>, headers: HeaderMap, Form(f): Form<Fields>) -> Reply {
    if !headers.contains_key("idempotency-key") {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "this fake wants an Idempotency-Key on every charge");
    }
    once(&fake, &headers, |fake| {
        let pm = field(&f, "payment_method");
        let Some(decline) = fake.methods.get(pm).map(|m| m.decline) else {
            return error(StatusCode::BAD_REQUEST, "invalid_request_error", &format!("No such PaymentMethod: '{pm}'"));
        };
        let id = fake.id("pi");
        fake.intent_forms.push(f.clone());
        let Some((code, decline_code)) = decline else {
            fake.intents.insert(id.clone(), false);
            let amount: i64 = field(&f, "amount").parse().unwrap();
            let body =
                json!({"id": id, "object": "payment_intent", "status": "succeeded", "amount": amount, "currency": field(&f, "currency")});
            return (StatusCode::OK, Json(body));
        };
        let message = if code == "expired_card" { "Your card has expired." } else { "Your card was declined." };
        let body = json!({"error": {
            "type": "card_error", "code": code, "decline_code": decline_code, "message": message,
            "payment_intent": {"id": id, "object": "payment_intent", "status": "requires_payment_method"},
        }});
        (StatusCode::PAYMENT_REQUIRED, Json(body))
    })
}

async fn refunds(State(fake): State<Shared>, headers: HeaderMap, Form(f): Form<Fields>) -> Reply {
    once(&fake, &headers, |fake| {
        let pi = field(&f, "payment_intent");
        match fake.intents.get_mut(pi) {
            None => error(StatusCode::BAD_REQUEST, "invalid_request_error", &format!("No such payment_intent: '{pi}'")),
            Some(true) => error(StatusCode::BAD_REQUEST, "invalid_request_error", &format!("Charge {pi} has already been refunded.")),
            Some(refunded) => {
                *refunded = true;
                let id = fake.id("re");
                (StatusCode::OK, Json(json!({"id": id, "object": "refund", "status": "succeeded"})))
            }
        }
    })
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A running fake, a gateway with the right key pointed at it, and the fake's memory.
struct Harness {
    gw: StripeGateway,
    fake: Shared,
    base: String,
}

async fn fake_stripe() -> Harness {
    let fake = Shared::default();
    let router = Router::new()
        .route("/v1/payment_methods", post(payment_methods))
        .route("/v1/payment_intents", post(payment_intents))
        .route("/v1/refunds", post(refunds))
        .with_state(fake.clone());
    let base = serve(router).await;
    Harness { gw: StripeGateway::new(&base, KEY), fake, base }
}

fn card(number: &str) -> CardDetails {
    CardDetails { number: number.into(), exp_month: 9, exp_year: 2032, cvc: "314".into(), holder: Some("Grace Hopper".into()) }
}

fn request(token: &str, key: &str) -> ChargeRequest {
    ChargeRequest {
        token: token.into(),
        amount_minor: 12_345,
        currency: "USD".into(),
        idempotency_key: key.into(),
        description: "account ACC-1".into(),
    }
}

async fn charge_card(gw: &StripeGateway, number: &str) -> recoup_gateways::Charge {
    let token = gw.tokenize(&card(number)).await.unwrap();
    gw.charge(&request(&token.token, &format!("key-{number}"))).await.unwrap()
}

fn decline_code(status: &ChargeStatus) -> &DeclineCode {
    match status {
        ChargeStatus::Declined { code, .. } => code,
        ChargeStatus::Succeeded => panic!("expected a decline"),
    }
}

#[tokio::test]
async fn an_approved_card_is_charged_in_minor_units_and_lowercase_currency() {
    let Harness { gw, fake, .. } = fake_stripe().await;
    let token = gw.tokenize(&card(VISA_APPROVED)).await.unwrap();
    assert!(token.token.starts_with("pm_"), "{token:?}");
    assert_eq!((token.brand.as_str(), token.last4.as_str(), token.exp_month, token.exp_year), ("visa", "4242", 9, 2032));

    let charge = gw.charge(&request(&token.token, "k-approved")).await.unwrap();
    assert_eq!(charge.status, ChargeStatus::Succeeded);
    assert!(charge.id.starts_with("pi_"), "{charge:?}");
    assert_eq!((charge.amount_minor, charge.currency.as_str()), (12_345, "USD"));

    let sent = fake.lock().unwrap().intent_forms[0].clone();
    assert_eq!(field(&sent, "amount"), "12345");
    assert_eq!(field(&sent, "currency"), "usd");
    assert_eq!(field(&sent, "payment_method"), token.token);
    assert_eq!(field(&sent, "confirm"), "true");
    assert_eq!(field(&sent, "description"), "account ACC-1");
    assert_eq!(field(&sent, "automatic_payment_methods[enabled]"), "true");
    assert_eq!(field(&sent, "automatic_payment_methods[allow_redirects]"), "never");
}

#[tokio::test]
async fn a_mastercard_tokenizes_with_its_brand() {
    let Harness { gw, .. } = fake_stripe().await;
    let token = gw.tokenize(&card(MASTERCARD_APPROVED)).await.unwrap();
    assert_eq!((token.brand.as_str(), token.last4.as_str()), ("mastercard", "4444"));
}

#[tokio::test]
async fn insufficient_funds_is_a_decline_not_an_error() {
    let Harness { gw, .. } = fake_stripe().await;
    let charge = charge_card(&gw, VISA_INSUFFICIENT_FUNDS).await;
    assert_eq!(decline_code(&charge.status), &DeclineCode::InsufficientFunds);
    assert!(charge.id.starts_with("pi_"), "the declined intent's id is kept: {charge:?}");
    assert_eq!((charge.amount_minor, charge.currency.as_str()), (12_345, "USD"));
}

#[tokio::test]
async fn an_expired_card_is_a_decline() {
    let Harness { gw, .. } = fake_stripe().await;
    let charge = charge_card(&gw, VISA_EXPIRED).await;
    assert_eq!(decline_code(&charge.status), &DeclineCode::ExpiredCard);
    let ChargeStatus::Declined { message, .. } = charge.status else { unreachable!() };
    assert_eq!(message, "Your card has expired.");
}

#[tokio::test]
async fn a_generic_decline_is_declined() {
    let Harness { gw, .. } = fake_stripe().await;
    assert_eq!(decline_code(&charge_card(&gw, VISA_DECLINED).await.status), &DeclineCode::Declined);
}

#[tokio::test]
async fn a_wrong_secret_key_is_rejected_with_stripes_message() {
    let Harness { base, .. } = fake_stripe().await;
    let wrong = StripeGateway::new(base, "sk_test_wrong");
    let err = wrong.tokenize(&card(VISA_APPROVED)).await.unwrap_err();
    assert_eq!(err, GatewayError::Rejected("Invalid API Key provided".into()));
}

#[tokio::test]
async fn an_unknown_payment_method_is_rejected() {
    let Harness { gw, .. } = fake_stripe().await;
    let err = gw.charge(&request("pm_nope", "k")).await.unwrap_err();
    assert_eq!(err, GatewayError::Rejected("No such PaymentMethod: 'pm_nope'".into()));
}

#[tokio::test]
async fn an_invalid_card_never_leaves_the_process() {
    let Harness { gw, fake, .. } = fake_stripe().await;
    let err = gw.tokenize(&card("4242424242424241")).await.unwrap_err();
    assert!(matches!(err, GatewayError::InvalidCard(_)), "{err:?}");
    assert!(fake.lock().unwrap().methods.is_empty());
}

#[tokio::test]
async fn a_server_error_is_unavailable() {
    let base = serve(Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR })).await;
    let err = StripeGateway::new(base, KEY).charge(&request("pm_1", "k")).await.unwrap_err();
    assert_eq!(err, GatewayError::Unavailable("Stripe answered HTTP 500".into()));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port that was free a moment ago: nothing listens there once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = StripeGateway::new(format!("http://127.0.0.1:{port}"), KEY).tokenize(&card(VISA_APPROVED)).await.unwrap_err();
    assert_eq!(err, GatewayError::Unavailable("could not connect to Stripe".into()));
}

#[tokio::test]
async fn a_slow_server_times_out_as_unavailable() {
    let slow = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        StatusCode::OK
    });
    let gw = StripeGateway::new(serve(slow).await, KEY).with_timeout(Duration::from_millis(200));
    let err = gw.charge(&request("pm_1", "k")).await.unwrap_err();
    assert_eq!(err, GatewayError::Unavailable("Stripe did not answer in time".into()));
}

#[tokio::test]
async fn an_unparseable_answer_is_a_protocol_error() {
    let base = serve(Router::new().fallback(|| async { (StatusCode::OK, "<html>maintenance</html>") })).await;
    let err = StripeGateway::new(base, KEY).charge(&request("pm_1", "k")).await.unwrap_err();
    assert!(matches!(err, GatewayError::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_same_intent() {
    let Harness { gw, fake, .. } = fake_stripe().await;
    let token = gw.tokenize(&card(VISA_APPROVED)).await.unwrap();
    let first = gw.charge(&request(&token.token, "k-retry")).await.unwrap();
    let retry = gw.charge(&request(&token.token, "k-retry")).await.unwrap();
    assert_eq!(first, retry);
    assert_eq!(fake.lock().unwrap().intent_forms.len(), 1, "the retry created no second intent");
    let other = gw.charge(&request(&token.token, "k-other")).await.unwrap();
    assert_ne!(other.id, first.id);
}

#[tokio::test]
async fn a_charge_refunds_once() {
    let Harness { gw, .. } = fake_stripe().await;
    let charge = charge_card(&gw, VISA_APPROVED).await;
    let refund = gw.refund(&charge.id, "r-1").await.unwrap();
    assert!(refund.id.starts_with("re_"), "{refund:?}");
    assert_eq!(refund.status, "succeeded");
    assert_eq!(gw.refund(&charge.id, "r-1").await.unwrap(), refund, "a retry answers the same refund");
    let err = gw.refund(&charge.id, "r-2").await.unwrap_err();
    assert_eq!(err, GatewayError::Rejected(format!("Charge {} has already been refunded.", charge.id)));
}
