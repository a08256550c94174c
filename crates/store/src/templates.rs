//! Message templates, stored and versioned. Saving never overwrites: each save of a key and
//! language is a new version, so a message can always be traced to the exact words it was
//! rendered from. The template's content is kept as JSON; the server checks it (syntax, required
//! elements) before it reaches here.

use crate::{Actor, Result};
use async_trait::async_trait;
use recoup_domain::contact::ContactPoint;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredTemplate {
    pub id: Uuid,
    pub key: String,
    pub language: String,
    pub version: u32,
    pub channel: String,
    pub purpose: String,
    /// The template as saved: subject, text, html and flags.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub created_by: String,
    /// UTC microseconds.
    pub created_at: i64,
}

/// What a save needs; the version is the store's to give.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub tenant_id: Uuid,
    pub key: String,
    pub language: String,
    pub channel: String,
    pub purpose: String,
    pub body: serde_json::Value,
}

#[async_trait]
pub trait Templates: Send + Sync {
    /// Saves the next version of the key and language, audited.
    async fn save_template(&self, t: &NewTemplate, actor: &Actor) -> Result<StoredTemplate>;
    /// A version of a template, or the latest when `version` is `None`.
    async fn template(&self, tenant_id: Uuid, key: &str, language: &str, version: Option<u32>) -> Result<Option<StoredTemplate>>;
    /// The latest version of every key and language, by key.
    async fn templates(&self, tenant_id: Uuid) -> Result<Vec<StoredTemplate>>;
    /// Every version of a key and language, newest first.
    async fn template_versions(&self, tenant_id: Uuid, key: &str, language: &str) -> Result<Vec<StoredTemplate>>;
}

/// Finding contact points from outside an account: an inbound text names only its number, an
/// unsubscribe link only its contact point.
#[async_trait]
pub trait ContactLookup: Send + Sync {
    /// The tenant's phone contact points with this E.164 number, with the accounts their party
    /// is on.
    async fn contact_points_by_phone(&self, tenant_id: Uuid, e164: &str) -> Result<Vec<(Uuid, ContactPoint)>>;
    async fn contact_point(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<ContactPoint>>;
    /// Up to `limit` accounts with a party whose name contains `name` (any case), or with this
    /// e-mail address: the console's search. Names and e-mail addresses have no index (each
    /// would slow every placement import), so this reads the tenant's parties: fine for a
    /// person searching, not for a loop.
    async fn accounts_by_name_or_email(&self, tenant_id: Uuid, name: &str, email: &str, limit: u32) -> Result<Vec<Uuid>>;
}

/// The search's SQL with `p(n)` as the n-th placeholder (SQLite `?n`, PostgreSQL `$n`): 1 the
/// tenant, 2 the name pattern, 3 the e-mail, 4 the limit.
pub(crate) fn search_sql(p: impl Fn(usize) -> String) -> String {
    format!(
        "SELECT account_id FROM ( \
           SELECT ap.account_id AS account_id FROM parties pa JOIN account_parties ap ON ap.tenant_id = pa.tenant_id AND ap.party_id = pa.id \
           WHERE pa.tenant_id = {t} AND lower(coalesce(pa.first_name, '') || ' ' || coalesce(pa.last_name, '') || ' ' || coalesce(pa.company_name, '')) \
                 LIKE {name} ESCAPE '\\' \
           UNION \
           SELECT ap.account_id AS account_id FROM contact_points cp JOIN account_parties ap ON ap.tenant_id = cp.tenant_id AND ap.party_id = cp.party_id \
           WHERE cp.tenant_id = {t} AND cp.kind = 'email' AND lower(cp.value) = {email} \
         ) found ORDER BY account_id LIMIT {limit}",
        t = p(1),
        name = p(2),
        email = p(3),
        limit = p(4)
    )
}

/// `text` as a LIKE pattern that matches it anywhere, lower-cased, its own % and _ taken
/// literally. Empty text matches nothing.
pub fn name_pattern(text: &str) -> String {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return String::new();
    }
    let escaped: String = t.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("%{escaped}%")
}

pub(crate) const TEMPLATE_COLS: &str = "id, key, language, version, channel, purpose, body, created_by, created_at";

pub(crate) fn template_row(r: &impl crate::rows::Get) -> Result<StoredTemplate> {
    let body = r.text("body")?;
    Ok(StoredTemplate {
        id: r.uuid("id")?,
        key: r.text("key")?,
        language: r.text("language")?,
        version: u32::try_from(r.int("version")?).map_err(|e| crate::rows::corrupt("version", e))?,
        channel: r.text("channel")?,
        purpose: r.text("purpose")?,
        body: serde_json::from_str(&body).map_err(|e| crate::rows::corrupt("body", e))?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn saved_event(actor: &Actor, t: &StoredTemplate) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(
        actor,
        "template.saved",
        "template",
        t.id,
        serde_json::json!({"key": t.key, "language": t.language, "version": t.version, "channel": t.channel, "purpose": t.purpose}),
    )
}
