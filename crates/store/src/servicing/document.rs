//! Documents on an account (a dispute's evidence, a bankruptcy notice, a signed agreement): the
//! record of what was uploaded, by whom, its type, size and SHA-256. The bytes live in a blob
//! store outside the database, named by that hash; the record is what links them to the account
//! and, optionally, to a dispute.

use super::dispute::Dispute;
use super::{Kept, Op, RecordKind, op};
use crate::{Actor, StoreError};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub account_id: Uuid,
    pub dispute_id: Option<Uuid>,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes: the blob's name, checked again on every download.
    pub sha256: String,
    pub uploaded_on: Date,
    pub uploaded_by: String,
    /// "agent", "portal" or "api".
    pub channel: String,
}

impl Kept for Document {
    const KIND: RecordKind = RecordKind::Document;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        "stored".into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(self.uploaded_on)
    }
}

/// Records an uploaded document whose bytes are already in the blob store.
pub fn add(doc: Document, actor: &Actor) -> Op {
    op(actor, move |d| {
        if let Some(did) = doc.dispute_id {
            let found: Option<Dispute> = d.find(did)?;
            let mut rec = found.ok_or_else(|| StoreError::invalid("/dispute", "no such dispute on this account"))?;
            rec.documents.push(doc.id);
            d.put(&rec);
        }
        let doc = Document { account_id: d.account.id, uploaded_by: d.actor.0.clone(), ..doc };
        d.put(&doc);
        d.audit(
            "document.added",
            "account",
            d.account.id,
            json!({"document_id": doc.id, "file_name": doc.file_name, "content_type": doc.content_type, "size": doc.size,
                   "sha256": doc.sha256, "dispute_id": doc.dispute_id}),
        );
        Ok(())
    })
}
