//! Making messages: from what was rendered to the [`Message`] record and the policy question that
//! goes with it, and queuing them on their account. Templates are rendered by the API layer;
//! this module does not care where the words came from (a stored template, a fixed opt-out
//! confirmation, the validation notice).

use jiff::Timestamp;
use recoup_domain::contact::ContactPoint;
use recoup_domain::hold::Purpose;
use recoup_domain::message::MessageStatus;
use recoup_domain::placement::PlacedParty;
use recoup_domain::policy::Medium;
use recoup_domain::validation_notice::Notice;
use recoup_store::servicing::contact::Check;
use recoup_store::servicing::message::{self, Message, TemplateRef};
use recoup_store::servicing::{Changes, Kept};
use recoup_store::{Actor, Store, StoreError};
use uuid::Uuid;

/// A message before it is a record.
#[derive(Debug, Clone)]
pub struct Outline {
    pub medium: Medium,
    pub point: ContactPoint,
    pub postal_state: Option<String>,
    /// Who a letter is addressed to.
    pub addressee: String,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    pub template: Option<TemplateRef>,
    pub notice: Option<Notice>,
    pub purpose: Purpose,
    pub automated: bool,
    pub opt_out_confirmation: bool,
    pub legal_threat: bool,
    /// Not before this instant (now for "send now").
    pub not_before: Timestamp,
}

/// Where a message goes: the address or number, or for a letter the addressee and postal lines.
fn destination(o: &Outline) -> String {
    match (&o.medium, &o.point.address) {
        (Medium::Letter, Some(a)) => {
            let mut lines = vec![o.addressee.clone(), a.line1.clone()];
            lines.extend(a.line2.clone());
            lines.push(format!("{}, {} {}", a.city, a.region, a.postal_code));
            lines.join("\n")
        }
        _ => o.point.value.clone(),
    }
}

/// The record and the policy question for an outline, asked at `now` or when it is due.
pub fn build(account_id: Uuid, o: Outline, now: Timestamp) -> (Message, Check) {
    let m = Message {
        id: Uuid::now_v7(),
        account_id,
        contact_point_id: o.point.id,
        medium: o.medium,
        template: o.template.clone(),
        to: destination(&o),
        subject: o.subject.clone(),
        text: o.text.clone(),
        html: o.html.clone(),
        notice: o.notice.clone(),
        legal_threat: o.legal_threat,
        automated: o.automated,
        purpose: o.purpose,
        opt_out_confirmation: o.opt_out_confirmation,
        status: MessageStatus::Queued,
        not_before: o.not_before.max(now),
        decision_id: None,
        transport: None,
        provider_id: None,
        attempts: 0,
        last_error: None,
        steps: Vec::new(),
        created_by: String::new(),
        created_at: now,
        sent_at: None,
    };
    let check = message::check_for(&m, o.point, o.postal_state, o.not_before.max(now));
    (m, check)
}

/// Queues the messages on the account in one transaction; returns them as kept.
pub async fn queue(store: &dyn Store, tenant_id: Uuid, account_id: Uuid, items: Vec<(Message, Check)>, actor: &Actor) -> Result<Vec<Message>, StoreError> {
    let ids: Vec<Uuid> = items.iter().map(|(m, _)| m.id).collect();
    let changes = store.service(tenant_id, account_id, message::queue(items, actor)).await?;
    ids.into_iter().map(|id| kept(&changes, id)).collect()
}

fn kept(changes: &Changes, id: Uuid) -> Result<Message, StoreError> {
    let rec = changes.records.iter().find(|r| r.id == id).ok_or_else(|| StoreError::not_found("message", id))?;
    Message::from_record(rec)
}

/// The person a letter to this contact point is addressed to.
pub fn addressee(parties: &[PlacedParty], point: &ContactPoint) -> String {
    parties.iter().find(|p| p.party.id == point.party_id).map(|p| p.party.display_name()).unwrap_or_default()
}

/// The party's mailing state, a candidate for the person's time zone.
pub fn postal_state(parties: &[PlacedParty], point: &ContactPoint) -> Option<String> {
    parties.iter().flat_map(|p| p.contact_points.iter()).filter(|c| c.party_id == point.party_id).find_map(|c| c.address.as_ref().map(|a| a.region.clone()))
}
