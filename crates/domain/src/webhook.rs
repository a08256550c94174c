//! Webhook subscriptions and the rules of delivery: which events a subscription receives, how
//! long to wait before retrying a failed delivery, and when to give up. Sending and signing are
//! the server's; this module decides.

use crate::event::EventType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// An integrator's request to be told of some events at an HTTPS (or, for local receivers,
/// HTTP) address.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    pub url: String,
    pub event_types: BTreeSet<EventType>,
    pub description: String,
    pub active: bool,
    /// UTC microseconds.
    pub created_at: i64,
}

impl std::fmt::Debug for Subscription {
    // The signing secret is kept apart from this type; the URL may carry a token in its query.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("id", &self.id).field("event_types", &self.event_types).field("active", &self.active).finish()
    }
}

impl Subscription {
    pub fn wants(&self, t: EventType) -> bool {
        self.active && (self.event_types.contains(&t) || t == EventType::WebhookPing)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("the URL is not absolute (it needs http:// or https:// and a host)")]
    NotAbsolute,
    #[error("only http and https URLs can receive webhooks")]
    Scheme,
    #[error("the URL must not carry a user name or password; put a token in the path instead")]
    Credentials,
    #[error("the URL is longer than 2048 characters")]
    TooLong,
    #[error("the receiver is on a private, loopback or link-local address; this deployment only sends to public addresses")]
    Private,
}

/// Checks a receiver's address before it is stored, so a typo fails at subscription time rather
/// than at every delivery. Unless `allow_private`, a host that is an address (or `localhost`) in
/// a range no public receiver has is refused: a subscription must not make recoup call into its
/// own network (SSRF). Names are checked again when they resolve, at each delivery.
pub fn check_receiver(url: &str, allow_private: bool) -> Result<(), UrlError> {
    check_url(url)?;
    if allow_private {
        return Ok(());
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let private = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => !is_public(ip),
        Err(_) => host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost"),
    };
    if private { Err(UrlError::Private) } else { Ok(()) }
}

/// Whether an address can belong to a receiver on the internet: not loopback, private (RFC 1918,
/// RFC 4193), link-local (where cloud metadata services answer), shared (RFC 6598), unspecified,
/// multicast or documentation space; IPv4 mapped into IPv6 is judged as IPv4.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
    }
}

fn check_url(url: &str) -> Result<(), UrlError> {
    if url.len() > 2048 {
        return Err(UrlError::TooLong);
    }
    let (scheme, rest) = url.split_once("://").ok_or(UrlError::NotAbsolute)?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(UrlError::Scheme);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(UrlError::Credentials);
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(UrlError::NotAbsolute);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt failed; only a redelivery sends it again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed].into_iter().find(|d| d.as_str() == s)
    }
}

/// When to retry: exponential from `first_micros`, capped, for at most `max_attempts` attempts.
/// The default retries for about a day (1 min, 2, 4, ... capped at 6 h), long enough to ride out
/// a receiver's outage over a night.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_micros: i64,
    pub cap_micros: i64,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first_micros: 60_000_000, cap_micros: 6 * 3_600_000_000, max_attempts: 12 }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failed attempt (1-based), or `None` when that was the last.
    pub fn delay_after(&self, attempt: u32) -> Option<i64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let shift = attempt.saturating_sub(1).min(40);
        Some(self.first_micros.saturating_mul(1i64 << shift).min(self.cap_micros))
    }
}

/// Whether a receiver's answer counts as delivered: any 2xx. Redirects are not followed (a
/// receiver that moved should update its subscription), so they count as failures.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_stops() {
        let p = RetryPolicy { first_micros: 10, cap_micros: 50, max_attempts: 5 };
        assert_eq!(p.delay_after(1), Some(10));
        assert_eq!(p.delay_after(2), Some(20));
        assert_eq!(p.delay_after(3), Some(40));
        assert_eq!(p.delay_after(4), Some(50));
        assert_eq!(p.delay_after(5), None);
        let d = RetryPolicy::default();
        let total: i64 = (1..d.max_attempts).filter_map(|a| d.delay_after(a)).sum();
        assert!(total > 20 * 3_600_000_000 && total < 48 * 3_600_000_000, "default retries span about a day: {total}");
    }

    #[test]
    fn urls() {
        assert_eq!(check_url("https://hooks.example.com/recoup?t=1"), Ok(()));
        assert_eq!(check_receiver("https://hooks.example.com/recoup", false), Ok(()));
        assert_eq!(check_receiver("https://93.184.216.34:8443/x", false), Ok(()));
        for private in [
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://api.localhost/x",
            "http://10.0.0.5/x",
            "http://172.16.0.1/x",
            "http://192.168.1.1/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/x",
            "http://0.0.0.0/x",
            "http://[::1]:8080/x",
            "http://[fd00::1]/x",
            "http://[fe80::1]/x",
            "http://[::ffff:10.0.0.1]/x",
        ] {
            assert_eq!(check_receiver(private, false), Err(UrlError::Private), "{private}");
            assert_eq!(check_receiver(private, true), Ok(()), "{private} with private receivers allowed");
        }
        assert!(is_public("172.32.0.1".parse().unwrap()) && is_public("100.128.0.1".parse().unwrap()), "just outside the ranges");
        assert_eq!(check_url("http://127.0.0.1:9000/in"), Ok(()));
        assert_eq!(check_url("ftp://example.com/"), Err(UrlError::Scheme));
        assert_eq!(check_url("example.com/hook"), Err(UrlError::NotAbsolute));
        assert_eq!(check_url("https:///hook"), Err(UrlError::NotAbsolute));
        assert_eq!(check_url("https://user:pw@example.com/"), Err(UrlError::Credentials));
        assert_eq!(check_url("https://exa mple.com/"), Err(UrlError::NotAbsolute));
        assert_eq!(check_url(&format!("https://example.com/{}", "a".repeat(2100))), Err(UrlError::TooLong));
    }

    #[test]
    fn success_is_2xx_only() {
        assert!(is_success(200) && is_success(204) && is_success(299));
        assert!(!is_success(199) && !is_success(301) && !is_success(404) && !is_success(500));
    }

    #[test]
    fn ping_reaches_every_active_subscription() {
        let mut s = Subscription {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            url: "https://x.test/".into(),
            event_types: [EventType::PaymentPosted].into(),
            description: String::new(),
            active: true,
            created_at: 0,
        };
        assert!(s.wants(EventType::PaymentPosted));
        assert!(!s.wants(EventType::AccountCreated));
        assert!(s.wants(EventType::WebhookPing));
        s.active = false;
        assert!(!s.wants(EventType::PaymentPosted));
    }
}
