//! SMS through Twilio's Messages API (form-encoded POST, JSON answer), and what the server needs
//! for Twilio's webhooks: the `X-Twilio-Signature` check and the meaning of a status callback.
//!
//! The Messages API has no idempotency key, so a message whose fate is unknown (a timeout after
//! the request left) may be sent twice if retried; the caller decides, from
//! [`SendError::Temporary`], whether that risk is worth taking.

use crate::transport::{self, DeliveryUpdate, Medium, Outgoing, ProviderStatus, SendError, Sent, Transport};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha1::Sha1;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Twilio answers a message creation in well under a second; past this, retrying beats waiting.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Twilio refuses longer bodies (error 21617); refusing here saves the round trip.
pub const MAX_BODY_CHARS: usize = 1600;

/// Who the message comes from: one number, or a Messaging Service that picks from its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// An E.164 number of the account.
    From(String),
    /// A Messaging Service SID (`MG...`).
    MessagingService(String),
}

#[derive(Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` ([`DEFAULT_BASE_URL`]); tests point it at a local server.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub sender: Sender,
    /// Where Twilio posts delivery updates for each message.
    pub status_callback: Option<String>,
    pub timeout: Duration,
}

impl TwilioConfig {
    /// The production API with the default timeout and no status callback.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>, sender: Sender) -> Self {
        TwilioConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            sender,
            status_callback: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for TwilioConfig {
    // The auth token sends messages and signs webhooks: it must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("sender", &self.sender)
            .field("status_callback", &self.status_callback)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A configuration that could never send anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioConfigError {
    #[error("the Twilio account SID and auth token are both needed")]
    MissingCredentials,
    #[error("the sender number {0:?} is not in E.164 form")]
    Sender(String),
    #[error("the messaging service SID is empty")]
    EmptyService,
    #[error("the HTTP client could not be built: {0}")]
    Http(String),
}

pub struct TwilioSms {
    http: reqwest::Client,
    cfg: TwilioConfig,
}

impl fmt::Debug for TwilioSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSms").field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl TwilioSms {
    pub fn new(cfg: TwilioConfig) -> Result<Self, TwilioConfigError> {
        if cfg.account_sid.trim().is_empty() || cfg.auth_token.is_empty() {
            return Err(TwilioConfigError::MissingCredentials);
        }
        match &cfg.sender {
            Sender::From(number) => transport::require_e164(number).map_err(|_| TwilioConfigError::Sender(number.clone()))?,
            Sender::MessagingService(sid) if sid.trim().is_empty() => return Err(TwilioConfigError::EmptyService),
            Sender::MessagingService(_) => {}
        }
        let http = http_client(cfg.timeout)?;
        let base_url = cfg.base_url.trim_end_matches('/').to_string();
        Ok(TwilioSms { http, cfg: TwilioConfig { base_url, ..cfg } })
    }

    fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}/Messages.json", self.cfg.base_url, self.cfg.account_sid)
    }

    fn form(&self, m: &Outgoing) -> Vec<(&'static str, String)> {
        let mut form = vec![("To", m.to.clone())];
        match &self.cfg.sender {
            Sender::From(number) => form.push(("From", number.clone())),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid.clone())),
        }
        form.push(("Body", m.text.clone()));
        if let Some(url) = m.status_callback.as_ref().or(self.cfg.status_callback.as_ref()) {
            form.push(("StatusCallback", url.clone()));
        }
        form
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, TwilioConfigError> {
    // reqwest is built without a bundled crypto provider; ring is ours. Installing twice is
    // harmless (the second call reports the first is in place).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        // Twilio does not redirect API calls; following one would hand our credentials elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("recoup-channels/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TwilioConfigError::Http(e.to_string()))
}

/// Twilio counts characters, not bytes or segments, for its limit.
fn check_body(text: &str) -> Result<(), SendError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(SendError::Permanent("an SMS needs a body".into()));
    }
    if chars > MAX_BODY_CHARS {
        return Err(SendError::Permanent(format!("an SMS body has at most {MAX_BODY_CHARS} characters; this one has {chars}")));
    }
    Ok(())
}

/// The Message resource, as far as we read it.
#[derive(Debug, Deserialize)]
struct MessageResource {
    sid: String,
    status: String,
    error_code: Option<i64>,
    error_message: Option<String>,
}

/// Twilio's error document for a refused request.
#[derive(Debug, Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

fn interpret(status: u16, body: &[u8]) -> Result<Sent, SendError> {
    match status {
        200..=299 => accepted(body),
        // Rate limits and outages pass with time.
        429 | 500..=599 => Err(SendError::Temporary(format!("Twilio answered HTTP {status}"))),
        400..=499 => Err(SendError::Permanent(refusal(status, body))),
        _ => Err(SendError::Temporary(format!("Twilio answered HTTP {status}"))),
    }
}

fn refusal(status: u16, body: &[u8]) -> String {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(ApiError { code: Some(code), message: Some(message) }) => format!("Twilio error {code}: {message}"),
        Ok(ApiError { message: Some(message), .. }) => format!("Twilio: {message}"),
        _ => format!("Twilio answered HTTP {status}"),
    }
}

/// A created message. Its answer is read carefully: if we cannot tell what happened the message
/// may be out already, and a retry would send it twice, so that is not called temporary.
fn accepted(body: &[u8]) -> Result<Sent, SendError> {
    let message: MessageResource = serde_json::from_slice(body).map_err(|e| {
        SendError::Permanent(format!("Twilio accepted the request but its answer is unreadable ({e}); not retried to avoid a duplicate"))
    })?;
    let status = match message.status.as_str() {
        "sent" => ProviderStatus::Sent,
        "delivered" | "read" => ProviderStatus::Delivered,
        "failed" | "undelivered" | "canceled" => return Err(SendError::Permanent(failed(&message))),
        // queued, accepted, scheduled, sending, and any status Twilio adds later: it has the message.
        _ => ProviderStatus::Queued,
    };
    Ok(Sent { transport: "twilio", provider_id: message.sid, status })
}

fn failed(m: &MessageResource) -> String {
    let reason = m.error_message.as_deref().unwrap_or("no reason given");
    match m.error_code {
        Some(code) => format!("Twilio {} message {}: error {code}: {reason}", m.status, m.sid),
        None => format!("Twilio {} message {}: {reason}", m.status, m.sid),
    }
}

/// A failure before any answer, in words an operator can act on, without the URL (it holds the
/// account SID).
fn unanswered(e: reqwest::Error) -> SendError {
    if e.is_timeout() {
        return SendError::Temporary("Twilio did not answer in time".into());
    }
    if e.is_connect() {
        return SendError::Temporary("could not connect to Twilio".into());
    }
    SendError::Temporary(e.without_url().to_string())
}

#[async_trait]
impl Transport for TwilioSms {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, m: &Outgoing) -> Result<Sent, SendError> {
        transport::expect_medium(self.name(), Medium::Sms, m)?;
        transport::require_e164(&m.to)?;
        check_body(&m.text)?;
        let request = self.http.post(self.messages_url()).basic_auth(&self.cfg.account_sid, Some(&self.cfg.auth_token)).form(&self.form(m));
        let response = request.send().await.map_err(unanswered)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(unanswered)?;
        tracing::debug!(message_id = %m.message_id, status, "twilio answered");
        interpret(status, &body)
    }
}

/// Twilio's `X-Twilio-Signature` for a webhook: base64 of HMAC-SHA1 keyed with the auth token,
/// over the full URL Twilio called followed by each POST parameter's name and value, sorted by
/// name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(signed(auth_token, url, params).finalize().into_bytes())
}

/// Whether `header_value` is Twilio's signature of this request. The comparison takes the same
/// time however many bytes match, so the signature cannot be guessed byte by byte.
pub fn verify_signature(auth_token: &str, url: &str, params: &[(String, String)], header_value: &str) -> bool {
    let Ok(given) = BASE64.decode(header_value.trim()) else {
        return false;
    };
    signed(auth_token, url, params).verify_slice(&given).is_ok()
}

fn signed(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Repeated names keep a stable, value-sorted order, as Twilio's own libraries produce.
    sorted.sort();
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// What a status callback's `MessageStatus` means for the message; `None` for a status we do
/// not know, which the caller should log and ignore rather than guess.
pub fn status_of(callback_status: &str) -> Option<DeliveryUpdate> {
    match callback_status {
        "queued" | "accepted" | "scheduled" | "sending" | "sent" => Some(DeliveryUpdate::Sent),
        "delivered" | "read" => Some(DeliveryUpdate::Delivered),
        "undelivered" => Some(DeliveryUpdate::Bounced),
        "failed" | "canceled" => Some(DeliveryUpdate::Failed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    // Expected values computed independently with python3:
    //   data = url + "".join(k + v for k, v in sorted(params))
    //   base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest())
    #[test]
    fn signatures_match_an_independent_computation() {
        let voice = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &voice), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        // Given out of order: the signature sorts by name.
        let status = params(&[("MessageSid", "SM0123"), ("MessageStatus", "delivered"), ("AccountSid", "AC42"), ("To", "+16175550134")]);
        let url = "https://recoup.example/webhooks/twilio/status";
        assert_eq!(signature("a1b2c3auth", url, &status), "iu07Jm8ktYJMlkkggAgg5R9tIv4=");
    }

    #[test]
    fn only_the_right_signature_verifies() {
        let status = params(&[("MessageSid", "SM0123"), ("MessageStatus", "delivered")]);
        let url = "https://recoup.example/webhooks/twilio/status";
        let good = signature("tok", url, &status);
        assert!(verify_signature("tok", url, &status, &good));
        assert!(!verify_signature("other", url, &status, &good));
        assert!(!verify_signature("tok", "https://recoup.example/elsewhere", &status, &good));
        let tampered = params(&[("MessageSid", "SM0123"), ("MessageStatus", "failed")]);
        assert!(!verify_signature("tok", url, &tampered, &good));
        assert!(!verify_signature("tok", url, &status, "not base64!"));
        assert!(!verify_signature("tok", url, &status, ""));
    }

    #[test]
    fn callback_statuses_become_delivery_updates() {
        for s in ["queued", "accepted", "sending", "sent"] {
            assert_eq!(status_of(s), Some(DeliveryUpdate::Sent), "{s}");
        }
        assert_eq!(status_of("delivered"), Some(DeliveryUpdate::Delivered));
        assert_eq!(status_of("read"), Some(DeliveryUpdate::Delivered));
        assert_eq!(status_of("undelivered"), Some(DeliveryUpdate::Bounced));
        assert_eq!(status_of("failed"), Some(DeliveryUpdate::Failed));
        assert_eq!(status_of("receiving"), None);
    }

    #[test]
    fn answers_map_to_outcomes() {
        let sent = |status: &str| interpret(201, format!(r#"{{"sid":"SM1","status":"{status}"}}"#).as_bytes()).map(|s| s.status);
        assert_eq!(sent("queued"), Ok(ProviderStatus::Queued));
        assert_eq!(sent("accepted"), Ok(ProviderStatus::Queued));
        assert_eq!(sent("sending"), Ok(ProviderStatus::Queued));
        assert_eq!(sent("sent"), Ok(ProviderStatus::Sent));
        assert_eq!(sent("delivered"), Ok(ProviderStatus::Delivered));
        let failed = br#"{"sid":"SM2","status":"failed","error_code":30007,"error_message":"Carrier violation"}"#;
        assert_eq!(interpret(201, failed), Err(SendError::Permanent("Twilio failed message SM2: error 30007: Carrier violation".into())));
        assert!(matches!(interpret(201, b"<html>"), Err(SendError::Permanent(_))));
        assert_eq!(interpret(401, b"{}"), Err(SendError::Permanent("Twilio answered HTTP 401".into())));
        assert_eq!(interpret(429, b""), Err(SendError::Temporary("Twilio answered HTTP 429".into())));
        assert_eq!(interpret(503, b""), Err(SendError::Temporary("Twilio answered HTTP 503".into())));
    }

    #[test]
    fn bodies_are_checked_before_sending() {
        assert!(check_body(&"é".repeat(MAX_BODY_CHARS)).is_ok(), "the limit counts characters, not bytes");
        assert!(matches!(check_body(&"a".repeat(MAX_BODY_CHARS + 1)), Err(SendError::Permanent(_))));
        assert!(matches!(check_body("  "), Err(SendError::Permanent(_))));
    }

    #[test]
    fn configuration_mistakes_are_refused() {
        let cfg = |sender| TwilioConfig::new("AC1", "tok", sender);
        assert_eq!(TwilioSms::new(cfg(Sender::From("617-555-0134".into()))).err(), Some(TwilioConfigError::Sender("617-555-0134".into())));
        assert_eq!(TwilioSms::new(cfg(Sender::MessagingService(" ".into()))).err(), Some(TwilioConfigError::EmptyService));
        let no_token = TwilioConfig::new("AC1", "", Sender::From("+16175550134".into()));
        assert_eq!(TwilioSms::new(no_token).err(), Some(TwilioConfigError::MissingCredentials));
        assert!(TwilioSms::new(cfg(Sender::MessagingService("MG1".into()))).is_ok());
    }

    #[test]
    fn debug_hides_the_auth_token() {
        let sms = TwilioSms::new(TwilioConfig::new("AC1", "supersecret-token", Sender::From("+16175550134".into()))).expect("valid");
        let shown = format!("{sms:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("AC1"), "{shown}");
    }
}
