//! What every outbound transport shares: the message as it leaves ([`Outgoing`]), what the
//! provider said when it took it ([`Sent`]), how a refusal is classified ([`SendError`]), what a
//! provider's delivery callback becomes ([`DeliveryUpdate`]), and the address checks that make a
//! bad address fail the same way whichever transport is configured.
//!
//! [`OutboxTransport`] is the transport of a deployment with no provider configured: it sends
//! nothing and says so, so a demo shows every message without anything leaving.

use async_trait::async_trait;
use std::str::FromStr;
use uuid::Uuid;

/// How a message reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Medium {
    Email,
    Sms,
    Letter,
}

impl Medium {
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Email => "email",
            Medium::Sms => "sms",
            Medium::Letter => "letter",
        }
    }
}

/// One message ready to leave: everything rendered already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Our id; it becomes the e-mail's Message-ID and the reference a provider reports back.
    pub message_id: Uuid,
    pub medium: Medium,
    /// An e-mail address, an E.164 phone number, or postal address lines (one per line).
    pub to: String,
    pub subject: Option<String>,
    /// The plain-text body; for SMS, the whole message.
    pub text: String,
    /// The HTML alternative of an e-mail.
    pub html: Option<String>,
    /// An https URL for one-click unsubscribe (RFC 8058), e-mail only.
    pub list_unsubscribe: Option<String>,
    /// A letter's rendered PDF, or an e-mail's optional attachment.
    pub pdf: Option<Vec<u8>>,
    pub pdf_name: Option<String>,
    /// Where the provider should report this message's delivery (it names the message, so the
    /// report finds it without a lookup); the provider's configured one when `None`.
    pub status_callback: Option<String>,
}

/// A provider took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub transport: &'static str,
    /// The provider's reference for the message: what its delivery callbacks will name.
    pub provider_id: String,
    pub status: ProviderStatus,
}

/// What the provider said at hand-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStatus {
    Queued,
    Sent,
    Delivered,
}

/// What any provider's delivery callback becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryUpdate {
    Sent,
    Delivered,
    Bounced,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later: timeouts, connection refused, 5xx from an HTTP provider, SMTP 4xx.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Retrying won't help: SMTP 5xx (e.g. 550 no such user), HTTP 4xx (bad number), invalid address.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Temporary(_))
    }
}

impl From<AddressError> for SendError {
    fn from(e: AddressError) -> Self {
        SendError::Permanent(e.to_string())
    }
}

#[async_trait]
pub trait Transport: Send + Sync {
    /// Short and stable: it is stored with every message sent.
    fn name(&self) -> &'static str;
    async fn send(&self, m: &Outgoing) -> Result<Sent, SendError>;
}

/// Refuses a message of another medium than the transport's: a wiring mistake in the caller
/// that no retry fixes.
pub(crate) fn expect_medium(transport: &str, expected: Medium, m: &Outgoing) -> Result<(), SendError> {
    if m.medium == expected {
        return Ok(());
    }
    Err(SendError::Permanent(format!("{transport} sends {}, not {}", expected.as_str(), m.medium.as_str())))
}

/// Sends nothing: the transport when no provider is configured. It checks the message as a real
/// transport would, so bad input fails in a demo the way it would in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxTransport;

#[async_trait]
impl Transport for OutboxTransport {
    fn name(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, m: &Outgoing) -> Result<Sent, SendError> {
        validate(m)?;
        Ok(Sent { transport: self.name(), provider_id: format!("outbox-{}", m.message_id), status: ProviderStatus::Sent })
    }
}

/// The checks every transport makes before anything leaves: the address suits the medium, and a
/// letter has its PDF.
pub fn validate(m: &Outgoing) -> Result<(), SendError> {
    match m.medium {
        Medium::Email => email_address(&m.to).map(drop)?,
        Medium::Sms => require_e164(&m.to)?,
        Medium::Letter => {
            postal_address(&m.to)?;
            if m.pdf.is_none() {
                return Err(SendError::Permanent("a letter needs its rendered PDF".into()));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0:?} is not an e-mail address")]
    Email(String),
    #[error("{number:?} is not a phone number: {reason}")]
    Phone { number: String, reason: &'static str },
    #[error("no rule to read national phone numbers of country {0:?}")]
    Country(String),
    #[error("a postal address needs at least two lines (name, then place)")]
    Postal,
}

/// The bare address (`jane@example.com`) from what a person typed, refused unless it is one.
pub fn email_address(raw: &str) -> Result<String, AddressError> {
    let trimmed = raw.trim();
    lettre::Address::from_str(trimmed).map(|a| a.to_string()).map_err(|_| AddressError::Email(trimmed.to_string()))
}

/// How a country writes its numbers when the caller left out the `+`.
struct NationalRule {
    calling_code: &'static str,
    /// What precedes a number dialled abroad (`011` in the US, `00` in the UK).
    international_prefix: &'static str,
    /// What precedes an area code within the country (`0` in the UK); NANP has `1`.
    trunk_prefix: &'static str,
}

fn national_rule(country: &str) -> Option<NationalRule> {
    let nanp = NationalRule { calling_code: "1", international_prefix: "011", trunk_prefix: "1" };
    match country.to_ascii_uppercase().as_str() {
        "US" | "CA" | "PR" => Some(nanp),
        "GB" | "UK" => Some(NationalRule { calling_code: "44", international_prefix: "00", trunk_prefix: "0" }),
        _ => None,
    }
}

/// A phone number in E.164 (`+16175550134`), read from how people write them. A number without
/// `+` is read as `default_country` (ISO 3166 alpha-2, e.g. "US") would dial it.
pub fn e164(raw: &str, default_country: &str) -> Result<String, AddressError> {
    let refuse = |reason| AddressError::Phone { number: raw.to_string(), reason };
    let (plus, digits) = strip_formatting(raw).map_err(refuse)?;
    let international = if plus {
        digits
    } else {
        let rule = national_rule(default_country).ok_or_else(|| AddressError::Country(default_country.to_string()))?;
        from_national(&digits, &rule).map_err(refuse)?
    };
    check_international(&international).map_err(refuse)?;
    Ok(format!("+{international}"))
}

/// The digits, and whether they were written with a leading `+`. Only the punctuation people
/// put in phone numbers is dropped; anything else (letters, `#`, extensions) refuses the number.
fn strip_formatting(raw: &str) -> Result<(bool, String), &'static str> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err("only digits, spaces and - . ( ) may appear"),
        }
    }
    if digits.is_empty() {
        return Err("it has no digits");
    }
    Ok((plus, digits))
}

fn from_national(digits: &str, rule: &NationalRule) -> Result<String, &'static str> {
    if let Some(abroad) = digits.strip_prefix(rule.international_prefix) {
        return Ok(abroad.to_string());
    }
    if rule.calling_code == "1" {
        // NANP numbers are ten digits; an eleven-digit one carries the leading 1.
        return match digits.len() {
            10 => Ok(format!("1{digits}")),
            11 if digits.starts_with('1') => Ok(digits.to_string()),
            n if n < 10 => Err("too short"),
            _ => Err("too long"),
        };
    }
    match digits.strip_prefix(rule.trunk_prefix) {
        Some(national) => Ok(format!("{}{national}", rule.calling_code)),
        None => Err("a national number starts with the trunk prefix"),
    }
}

/// E.164 allows at most 15 digits; the shortest numbers in use have 7 with the country code.
fn check_international(digits: &str) -> Result<(), &'static str> {
    if digits.starts_with('0') {
        return Err("no country code starts with 0");
    }
    if digits.len() < 7 {
        return Err("too short");
    }
    if digits.len() > 15 {
        return Err("too long");
    }
    match digits.strip_prefix('1') {
        Some(nanp) => check_nanp(nanp),
        None => Ok(()),
    }
}

/// NANP numbers are NXX-NXX-XXXX: area code and exchange never start with 0 or 1.
fn check_nanp(ten: &str) -> Result<(), &'static str> {
    let bytes = ten.as_bytes();
    if bytes.len() != 10 {
        return Err("a +1 number has ten digits after the 1");
    }
    if matches!(bytes[0], b'0' | b'1') {
        return Err("a NANP area code does not start with 0 or 1");
    }
    if matches!(bytes[3], b'0' | b'1') {
        return Err("a NANP exchange does not start with 0 or 1");
    }
    Ok(())
}

/// A number a provider will take as it is: already normalised E.164. Normalising is the job of
/// whoever stored the number, so a transport refuses rather than guesses.
pub fn require_e164(to: &str) -> Result<(), AddressError> {
    let normalised = e164(to, "US")?;
    if normalised != to || !to.starts_with('+') {
        return Err(AddressError::Phone { number: to.to_string(), reason: "not in E.164 form (+ then digits only)" });
    }
    Ok(())
}

fn postal_address(lines: &str) -> Result<(), AddressError> {
    let filled = lines.lines().filter(|l| !l.trim().is_empty()).count();
    if filled < 2 {
        return Err(AddressError::Postal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(raw: &str) -> Result<String, AddressError> {
        e164(raw, "US")
    }

    fn refused(raw: &str, country: &str) -> &'static str {
        match e164(raw, country) {
            Err(AddressError::Phone { reason, .. }) => reason,
            other => panic!("{raw} in {country}: {other:?}"),
        }
    }

    #[test]
    fn us_numbers_are_read_however_they_are_written() {
        for raw in ["+1 (617) 555-0134", "617-555-0134", "16175550134", "(617) 555.0134", " 6175550134 ", "011 1 617 555 0134"] {
            assert_eq!(us(raw), Ok("+16175550134".to_string()), "{raw}");
        }
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(us("+44 20 7946 0958"), Ok("+442079460958".to_string()));
        assert_eq!(us("011 44 20 7946 0958"), Ok("+442079460958".to_string()));
        assert_eq!(e164("020 7946 0958", "GB"), Ok("+442079460958".to_string()));
        assert_eq!(e164("0044 20 7946 0958", "gb"), Ok("+442079460958".to_string()));
        assert_eq!(e164("+1 617 555 0134", "GB"), Ok("+16175550134".to_string()));
    }

    #[test]
    fn phone_numbers_that_cannot_be_dialled_are_refused() {
        assert_eq!(refused("617-555-CALL", "US"), "only digits, spaces and - . ( ) may appear");
        assert_eq!(refused("617 555 0134 ext 2", "US"), "only digits, spaces and - . ( ) may appear");
        assert_eq!(refused("555-0134", "US"), "too short");
        assert_eq!(refused("617555013412", "US"), "too long");
        assert_eq!(refused("+1234", "US"), "too short");
        assert_eq!(refused("+4412345678901234", "US"), "too long");
        assert_eq!(refused("017-555-0134", "US"), "a NANP area code does not start with 0 or 1");
        assert_eq!(refused("+1 117 555 0134", "US"), "a NANP area code does not start with 0 or 1");
        assert_eq!(refused("617-055-0134", "US"), "a NANP exchange does not start with 0 or 1");
        assert_eq!(refused("+0 617 555 0134", "US"), "no country code starts with 0");
        assert_eq!(refused("---", "US"), "it has no digits");
        assert_eq!(refused("", "US"), "it has no digits");
        assert_eq!(refused("20 7946 0958", "GB"), "a national number starts with the trunk prefix");
        assert_eq!(e164("030 1234567", "DE"), Err(AddressError::Country("DE".into())));
    }

    #[test]
    fn transports_take_only_normalised_numbers() {
        assert_eq!(require_e164("+16175550134"), Ok(()));
        assert!(require_e164("6175550134").is_err());
        assert!(require_e164("+1 617 555 0134").is_err());
        assert!(require_e164("+1617555013").is_err());
    }

    #[test]
    fn email_addresses_are_bare_and_valid() {
        assert_eq!(email_address(" jane.doe@example.com "), Ok("jane.doe@example.com".to_string()));
        assert_eq!(email_address("j+notices@mail.example.co.uk"), Ok("j+notices@mail.example.co.uk".to_string()));
        for bad in ["", "jane", "jane@", "@example.com", "jane doe@example.com", "Jane <jane@example.com>", "jane@exa mple.com"] {
            assert_eq!(email_address(bad), Err(AddressError::Email(bad.trim().to_string())), "{bad:?}");
        }
    }

    fn outgoing(medium: Medium, to: &str) -> Outgoing {
        Outgoing {
            message_id: Uuid::nil(),
            medium,
            to: to.into(),
            subject: None,
            text: "Hello".into(),
            html: None,
            list_unsubscribe: None,
            pdf: None,
            pdf_name: None,
            status_callback: None,
        }
    }

    async fn outbox(m: &Outgoing) -> Result<Sent, SendError> {
        OutboxTransport.send(m).await
    }

    #[tokio::test]
    async fn the_outbox_sends_nothing_and_says_so() {
        let sent = outbox(&outgoing(Medium::Email, "jane@example.com")).await.expect("valid");
        let nil = Uuid::nil();
        assert_eq!(sent, Sent { transport: "outbox", provider_id: format!("outbox-{nil}"), status: ProviderStatus::Sent });
        assert!(outbox(&outgoing(Medium::Sms, "+16175550134")).await.is_ok());
        let letter = Outgoing { pdf: Some(b"%PDF-1.7".to_vec()), ..outgoing(Medium::Letter, "Jane Doe\n1 Main St\nBoston MA 02110") };
        assert!(outbox(&letter).await.is_ok());
    }

    async fn permanent(m: Outgoing) -> String {
        match outbox(&m).await {
            Err(SendError::Permanent(reason)) => reason,
            other => panic!("{m:?}: {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_outbox_refuses_what_a_provider_would() {
        assert!(permanent(outgoing(Medium::Email, "jane")).await.contains("not an e-mail address"));
        assert!(permanent(outgoing(Medium::Sms, "617-555-0134")).await.contains("E.164"));
        assert!(permanent(outgoing(Medium::Sms, "+1 555 CALL")).await.contains("not a phone number"));
        assert!(permanent(outgoing(Medium::Letter, "Jane Doe")).await.contains("two lines"));
        assert!(permanent(outgoing(Medium::Letter, "Jane Doe\n1 Main St")).await.contains("PDF"));
    }

    #[test]
    fn only_temporary_errors_are_retried() {
        assert!(SendError::Temporary("451".into()).is_retryable());
        assert!(!SendError::Permanent("550".into()).is_retryable());
        assert_eq!(SendError::Permanent("x".into()).to_string(), "permanent: x");
    }
}
