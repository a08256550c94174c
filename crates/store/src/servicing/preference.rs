//! What the person told us about contacting them, which the contact policy must honour from then
//! on: times that are inconvenient (Reg F 1006.6(b)(1)), that their employer forbids contact at
//! work (FDCPA 805(a)(3)), and when they last asked us to call (Reg F 1006.14(b)(3)(i): calls
//! within a week of that are outside the frequency limits). One record per account, replaced whole.

use super::{Kept, Op, RecordKind, op};
use crate::{Actor, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::policy::LocalHours;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactPreferences {
    pub account_id: Uuid,
    /// Local hours the person said are inconvenient, every day, until they say otherwise.
    #[schema(value_type = Vec<Object>)]
    pub inconvenient: Vec<LocalHours>,
    /// The person's employer forbids contact at work, or they said work is inconvenient.
    pub workplace_prohibited: bool,
    /// When the person last asked us to call them.
    #[schema(value_type = Option<String>)]
    pub call_consent_at: Option<Timestamp>,
    pub updated_by: String,
}

impl Kept for ContactPreferences {
    const KIND: RecordKind = RecordKind::ContactPreferences;
    /// One per account: the account's own id names it.
    fn id(&self) -> Uuid {
        self.account_id
    }
    fn status(&self) -> String {
        "current".into()
    }
    fn on_date(&self) -> Option<Date> {
        None
    }
}

/// Replaces the account's contact preferences, audited with the old and the new.
pub fn set(prefs: ContactPreferences, actor: &Actor) -> Op {
    op(actor, move |d| {
        if prefs.inconvenient.len() > 12 {
            return Err(StoreError::invalid("/inconvenient", "at most 12 windows"));
        }
        if let Some(i) = prefs.inconvenient.iter().position(|h| h.from == h.to) {
            return Err(StoreError::invalid(format!("/inconvenient/{i}"), "a window from a time to the same time covers nothing"));
        }
        let old = d.find::<ContactPreferences>(d.account.id)?;
        let new = ContactPreferences { account_id: d.account.id, updated_by: d.actor.0.clone(), ..prefs };
        d.audit("contact.preferences_changed", "account", d.account.id, json!({"from": old, "to": new}));
        d.put(&new);
        Ok(())
    })
}
