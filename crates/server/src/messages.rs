//! Making messages: from what was rendered to the [`Message`] record and the policy question that
//! goes with it, and queuing them on their account. Templates are rendered by the API layer;
//! this module does not care where the words came from (a stored template, a fixed opt-out
//! confirmation, the validation notice).

use crate::compose::{self, Links, language_code};
use crate::outbound::Outbound;
use jiff::Timestamp;
use recoup_domain::account::Account;
use recoup_domain::contact::{ContactKind, ContactPoint};
use recoup_domain::hold::Purpose;
use recoup_domain::message::MessageStatus;
use recoup_domain::placement::PlacedParty;
use recoup_domain::policy::Medium;
use recoup_domain::policy::Regime;
use recoup_domain::template::{TemplateChannel, TemplateDraft, TemplatePurpose, threatens_legal_action};
use recoup_domain::validation_notice::Language;
use recoup_domain::validation_notice::Notice;
use recoup_store::servicing::AccountFile;
use recoup_store::servicing::contact::Check;
use recoup_store::servicing::message::{self, Message, TemplateRef};
use recoup_store::servicing::{Changes, Kept};
use recoup_store::{Actor, Store, StoreError};
use recoup_store::{NewTemplate, StoredTemplate};
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
pub async fn queue(
    store: &dyn Store,
    tenant_id: Uuid,
    account_id: Uuid,
    items: Vec<(Message, Check)>,
    actor: &Actor,
) -> Result<Vec<Message>, StoreError> {
    let ids: Vec<Uuid> = items.iter().map(|(m, _)| m.id).collect();
    let changes = store.service(tenant_id, account_id, message::queue(items, actor)).await?;
    ids.into_iter().map(|id| kept(&changes, id)).collect()
}

/// The message `id` as a write left it.
pub fn kept(changes: &Changes, id: Uuid) -> Result<Message, StoreError> {
    let rec = changes.records.iter().find(|r| r.id == id).ok_or_else(|| StoreError::not_found("message", id))?;
    Message::from_record(rec)
}

/// The person a letter to this contact point is addressed to.
pub fn addressee(parties: &[PlacedParty], point: &ContactPoint) -> String {
    parties.iter().find(|p| p.party.id == point.party_id).map(|p| p.party.display_name()).unwrap_or_default()
}

fn kind_for(medium: Medium) -> ContactKind {
    match medium {
        Medium::Call | Medium::Voicemail | Medium::Sms => ContactKind::Phone,
        Medium::Email => ContactKind::Email,
        Medium::Letter => ContactKind::Address,
    }
}

/// The contact point asked for, or the first one (primary party first) fit for the medium; with
/// the party's mailing state, a candidate for the person's time zone.
pub fn pick_point(parties: &[PlacedParty], medium: Medium, wanted: Option<Uuid>) -> Result<(ContactPoint, Option<String>), StoreError> {
    let mut points = parties.iter().flat_map(|pp| pp.contact_points.iter());
    let point = match wanted {
        Some(id) => points.find(|c| c.id == id),
        None => points.find(|c| c.kind == kind_for(medium)),
    };
    let point = point.ok_or_else(|| StoreError::invalid("/contact_point_id", "no such contact point on this account for this medium"))?;
    if point.kind != kind_for(medium) {
        return Err(StoreError::invalid("/medium", "the contact point cannot be reached this way"));
    }
    Ok((point.clone(), postal_state(parties, point)))
}

/// The party's mailing state, a candidate for the person's time zone.
pub fn postal_state(parties: &[PlacedParty], point: &ContactPoint) -> Option<String> {
    parties
        .iter()
        .flat_map(|p| p.contact_points.iter())
        .filter(|c| c.party_id == point.party_id)
        .find_map(|c| c.address.as_ref().map(|a| a.region.clone()))
}

fn medium_of(c: TemplateChannel) -> Result<Medium, StoreError> {
    match c {
        TemplateChannel::Email => Ok(Medium::Email),
        TemplateChannel::Sms => Ok(Medium::Sms),
        TemplateChannel::Letter => Ok(Medium::Letter),
        TemplateChannel::Voice => Err(StoreError::invalid("/template", "a voice template is read on a call, not sent")),
    }
}

/// What the holds judge a message by: a promise reminder may go where collection may not.
fn hold_purpose(p: TemplatePurpose) -> Purpose {
    match p {
        TemplatePurpose::PromiseReminder | TemplatePurpose::PromiseConfirmation => Purpose::PromiseReminder,
        TemplatePurpose::DisputeAcknowledgement => Purpose::DisputeAcknowledgement,
        _ => Purpose::Collection,
    }
}

/// The links a message about `account_id` carries: its own signed way into the portal, and for
/// an e-mail the one-click unsubscribe.
pub fn links(store: &dyn Store, out: &Outbound, account: (Uuid, Uuid), medium: Medium, point_id: Uuid, today: jiff::civil::Date) -> Links {
    let (tenant_id, account_id) = account;
    let unsubscribe_url = match medium {
        Medium::Email => out.unsubscribe_url(store, tenant_id, point_id),
        _ => String::new(),
    };
    Links { unsubscribe_url, portal_url: out.portal_link(store, tenant_id, account_id, today) }
}

pub fn draft_of(t: &StoredTemplate) -> Result<TemplateDraft, StoreError> {
    serde_json::from_value(t.body.clone()).map_err(|e| StoreError::Corrupt(format!("template {} v{}: {e}", t.key, t.version)))
}

/// Checks a template (renders against the sample, then the compliance rules) and saves it as the
/// next version of its key and language. Every problem is named, the first one's field leads.
pub async fn save_template(store: &dyn Store, tenant_id: Uuid, d: &TemplateDraft, actor: &Actor) -> Result<StoredTemplate, StoreError> {
    if let Err(errors) = recoup_channels::template::validate(d) {
        let first = errors.first().map(|e| e.field).unwrap_or("/text");
        let words: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(StoreError::invalid(first, words.join("; ")));
    }
    let body = serde_json::to_value(d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let t = NewTemplate {
        tenant_id,
        key: d.key.clone(),
        language: language_code(d.language).into(),
        channel: d.channel.as_str().into(),
        purpose: d.purpose.as_str().into(),
        body,
    };
    store.save_template(&t, actor).await
}

/// A message to make from a stored template.
#[derive(Debug, Clone)]
pub struct FromTemplate {
    pub template: String,
    /// Left out, the debtor's language.
    pub language: Option<Language>,
    pub contact_point_id: Option<Uuid>,
    pub send_at: Option<Timestamp>,
    pub automated: bool,
    /// The message's id, when the caller must recognise it later (a strategy action makes its
    /// message under its own id, so a resumed run sees it was made); a new one when None.
    pub id: Option<Uuid>,
}

/// Renders the template for the account and queues it through the policy. On the account's
/// first message the validation notice goes with it (Reg F 1006.34(a)); a notice that cannot be
/// given stops both.
pub async fn send_template(
    store: &dyn Store,
    out: &Outbound,
    account: &Account,
    ask: FromTemplate,
    actor: &Actor,
) -> Result<Message, StoreError> {
    let file = store.account_file(account.tenant_id, account.id).await?.ok_or_else(|| StoreError::not_found("account", account.id))?;
    let parties = store.parties_of(account.tenant_id, account.id).await?;
    let items = prepare_template(store, out, &file, &parties, &TemplateCache::default(), ask).await?;
    let queued = queue(store, account.tenant_id, account.id, items, actor).await?;
    queued.into_iter().last().ok_or_else(|| StoreError::Corrupt("nothing was queued".into()))
}

/// The live version of each template a caller asks for, read and parsed once: a strategy run
/// renders the same few templates for every account, and uses the versions live when it began.
#[derive(Default)]
pub struct TemplateCache(std::sync::Mutex<std::collections::HashMap<(String, String), Found>>);

/// A template looked up: None when there is none for that key and language.
type Found = Option<std::sync::Arc<Cached>>;

/// A template as the cache keeps it.
pub struct Cached {
    pub stored: StoredTemplate,
    pub draft: TemplateDraft,
    /// Its words threaten legal action before any account's values are put in.
    pub legal_threat: bool,
}

impl TemplateCache {
    pub async fn get(
        &self,
        store: &dyn Store,
        tenant_id: Uuid,
        key: &str,
        language: &str,
    ) -> Result<Option<std::sync::Arc<Cached>>, StoreError> {
        let slot = (key.to_string(), language.to_string());
        if let Some(t) = self.0.lock().map_err(|_| StoreError::Task("template cache poisoned".into()))?.get(&slot) {
            return Ok(t.clone());
        }
        let found = match store.template(tenant_id, key, language, None).await? {
            Some(stored) => {
                let draft = draft_of(&stored)?;
                let legal_threat = threatens_legal_action(&draft.text) || draft.subject.as_deref().is_some_and(threatens_legal_action);
                Some(std::sync::Arc::new(Cached { stored, draft, legal_threat }))
            }
            None => None,
        };
        self.0.lock().map_err(|_| StoreError::Task("template cache poisoned".into()))?.insert(slot, found.clone());
        Ok(found)
    }
}

/// What a template message to an account starts from: the template in the debtor's language,
/// the medium, and the contact point it goes to.
pub struct Head {
    pub template: std::sync::Arc<Cached>,
    pub language: Language,
    pub medium: Medium,
    pub point: ContactPoint,
    pub postal_state: Option<String>,
}

impl Head {
    pub async fn find(
        store: &dyn Store,
        tenant_id: Uuid,
        parties: &[PlacedParty],
        templates: &TemplateCache,
        ask: &FromTemplate,
    ) -> Result<Head, StoreError> {
        let language = ask.language.unwrap_or_else(|| compose::language_of(parties));
        let template = templates
            .get(store, tenant_id, &ask.template, language_code(language))
            .await?
            .ok_or_else(|| StoreError::invalid("/template", format!("no template {:?} in {}", ask.template, language_code(language))))?;
        let medium = medium_of(template.draft.channel)?;
        let (point, postal_state) = pick_point(parties, medium, ask.contact_point_id)?;
        Ok(Head { template, language, medium, point, postal_state })
    }

    /// The question the policy will be asked about the message, at `at`.
    pub fn check(&self, automated: bool, at: Timestamp) -> Check {
        let purpose = self.template.draft.purpose;
        let opt_out = purpose == TemplatePurpose::OptOutConfirmation;
        let intent = message::intent(self.medium, hold_purpose(purpose), automated, opt_out);
        Check { intent, point: self.point.clone(), postal_state: self.postal_state.clone(), at }
    }
}

/// The messages [`send_template`] would queue (the validation notice first when one is due, the
/// message last), rendered and each with its policy check, not yet written: a caller with many
/// accounts queues them in one transaction. `file` and `parties` are the account's, as the
/// caller read them.
pub async fn prepare_template(
    store: &dyn Store,
    out: &Outbound,
    file: &AccountFile,
    parties: &[PlacedParty],
    templates: &TemplateCache,
    ask: FromTemplate,
) -> Result<Vec<(Message, Check)>, StoreError> {
    let account = &file.account;
    let tenant_id = account.tenant_id;
    let head = Head::find(store, tenant_id, parties, templates, &ask).await?;
    let (t, d, lang, medium) = (&head.template.stored, &head.template.draft, head.language, head.medium);
    let now = (out.clock)();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let ctx =
        compose::context(file, parties, d.purpose, lang, today, links(store, out, (tenant_id, account.id), medium, head.point.id, today))?;
    let rendered = recoup_channels::template::render(d, &ctx)
        .map_err(|e| StoreError::Refused(format!("the template does not render for this account: {e}")))?;
    let outline = Outline {
        medium,
        addressee: addressee(parties, &head.point),
        point: head.point.clone(),
        postal_state: head.postal_state.clone(),
        subject: rendered.subject,
        legal_threat: threatens_legal_action(&rendered.text),
        text: rendered.text,
        html: rendered.html,
        template: Some(TemplateRef { key: t.key.clone(), version: t.version, language: t.language.clone(), purpose: t.purpose.clone() }),
        notice: None,
        purpose: hold_purpose(d.purpose),
        automated: ask.automated,
        opt_out_confirmation: d.purpose == TemplatePurpose::OptOutConfirmation,
        not_before: ask.send_at.unwrap_or(now),
    };
    let mut items = Vec::new();
    if d.purpose != TemplatePurpose::ValidationNotice && notice_due(file)? {
        items.push(notice_item(file, parties, lang, now)?);
    }
    let (mut message, check) = build(account.id, outline, now);
    message.id = ask.id.unwrap_or(message.id);
    items.push((message, check));
    Ok(items)
}

/// The first communication about a debt carries the validation notice or schedules it (Reg F
/// 1006.34(a)); UK profiles have no such notice.
fn notice_due(file: &AccountFile) -> Result<bool, StoreError> {
    let profile =
        file.policy.contact_profile(file.account.portfolio_id).map_err(|e| StoreError::Corrupt(format!("contact profile: {e}")))?;
    Ok(profile.regime == Regime::Us && file.all::<Message>()?.is_empty())
}

/// The validation notice as a letter to the primary party's address, or why it cannot be given.
pub fn notice_item(file: &AccountFile, parties: &[PlacedParty], lang: Language, now: Timestamp) -> Result<(Message, Check), StoreError> {
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let notice = compose::notice(file, parties, &file.policy.collector, lang, day).map_err(|faults| {
        let words: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
        StoreError::Refused(format!("the validation notice cannot be given, so nothing was queued: {}", words.join("; ")))
    })?;
    let primary = compose::primary(parties).ok_or_else(|| StoreError::Refused("the account has no party to write to".into()))?;
    let point = primary
        .contact_points
        .iter()
        .find(|c| c.kind == ContactKind::Address)
        .cloned()
        .ok_or_else(|| StoreError::Refused("the validation notice needs a postal address for the debtor".into()))?;
    let title = match lang {
        Language::En => "Validation notice",
        Language::Es => "Aviso de validación",
    };
    let outline = Outline {
        medium: Medium::Letter,
        addressee: primary.party.display_name(),
        postal_state: point.address.as_ref().map(|a| a.region.clone()),
        point,
        subject: Some(title.into()),
        text: notice.statements.join("\n\n"),
        html: None,
        template: None,
        legal_threat: false,
        notice: Some(notice),
        purpose: Purpose::Collection,
        automated: true,
        opt_out_confirmation: false,
        not_before: now,
    };
    Ok(build(file.account.id, outline, now))
}
