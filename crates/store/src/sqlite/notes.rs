//! Account notes on SQLite.

use super::{SqliteStore, append_audit, query_all};
use crate::notes::Notes;
use crate::{Actor, Result, StoreError, ops, rows};
use async_trait::async_trait;
use recoup_domain::note::Note;
use rusqlite::params;
use uuid::Uuid;

#[async_trait]
impl Notes for SqliteStore {
    async fn add_note(&self, note: &Note, actor: &Actor) -> Result<()> {
        let (note, actor) = (note.clone(), actor.clone());
        self.tx(move |tx| {
            let exists: i64 = tx.query_row(
                "SELECT COUNT(*) FROM accounts WHERE tenant_id = ? AND id = ?",
                params![note.tenant_id, note.account_id],
                |r| r.get(0),
            )?;
            if exists == 0 {
                return Err(StoreError::not_found("account", note.account_id));
            }
            tx.execute(
                "INSERT INTO notes (tenant_id, id, account_id, author, body, created_at) VALUES (?,?,?,?,?,?)",
                params![note.tenant_id, note.id, note.account_id, note.author, note.body, note.created_at],
            )?;
            append_audit(tx, note.tenant_id, vec![ops::note_event(&actor, &note)])?;
            super::outbox::emit(tx, note.tenant_id, vec![ops::note_added(&note)])
        })
        .await
    }

    async fn notes(&self, tenant_id: Uuid, account_id: Uuid, limit: u32) -> Result<Vec<Note>> {
        let sql = format!("SELECT {} FROM notes WHERE tenant_id = ? AND account_id = ? ORDER BY id DESC LIMIT ?", rows::NOTE_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, account_id, limit], |r| rows::note(r))).await
    }
}
