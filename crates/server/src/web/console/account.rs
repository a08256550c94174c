//! The account page: what an agent needs on a call (balance by component, the people and how
//! they may be reached right now, holds, the history, the score and why) and the actions a call
//! ends in. Each action runs the API's own handler; a refusal comes back next to its form.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, may};
use crate::api::accounts::{self, PartyOnAccount};
use crate::api::auth::Principal;
use crate::api::calls::{self, Contactability};
use crate::api::consent::{self, ConsentChange};
use crate::api::contacts::{self, AttemptRequest};
use crate::api::disputes::{self, DisputeRequest, HoldRequest, Release};
use crate::api::json::Body;
use crate::api::notes::{self, NewNote};
use crate::api::payments::{self, CardInput, PaymentRequest};
use crate::api::plans::{self, QuoteRequest};
use crate::api::problem::Problem;
use crate::api::servicing::{self, PromiseRequest, account_for, today};
use crate::api::settlements::{self, SettlementRequest};
use crate::web::format::{day, instant, label, money, words};
use crate::web::{Chrome, page, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::contact::ContactKind;
use recoup_domain::message::CallResult;
use recoup_domain::policy::{Medium, Outcome};
use recoup_domain::promise::{PromiseItem, PromiseStatus};
use recoup_domain::worklist::{Signals, contributions, propensity};
use recoup_store::models::AccountScore;
use recoup_store::servicing::AccountFile;
use recoup_store::servicing::contact::ContactAttempt;
use recoup_store::servicing::dispute::Dispute;
use recoup_store::servicing::document::Document;
use recoup_store::servicing::hold::{HoldRecord, HoldStatus};
use recoup_store::servicing::payment::{Method, Payment};
use recoup_store::servicing::plan::{Plan, PlanStatus};
use recoup_store::servicing::promise::Promise;
use recoup_store::servicing::settlement::{Settlement, SettlementStatus};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/accounts/{id}", get(show))
        .route("/console/accounts/{id}/calls", post(log_call))
        .route("/console/accounts/{id}/notes", post(add_note))
        .route("/console/accounts/{id}/promises", post(take_promise))
        .route("/console/accounts/{id}/payments", post(take_payment))
        .route("/console/accounts/{id}/settlements", post(offer_settlement))
        .route("/console/accounts/{id}/disputes", post(open_dispute))
        .route("/console/accounts/{id}/holds", post(add_hold))
        .route("/console/accounts/{id}/holds/{hold}/release", post(release_hold))
        .route("/console/accounts/{id}/consent", post(change_consent))
        .route("/console/accounts/{id}/plans", post(plan))
        .route("/console/accounts/{id}/documents", post(add_documents))
        .route("/console/accounts/{id}/settlements/{sid}/decision", post(decide_settlement))
}

/// Which form a refusal belongs to, what was typed, and what was wrong.
#[derive(Default)]
pub struct Attempted {
    pub form: &'static str,
    pub values: Vec<(String, String)>,
    pub message: String,
    /// Field name -> what is wrong with it.
    pub fields: Vec<(String, String)>,
}

impl Attempted {
    fn from(form: &'static str, values: Vec<(&str, String)>, p: &Problem) -> Self {
        let fields = p.errors.iter().map(|e| (e.pointer.trim_start_matches('/').replace('/', "."), e.detail.clone())).collect();
        Attempted { form, values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), message: p.detail.clone(), fields }
    }
}

struct Component {
    label: &'static str,
    amount: String,
}

struct LedgerRow {
    on: String,
    kind: String,
    memo: String,
    change: String,
}

struct PointRow {
    id: Uuid,
    kind: &'static str,
    value: String,
    /// (channel, its consent) for the channels this point carries.
    consent: Vec<(&'static str, &'static str)>,
    verification: String,
}

struct HoldRow {
    id: Uuid,
    kind: String,
    reason: String,
    since: String,
    until: String,
}

struct PartyRow {
    role: String,
    name: String,
    date_of_birth: Option<String>,
    masked: String,
    points: Vec<PointRow>,
}

struct ReachRow {
    value: String,
    medium: String,
    decision: String,
    /// "now", "after 08:00 CST", "not now".
    when: String,
    reasons: Vec<String>,
}

struct Reach {
    profile: String,
    calls_used: usize,
    rows: Vec<ReachRow>,
    time_bar: String,
}

struct Event {
    at: Timestamp,
    when: String,
    what: String,
    detail: String,
}

struct Row {
    cells: Vec<String>,
}

/// A settlement as the page lists it, with whether this viewer may decide it.
pub struct SettlementRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub offered_on: String,
    pub amount: String,
    pub discount: String,
    pub expires_on: String,
    pub status: String,
    pub pending: bool,
    pub may_decide: bool,
}

struct Score {
    value: u16,
    source: String,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/account.html")]
pub struct AccountPage {
    chrome: Chrome,
    id: String,
    reference: String,
    client: String,
    creditor: String,
    status: String,
    stage: String,
    delinquent_since: String,
    owed: String,
    credit: Option<String>,
    components: Vec<Component>,
    ledger: Vec<LedgerRow>,
    parties: Vec<PartyRow>,
    reach: Option<Reach>,
    holds: Vec<HoldRow>,
    promises: Vec<Row>,
    plans: Vec<Row>,
    payments: Vec<Row>,
    disputes: Vec<Row>,
    settlements: Vec<SettlementRow>,
    /// Documents on file: (id, file name, received, size).
    documents: Vec<(Uuid, String, String, String)>,
    timeline: Vec<Event>,
    score: Score,
    phones: Vec<(Uuid, String)>,
    task: Option<String>,
    done: Option<String>,
    attempted: Attempted,
    can_service: bool,
    can_note: bool,
    today: String,
    /// The default last day to pay a settlement offered now.
    settle_by: String,
    can_offer: bool,
    /// Where a settlement decision returns to (the included form reads it).
    back: &'static str,
    can_dispute: bool,
    can_hold: bool,
    can_consent: bool,
    /// The schedule a plan preview showed, before it is set up.
    preview: Option<Preview>,
}

/// A plan's amortization, shown before it is saved.
pub struct Preview {
    rows: Vec<(u32, String, String, String, String, String)>,
    total: String,
}

impl AccountPage {
    /// The value typed in a form that came back with an error, or `default`.
    fn typed(&self, form: &str, field: &str, default: &str) -> String {
        if self.attempted.form != form {
            return default.to_string();
        }
        self.attempted.values.iter().find(|(k, _)| k == field).map_or_else(|| default.to_string(), |(_, v)| v.clone())
    }

    /// What is wrong with a field of the form that came back, if anything.
    fn error_for(&self, form: &str, field: &str) -> Option<&str> {
        if self.attempted.form != form {
            return None;
        }
        self.attempted.fields.iter().find(|(k, _)| k == field || k.starts_with(&format!("{field}."))).map(|(_, v)| v.as_str())
    }

    /// The form's own message when the error names no field of it.
    fn form_error(&self, form: &str) -> Option<&str> {
        (self.attempted.form == form && !self.attempted.message.is_empty()).then_some(self.attempted.message.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    task: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Query(q): Query<Shown>) -> Response {
    render(&state, &staff, &id, q, Attempted::default()).await
}

async fn render(state: &AppState, staff: &Staff, id: &str, q: Shown, attempted: Attempted) -> Response {
    let status = if attempted.form.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    match load(state, staff, id, q, attempted).await {
        Ok(view) => page(status, &view),
        Err(p) if p.status == StatusCode::NOT_FOUND => super::super::message(
            StatusCode::NOT_FOUND,
            staff.chrome("Not found", ""),
            "No such account",
            "There is no account with that id that you can see.",
        ),
        Err(p) => super::super::message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn load(state: &AppState, staff: &Staff, id: &str, q: Shown, attempted: Attempted) -> Result<AccountPage, Problem> {
    let p = &staff.p;
    let account = account_for(state, p, id, Action::ReadAccounts).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| p.not_found("account", id))?;
    // One read of the file and the parties serves every section (the API's handlers would each
    // read them again).
    let placed = state.store.parties_of(p.tenant_id, account.id).await?;
    let reach = match may(p, Action::ReadMessages) {
        true => Some(calls::reachability(state, p, &file, &placed).await?),
        false => None,
    };
    let parties = accounts::Parties { items: placed.into_iter().map(|pp| accounts::party_view(p, pp)).collect() };
    let notes = match may(p, Action::ReadNotes) {
        true => state.store.notes(p.tenant_id, account.id, 50).await?,
        false => Vec::new(),
    };
    let servicing = may(p, Action::ReadServicing);
    let cur = file.account.currency.code().to_string();
    let m = |minor: i64| money(minor, &cur);
    let b = &file.balance;
    let a = &file.account;
    let today = today();
    let phones = parties
        .items
        .iter()
        .flat_map(|pp| pp.contact_points.iter())
        .filter(|c| c.kind == ContactKind::Phone)
        .map(|c| (c.id, c.value.clone()))
        .collect();
    let timeline = timeline(&file, &notes, servicing, may(p, Action::ReadMessages), &cur)?;
    Ok(AccountPage {
        chrome: staff.chrome(&format!("Account {}", a.external_ref), ""),
        id: a.id.to_string(),
        reference: a.external_ref.clone(),
        client: file.client.name.clone(),
        creditor: a.current_creditor.clone(),
        status: words(a.status.as_str()),
        stage: words(a.stage.as_str()),
        delinquent_since: a.first_delinquency_on.map(day).unwrap_or_else(|| "not given".into()),
        owed: m(b.owed()),
        credit: (b.credit != 0).then(|| m(b.credit)),
        components: vec![
            Component { label: "Principal", amount: m(b.principal) },
            Component { label: "Interest", amount: m(b.interest) },
            Component { label: "Fees", amount: m(b.fees) },
            Component { label: "Costs", amount: m(b.costs) },
        ],
        ledger: file
            .ledger
            .iter()
            .rev()
            .map(|e| LedgerRow { on: day(e.effective_on), kind: words(e.kind.as_str()), memo: e.memo.clone(), change: m(e.delta.owed()) })
            .collect(),
        parties: parties.items.iter().map(party_row).collect(),
        reach: reach.map(|r| reach_view(&r, &parties.items)),
        holds: if servicing { holds(&file)? } else { Vec::new() },
        promises: if servicing { promises(&file, &cur)? } else { Vec::new() },
        plans: if servicing { plans(&file, &cur)? } else { Vec::new() },
        payments: if servicing { payment_rows(&file, &cur)? } else { Vec::new() },
        disputes: if servicing { disputes(&file)? } else { Vec::new() },
        settlements: if servicing { settlement_rows(&file, p)? } else { Vec::new() },
        documents: if servicing { documents(&file)? } else { Vec::new() },
        timeline,
        score: score(&file, today, state.store.account_score(p.tenant_id, account.id).await?)?,
        phones,
        task: q.task.filter(|t| Uuid::parse_str(t).is_ok()),
        done: q.done.map(|d| done_text(&d)),
        attempted,
        can_service: may(p, Action::ServiceAccounts),
        can_note: may(p, Action::AddNotes),
        today: today.to_string(),
        settle_by: today.checked_add(jiff::Span::new().days(14)).unwrap_or(today).to_string(),
        can_offer: may(p, Action::OfferSettlements),
        back: "account",
        can_dispute: may(p, Action::HandleDisputes),
        can_hold: may(p, Action::ManageHolds),
        can_consent: may(p, Action::ChangeConsent),
        preview: None,
    })
}

fn done_text(key: &str) -> String {
    match key {
        "call" => "Call logged.",
        "note" => "Note added.",
        "promise" => "Promise taken.",
        "payment" => "Payment taken.",
        "settlement" => "Settlement offered to the debtor.",
        "dispute" => "Dispute logged: collection of the disputed debt is on hold.",
        "hold" => "Hold added.",
        "released" => "Hold lifted.",
        "consent" => "Consent changed.",
        "plan" => "Payment plan set up.",
        "documents" => "Documents added.",
        "settlement-pending" => "The discount is over your limit: the settlement waits for a supervisor's approval.",
        "approved" => "Settlement approved: it is offered to the debtor.",
        "rejected" => "Settlement rejected.",
        _ => "Done.",
    }
    .to_string()
}

fn party_row(pp: &PartyOnAccount) -> PartyRow {
    let party = &pp.party.party;
    PartyRow {
        role: words(pp.role.as_str()),
        name: party.display_name(),
        date_of_birth: pp.party.date_of_birth.map(day),
        masked: pp.party.masked.join(", "),
        points: pp
            .contact_points
            .iter()
            .map(|c| PointRow {
                id: c.id,
                kind: c.kind.as_str(),
                value: c.value.clone(),
                consent: c.kind.channels().iter().map(|ch| (ch.as_str(), c.consent.get(*ch).as_str())).collect(),
                verification: words(c.verification.as_str()),
            })
            .collect(),
    }
}

/// The policy's answer per way of reaching each contact point, in the point's own time zone.
fn reach_view(r: &Contactability, parties: &[PartyOnAccount]) -> Reach {
    let zone = |id: Uuid| {
        parties
            .iter()
            .flat_map(|pp| pp.contact_points.iter())
            .find(|c| c.id == id)
            .and_then(|c| c.time_zone.as_deref())
            .and_then(|z| jiff::tz::TimeZone::get(z).ok())
    };
    let rows = r
        .channels
        .iter()
        .map(|c| {
            let when = match (c.decision.as_str(), c.next_allowed_at) {
                ("allow", _) => "now".to_string(),
                ("defer", Some(t)) => match zone(c.contact_point_id) {
                    Some(tz) => format!("after {}", t.to_zoned(tz).strftime("%a %H:%M %Z")),
                    None => format!("after {}", instant(t)),
                },
                _ => "not now".to_string(),
            };
            ReachRow {
                value: c.value.clone(),
                medium: medium_word(c.medium).into(),
                decision: c.decision.clone(),
                when,
                reasons: c.reasons.iter().map(|k| format!("{} ({})", k.detail, k.rule)).collect(),
            }
        })
        .collect();
    let time_bar =
        serde_json::to_value(&r.time_bar).ok().and_then(|v| v.get("status").and_then(|s| s.as_str()).map(words)).unwrap_or_default();
    Reach { profile: r.profile.clone(), calls_used: r.calls_last_7_days, rows, time_bar }
}

fn medium_word(m: Medium) -> &'static str {
    match m {
        Medium::Call => "call",
        Medium::Sms => "text",
        Medium::Email => "e-mail",
        Medium::Letter => "letter",
        _ => "other",
    }
}

fn holds(file: &AccountFile) -> Result<Vec<HoldRow>, Problem> {
    Ok(file
        .all::<HoldRecord>()?
        .into_iter()
        .filter(|h| h.status == HoldStatus::Active)
        .map(|h| HoldRow {
            id: h.id,
            kind: words(h.kind.as_str()),
            reason: h.reason,
            since: day(h.placed_on),
            until: h.until.map(day).unwrap_or_else(|| "until lifted".into()),
        })
        .collect())
}

fn promises(file: &AccountFile, cur: &str) -> Result<Vec<Row>, Problem> {
    Ok(file
        .all::<Promise>()?
        .into_iter()
        .rev()
        .map(|p| {
            let items = p.items.iter().map(|i| format!("{} on {}", money(i.amount, cur), day(i.due_on))).collect::<Vec<_>>().join("; ");
            Row { cells: vec![day(p.taken_on), items, p.status.as_str().into(), words(&p.channel)] }
        })
        .collect())
}

fn plans(file: &AccountFile, cur: &str) -> Result<Vec<Row>, Problem> {
    Ok(file
        .all::<Plan>()?
        .into_iter()
        .rev()
        .map(|p| {
            let n = p.installments.len();
            let first = p.installments.first().map(|i| format!("{} from {}", money(i.amount, cur), day(i.due_on))).unwrap_or_default();
            Row {
                cells: vec![
                    day(p.agreed_on),
                    format!("{n} installments, {first}"),
                    words(p.status.as_str()),
                    format!("{} of {n} met", p.met),
                ],
            }
        })
        .collect())
}

fn payment_rows(file: &AccountFile, cur: &str) -> Result<Vec<Row>, Problem> {
    Ok(file
        .all::<Payment>()?
        .into_iter()
        .rev()
        .map(|p| {
            let how = match &p.card {
                Some(c) => format!("{} card ending {}", c.brand, c.last4),
                None => words(p.method.as_str()),
            };
            Row { cells: vec![day(p.effective_on), money(p.amount, cur), how, words(p.status.as_str()), p.receipt_no] }
        })
        .collect())
}

pub fn settlement_rows(file: &AccountFile, p: &Principal) -> Result<Vec<SettlementRow>, Problem> {
    let cur = file.account.currency.code();
    let me = match p.subject {
        crate::api::auth::Subject::User(id) | crate::api::auth::Subject::ApiKey(id) => id,
    };
    Ok(file
        .all::<Settlement>()?
        .into_iter()
        .rev()
        .map(|s| {
            let pending = s.status == SettlementStatus::PendingApproval;
            SettlementRow {
                id: s.id,
                account_id: s.account_id,
                offered_on: day(s.offered_on),
                amount: money(s.amount, cur),
                discount: format!("{}% off", (s.discount * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1).normalize()),
                expires_on: day(s.expires_on),
                status: label(&s.status),
                pending,
                // Nobody decides their own request; the store refuses it too.
                may_decide: pending && may(p, Action::ApproveSettlements) && s.requested_by.id != me,
            }
        })
        .collect())
}

fn documents(file: &AccountFile) -> Result<Vec<(Uuid, String, String, String)>, Problem> {
    Ok(file
        .all::<Document>()?
        .into_iter()
        .rev()
        .map(|d| (d.id, d.file_name, day(d.uploaded_on), format!("{:.1} KB", d.size as f64 / 1024.0)))
        .collect())
}

fn disputes(file: &AccountFile) -> Result<Vec<Row>, Problem> {
    Ok(file
        .all::<Dispute>()?
        .into_iter()
        .rev()
        .map(|d| Row { cells: vec![day(d.received_on), label(&d.reason), label(&d.status), day(d.sla_due_on)] })
        .collect())
}

/// Everything that happened on the account, newest first: contacts, notes and servicing.
fn timeline(
    file: &AccountFile,
    notes: &[recoup_domain::note::Note],
    servicing: bool,
    contacts: bool,
    cur: &str,
) -> Result<Vec<Event>, Problem> {
    let mut events = Vec::new();
    // Dated records sort as the start of their day and show only the day.
    let midnight = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut push = |at: Timestamp, what: String, detail: String| events.push(Event { at, when: instant(at), what, detail });
    let mut dated = Vec::new();
    let mut on = |d: Date, what: &str, detail: String| dated.push(Event { at: midnight(d), when: day(d), what: what.into(), detail });
    if contacts {
        for a in file.all::<ContactAttempt>()? {
            let result = a.result.map(|r| words(r.as_str())).unwrap_or_else(|| label(&a.outcome));
            let dir = if a.inbound { "from" } else { "to" };
            push(
                a.at,
                format!("{} {dir} debtor", medium_word(a.medium)),
                format!("{result}{}", a.note.map(|n| format!(": {n}")).unwrap_or_default()),
            );
        }
    }
    for n in notes {
        push(Timestamp::from_microsecond(n.created_at).unwrap_or(Timestamp::UNIX_EPOCH), "note".into(), n.body.clone());
    }
    if servicing {
        for p in file.all::<Payment>()? {
            on(p.effective_on, "payment", format!("{} {}", money(p.amount, cur), words(p.status.as_str())));
        }
        for p in file.all::<Promise>()? {
            on(p.taken_on, "promise", format!("{} to pay, {}", money(p.total(), cur), p.status.as_str()));
        }
        for p in file.all::<Plan>()? {
            on(p.agreed_on, "plan", format!("{} installments, {}", p.installments.len(), words(p.status.as_str())));
        }
        for d in file.all::<Dispute>()? {
            on(d.received_on, "dispute", format!("{}: {}", label(&d.reason), d.text));
        }
    }
    events.extend(dated);
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    events.truncate(100);
    Ok(events)
}

/// The account's propensity to pay with the reasons behind it: the active model's, with its
/// version and day, once it has scored the account; until then the worklist's heuristic, which
/// says so.
fn score(file: &AccountFile, today: Date, scored: Option<AccountScore>) -> Result<Score, Problem> {
    if let Some(m) = scored.filter(|_| file.account.score.is_some()) {
        let source = format!("model version {}, scored {}", m.model_version, m.scored_on);
        return Ok(Score { value: m.per_mille.clamp(0, 1000) as u16, source, reasons: m.reasons });
    }
    let s = signals(file, today)?;
    let p = propensity(&s);
    let reasons = contributions(&s).into_iter().take(3).map(|c| format!("{} {}", if c.points > 0 { "+" } else { "−" }, c.why)).collect();
    Ok(Score { value: p.per_mille, source: "heuristic (no active model has scored this account)".into(), reasons })
}

/// What the heuristic reads, from the account's own file (the daily run reads the same from
/// SQL in bulk).
pub fn signals(file: &AccountFile, today: Date) -> Result<Signals, Problem> {
    let since = |d: Option<Date>| d.map(|d| i64::from((today - d).get_days()).max(0));
    let a = &file.account;
    let rpc = file
        .all::<ContactAttempt>()?
        .iter()
        .filter(|x| x.outcome == Outcome::Conversation)
        .map(|x| x.at.to_zoned(jiff::tz::TimeZone::UTC).date())
        .max();
    let promises = file.all::<Promise>()?;
    let count = |st: PromiseStatus| promises.iter().filter(|p| p.status == st).count() as u32;
    let plans_broken = file.all::<Plan>()?.iter().filter(|p| p.status == PlanStatus::Broken).count() as u32;
    Ok(Signals {
        score: a.score,
        days_past_due: since(a.first_delinquency_on),
        days_since_payment: since(a.last_payment_on),
        days_since_rpc: since(rpc),
        promises_kept: count(PromiseStatus::Kept),
        promises_broken: count(PromiseStatus::Broken),
        plans_broken,
    })
}

/// After an action: back to the page (keeping the task in hand) with its confirmation.
fn after(id: &str, task: Option<&str>, done: &str) -> Response {
    let task = task.filter(|t| Uuid::parse_str(t).is_ok()).map(|t| format!("&task={t}")).unwrap_or_default();
    see_other(&format!("/console/accounts/{id}?done={done}{task}"))
}

async fn refused(state: &AppState, staff: &Staff, id: &str, task: Option<String>, attempted: Attempted) -> Response {
    render(state, staff, id, Shown { task, done: None }, attempted).await
}

#[derive(Deserialize)]
struct CallForm {
    result: String,
    #[serde(default)]
    contact_point_id: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn log_call(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<CallForm>) -> Response {
    let values =
        vec![("result", f.result.clone()), ("contact_point_id", f.contact_point_id.clone().unwrap_or_default()), ("note", f.note.clone())];
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    let req = match parse_call(&f) {
        Ok(r) => r,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("call", values, &p)).await,
    };
    match contacts::log(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await {
        Ok(_) => after(&id, task.as_deref(), "call"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("call", values, &p)).await,
    }
}

fn parse_call(f: &CallForm) -> Result<AttemptRequest, Problem> {
    let result = CallResult::ALL
        .into_iter()
        .find(|r| r.as_str() == f.result)
        .ok_or_else(|| recoup_store::StoreError::invalid("/result", "choose how the call ended"))?;
    let contact_point_id = match f.contact_point_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Uuid::parse_str(s).map_err(|_| recoup_store::StoreError::invalid("/contact_point_id", "choose a phone"))?),
        None => None,
    };
    let task_id = f.task_id.as_deref().filter(|s| !s.is_empty()).and_then(|s| Uuid::parse_str(s).ok());
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    Ok(AttemptRequest {
        medium: Medium::Call,
        contact_point_id,
        result: Some(result),
        outcome: None,
        at: None,
        inbound: false,
        note,
        task_id,
    })
}

#[derive(Deserialize)]
struct NoteForm {
    body: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn add_note(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<NoteForm>) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    match notes::add(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(NewNote { body: f.body.clone() })).await {
        Ok(_) => after(&id, task.as_deref(), "note"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("note", vec![("body", f.body)], &p)).await,
    }
}

#[derive(Deserialize)]
struct PromiseForm {
    amount: String,
    due_on: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn take_promise(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<PromiseForm>) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    let values = vec![("amount", f.amount.clone()), ("due_on", f.due_on.clone())];
    let req = match promise_request(&state, &staff.p, &id, &f).await {
        Ok(r) => r,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("promise", values, &p)).await,
    };
    match servicing::take_promise(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await {
        Ok(_) => after(&id, task.as_deref(), "promise"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("promise", values, &p)).await,
    }
}

async fn promise_request(state: &AppState, p: &Principal, id: &str, f: &PromiseForm) -> Result<PromiseRequest, Problem> {
    let amount = parse_amount(state, p, id, &f.amount, "/amount").await?;
    let due_on: Date = f.due_on.trim().parse().map_err(|_| recoup_store::StoreError::invalid("/due_on", "a date, as YYYY-MM-DD"))?;
    Ok(PromiseRequest { items: vec![PromiseItem { due_on, amount }], grace_days: None })
}

/// An amount typed in the account's currency ("50", "1,250.00", "$75.5") in minor units.
async fn parse_amount(state: &AppState, p: &Principal, id: &str, text: &str, field: &str) -> Result<i64, Problem> {
    let account = account_for(state, p, id, Action::ReadAccounts).await?;
    let minor = account.currency.parse_minor(text).map_err(|_| recoup_store::StoreError::invalid(field, "an amount such as 125.00"))?;
    if minor <= 0 {
        return Err(recoup_store::StoreError::invalid(field, "more than zero").into());
    }
    Ok(minor)
}

#[derive(Deserialize)]
struct PaymentForm {
    amount: String,
    number: String,
    exp: String,
    cvc: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn take_payment(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PaymentForm>,
) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    // The card number and CVC are never typed back into a page.
    let values = vec![("amount", f.amount.clone()), ("exp", f.exp.clone()), ("holder", f.holder.clone())];
    let req = match payment_request(&state, &staff.p, &id, &f).await {
        Ok(r) => r,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("payment", values, &p)).await,
    };
    match payments::post(State(state.clone()), staff.p.clone(), Path(id.clone()), headers, Body(req)).await {
        Ok(_) => after(&id, task.as_deref(), "payment"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("payment", values, &p)).await,
    }
}

async fn payment_request(state: &AppState, p: &Principal, id: &str, f: &PaymentForm) -> Result<PaymentRequest, Problem> {
    let amount = parse_amount(state, p, id, &f.amount, "/amount").await?;
    let card = card_input(&f.number, &f.exp, &f.cvc, &f.holder)?;
    Ok(PaymentRequest {
        amount,
        currency: None,
        method: Method::Card,
        effective_on: None,
        reference: None,
        route: None,
        commissionable: None,
        card: Some(card),
    })
}

#[derive(Deserialize)]
struct SettlementForm {
    /// The share of the balance the debtor pays, in percent.
    percent: String,
    expires_on: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn offer_settlement(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<SettlementForm>) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    let values = vec![("percent", f.percent.clone()), ("expires_on", f.expires_on.clone())];
    let req = match settlement_request(&f) {
        Ok(r) => r,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("settlement", values, &p)).await,
    };
    match settlements::offer(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await {
        Ok((_, axum::Json(s))) if s.status == SettlementStatus::PendingApproval => after(&id, task.as_deref(), "settlement-pending"),
        Ok(_) => after(&id, task.as_deref(), "settlement"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("settlement", values, &p)).await,
    }
}

fn settlement_request(f: &SettlementForm) -> Result<SettlementRequest, Problem> {
    let percent: rust_decimal::Decimal = f
        .percent
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| recoup_store::StoreError::invalid("/percent", "a percentage such as 60"))?;
    let expires_on: Date =
        f.expires_on.trim().parse().map_err(|_| recoup_store::StoreError::invalid("/expires_on", "a date, as YYYY-MM-DD"))?;
    Ok(SettlementRequest {
        percent: Some(percent / rust_decimal::Decimal::ONE_HUNDRED),
        amount: None,
        expires_on,
        installments: Vec::new(),
    })
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
    /// Where to go back to: the account (default) or the approvals inbox.
    #[serde(default)]
    back: String,
}

async fn decide_settlement(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, sid)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let approve = f.decision == "approve";
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    let decision = settlements::Decision { approve, note };
    match settlements::decide(State(state.clone()), staff.p.clone(), Path((id.clone(), sid)), Body(decision)).await {
        Ok(_) if f.back == "approvals" => see_other("/console/approvals?done=decided"),
        Ok(_) => after(&id, None, if approve { "approved" } else { "rejected" }),
        Err(p) => super::super::message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

/// Documents the debtor sent (a letter, proof of payment), added to the account; with
/// `dispute` set, to that dispute.
async fn add_documents(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, form: axum::extract::Multipart) -> Response {
    let result = async {
        let account = account_for(&state, &staff.p, &id, Action::HandleDisputes).await?;
        let (fields, files) = crate::web::upload::read(form).await?;
        if files.is_empty() {
            return Err(Problem::from(recoup_store::StoreError::invalid("/documents", "choose a file")));
        }
        let dispute = fields.get("dispute").and_then(|d| Uuid::parse_str(d).ok());
        for f in &files {
            let up = crate::api::documents::Upload {
                name: &f.name,
                declared: &f.content_type,
                bytes: &f.bytes,
                dispute,
                channel: crate::api::servicing::channel(&staff.p),
            };
            crate::api::documents::keep(&state, &account, up, &crate::api::servicing::actor(&staff.p)).await?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => after(&id, None, "documents"),
        Err(p) => refused(&state, &staff, &id, None, Attempted::from("documents", vec![], &p)).await,
    }
}

/// An enum from its serialized name ("not_mine").
fn named<T: serde::de::DeserializeOwned>(s: &str, field: &str, what: &str) -> Result<T, Problem> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|_| recoup_store::StoreError::invalid(field, format!("choose {what}")).into())
}

#[derive(Deserialize)]
struct DisputeForm {
    reason: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    task_id: Option<String>,
}

async fn open_dispute(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<DisputeForm>) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    let values = vec![("reason", f.reason.clone()), ("text", f.text.clone())];
    let req = named(&f.reason, "/reason", "a reason").map(|reason| DisputeRequest {
        reason,
        text: f.text.trim().to_string(),
        received_on: None,
        disputed_amount: None,
        validation_notice_sent_on: None,
    });
    let result = match req {
        Ok(req) => disputes::open(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await.map(|_| ()),
        Err(p) => Err(p),
    };
    match result {
        Ok(()) => after(&id, task.as_deref(), "dispute"),
        Err(p) => refused(&state, &staff, &id, task, Attempted::from("dispute", values, &p)).await,
    }
}

#[derive(Deserialize)]
struct HoldForm {
    kind: String,
    reason: String,
    #[serde(default)]
    until: String,
}

async fn add_hold(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<HoldForm>) -> Response {
    let values = vec![("kind", f.kind.clone()), ("reason", f.reason.clone()), ("until", f.until.clone())];
    let until = match f.until.trim() {
        "" => Ok(None),
        d => d.parse::<Date>().map(Some).map_err(|_| Problem::from(recoup_store::StoreError::invalid("/until", "a date, as YYYY-MM-DD"))),
    };
    let req = until.and_then(|until| {
        Ok(HoldRequest {
            kind: named(&f.kind, "/kind", "a kind of hold")?,
            reason: f.reason.trim().to_string(),
            details: Default::default(),
            until,
        })
    });
    let result = match req {
        Ok(req) => disputes::add_hold(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await.map(|_| ()),
        Err(p) => Err(p),
    };
    match result {
        Ok(()) => after(&id, None, "hold"),
        Err(p) => refused(&state, &staff, &id, None, Attempted::from("hold", values, &p)).await,
    }
}

#[derive(Deserialize)]
struct ReleaseForm {
    reason: String,
}

async fn release_hold(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, hold)): Path<(String, String)>,
    Form(f): Form<ReleaseForm>,
) -> Response {
    let req = Release { reason: f.reason.trim().to_string() };
    match disputes::release_hold(State(state.clone()), staff.p.clone(), Path((id.clone(), hold)), Body(req)).await {
        Ok(_) => after(&id, None, "released"),
        Err(p) => refused(&state, &staff, &id, None, Attempted::from("release", vec![("reason", f.reason)], &p)).await,
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    contact_point_id: String,
    channel: String,
    state: String,
}

async fn change_consent(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<ConsentForm>) -> Response {
    let change = ConsentChange { channel: f.channel.clone(), state: f.state.clone() };
    match consent::set(State(state.clone()), staff.p.clone(), Path((id.clone(), f.contact_point_id.clone())), Body(change)).await {
        Ok(_) => after(&id, None, "consent"),
        Err(p) => {
            refused(&state, &staff, &id, None, Attempted::from("consent", vec![("channel", f.channel), ("state", f.state)], &p)).await
        }
    }
}

#[derive(Deserialize)]
struct PlanForm {
    frequency: String,
    count: String,
    first_due_on: String,
    #[serde(default)]
    down_payment: String,
    /// "preview" shows the schedule; "create" sets the plan up.
    action: String,
    #[serde(default)]
    task_id: Option<String>,
}

/// A plan: previewed first (the amortization, nothing kept), then set up with the same terms.
async fn plan(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, Form(f): Form<PlanForm>) -> Response {
    let task = f.task_id.clone().filter(|t| !t.is_empty());
    let values = vec![
        ("frequency", f.frequency.clone()),
        ("count", f.count.clone()),
        ("first_due_on", f.first_due_on.clone()),
        ("down_payment", f.down_payment.clone()),
    ];
    let req = match plan_request(&state, &staff.p, &id, &f).await {
        Ok(r) => r,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("plan", values, &p)).await,
    };
    if f.action == "create" {
        return match servicing::create_plan(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await {
            Ok(_) => after(&id, task.as_deref(), "plan"),
            Err(p) => refused(&state, &staff, &id, task, Attempted::from("plan", values, &p)).await,
        };
    }
    let quote = match plans::quote(State(state.clone()), staff.p.clone(), Path(id.clone()), Body(req)).await {
        Ok(axum::Json(q)) => q,
        Err(p) => return refused(&state, &staff, &id, task, Attempted::from("plan", values, &p)).await,
    };
    let account = match account_for(&state, &staff.p, &id, Action::ReadAccounts).await {
        Ok(a) => a,
        Err(p) => return super::super::message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    };
    let cur = account.currency.code();
    let preview = Preview {
        rows: quote
            .installments
            .iter()
            .map(|i| {
                (
                    i.number,
                    day(i.due_on),
                    money(i.amount, cur),
                    money(i.principal, cur),
                    money(i.interest + i.fees, cur),
                    money(i.balance_after, cur),
                )
            })
            .collect(),
        total: money(quote.total, cur),
    };
    // The preview keeps what was typed, so "Set up" sends the same terms.
    let shown = Attempted { form: "plan", values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), ..Attempted::default() };
    match load(&state, &staff, &id, Shown { task, done: None }, shown).await {
        Ok(view) => page(StatusCode::OK, &AccountPage { preview: Some(preview), ..view }),
        Err(p) => super::super::message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn plan_request(state: &AppState, p: &Principal, id: &str, f: &PlanForm) -> Result<QuoteRequest, Problem> {
    let count: u32 = f.count.trim().parse().map_err(|_| recoup_store::StoreError::invalid("/count", "a number of installments"))?;
    let first_due_on: Date =
        f.first_due_on.trim().parse().map_err(|_| recoup_store::StoreError::invalid("/first_due_on", "a date, as YYYY-MM-DD"))?;
    let down_payment = match f.down_payment.trim() {
        "" => 0,
        text => parse_amount(state, p, id, text, "/down_payment").await?,
    };
    Ok(QuoteRequest {
        frequency: f.frequency.clone(),
        count: Some(count),
        installment: None,
        down_payment,
        first_due_on,
        apr: None,
        fee_per_installment: 0,
    })
}

/// A card as typed in a form: the expiry as MM/YY or MM/YYYY.
pub fn card_input(number: &str, exp: &str, cvc: &str, holder: &str) -> Result<CardInput, Problem> {
    let bad_exp = || recoup_store::StoreError::invalid("/card/exp", "the expiry as MM/YY");
    let (mm, yy) = exp.trim().split_once('/').ok_or_else(bad_exp)?;
    let exp_month: u8 = mm.trim().parse().map_err(|_| bad_exp())?;
    let year: u16 = yy.trim().parse().map_err(|_| bad_exp())?;
    let exp_year = if year < 100 { 2000 + year } else { year };
    let number: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let holder = Some(holder.trim().to_string()).filter(|h| !h.is_empty());
    Ok(CardInput { number, exp_month, exp_year, cvc: cvc.trim().to_string(), holder })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_card_is_read_with_its_expiry() {
        let c = card_input("4242 4242-4242 4242", "07/29", " 123 ", "").unwrap();
        assert_eq!((c.number.as_str(), c.exp_month, c.exp_year, c.cvc.as_str(), c.holder), ("4242424242424242", 7, 2029, "123", None));
        assert_eq!(card_input("4242", "07/2031", "1", "Ana").unwrap().exp_year, 2031);
        let e = card_input("4242", "0729", "1", "").err().expect("refused");
        assert_eq!(e.errors[0].pointer, "/card/exp");
    }

    #[test]
    fn a_call_result_must_be_one_of_the_known_ones() {
        let f = CallForm { result: "right_party".into(), contact_point_id: Some(String::new()), note: " ok ".into(), task_id: None };
        let req = parse_call(&f).unwrap();
        assert_eq!((req.result, req.note.as_deref(), req.contact_point_id), (Some(CallResult::RightParty), Some("ok"), None));
        let bad = CallForm { result: "maybe".into(), ..f };
        assert_eq!(parse_call(&bad).err().expect("refused").errors[0].pointer, "/result");
    }
}
