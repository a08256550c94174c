//! How `serve` sends messages: SMTP for e-mail and Twilio for texts when configured, the outbox
//! transport (which sends nothing and keeps every message to look at) when not; letters always
//! join the print batch.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use recoup_channels::smtp::{SmtpConfig, SmtpTransport, Tls};
use recoup_channels::twilio::{Sender, TwilioConfig, TwilioSms};
use recoup_server::outbound::Outbound;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SmtpTls {
    /// Plain text: a relay on the same host only.
    None,
    /// STARTTLS on a plain connection (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
}

#[derive(Args, Clone, Debug)]
pub struct ChannelArgs {
    /// Where people and providers reach this recoup (unsubscribe links, SMS callbacks).
    #[arg(long, env = "RECOUP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// An SMTP relay: e-mail goes through it. Without it e-mails stay in the outbox.
    #[arg(long, env = "RECOUP_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "RECOUP_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    #[arg(long, env = "RECOUP_SMTP_TLS", value_enum, default_value = "starttls")]
    pub smtp_tls: SmtpTls,
    #[arg(long, env = "RECOUP_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "RECOUP_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The sender people see: `Acme Recovery <notices@acme.example>`.
    #[arg(long, env = "RECOUP_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// A Twilio account: texts go through it. Without it texts stay in the outbox.
    #[arg(long, env = "RECOUP_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// Also checks the signatures of Twilio's callbacks (inbound texts, delivery reports).
    #[arg(long, env = "RECOUP_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    /// The number texts come from, E.164.
    #[arg(long, env = "RECOUP_TWILIO_FROM")]
    pub twilio_from: Option<String>,
    /// Twilio's API address (a local stand-in for tests).
    #[arg(long, env = "RECOUP_TWILIO_API_URL", default_value = "https://api.twilio.com")]
    pub twilio_api_url: String,
}

impl Default for ChannelArgs {
    fn default() -> Self {
        ChannelArgs {
            public_url: None,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            mail_from: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_from: None,
            twilio_api_url: "https://api.twilio.com".into(),
        }
    }
}

/// The transports and the SMS provider's callback token, from the flags.
pub fn outbound(a: &ChannelArgs, bind: &str) -> Result<(Outbound, Option<String>)> {
    let mut out = Outbound { public_url: a.public_url.clone().unwrap_or_else(|| format!("http://{bind}")), ..Outbound::default() };
    if let Some(host) = &a.smtp_host {
        let from = a.mail_from.clone().context("--mail-from is needed with --smtp-host")?;
        let tls = match a.smtp_tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::StartTls,
            SmtpTls::Implicit => Tls::Implicit,
        };
        let cfg = SmtpConfig {
            host: host.clone(),
            port: a.smtp_port,
            tls,
            username: a.smtp_username.clone(),
            password: a.smtp_password.clone(),
            from,
            reply_to: None,
            timeout: Duration::from_secs(30),
        };
        out.email = Arc::new(SmtpTransport::new(cfg).context("the SMTP settings")?);
    } else {
        tracing::warn!("no SMTP relay configured: e-mails stay in the outbox");
    }
    match (&a.twilio_account_sid, &a.twilio_auth_token, &a.twilio_from) {
        (Some(sid), Some(token), Some(from)) => {
            let mut cfg = TwilioConfig::new(sid.clone(), token.clone(), Sender::From(from.clone()));
            cfg.base_url = a.twilio_api_url.clone();
            out.sms = Arc::new(TwilioSms::new(cfg).context("the Twilio settings")?);
        }
        (None, _, None) => tracing::warn!("no SMS provider configured: texts stay in the outbox"),
        _ => anyhow::bail!("--twilio-account-sid, --twilio-auth-token and --twilio-from go together"),
    }
    Ok((out, a.twilio_auth_token.clone()))
}
