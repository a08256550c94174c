//! Account notes on PostgreSQL.

use super::{PgStore, all, append_audit};
use crate::notes::Notes;
use crate::{Actor, Result, StoreError, ops, rows};
use async_trait::async_trait;
use recoup_domain::note::Note;
use uuid::Uuid;

#[async_trait]
impl Notes for PgStore {
    async fn add_note(&self, note: &Note, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("SELECT 1 FROM accounts WHERE tenant_id = $1 AND id = $2")
            .bind(note.tenant_id)
            .bind(note.account_id)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::not_found("account", note.account_id));
        }
        sqlx::query("INSERT INTO notes (tenant_id, id, account_id, author, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(note.tenant_id)
            .bind(note.id)
            .bind(note.account_id)
            .bind(&note.author)
            .bind(&note.body)
            .bind(note.created_at)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, note.tenant_id, vec![ops::note_event(actor, note)]).await?;
        super::outbox::emit(&mut tx, note.tenant_id, vec![ops::note_added(note)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn notes(&self, tenant_id: Uuid, account_id: Uuid, limit: u32) -> Result<Vec<Note>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM notes WHERE tenant_id = $1 AND account_id = $2 ORDER BY id DESC LIMIT $3", rows::NOTE_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(account_id).bind(i64::from(limit)), rows::note).await
    }
}
