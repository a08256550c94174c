//! E-mail over SMTP with lettre: any relay (a provider's SMTP endpoint or the organisation's own
//! server). A message is text, or text and HTML as alternatives, with the PDF attached when there
//! is one; it carries our id as its Message-ID and, when the sender offers one, an RFC 8058
//! one-click unsubscribe link that mailbox providers show next to the sender.

use crate::transport::{self, Medium, Outgoing, ProviderStatus, SendError, Sent, Transport};
use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// Long enough for a slow relay to accept a message with a PDF, short enough that a dead one
/// frees the sending job for a retry.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain text: only for a relay on the same host or in tests.
    None,
    /// Plain connection upgraded with STARTTLS (port 587); refuses a relay that cannot upgrade.
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender as people see it: `Acme Recovery <notices@acme.example>`.
    pub from: String,
    pub reply_to: Option<String>,
    /// The longest one send may take, from connecting to the relay's answer after the message.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    // The relay password sends mail as the agency: it must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A configuration that could never send anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("the SMTP host is empty")]
    NoHost,
    #[error("{field} {value:?} is not a mailbox such as `Acme Recovery <notices@acme.example>`")]
    Mailbox { field: &'static str, value: String },
    #[error("a username needs a password, and a password a username")]
    HalfCredentials,
    #[error("the SMTP transport must be created inside a Tokio runtime")]
    NoRuntime,
    #[error("TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
}

pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The right-hand side of our Message-IDs: the sender's domain, so they look like the
    /// sender's own to spam filters.
    id_domain: String,
    host: String,
    timeout: Duration,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport").field("host", &self.host).field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Checks the configuration and prepares a connection pool; nothing connects until the
    /// first send. Call it inside a Tokio runtime: the pool starts its idle-connection reaper
    /// there.
    pub fn new(cfg: SmtpConfig) -> Result<Self, SmtpConfigError> {
        // lettre's pool would panic without a runtime; say so as an error instead.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SmtpConfigError::NoRuntime);
        }
        if cfg.host.trim().is_empty() {
            return Err(SmtpConfigError::NoHost);
        }
        let from = mailbox("from", &cfg.from)?;
        let reply_to = cfg.reply_to.as_deref().map(|r| mailbox("reply_to", r)).transpose()?;
        let id_domain = from.email.domain().to_string();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .port(cfg.port)
            .tls(lettre_tls(cfg.tls, &cfg.host)?)
            .timeout(Some(cfg.timeout));
        match (cfg.username, cfg.password) {
            (Some(user), Some(password)) => builder = builder.credentials(Credentials::new(user, password)),
            (None, None) => {}
            _ => return Err(SmtpConfigError::HalfCredentials),
        }
        Ok(SmtpTransport { mailer: builder.build(), from, reply_to, id_domain, host: cfg.host, timeout: cfg.timeout })
    }

    /// The whole message as it goes on the wire, for a preview or an archive copy.
    pub fn format(&self, m: &Outgoing) -> Result<Vec<u8>, SendError> {
        Ok(self.message(m)?.formatted())
    }

    fn message_id(&self, m: &Outgoing) -> String {
        format!("<{}@{}>", m.message_id, self.id_domain)
    }

    fn message(&self, m: &Outgoing) -> Result<Message, SendError> {
        transport::expect_medium("smtp", Medium::Email, m)?;
        let to = transport::email_address(&m.to)?;
        let to = to.parse::<Mailbox>().map_err(|e| SendError::Permanent(format!("recipient {to}: {e}")))?;
        let mut builder = Message::builder().from(self.from.clone()).to(to).message_id(Some(self.message_id(m)));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(subject) = &m.subject {
            builder = builder.subject(subject);
        }
        if let Some(url) = &m.list_unsubscribe {
            builder = builder.header(ListUnsubscribe::new(url)?).header(ListUnsubscribePost);
        }
        with_body(builder, m)
    }
}

fn mailbox(field: &'static str, value: &str) -> Result<Mailbox, SmtpConfigError> {
    value.parse().map_err(|_| SmtpConfigError::Mailbox { field, value: value.to_string() })
}

fn lettre_tls(tls: Tls, host: &str) -> Result<LettreTls, SmtpConfigError> {
    if tls == Tls::None {
        return Ok(LettreTls::None);
    }
    // lettre falls back to ring when no rustls provider is installed; we pick it explicitly so
    // every TLS client in the process agrees.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let params =
        TlsParameters::new(host.to_string()).map_err(|e| SmtpConfigError::Tls { host: host.to_string(), reason: e.to_string() })?;
    Ok(match tls {
        Tls::StartTls => LettreTls::Required(params),
        _ => LettreTls::Wrapper(params),
    })
}

/// Text alone, or text and HTML as alternatives; with a PDF, all of that and the attachment side
/// by side in a mixed message.
fn with_body(builder: MessageBuilder, m: &Outgoing) -> Result<Message, SendError> {
    let plain = SinglePart::plain(m.text.clone());
    let built = match (&m.html, attachment(m)?) {
        (None, None) => builder.singlepart(plain),
        (Some(html), None) => builder.multipart(MultiPart::alternative_plain_html(m.text.clone(), html.clone())),
        (None, Some(pdf)) => builder.multipart(MultiPart::mixed().singlepart(plain).singlepart(pdf)),
        (Some(html), Some(pdf)) => {
            let alternatives = MultiPart::alternative_plain_html(m.text.clone(), html.clone());
            builder.multipart(MultiPart::mixed().multipart(alternatives).singlepart(pdf))
        }
    };
    built.map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
}

fn attachment(m: &Outgoing) -> Result<Option<SinglePart>, SendError> {
    let Some(pdf) = &m.pdf else {
        return Ok(None);
    };
    let pdf_type = ContentType::parse("application/pdf").map_err(|e| SendError::Permanent(format!("PDF content type: {e}")))?;
    let name = m.pdf_name.clone().unwrap_or_else(|| "letter.pdf".to_string());
    Ok(Some(Attachment::new(name).body(pdf.clone(), pdf_type)))
}

/// `List-Unsubscribe: <https://...>` (RFC 2369), offered for one-click use (RFC 8058).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListUnsubscribe(String);

impl ListUnsubscribe {
    /// RFC 8058 requires https; the characters refused would end the URL early or split the
    /// header into several URIs.
    fn new(url: &str) -> Result<Self, SendError> {
        let usable = url.starts_with("https://") && url.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b','));
        if !usable {
            return Err(SendError::Permanent(format!("the unsubscribe link {url:?} is not a plain https URL")));
        }
        Ok(ListUnsubscribe(url.to_string()))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        let url = s.trim().strip_prefix('<').and_then(|s| s.strip_suffix('>')).ok_or("List-Unsubscribe is not <url>")?;
        ListUnsubscribe::new(url).map_err(Into::into)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`: the link may be POSTed without a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ListUnsubscribePost;

const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        if s.trim() == ONE_CLICK { Ok(ListUnsubscribePost) } else { Err(format!("List-Unsubscribe-Post is not {ONE_CLICK}").into()) }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), ONE_CLICK.to_string())
    }
}

/// SMTP says itself whether to come back: 5xx is final, 4xx is "later". Anything short of an
/// answer (refused connection, timeout, TLS trouble) may pass, so it is retried too.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        return SendError::Permanent(format!("the mail server refused the message: {e}"));
    }
    if e.is_timeout() {
        return SendError::Temporary("the mail server did not answer in time".into());
    }
    SendError::Temporary(format!("the mail server could not take the message: {e}"))
}

#[async_trait]
impl Transport for SmtpTransport {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, m: &Outgoing) -> Result<Sent, SendError> {
        let message = self.message(m)?;
        // lettre's async client bounds only the connect by its timeout; a relay that accepts the
        // connection and then stalls would hold the send forever, so the whole send is bounded.
        let response = tokio::time::timeout(self.timeout, self.mailer.send(message))
            .await
            .map_err(|_| SendError::Temporary("the mail server did not answer in time".into()))?
            .map_err(classify)?;
        tracing::debug!(message_id = %m.message_id, code = %response.code(), "smtp relay accepted");
        // A relay's 250 after DATA means it took responsibility for delivery; plain SMTP never
        // reports further, so this is as far as "sent" goes.
        Ok(Sent { transport: self.name(), provider_id: self.message_id(m), status: ProviderStatus::Sent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "smtp.example.net".into(),
            port: 587,
            tls: Tls::StartTls,
            username: Some("notices".into()),
            password: Some("hunter2-secret".into()),
            from: "Acme Recovery <notices@acme.example>".into(),
            reply_to: Some("help@acme.example".into()),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    fn email() -> Outgoing {
        Outgoing {
            message_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            medium: Medium::Email,
            to: "jane@example.com".into(),
            subject: Some("Your account".into()),
            text: "Hello Jane".into(),
            html: None,
            list_unsubscribe: None,
            pdf: None,
            pdf_name: None,
            status_callback: None,
        }
    }

    fn formatted(m: &Outgoing) -> String {
        let smtp = SmtpTransport::new(config()).expect("valid config");
        String::from_utf8(smtp.format(m).expect("a valid message")).expect("ascii")
    }

    #[test]
    fn without_a_runtime_the_transport_is_refused_not_a_panic() {
        assert_eq!(SmtpTransport::new(config()).err(), Some(SmtpConfigError::NoRuntime));
    }

    #[tokio::test]
    async fn configuration_mistakes_are_refused() {
        let err = |cfg: SmtpConfig| SmtpTransport::new(cfg).err();
        assert_eq!(err(SmtpConfig { host: " ".into(), ..config() }), Some(SmtpConfigError::NoHost));
        assert!(matches!(err(SmtpConfig { from: "notices".into(), ..config() }), Some(SmtpConfigError::Mailbox { field: "from", .. })));
        assert!(matches!(err(SmtpConfig { reply_to: Some("x@".into()), ..config() }), Some(SmtpConfigError::Mailbox { .. })));
        assert_eq!(err(SmtpConfig { password: None, ..config() }), Some(SmtpConfigError::HalfCredentials));
        assert!(SmtpTransport::new(SmtpConfig { tls: Tls::Implicit, port: 465, ..config() }).is_ok());
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", config());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[tokio::test]
    async fn the_message_id_is_ours_on_the_senders_domain() {
        let raw = formatted(&email());
        assert!(raw.contains("Message-ID: <01900000-0000-7000-8000-000000000001@acme.example>\r\n"), "{raw}");
        assert!(raw.contains("Reply-To: help@acme.example\r\n"), "{raw}");
    }

    #[tokio::test]
    async fn text_only_mail_has_no_html_part_and_no_unsubscribe_headers() {
        let raw = formatted(&email());
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(!raw.contains("text/html"), "{raw}");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    }

    #[tokio::test]
    async fn a_pdf_is_attached_beside_both_alternatives() {
        let m = Outgoing {
            html: Some("<p>Hello Jane</p>".into()),
            pdf: Some(b"%PDF-1.7 fake".to_vec()),
            pdf_name: Some("notice.pdf".into()),
            ..email()
        };
        let raw = formatted(&m);
        let (mixed, alternative) = (raw.find("multipart/mixed"), raw.find("multipart/alternative"));
        assert!(mixed.is_some() && alternative.is_some() && mixed < alternative, "{raw}");
        assert!(raw.contains("Content-Disposition: attachment; filename=\"notice.pdf\""), "{raw}");
        assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
    }

    #[tokio::test]
    async fn unsubscribe_links_must_be_plain_https() {
        for bad in ["http://acme.example/u/1", "https://acme.example/u 1", "https://a.example/u>, <mailto:x@y", "mailto:u@acme.example"] {
            let m = Outgoing { list_unsubscribe: Some(bad.into()), ..email() };
            let smtp = SmtpTransport::new(config()).expect("valid config");
            assert!(matches!(smtp.format(&m), Err(SendError::Permanent(_))), "{bad}");
        }
        let header = ListUnsubscribe::parse("<https://acme.example/u/1>").expect("parses");
        assert_eq!(header, ListUnsubscribe("https://acme.example/u/1".into()));
        assert!(ListUnsubscribePost::parse("List-Unsubscribe=One-Click").is_ok());
    }

    #[tokio::test]
    async fn other_media_and_bad_recipients_are_permanent() {
        let smtp = SmtpTransport::new(config()).expect("valid config");
        let sms = Outgoing { medium: Medium::Sms, to: "+16175550134".into(), ..email() };
        assert_eq!(smtp.format(&sms), Err(SendError::Permanent("smtp sends email, not sms".into())));
        let bad = Outgoing { to: "jane at example".into(), ..email() };
        assert!(matches!(smtp.format(&bad), Err(SendError::Permanent(_))));
    }
}
