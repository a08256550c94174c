//! Sending messages. A queued message has a `message.send` job; the worker that claims it asks
//! the contact policy once more (holds, opt-outs and caps may have changed since it was queued),
//! hands what is allowed to the transport for its medium, and records what happened: sent, tried
//! again later with backoff, or failed for good with the provider's reason. Provider status
//! callbacks move it on to delivered or bounced.
//!
//! With no provider configured every medium goes to the outbox transport, which sends nothing:
//! the demo shows each rendered message in the API and console instead.

use jiff::Timestamp;
use recoup_channels::transport::{Medium as Wire, OutboxTransport, Outgoing, SendError, Transport};
use recoup_domain::client_policy::Collector;
use recoup_domain::contact::ContactPoint;
use recoup_domain::policy::Medium;
use recoup_domain::webhook::RetryPolicy;
use recoup_store::servicing::message::{self, Message, Release};
use recoup_store::{Actor, Job, JobEnd, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

/// The transports, one per medium, and what links in messages point at.
#[derive(Clone)]
pub struct Outbound {
    pub email: Arc<dyn Transport>,
    pub sms: Arc<dyn Transport>,
    pub letters: Arc<dyn Transport>,
    /// Where recoup is reached from outside (`https://collect.example.com`): unsubscribe links and
    /// provider callbacks are built on it.
    pub public_url: String,
    pub retry: RetryPolicy,
    /// What time the contact policy judges messages at: the system clock, except in tests that
    /// must not depend on the hour they run at (quiet hours).
    pub clock: fn() -> Timestamp,
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound {
            email: Arc::new(OutboxTransport),
            sms: Arc::new(OutboxTransport),
            letters: Arc::new(crate::letters::PrintQueue),
            public_url: "http://127.0.0.1:8080".into(),
            retry: RetryPolicy { first_micros: 60_000_000, cap_micros: 6 * 3_600_000_000, max_attempts: 8 },
            clock: Timestamp::now,
        }
    }
}

pub fn system() -> Actor {
    Actor("system:outbound".into())
}

impl Outbound {
    fn transport(&self, medium: Medium) -> &Arc<dyn Transport> {
        match medium {
            Medium::Sms => &self.sms,
            Medium::Letter => &self.letters,
            _ => &self.email,
        }
    }

    /// Where the SMS provider reports one message's delivery: the tenant and message are in the
    /// (signed) URL, so the report needs no lookup by the provider's id.
    pub fn status_callback_url(&self, tenant_id: Uuid, account_id: Uuid, message_id: Uuid) -> String {
        format!("{}/inbound/{}/twilio/status?m={account_id}.{message_id}", self.public_url.trim_end_matches('/'), tenant_id.simple())
    }

    /// Where debtors serve themselves (the portal).
    pub fn portal_url(&self) -> String {
        format!("{}/portal", self.public_url.trim_end_matches('/'))
    }

    /// A signed link straight to one account in the portal, good for [`PORTAL_LINK_DAYS`] from
    /// `today`. It proves nothing about who opens it: the portal still asks for an identity check.
    pub fn portal_link(&self, store: &dyn Store, tenant_id: Uuid, account_id: Uuid, today: jiff::civil::Date) -> String {
        let expires = today.checked_add(jiff::Span::new().days(PORTAL_LINK_DAYS)).unwrap_or(today);
        format!("{}/portal/l/{}", self.public_url.trim_end_matches('/'), portal_token(store, tenant_id, account_id, expires))
    }

    /// The signed one-click unsubscribe link for an e-mail address (RFC 8058).
    pub fn unsubscribe_url(&self, store: &dyn Store, tenant_id: Uuid, point_id: Uuid) -> String {
        format!("{}/u/{}", self.public_url.trim_end_matches('/'), unsubscribe_token(store, tenant_id, point_id))
    }
}

/// How long a portal link in a message works: long enough for a letter to arrive and wait on a
/// desk for a while.
pub const PORTAL_LINK_DAYS: i64 = 60;

/// Bytes of the link key's tag a portal token keeps: 96 bits, beyond guessing, and the identity
/// check with its lockout stands behind it anyway.
const PORTAL_TAG: usize = 12;

fn portal_payload(tenant_id: Uuid, account_id: Uuid, expires: jiff::civil::Date) -> Vec<u8> {
    let mut p = Vec::with_capacity(36);
    p.extend_from_slice(tenant_id.as_bytes());
    p.extend_from_slice(account_id.as_bytes());
    let day = i32::from(expires.year()) * 10_000 + i32::from(expires.month()) * 100 + i32::from(expires.day());
    p.extend_from_slice(&day.to_be_bytes());
    p
}

fn portal_tag(store: &dyn Store, payload: &[u8]) -> [u8; 32] {
    let mut data = b"portal:".to_vec();
    data.extend_from_slice(payload);
    store.link_tag(&data)
}

/// base64url of tenant, account, expiry day and the tag: 64 characters, short enough for a text.
pub fn portal_token(store: &dyn Store, tenant_id: Uuid, account_id: Uuid, expires: jiff::civil::Date) -> String {
    use base64::Engine;
    let mut bytes = portal_payload(tenant_id, account_id, expires);
    let tag = portal_tag(store, &bytes);
    bytes.extend_from_slice(&tag[..PORTAL_TAG]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What a portal link can turn out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalLink {
    /// Made by this deployment and still good: the tenant and the account.
    Valid(Uuid, Uuid),
    /// Made by this deployment, but its day has passed.
    Expired,
    /// Not made by this deployment, or damaged.
    Invalid,
}

pub fn read_portal_token(store: &dyn Store, token: &str, today: jiff::civil::Date) -> PortalLink {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()) else { return PortalLink::Invalid };
    if bytes.len() != 36 + PORTAL_TAG {
        return PortalLink::Invalid;
    }
    let (payload, tag) = bytes.split_at(36);
    if !crate::keys::same(tag, &portal_tag(store, payload)[..PORTAL_TAG]) {
        return PortalLink::Invalid;
    }
    let id = |r: std::ops::Range<usize>| Uuid::from_slice(&payload[r]).ok();
    let day = i32::from_be_bytes([payload[32], payload[33], payload[34], payload[35]]);
    let expires = jiff::civil::Date::new((day / 10_000) as i16, (day / 100 % 100) as i8, (day % 100) as i8).ok();
    match (id(0..16), id(16..32), expires) {
        (Some(t), Some(a), Some(e)) if today <= e => PortalLink::Valid(t, a),
        (Some(_), Some(_), Some(_)) => PortalLink::Expired,
        _ => PortalLink::Invalid,
    }
}

fn unsubscribe_data(tenant_id: Uuid, point_id: Uuid) -> String {
    format!("unsubscribe:{tenant_id}:{point_id}")
}

/// `<tenant>.<contact point>.<tag>`: names the address without showing it, and only this
/// deployment's keys make a tag that [`read_unsubscribe_token`] accepts.
pub fn unsubscribe_token(store: &dyn Store, tenant_id: Uuid, point_id: Uuid) -> String {
    let tag = store.link_tag(unsubscribe_data(tenant_id, point_id).as_bytes());
    format!("{}.{}.{}", tenant_id.simple(), point_id.simple(), recoup_domain::hex::encode(&tag[..16]))
}

pub fn read_unsubscribe_token(store: &dyn Store, token: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = token.split('.');
    let (t, p, tag) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (tenant_id, point_id) = (Uuid::parse_str(t).ok()?, Uuid::parse_str(p).ok()?);
    let given = recoup_domain::hex::decode(tag)?;
    let want = store.link_tag(unsubscribe_data(tenant_id, point_id).as_bytes());
    crate::keys::same(&given, &want[..16]).then_some((tenant_id, point_id))
}

/// The contact point a message goes to, with the party's mailing state.
pub async fn point_of(
    store: &dyn Store,
    tenant_id: Uuid,
    account_id: Uuid,
    point_id: Uuid,
) -> Result<(ContactPoint, Option<String>), StoreError> {
    let parties = store.parties_of(tenant_id, account_id).await?;
    let point = parties
        .iter()
        .flat_map(|p| p.contact_points.iter())
        .find(|c| c.id == point_id)
        .cloned()
        .ok_or_else(|| StoreError::not_found("contact point", point_id))?;
    let region = crate::messages::postal_state(&parties, &point);
    Ok((point, region))
}

/// Works one `message.send` job to its end.
pub async fn run_job(out: &Outbound, store: &dyn Store, job: &Job) -> Result<(), StoreError> {
    let Some((account_id, message_id)) = message::parse_job_payload(&job.payload) else {
        return store.finish_job(job, &JobEnd::Dead("the job's payload is not <account>/<message>".into())).await;
    };
    let end = send(out, store, job.tenant_id, account_id, message_id).await?;
    store.finish_job(job, &end).await
}

async fn send(out: &Outbound, store: &dyn Store, tenant_id: Uuid, account_id: Uuid, message_id: Uuid) -> Result<JobEnd, StoreError> {
    let Some(file) = store.account_file(tenant_id, account_id).await? else {
        return Ok(JobEnd::Dead("the account no longer exists".into()));
    };
    let Some(m) = file.find::<Message>(message_id)? else {
        return Ok(JobEnd::Dead("the message no longer exists".into()));
    };
    // Sent, blocked or cancelled since the job was queued: nothing left to do.
    if m.status != recoup_domain::message::MessageStatus::Queued {
        return Ok(JobEnd::Done);
    }
    let (point, region) = point_of(store, tenant_id, account_id, m.contact_point_id).await?;
    let now = (out.clock)();
    let changes =
        store.service(tenant_id, account_id, message::release(message_id, message::check_for(&m, point, region, now), &system())).await?;
    let m = match message::released(&changes, message_id, now)? {
        Release::Nothing => return Ok(JobEnd::Done),
        Release::Later(t) => return Ok(JobEnd::RetryAt(t.as_microsecond(), "deferred by the contact policy".into())),
        Release::Send(m) => *m,
    };
    let outgoing = match outgoing(out, store, tenant_id, &m, &file.policy.collector) {
        Ok(o) => o,
        Err(e) => return record_failure(store, tenant_id, account_id, &m, SendError::Permanent(e), out).await,
    };
    let transport = out.transport(m.medium);
    match transport.send(&outgoing).await {
        Ok(sent) => {
            let delivered = matches!(sent.status, recoup_channels::transport::ProviderStatus::Delivered);
            let op = message::sent(message_id, sent.transport.to_string(), sent.provider_id, delivered, (out.clock)(), &system());
            store.service(tenant_id, account_id, op).await?;
            metrics::counter!("recoup_messages_sent_total", "medium" => medium_label(m.medium)).increment(1);
            Ok(JobEnd::Done)
        }
        Err(e) => record_failure(store, tenant_id, account_id, &m, e, out).await,
    }
}

async fn record_failure(
    store: &dyn Store,
    tenant_id: Uuid,
    account_id: Uuid,
    m: &Message,
    e: SendError,
    out: &Outbound,
) -> Result<JobEnd, StoreError> {
    let now = (out.clock)();
    let (error, retry_at, bounced) = match e {
        SendError::Temporary(why) => {
            let at = out.retry.delay_after(m.attempts).and_then(|wait| Timestamp::from_microsecond(now.as_microsecond() + wait).ok());
            (why, at, false)
        }
        // A recipient the provider refuses for good is a bounce for an address; anything else
        // permanent (a bad number, a body too long) is a failure.
        SendError::Permanent(why) => (why, None, m.medium == Medium::Email),
    };
    tracing::warn!(message = %m.id, %error, retry = retry_at.is_some(), "a message was not sent");
    metrics::counter!("recoup_messages_not_sent_total", "medium" => medium_label(m.medium)).increment(1);
    store.service(tenant_id, account_id, message::not_sent(m.id, error.clone(), retry_at, bounced, now, &system())).await?;
    Ok(match retry_at {
        Some(t) => JobEnd::RetryAt(t.as_microsecond(), error),
        None => JobEnd::Done,
    })
}

fn medium_label(m: Medium) -> &'static str {
    match m {
        Medium::Email => "email",
        Medium::Sms => "sms",
        Medium::Letter => "letter",
        Medium::Call | Medium::Voicemail => "call",
    }
}

/// The message as its transport takes it; letters are rendered to their PDF here.
fn outgoing(out: &Outbound, store: &dyn Store, tenant_id: Uuid, m: &Message, collector: &Collector) -> Result<Outgoing, String> {
    let (medium, pdf) = match m.medium {
        Medium::Email => (Wire::Email, None),
        Medium::Sms => (Wire::Sms, None),
        Medium::Letter => (Wire::Letter, Some(crate::letters::pdf(m, collector).map_err(|e| e.to_string())?)),
        Medium::Call | Medium::Voicemail => return Err("a call is not a message".into()),
    };
    let list_unsubscribe = (m.medium == Medium::Email).then(|| out.unsubscribe_url(store, tenant_id, m.contact_point_id));
    Ok(Outgoing {
        message_id: m.id,
        medium,
        to: m.to.clone(),
        subject: m.subject.clone(),
        text: m.text.clone(),
        html: m.html.clone(),
        list_unsubscribe,
        pdf_name: pdf.as_ref().map(|_| format!("letter-{}.pdf", m.id)),
        pdf,
        status_callback: (m.medium == Medium::Sms).then(|| out.status_callback_url(tenant_id, m.account_id, m.id)),
    })
}
