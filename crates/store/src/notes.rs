//! Account notes (see `recoup_domain::note`).

use crate::{Actor, Result};
use async_trait::async_trait;
use recoup_domain::note::Note;
use uuid::Uuid;

#[async_trait]
pub trait Notes: Send + Sync {
    /// Adds a note to an account of the tenant (not found if the account is not the tenant's).
    async fn add_note(&self, note: &Note, actor: &Actor) -> Result<()>;
    /// An account's notes, newest first.
    async fn notes(&self, tenant_id: Uuid, account_id: Uuid, limit: u32) -> Result<Vec<Note>>;
}
