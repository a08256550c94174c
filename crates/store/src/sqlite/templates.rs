//! Message templates on SQLite.

use super::{SqliteStore, append_audit, query_all, query_one};
use crate::rows::prefixed;
use crate::templates::{ContactLookup, NewTemplate, StoredTemplate, TEMPLATE_COLS, Templates, saved_event, template_row};
use crate::{Actor, Result, ops, rows};
use async_trait::async_trait;
use recoup_domain::contact::ContactPoint;
use rusqlite::params;
use uuid::Uuid;

#[async_trait]
impl Templates for SqliteStore {
    async fn save_template(&self, t: &NewTemplate, actor: &Actor) -> Result<StoredTemplate> {
        let (t, actor) = (t.clone(), actor.clone());
        self.tx(move |tx| {
            let last: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM templates WHERE tenant_id = ? AND key = ? AND language = ?",
                params![t.tenant_id, t.key, t.language],
                |r| r.get(0),
            )?;
            let saved = StoredTemplate {
                id: Uuid::now_v7(),
                key: t.key,
                language: t.language,
                version: u32::try_from(last + 1).unwrap_or(u32::MAX),
                channel: t.channel,
                purpose: t.purpose,
                body: t.body,
                created_by: actor.0.clone(),
                created_at: ops::now_micros(),
            };
            tx.execute(
                "INSERT INTO templates (tenant_id, id, key, language, version, channel, purpose, body, created_by, created_at) \
                 VALUES (?,?,?,?,?,?,?,?,?,?)",
                params![
                    t.tenant_id,
                    saved.id,
                    saved.key,
                    saved.language,
                    saved.version,
                    saved.channel,
                    saved.purpose,
                    saved.body.to_string(),
                    saved.created_by,
                    saved.created_at
                ],
            )?;
            append_audit(tx, t.tenant_id, vec![saved_event(&actor, &saved)])?;
            Ok(saved)
        })
        .await
    }

    async fn template(&self, tenant_id: Uuid, key: &str, language: &str, version: Option<u32>) -> Result<Option<StoredTemplate>> {
        let (key, language) = (key.to_string(), language.to_string());
        let sql = format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE tenant_id = ? AND key = ? AND language = ? AND (? IS NULL OR version = ?) \
             ORDER BY version DESC LIMIT 1"
        );
        self.read(move |c| query_one(c, &sql, params![tenant_id, key, language, version, version], |r| template_row(r))).await
    }

    async fn templates(&self, tenant_id: Uuid) -> Result<Vec<StoredTemplate>> {
        let sql = format!(
            "SELECT {TEMPLATE_COLS} FROM templates t WHERE tenant_id = ?1 AND version = \
             (SELECT MAX(version) FROM templates u WHERE u.tenant_id = ?1 AND u.key = t.key AND u.language = t.language) \
             ORDER BY key, language"
        );
        self.read(move |c| query_all(c, &sql, params![tenant_id], |r| template_row(r))).await
    }

    async fn template_versions(&self, tenant_id: Uuid, key: &str, language: &str) -> Result<Vec<StoredTemplate>> {
        let (key, language) = (key.to_string(), language.to_string());
        let sql = format!("SELECT {TEMPLATE_COLS} FROM templates WHERE tenant_id = ? AND key = ? AND language = ? ORDER BY version DESC");
        self.read(move |c| query_all(c, &sql, params![tenant_id, key, language], |r| template_row(r))).await
    }
}

/// SQLite's plan depends on its statistics (see `planner`); with poor ones it preferred the
/// primary key's tenant prefix to this partial index, reading every contact point of the tenant
/// for one text. The named indexes and fixed join order keep this lookup right whatever they say.
fn phone_lookup_sql() -> String {
    format!(
        "SELECT ap.account_id AS account_id, {} FROM contact_points cp INDEXED BY contact_points_phone \
         CROSS JOIN account_parties ap INDEXED BY account_parties_party \
         ON ap.tenant_id = cp.tenant_id AND ap.party_id = cp.party_id \
         WHERE cp.tenant_id = ? AND cp.kind = 'phone' AND cp.value = ? ORDER BY ap.account_id",
        prefixed("cp", rows::CONTACT_COLS)
    )
}

#[async_trait]
impl ContactLookup for SqliteStore {
    async fn contact_points_by_phone(&self, tenant_id: Uuid, e164: &str) -> Result<Vec<(Uuid, ContactPoint)>> {
        let value = e164.to_string();
        let sql = phone_lookup_sql();
        self.read(move |c| {
            query_all(c, &sql, params![tenant_id, value], |r| {
                use crate::rows::Get;
                Ok((r.uuid("account_id")?, rows::contact_point(r)?))
            })
        })
        .await
    }

    async fn contact_point(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<ContactPoint>> {
        let sql = format!("SELECT {} FROM contact_points WHERE tenant_id = ? AND id = ?", rows::CONTACT_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, id], |r| rows::contact_point(r))).await
    }

    async fn accounts_by_name_or_email(&self, tenant_id: Uuid, name: &str, email: &str, limit: u32) -> Result<Vec<Uuid>> {
        let sql = crate::templates::search_sql(|n| format!("?{n}"));
        let (name, email) = (crate::templates::name_pattern(name), email.trim().to_lowercase());
        self.read(move |c| {
            query_all(c, &sql, params![tenant_id, name, email, limit], |r| {
                use crate::rows::Get;
                r.uuid("account_id")
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The partial index serves only queries that name its condition; a lookup that fell back to
    /// scanning every contact point would still return the right rows, so only the plan shows it.
    #[tokio::test]
    async fn the_phone_lookup_uses_the_phone_index() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(crate::Keyring::load_or_create_file(&dir.path().join("keys")).unwrap());
        let store = SqliteStore::open(dir.path().join("db.sqlite"), keys).await.unwrap();
        let conn = super::super::connect(store.path()).unwrap();
        let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", phone_lookup_sql())).unwrap();
        let steps: Vec<String> =
            plan.query_map(params![Uuid::nil(), "+16175550100"], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect();
        assert!(steps.iter().any(|s| s.contains("contact_points_phone (tenant_id=? AND value=?)")), "{steps:?}");
        assert!(steps.iter().any(|s| s.contains("account_parties_party")), "{steps:?}");
    }
}
