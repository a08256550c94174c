//! Message templates on PostgreSQL.

use super::{PgStore, all, append_audit, one};
use crate::rows::prefixed;
use crate::templates::{ContactLookup, NewTemplate, StoredTemplate, TEMPLATE_COLS, Templates, saved_event, template_row};
use crate::{Actor, Result, ops, rows};
use async_trait::async_trait;
use recoup_domain::contact::ContactPoint;
use uuid::Uuid;

#[async_trait]
impl Templates for PgStore {
    async fn save_template(&self, t: &NewTemplate, actor: &Actor) -> Result<StoredTemplate> {
        let mut tx = self.pool.begin().await?;
        // Two saves of one key at once: the unique index refuses the second, which then retries
        // from the caller's side; the lock makes that rare.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("template:{}:{}:{}", t.tenant_id, t.key, t.language))
            .execute(&mut *tx)
            .await?;
        let last: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM templates WHERE tenant_id = $1 AND key = $2 AND language = $3",
        )
        .bind(t.tenant_id)
        .bind(&t.key)
        .bind(&t.language)
        .fetch_one(&mut *tx)
        .await?;
        let saved = StoredTemplate {
            id: Uuid::now_v7(),
            key: t.key.clone(),
            language: t.language.clone(),
            version: u32::try_from(last + 1).unwrap_or(u32::MAX),
            channel: t.channel.clone(),
            purpose: t.purpose.clone(),
            body: t.body.clone(),
            created_by: actor.0.clone(),
            created_at: ops::now_micros(),
        };
        sqlx::query(
            "INSERT INTO templates (tenant_id, id, key, language, version, channel, purpose, body, created_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        )
        .bind(t.tenant_id)
        .bind(saved.id)
        .bind(&saved.key)
        .bind(&saved.language)
        .bind(i64::from(saved.version))
        .bind(&saved.channel)
        .bind(&saved.purpose)
        .bind(saved.body.to_string())
        .bind(&saved.created_by)
        .bind(saved.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, t.tenant_id, vec![saved_event(actor, &saved)]).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn template(&self, tenant_id: Uuid, key: &str, language: &str, version: Option<u32>) -> Result<Option<StoredTemplate>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE tenant_id = $1 AND key = $2 AND language = $3 \
             AND ($4::BIGINT IS NULL OR version = $4) ORDER BY version DESC LIMIT 1"
        );
        let (key, language) = (key.to_string(), language.to_string());
        one(&mut c, q, |q| q.bind(tenant_id).bind(key).bind(language).bind(version.map(i64::from)), template_row).await
    }

    async fn templates(&self, tenant_id: Uuid) -> Result<Vec<StoredTemplate>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "SELECT DISTINCT ON (key, language) {TEMPLATE_COLS} FROM templates WHERE tenant_id = $1 ORDER BY key, language, version DESC"
        );
        all(&mut c, q, |q| q.bind(tenant_id), template_row).await
    }

    async fn template_versions(&self, tenant_id: Uuid, key: &str, language: &str) -> Result<Vec<StoredTemplate>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {TEMPLATE_COLS} FROM templates WHERE tenant_id = $1 AND key = $2 AND language = $3 ORDER BY version DESC");
        let (key, language) = (key.to_string(), language.to_string());
        all(&mut c, q, |q| q.bind(tenant_id).bind(key).bind(language), template_row).await
    }
}

#[async_trait]
impl ContactLookup for PgStore {
    async fn contact_points_by_phone(&self, tenant_id: Uuid, e164: &str) -> Result<Vec<(Uuid, ContactPoint)>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "SELECT ap.account_id AS account_id, {} FROM contact_points cp JOIN account_parties ap \
             ON ap.tenant_id = cp.tenant_id AND ap.party_id = cp.party_id \
             WHERE cp.tenant_id = $1 AND cp.kind = 'phone' AND cp.value = $2 ORDER BY ap.account_id",
            prefixed("cp", rows::CONTACT_COLS)
        );
        let value = e164.to_string();
        all(
            &mut c,
            q,
            |q| q.bind(tenant_id).bind(value),
            |r| {
                use crate::rows::Get;
                Ok((r.uuid("account_id")?, rows::contact_point(r)?))
            },
        )
        .await
    }

    async fn contact_point(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<ContactPoint>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM contact_points WHERE tenant_id = $1 AND id = $2", rows::CONTACT_COLS);
        one(&mut c, q, |q| q.bind(tenant_id).bind(id), rows::contact_point).await
    }

    async fn accounts_by_name_or_email(&self, tenant_id: Uuid, name: &str, email: &str, limit: u32) -> Result<Vec<Uuid>> {
        let mut c = self.pool.acquire().await?;
        let q = crate::templates::search_sql(|n| format!("${n}"));
        let (name, email) = (crate::templates::name_pattern(name), email.trim().to_lowercase());
        all(
            &mut c,
            q,
            |q| q.bind(tenant_id).bind(name).bind(email).bind(i64::from(limit)),
            |r| {
                use crate::rows::Get;
                r.uuid("account_id")
            },
        )
        .await
    }
}
