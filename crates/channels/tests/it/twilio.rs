//! The Twilio adapter against a local HTTP server that speaks the part of the Messages API it
//! uses: the real path, basic auth, a form body, Twilio's JSON answers and error documents.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use recoup_channels::transport::{Medium, Outgoing, ProviderStatus, SendError, Sent, Transport};
use recoup_channels::twilio::{Sender, TwilioConfig, TwilioSms};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";
const FROM: &str = "+16175550100";
const CALLBACK: &str = "https://recoup.example/webhooks/twilio/status";

type Fields = Vec<(String, String)>;
type Received = Arc<Mutex<Vec<Fields>>>;
type Reply = (StatusCode, Json<Value>);

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn error(status: StatusCode, code: u32, message: &str) -> Reply {
    (
        status,
        Json(
            json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status.as_u16()}),
        ),
    )
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", BASE64.encode(format!("{SID}:{TOKEN}")));
    headers.get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes() == expected.as_bytes())
}

/// Twilio's Messages endpoint: refuses what Twilio would refuse, keeps what it accepted.
async fn messages(State(received): State<Received>, Path(account): Path<String>, headers: HeaderMap, Form(f): Form<Fields>) -> Reply {
    if account != SID || !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let (Some(to), Some(body)) = (field(&f, "To"), field(&f, "Body")) else {
        return error(StatusCode::BAD_REQUEST, 21604, "A 'To' phone number and a 'Body' are required.");
    };
    if field(&f, "From").is_none() && field(&f, "MessagingServiceSid").is_none() {
        return error(StatusCode::BAD_REQUEST, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
    }
    let answer = json!({
        "account_sid": SID, "api_version": "2010-04-01", "body": body, "direction": "outbound-api",
        "error_code": null, "error_message": null, "from": field(&f, "From"), "num_segments": "1",
        "sid": "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9", "status": "queued", "to": to,
        "uri": format!("/2010-04-01/Accounts/{SID}/Messages/SM0a1b2c3d4e5f60718293a4b5c6d7e8f9.json"),
    });
    received.lock().unwrap().push(f);
    (StatusCode::CREATED, Json(answer))
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn fake_twilio() -> (String, Received) {
    let received = Received::default();
    let router = Router::new().route("/2010-04-01/Accounts/{account}/Messages.json", post(messages)).with_state(received.clone());
    (serve(router).await, received)
}

fn config(base_url: &str) -> TwilioConfig {
    TwilioConfig {
        base_url: base_url.to_string(),
        status_callback: Some(CALLBACK.into()),
        timeout: Duration::from_secs(5),
        ..TwilioConfig::new(SID, TOKEN, Sender::From(FROM.into()))
    }
}

fn sms(body: &str) -> Outgoing {
    Outgoing {
        message_id: Uuid::from_u128(7),
        medium: Medium::Sms,
        to: "+16175550134".into(),
        subject: None,
        text: body.into(),
        html: None,
        list_unsubscribe: None,
        pdf: None,
        pdf_name: None,
        status_callback: None,
    }
}

#[tokio::test]
async fn a_message_is_created_and_queued() {
    let (base, received) = fake_twilio().await;
    let twilio = TwilioSms::new(config(&base)).unwrap();
    let body = "Acme Recovery: a payment of $50.00 is due on 2026-12-01. Reply STOP to opt out.";
    let sent = twilio.send(&sms(body)).await.unwrap();
    assert_eq!(
        sent,
        Sent { transport: "twilio", provider_id: "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(), status: ProviderStatus::Queued }
    );

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let f = &got[0];
    assert_eq!(field(f, "To"), Some("+16175550134"));
    assert_eq!(field(f, "From"), Some(FROM));
    assert_eq!(field(f, "Body"), Some(body));
    assert_eq!(field(f, "StatusCallback"), Some(CALLBACK));
    assert_eq!(field(f, "MessagingServiceSid"), None);
}

#[tokio::test]
async fn a_messaging_service_replaces_the_from_number() {
    let (base, received) = fake_twilio().await;
    let cfg = TwilioConfig { sender: Sender::MessagingService("MG9876".into()), status_callback: None, ..config(&base) };
    TwilioSms::new(cfg).unwrap().send(&sms("Hello")).await.unwrap();
    let f = received.lock().unwrap()[0].clone();
    assert_eq!(field(&f, "MessagingServiceSid"), Some("MG9876"));
    assert_eq!(field(&f, "From"), None);
    assert_eq!(field(&f, "StatusCallback"), None);
}

#[tokio::test]
async fn a_wrong_token_is_permanent() {
    let (base, received) = fake_twilio().await;
    let cfg = TwilioConfig { auth_token: "wrong".into(), ..config(&base) };
    let err = TwilioSms::new(cfg).unwrap().send(&sms("Hello")).await.unwrap_err();
    assert_eq!(err, SendError::Permanent("Twilio error 20003: Authenticate".into()));
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_number_is_permanent_with_twilios_message() {
    let router = Router::new().fallback(|| async {
        let body = json!({"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "status": 400});
        (StatusCode::BAD_REQUEST, Json(body))
    });
    let twilio = TwilioSms::new(config(&serve(router).await)).unwrap();
    let err = twilio.send(&sms("Hello")).await.unwrap_err();
    assert_eq!(err, SendError::Permanent("Twilio error 21211: The 'To' number +1555 is not a valid phone number.".into()));
}

#[tokio::test]
async fn a_server_error_is_temporary() {
    let router = Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR });
    let err = TwilioSms::new(config(&serve(router).await)).unwrap().send(&sms("Hello")).await.unwrap_err();
    assert_eq!(err, SendError::Temporary("Twilio answered HTTP 500".into()));
}

#[tokio::test]
async fn too_many_requests_is_temporary() {
    let router = Router::new().fallback(|| async { error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests") });
    let err = TwilioSms::new(config(&serve(router).await)).unwrap().send(&sms("Hello")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_slow_server_times_out_as_temporary() {
    let slow = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        StatusCode::CREATED
    });
    let cfg = TwilioConfig { timeout: Duration::from_millis(200), ..config(&serve(slow).await) };
    let err = TwilioSms::new(cfg).unwrap().send(&sms("Hello")).await.unwrap_err();
    assert_eq!(err, SendError::Temporary("Twilio did not answer in time".into()));
}

#[tokio::test]
async fn an_unreachable_server_is_temporary() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = TwilioSms::new(config(&format!("http://127.0.0.1:{port}"))).unwrap().send(&sms("Hello")).await.unwrap_err();
    assert_eq!(err, SendError::Temporary("could not connect to Twilio".into()));
}

#[tokio::test]
async fn what_twilio_would_refuse_never_leaves() {
    let (base, received) = fake_twilio().await;
    let twilio = TwilioSms::new(config(&base)).unwrap();
    let long = "x".repeat(1601);
    for m in [sms(&long), Outgoing { to: "617-555-0134".into(), ..sms("Hello") }, Outgoing { medium: Medium::Email, ..sms("Hello") }] {
        let err = twilio.send(&m).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    }
    assert!(received.lock().unwrap().is_empty());
}
