//! The SMTP transport against a small SMTP server running inside the test: a real TCP
//! conversation (EHLO, MAIL, RCPT, DATA, QUIT), with the message captured as it arrived.
//!
//! mailin-embedded was the first choice, but 0.8.3 does not compile with its TLS feature off,
//! and with it on it pulls rustls' aws-lc-rs C build; this server is a few dozen lines instead.

use recoup_channels::smtp::{SmtpConfig, SmtpTransport, Tls};
use recoup_channels::transport::{Medium, Outgoing, ProviderStatus, SendError, Transport};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedWriteHalf;
use uuid::Uuid;

/// One message as the server took it.
#[derive(Debug, Clone, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The DATA section with dot-stuffing undone, lines joined with CRLF.
    data: String,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// Starts a server that answers RCPT with `rcpt_reply` and everything else as a willing relay.
async fn fake_smtp(rcpt_reply: &'static str) -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Inbox::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket, rcpt_reply, kept.clone()));
        }
    });
    (port, inbox)
}

async fn reply(w: &mut OwnedWriteHalf, line: &str) {
    w.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
}

async fn session(socket: tokio::net::TcpStream, rcpt_reply: &'static str, inbox: Inbox) {
    let (read, mut w) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut current = Received::default();
    reply(&mut w, "220 fake.test ESMTP ready").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => reply(&mut w, "250-fake.test greets you\r\n250 8BITMIME").await,
            "HELO" | "NOOP" => reply(&mut w, "250 OK").await,
            "RSET" => {
                current = Received::default();
                reply(&mut w, "250 OK").await;
            }
            "MAIL" => {
                current.mail_from = line.clone();
                reply(&mut w, "250 2.1.0 OK").await;
            }
            "RCPT" => {
                if rcpt_reply.starts_with('2') {
                    current.rcpt_to.push(line.clone());
                }
                reply(&mut w, rcpt_reply).await;
            }
            "DATA" => {
                reply(&mut w, "354 end with <CRLF>.<CRLF>").await;
                let mut data = Vec::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
                }
                current.data = data.join("\r\n");
                inbox.lock().unwrap().push(std::mem::take(&mut current));
                reply(&mut w, "250 2.0.0 queued as FAKE1").await;
            }
            "QUIT" => {
                reply(&mut w, "221 bye").await;
                return;
            }
            _ => reply(&mut w, "502 5.5.2 not implemented").await,
        }
    }
}

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: Tls::None,
        username: None,
        password: None,
        from: "Acme Recovery <notices@acme.example>".into(),
        reply_to: None,
        timeout: Duration::from_secs(5),
    }
}

const ID: Uuid = Uuid::from_u128(0x0190_5f3a_0000_7000_8000_0000_0000_0042);

fn notice() -> Outgoing {
    Outgoing {
        message_id: ID,
        medium: Medium::Email,
        to: "jane.doe@example.com".into(),
        subject: Some("Your account with Acme Utilities".into()),
        text: "Dear Jane, please find your notice attached.".into(),
        html: Some("<p>Dear Jane, please find your notice attached.</p>".into()),
        list_unsubscribe: Some("https://recoup.example/u/abc123".into()),
        pdf: None,
        pdf_name: None,
        status_callback: None,
    }
}

/// The value of the first header `name` (case-insensitive) in the message's header block.
fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn a_message_arrives_with_both_parts_and_the_unsubscribe_headers() {
    let (port, inbox) = fake_smtp("250 2.1.5 OK").await;
    let smtp = SmtpTransport::new(config(port)).unwrap();
    let sent = smtp.send(&notice()).await.unwrap();

    let message_id = format!("<{ID}@acme.example>");
    assert_eq!(sent.transport, "smtp");
    assert_eq!(sent.provider_id, message_id);
    assert_eq!(sent.status, ProviderStatus::Sent);

    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.mail_from, "MAIL FROM:<notices@acme.example>");
    assert_eq!(m.rcpt_to, ["RCPT TO:<jane.doe@example.com>"]);
    let raw = &m.data;
    assert_eq!(header(raw, "From"), Some("\"Acme Recovery\" <notices@acme.example>"), "{raw}");
    assert_eq!(header(raw, "To"), Some("jane.doe@example.com"), "{raw}");
    assert_eq!(header(raw, "Subject"), Some("Your account with Acme Utilities"), "{raw}");
    assert_eq!(header(raw, "Message-ID"), Some(message_id.as_str()), "{raw}");
    assert_eq!(header(raw, "List-Unsubscribe"), Some("<https://recoup.example/u/abc123>"), "{raw}");
    assert_eq!(header(raw, "List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"), "{raw}");
    assert!(header(raw, "Content-Type").unwrap().starts_with("multipart/alternative;"), "{raw}");
    let plain = raw.find("Content-Type: text/plain; charset=utf-8").expect("a text part");
    let html = raw.find("Content-Type: text/html; charset=utf-8").expect("an HTML part");
    assert!(plain < html, "the plain part comes first, so clients prefer the HTML: {raw}");
    assert!(raw.contains("Dear Jane, please find your notice attached."), "{raw}");
    assert!(raw.contains("<p>Dear Jane, please find your notice attached.</p>"), "{raw}");
}

#[tokio::test]
async fn a_pdf_travels_as_an_attachment() {
    let (port, inbox) = fake_smtp("250 OK").await;
    let smtp = SmtpTransport::new(config(port)).unwrap();
    // Real PDFs announce binary content in their second line, which makes the part base64.
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n".to_vec();
    let m = Outgoing { html: None, list_unsubscribe: None, pdf: Some(pdf), pdf_name: Some("validation-notice.pdf".into()), ..notice() };
    smtp.send(&m).await.unwrap();

    let raw = inbox.lock().unwrap()[0].data.clone();
    assert!(header(&raw, "Content-Type").unwrap().starts_with("multipart/mixed;"), "{raw}");
    assert!(header(&raw, "List-Unsubscribe").is_none(), "{raw}");
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
    assert!(raw.contains("Content-Disposition: attachment; filename=\"validation-notice.pdf\""), "{raw}");
    assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
    assert!(raw.contains("Content-Transfer-Encoding: base64"), "{raw}");
    // b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj" in base64 (python3: base64.b64encode).
    assert!(raw.contains("JVBERi0xLjcKJeLjz9MKMSAwIG9iag"), "{raw}");
}

#[tokio::test]
async fn a_pooled_transport_sends_several_messages() {
    let (port, inbox) = fake_smtp("250 OK").await;
    let smtp = SmtpTransport::new(config(port)).unwrap();
    for n in 0..3u128 {
        smtp.send(&Outgoing { message_id: Uuid::from_u128(n), ..notice() }).await.unwrap();
    }
    assert_eq!(inbox.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn no_such_user_is_permanent() {
    let (port, inbox) = fake_smtp("550 5.1.1 no such user").await;
    let err = SmtpTransport::new(config(port)).unwrap().send(&notice()).await.unwrap_err();
    let SendError::Permanent(reason) = &err else { panic!("{err:?}") };
    assert!(reason.contains("550") && reason.contains("no such user"), "{reason}");
    assert!(inbox.lock().unwrap().is_empty());
}

#[tokio::test]
async fn try_later_is_temporary() {
    let (port, _) = fake_smtp("451 try later").await;
    let err = SmtpTransport::new(config(port)).unwrap().send(&notice()).await.unwrap_err();
    let SendError::Temporary(reason) = &err else { panic!("{err:?}") };
    assert!(reason.contains("451") && reason.contains("try later"), "{reason}");
}

#[tokio::test]
async fn a_closed_port_is_temporary() {
    // A port that was free a moment ago: nothing listens there once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = SmtpTransport::new(config(port)).unwrap().send(&notice()).await.unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "{err:?}");
}

#[tokio::test]
async fn a_silent_server_times_out_as_temporary() {
    // Accepts the connection and never greets.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let smtp = SmtpTransport::new(SmtpConfig { timeout: Duration::from_millis(300), ..config(port) }).unwrap();
    let err = smtp.send(&notice()).await.unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "{err:?}");
}

#[tokio::test]
async fn an_invalid_recipient_never_reaches_the_server() {
    let (port, inbox) = fake_smtp("250 OK").await;
    let smtp = SmtpTransport::new(config(port)).unwrap();
    let err = smtp.send(&Outgoing { to: "jane.doe@".into(), ..notice() }).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(inbox.lock().unwrap().is_empty());
}
