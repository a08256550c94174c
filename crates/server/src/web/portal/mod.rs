//! The debtors' portal. A debtor comes in by the signed link in a message (or by reference
//! number), proves who they are (date of birth and ZIP code, or the last four of their national
//! id; three wrong answers lock the door for 15 minutes), and then sees their balance and
//! history, pays by card, or chooses a payment plan the client's policy allows. Every action
//! runs the same servicing operations as the console and the API, recorded as the debtor's.

mod identity;

use super::i18n::{self, LANG_COOKIE, Lang, Tr};
use super::{Chrome, page, see_other};
use crate::AppState;
use crate::api::auth::cookie_value;
use crate::api::problem::Problem;
use crate::api::servicing::today;
use crate::api::session::{named_cookie, new_session};
use crate::outbound::{PortalLink, read_portal_token};
use crate::web::csrf::{self, PORTAL_COOKIE};
use crate::web::format::money;
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use identity::Answers;
use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::contact::{Channel, ConsentState, ContactKind};
use recoup_domain::party::PartyRole;
use recoup_domain::plan::{Frequency, Installment, Sizing};
use recoup_domain::remittance::Route;
use recoup_store::listing::AccountFilter;
use recoup_store::servicing::AccountFile;
use recoup_store::servicing::payment::{Method, NewPayment, Payment, Source};
use recoup_store::servicing::plan::{self, Plan, PlanStatus, PlanTerms};
use recoup_store::servicing::preference::ContactPreferences;
use recoup_store::{Actor, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(find_page))
        .route("/portal/l/{token}", get(link_page))
        .route("/portal/verify", post(verify))
        .route("/portal/account", get(home))
        .route("/portal/pay", post(pay))
        .route("/portal/plan", post(choose_plan))
        .route("/portal/receipts/{payment}", get(receipt))
        .route("/portal/preferences", post(preferences))
        .route("/portal/promise", post(promise))
        .route("/portal/times", post(times))
        .route("/portal/language", post(language))
        .route("/portal/documents", post(documents))
        .route("/portal/dispute", post(dispute))
        .route("/portal/validation-notice", get(validation_notice))
        .route("/portal/logout", post(logout))
}

/// The plan lengths the portal offers, in months, where the client's policy and the smallest
/// installment allow them.
/// The plans the portal offers, where the client's policy allows them for the balance: from three
/// months to two years by the month, and shorter runs for those paid weekly or every two weeks.
const OFFERED: [(Frequency, u32); 9] = [
    (Frequency::Monthly, 3),
    (Frequency::Monthly, 6),
    (Frequency::Monthly, 12),
    (Frequency::Monthly, 24),
    (Frequency::BiWeekly, 6),
    (Frequency::BiWeekly, 13),
    (Frequency::BiWeekly, 26),
    (Frequency::Weekly, 13),
    (Frequency::Weekly, 26),
];

/// How soon a plan's first payment falls: time for the debtor to plan for it.
const FIRST_DUE_DAYS: i64 = 14;

fn chrome(tr: Tr, title: &str, csrf: Option<String>) -> Chrome {
    let signed_in = csrf.is_some();
    Chrome {
        title: title.into(),
        lang: i18n::code(tr.0),
        csrf,
        nav: vec![(format!("?lang={}", i18n::code(i18n::other(tr.0))), other_language(tr.0).into(), false)],
        who: None,
        sign_out: signed_in.then_some("/portal/logout"),
        search: false,
        home: "/portal",
        narrow: true,
    }
}

/// A day as the debtor reads it in their language.
fn day(d: Date, tr: Tr) -> String {
    recoup_domain::validation_notice::long_date(d, tr.0)
}

fn other_language(l: Lang) -> &'static str {
    match l {
        Lang::En => "Español",
        Lang::Es => "English",
    }
}

#[derive(Deserialize, Default)]
struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// Remembers a language the visitor picked, so the next page speaks it too.
fn keep_language(mut res: Response, asked: Option<&str>, lang: Lang) -> Response {
    if asked.is_some() {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", i18n::code(lang));
        res.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("a valid cookie"));
    }
    res
}

#[derive(Template)]
#[template(path = "portal/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    tr: Tr,
    /// The signed link's token; without one the reference number is asked for.
    token: Option<String>,
    reference: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    locked_minutes: Option<i64>,
}

impl VerifyPage {
    fn new(tr: Tr, token: Option<String>) -> Self {
        let title = if token.is_some() { tr.t("account.title") } else { tr.t("find.title") };
        VerifyPage { chrome: chrome(tr, title, None), tr, token, reference: String::new(), notice: None, error: None, locked_minutes: None }
    }
}

async fn find_page(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let lang = i18n::of(q.lang.as_deref(), &headers);
    keep_language(page(StatusCode::OK, &VerifyPage::new(Tr(lang), None)), q.lang.as_deref(), lang)
}

async fn link_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>, Query(q): Query<LangQuery>) -> Response {
    let lang = i18n::of(q.lang.as_deref(), &headers);
    let tr = Tr(lang);
    let res = match read_portal_token(state.store.as_ref(), &token, today()) {
        PortalLink::Valid(..) => page(StatusCode::OK, &VerifyPage::new(tr, Some(token))),
        PortalLink::Expired => page(StatusCode::GONE, &VerifyPage { notice: Some(tr.t("link.expired")), ..VerifyPage::new(tr, None) }),
        PortalLink::Invalid => page(StatusCode::NOT_FOUND, &VerifyPage { notice: Some(tr.t("link.invalid")), ..VerifyPage::new(tr, None) }),
    };
    keep_language(res, q.lang.as_deref(), lang)
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    zip: String,
    #[serde(default)]
    last4: String,
}

/// The accounts a verification may be about: the link's one, or those with the reference.
async fn candidates(state: &AppState, f: &VerifyForm) -> Result<(Uuid, String, Vec<Account>), StoreError> {
    if let Some(token) = f.token.as_deref().filter(|t| !t.is_empty()) {
        let PortalLink::Valid(tenant_id, account_id) = read_portal_token(state.store.as_ref(), token, today()) else {
            return Ok((Uuid::nil(), String::new(), Vec::new()));
        };
        let account = state.store.account(tenant_id, account_id).await?;
        let reference = account.as_ref().map(|a| a.external_ref.clone()).unwrap_or_default();
        return Ok((tenant_id, reference, account.into_iter().collect()));
    }
    let reference = f.reference.as_deref().unwrap_or_default().trim().to_string();
    // One collection agency per deployment is the common case; several share the portal by the
    // reference numbers of their own accounts.
    let mut found = Vec::new();
    let mut tenant_id = Uuid::nil();
    for t in state.store.list_tenants().await? {
        let filter = AccountFilter { external_ref: Some(reference.clone()), ..AccountFilter::default() };
        let accounts = state.store.list_accounts(t.id, &filter, None, 10).await?;
        if !accounts.is_empty() && found.is_empty() {
            tenant_id = t.id;
            found = accounts;
        }
    }
    Ok((tenant_id, reference, found))
}

/// The key wrong answers are counted under: the account's reference within its agency, so the
/// link and the reference form share one count.
fn failure_key(tenant_id: Uuid, reference: &str) -> String {
    format!("portal:{}:{}", tenant_id.simple(), reference.trim().to_lowercase())
}

async fn verify(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>, Form(f): Form<VerifyForm>) -> Response {
    let tr = Tr(i18n::of(q.lang.as_deref(), &headers));
    match verify_inner(&state, tr, &f).await {
        Ok(res) => res,
        Err(e) => {
            let p = Problem::from(e);
            super::message(p.status, chrome(tr, p.title, None), p.title, &p.detail)
        }
    }
}

async fn verify_inner(state: &AppState, tr: Tr, f: &VerifyForm) -> Result<Response, StoreError> {
    let token = f.token.clone().filter(|t| !t.is_empty());
    let again = |error: Option<&'static str>, locked: Option<i64>, reference: String| VerifyPage {
        reference,
        error,
        locked_minutes: locked,
        ..VerifyPage::new(tr, token.clone())
    };
    let (tenant_id, reference, accounts) = candidates(state, f).await?;
    let key = failure_key(tenant_id, &reference);
    let now = jiff::Timestamp::now().as_microsecond();
    let wrong = state.store.sign_in_failures(&key, now - identity::WINDOW_MICROS).await?;
    if let Some(until) = identity::locked_until(&wrong, now) {
        tracing::warn!(tenant = %tenant_id, "portal identity check refused: locked after wrong answers");
        let minutes = (until - now + 59_999_999) / 60_000_000;
        let mut res = page(StatusCode::TOO_MANY_REQUESTS, &again(None, Some(minutes), reference));
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(crate::api::session::retry_after_seconds(until - now)));
        return Ok(res);
    }
    let answers = Answers { date_of_birth: f.date_of_birth.trim().parse().ok(), zip: f.zip.clone(), last4: f.last4.clone() };
    for account in &accounts {
        let parties = state.store.parties_of(tenant_id, account.id).await?;
        let Some(party) = parties.iter().find(|p| p.role == PartyRole::Primary && identity::matches(p, &answers)) else { continue };
        state.store.clear_sign_in_failures(&key).await?;
        let token = new_session(state, tenant_id, party.party.id, Some(account.id)).await.map_err(|p| StoreError::Refused(p.detail))?;
        tracing::info!(tenant = %tenant_id, account = %account.id, "debtor verified in the portal");
        let mut res = see_other("/portal/account");
        res.headers_mut().insert(header::SET_COOKIE, named_cookie(PORTAL_COOKIE, &token, None, state.secure_cookies));
        return Ok(res);
    }
    state.store.record_sign_in_failure(&key, now).await?;
    tracing::warn!(tenant = %tenant_id, "portal identity check failed");
    Ok(page(StatusCode::UNAUTHORIZED, &again(Some(tr.t("wrong")), None, reference)))
}

/// A debtor who has proved who they are, for one account.
pub struct Debtor {
    tenant_id: Uuid,
    account_id: Uuid,
    party_id: Uuid,
    csrf: String,
    tr: Tr,
}

impl Debtor {
    fn actor(&self) -> Actor {
        Actor::new(format!("debtor:{}", self.party_id))
    }
}

impl FromRequestParts<AppState> for Debtor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let tr = Tr(i18n::of(None, &parts.headers));
        let Some(token) = cookie_value(&parts.headers, PORTAL_COOKIE).map(str::to_string) else { return Err(see_other("/portal")) };
        let session = match crate::api::auth::look_up_session(state, &token).await {
            Ok(crate::api::auth::Lookup::Live(s)) => s,
            _ => return Err(see_other("/portal")),
        };
        // Only a debtor's session opens the portal.
        let Some(account_id) = session.account_id else { return Err(see_other("/portal")) };
        let csrf = csrf::token(state.store.as_ref(), &token);
        Ok(Debtor { tenant_id: session.tenant_id, account_id, party_id: session.user_id, csrf, tr })
    }
}

struct Offer {
    /// "monthly-6": the form's value and the card's id.
    key: String,
    /// "6 monthly payments of": the count and its words in the debtor's language.
    count: u32,
    every: &'static str,
    installment: String,
    first_due: String,
    schedule: Vec<(u32, String, String)>,
}

struct Step {
    number: u32,
    due: String,
    amount: String,
    paid: bool,
}

#[derive(Template)]
#[template(path = "portal/account.html")]
struct Home {
    chrome: Chrome,
    tr: Tr,
    name: String,
    reference: String,
    creditor: String,
    owed: String,
    owed_plain: String,
    components: Vec<(&'static str, String)>,
    plan: Vec<Step>,
    next_installment: Option<String>,
    offers: Vec<Offer>,
    payments: Vec<(String, String, String, Uuid)>,
    done: Option<&'static str>,
    error: Option<String>,
    amount: String,
    today: String,
    /// The language the debtor's messages are written in.
    writes_in: &'static str,
    /// The debtor's inconvenient times as a window (from, to), and whether work is off limits.
    quiet: (String, String),
    not_at_work: bool,
    /// An offer to settle: (what is left to pay, by when, as typed).
    settlement: Option<(String, String, String)>,
    /// Per channel the debtor can be reached by: (channel, whether they have stopped it).
    channels: Vec<(&'static str, bool)>,
    /// A fresh key per drawn form: pressing Pay twice charges once, and a retry after a
    /// decline is a new attempt.
    attempt: String,
}

async fn home(State(state): State<AppState>, debtor: Debtor, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = i18n::of(q.lang.as_deref(), &headers);
    let debtor = Debtor { tr: Tr(lang), ..debtor };
    let res = show(&state, &debtor, q.done.as_deref(), None, String::new()).await;
    keep_language(res, q.lang.as_deref(), lang)
}

async fn show(state: &AppState, d: &Debtor, done: Option<&str>, error: Option<String>, amount: String) -> Response {
    match home_page(state, d, done, error, amount).await {
        Ok(h) => {
            let status = if h.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            page(status, &h)
        }
        Err(p) => super::message(p.status, chrome(d.tr, p.title, Some(d.csrf.clone())), p.title, &p.detail),
    }
}

async fn file_of(state: &AppState, d: &Debtor) -> Result<AccountFile, Problem> {
    state.store.account_file(d.tenant_id, d.account_id).await?.ok_or_else(|| Problem::not_found("account"))
}

async fn home_page(state: &AppState, d: &Debtor, done: Option<&str>, error: Option<String>, amount: String) -> Result<Home, Problem> {
    let tr = d.tr;
    let file = file_of(state, d).await?;
    let parties = state.store.parties_of(d.tenant_id, d.account_id).await?;
    let cur = file.account.currency.code();
    let b = &file.balance;
    let active = file.all::<Plan>()?.into_iter().rev().find(|p| matches!(p.status, PlanStatus::Active | PlanStatus::AtRisk));
    let plan: Vec<Step> = active
        .iter()
        .flat_map(|p| {
            p.installments.iter().enumerate().map(move |(i, inst)| Step {
                number: inst.number,
                due: day(inst.due_on, tr),
                amount: money(inst.amount, cur),
                paid: i < p.met,
            })
        })
        .collect();
    let prefs = file.find::<ContactPreferences>(d.account_id)?.unwrap_or_default();
    // A settlement put to the debtor: paying what is left of it by its day settles the account.
    let settlement = file
        .all::<recoup_store::servicing::settlement::Settlement>()?
        .into_iter()
        .find(|s| s.status == recoup_store::servicing::settlement::SettlementStatus::Active)
        .map(|s| {
            let left = (s.amount - s.paid).max(0);
            (money(left, cur), day(s.expires_on, tr), file.account.currency.format_minor(left))
        });
    let next_installment = active.as_ref().and_then(|p| p.installments.get(p.met)).map(|i| file.account.currency.format_minor(i.amount));
    let offers = if active.is_none() && b.owed() > 0 { offers(&file, today(), tr)? } else { Vec::new() };
    let payments = file
        .all::<Payment>()?
        .into_iter()
        .rev()
        .map(|p| (day(p.effective_on, tr), money(p.amount, cur), p.receipt_no.clone(), p.id))
        .collect();
    Ok(Home {
        chrome: chrome(tr, tr.t("account.title"), Some(d.csrf.clone())),
        tr,
        name: parties.iter().find(|p| p.party.id == d.party_id).map(|p| p.party.display_name()).unwrap_or_default(),
        reference: file.account.external_ref.clone(),
        creditor: file.client.name.clone(),
        owed: money(b.owed(), cur),
        owed_plain: file.account.currency.format_minor(b.owed()),
        components: vec![
            ("principal", money(b.principal, cur)),
            ("interest", money(b.interest, cur)),
            ("fees", money(b.fees, cur)),
            ("costs", money(b.costs, cur)),
        ],
        plan,
        next_installment,
        offers,
        payments,
        done: match done {
            Some("payment") => Some(tr.t("done.payment")),
            Some("plan") => Some(tr.t("done.plan")),
            Some("stopped") => Some(tr.t("done.stopped")),
            Some("allowed") => Some(tr.t("done.allowed")),
            Some("promise") => Some(tr.t("done.promise")),
            Some("times") => Some(tr.t("done.times")),
            Some("language") => Some(tr.t("done.language")),
            Some("documents") => Some(tr.t("done.documents")),
            Some("dispute") => Some(tr.t("done.dispute")),
            _ => None,
        },
        error,
        amount,
        attempt: Uuid::now_v7().simple().to_string(),
        channels: channels(&parties, d.party_id),
        today: today().to_string(),
        quiet: prefs
            .inconvenient
            .first()
            .map(|h| (h.from.strftime("%H:%M").to_string(), h.to.strftime("%H:%M").to_string()))
            .unwrap_or_default(),
        not_at_work: prefs.workplace_prohibited,
        writes_in: i18n::code(crate::compose::language_of(&parties)),
        settlement,
    })
}

/// The channels the debtor's own contact points can be used by, and whether each is stopped
/// (every point that carries it has its consent revoked).
fn channels(parties: &[recoup_domain::placement::PlacedParty], party_id: Uuid) -> Vec<(&'static str, bool)> {
    let points: Vec<_> = parties.iter().filter(|p| p.party.id == party_id).flat_map(|p| p.contact_points.iter()).collect();
    Channel::ALL
        .into_iter()
        .filter_map(|ch| {
            let carrying: Vec<_> = points.iter().filter(|c| carries(c.kind, ch)).collect();
            (!carrying.is_empty()).then(|| (ch.as_str(), carrying.iter().all(|c| c.consent.get(ch) == ConsentState::Revoked)))
        })
        .collect()
}

fn carries(kind: ContactKind, ch: Channel) -> bool {
    kind.channels().contains(&ch)
}

#[derive(Deserialize)]
struct PreferenceForm {
    channel: String,
    /// "stop" or "allow".
    choice: String,
}

/// The debtor stops (or allows again) a way of reaching them, on every contact point of theirs
/// that carries it. The contact policy reads consent before each contact, so nothing more goes
/// out by that channel (Reg F 1006.6(e): a consumer may opt out of a medium; TCPA revocation
/// by any reasonable means).
async fn preferences(State(state): State<AppState>, d: Debtor, Form(f): Form<PreferenceForm>) -> Response {
    let result = async {
        let channel = Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == f.channel)
            .ok_or_else(|| Problem::from(StoreError::invalid("/channel", "one of call, sms, email, letter")))?;
        let consent = if f.choice == "stop" { ConsentState::Revoked } else { ConsentState::Unknown };
        let parties = state.store.parties_of(d.tenant_id, d.account_id).await?;
        let points = parties.iter().filter(|p| p.party.id == d.party_id).flat_map(|p| p.contact_points.iter());
        for point in points.filter(|c| carries(c.kind, channel)) {
            state.store.set_consent(d.tenant_id, point.id, channel, consent, &d.actor()).await?;
        }
        Ok::<_, Problem>(consent)
    }
    .await;
    match result {
        Ok(ConsentState::Revoked) => {
            // TCPA (47 CFR 64.1200(a)(10)): one text may confirm an opt-out from texts.
            // Other channels are confirmed by e-mail, which the policy refuses when that is
            // the channel just stopped.
            let template = if f.channel == "sms" { "opt-out-confirmation-sms" } else { "preferences-confirmation-email" };
            confirm(&state, &d, template).await;
            see_other("/portal/account?done=stopped")
        }
        Ok(_) => {
            confirm(&state, &d, "preferences-confirmation-email").await;
            see_other("/portal/account?done=allowed")
        }
        Err(p) => show(&state, &d, None, Some(p.detail), String::new()).await,
    }
}

/// Documents the debtor sends (proof of payment, a letter), kept with their open dispute when
/// they have one.
async fn documents(State(state): State<AppState>, d: Debtor, form: axum::extract::Multipart) -> Response {
    let result = async {
        let (_, files) = crate::web::upload::read(form).await?;
        if files.is_empty() {
            return Err(Problem::invalid(d.tr.t("error.file"), vec![]));
        }
        let file = file_of(&state, &d).await?;
        let open =
            file.all::<recoup_store::servicing::dispute::Dispute>()?.into_iter().rev().find(|x| x.resolved_on.is_none()).map(|x| x.id);
        for f in &files {
            let up = crate::api::documents::Upload {
                name: &f.name,
                declared: &f.content_type,
                bytes: &f.bytes,
                dispute: open,
                channel: "portal".into(),
            };
            crate::api::documents::keep(&state, &file.account, up, &d.actor()).await?;
        }
        Ok(())
    }
    .await;
    after(&state, &d, result, "documents", None).await
}

#[derive(Deserialize)]
struct LanguageForm {
    language: String,
}

/// The language the debtor wants letters and messages in: kept on their party, so every
/// message from now on is written in it; the portal switches to it too.
async fn language(State(state): State<AppState>, d: Debtor, Form(f): Form<LanguageForm>) -> Response {
    let Some(lang) = i18n::parse(&f.language) else {
        return show(&state, &d, None, Some(d.tr.t("error.language").into()), String::new()).await;
    };
    let result = state.store.set_party_language(d.tenant_id, d.party_id, i18n::code(lang), &d.actor()).await.map_err(Problem::from);
    let res = after(&state, &Debtor { tr: Tr(lang), ..d }, result, "language", Some("preferences-confirmation-email")).await;
    keep_language(res, Some(i18n::code(lang)), lang)
}

#[derive(Deserialize)]
struct TimesForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Present when the debtor may not be contacted at work.
    #[serde(default)]
    not_at_work: Option<String>,
}

/// Times that are inconvenient for the debtor (Reg F 1006.6(b)(1)) and whether their employer
/// forbids contact at work (FDCPA 805(a)(3)): the contact policy honours both from now on. An
/// empty window clears the times.
async fn times(State(state): State<AppState>, d: Debtor, Form(f): Form<TimesForm>) -> Response {
    let result = async {
        let file = file_of(&state, &d).await?;
        let mut prefs =
            file.find::<ContactPreferences>(d.account_id)?.unwrap_or(ContactPreferences { account_id: d.account_id, ..Default::default() });
        prefs.inconvenient = match (f.from.trim(), f.to.trim()) {
            ("", "") => Vec::new(),
            (from, to) => {
                let bad = || Problem::invalid(d.tr.t("error.times"), vec![]);
                let (from, to) =
                    (from.parse::<jiff::civil::Time>().map_err(|_| bad())?, to.parse::<jiff::civil::Time>().map_err(|_| bad())?);
                vec![recoup_domain::policy::LocalHours { from, to }]
            }
        };
        prefs.workplace_prohibited = f.not_at_work.is_some();
        let op = recoup_store::servicing::preference::set(prefs, &d.actor());
        state.store.service(d.tenant_id, d.account_id, op).await?;
        Ok::<_, Problem>(())
    }
    .await;
    after(&state, &d, result, "times", Some("preferences-confirmation-email")).await
}

#[derive(Deserialize)]
struct PromiseForm {
    amount: String,
    due_on: String,
}

/// The debtor promises to pay an amount on a day; reminders of it may still go out while other
/// collection contact pauses.
async fn promise(State(state): State<AppState>, d: Debtor, Form(f): Form<PromiseForm>) -> Response {
    let result = async {
        let (_, amount) = typed_amount(&state, &d, &f.amount).await?;
        let due_on: Date = f.due_on.trim().parse().map_err(|_| Problem::invalid(d.tr.t("error.date"), vec![]))?;
        let new = recoup_store::servicing::promise::NewPromise {
            id: Uuid::now_v7(),
            items: vec![recoup_domain::promise::PromiseItem { due_on, amount }],
            grace_days: None,
            channel: "portal".into(),
        };
        let op = recoup_store::servicing::promise::take(new, today(), &d.actor());
        state.store.service(d.tenant_id, d.account_id, op).await?;
        Ok::<_, Problem>(())
    }
    .await;
    after(&state, &d, result, "promise", Some("promise-confirmation-email")).await
}

#[derive(Deserialize)]
struct DisputeForm {
    reason: String,
    #[serde(default)]
    text: String,
}

/// The debtor disputes the debt: collection of it holds until it is answered (FDCPA 809(b)).
async fn dispute(State(state): State<AppState>, d: Debtor, Form(f): Form<DisputeForm>) -> Response {
    let result = async {
        let reason = serde_json::from_value(serde_json::Value::String(f.reason.trim().to_string()))
            .map_err(|_| Problem::invalid(d.tr.t("error.reason"), vec![]))?;
        let new = recoup_store::servicing::dispute::NewDispute {
            id: Uuid::now_v7(),
            reason,
            text: f.text.trim().to_string(),
            channel: "portal".into(),
            received_on: today(),
            disputed_amount: None,
            validation_notice_sent_on: None,
        };
        let op = recoup_store::servicing::dispute::open(new, today(), &d.actor());
        state.store.service(d.tenant_id, d.account_id, op).await?;
        Ok::<_, Problem>(())
    }
    .await;
    after(&state, &d, result, "dispute", Some("dispute-acknowledgement-email")).await
}

/// The validation notice for the account as it stands, in the debtor's language, as a PDF.
async fn validation_notice(State(state): State<AppState>, d: Debtor) -> Response {
    let result = async {
        let file = file_of(&state, &d).await?;
        let parties = state.store.parties_of(d.tenant_id, d.account_id).await?;
        let lang = crate::compose::language_of(&parties);
        let (m, _) = crate::messages::notice_item(&file, &parties, lang, jiff::Timestamp::now())?;
        let notice = m.notice.ok_or_else(Problem::internal)?;
        let doc = recoup_channels::notice::validation_notice_document(&notice);
        Ok::<_, Problem>(crate::documents::respond(&doc, crate::documents::Format::Pdf, "validation-notice"))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// After an action: back to the account page with its confirmation (and the confirming message
/// sent), or with what went wrong.
async fn after(state: &AppState, d: &Debtor, result: Result<(), Problem>, done: &str, confirmation: Option<&str>) -> Response {
    match result {
        Ok(()) => {
            if let Some(template) = confirmation {
                confirm(state, d, template).await;
            }
            see_other(&format!("/portal/account?done={done}"))
        }
        Err(p) => show(state, d, None, Some(p.detail), String::new()).await,
    }
}

/// The debtor's account and an amount they typed in its currency, above zero.
async fn typed_amount(state: &AppState, d: &Debtor, text: &str) -> Result<(Account, i64), Problem> {
    let account = state.store.account(d.tenant_id, d.account_id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let amount =
        account.currency.parse_minor(text).ok().filter(|a| *a > 0).ok_or_else(|| Problem::invalid(d.tr.t("error.amount"), vec![]))?;
    Ok((account, amount))
}

/// Sends the message that confirms a portal action (a receipt, the plan's schedule, the promise,
/// the dispute's receipt, the opt-out)
/// through the contact policy like every other message, in the portal's language. It is a
/// courtesy on top of what the page showed: when the policy blocks it, or the debtor has no
/// address for it, the action still stands and the reason is kept with the message or logged.
async fn confirm(state: &AppState, d: &Debtor, template: &str) {
    let ask = crate::messages::FromTemplate {
        template: template.into(),
        language: Some(d.tr.0),
        contact_point_id: None,
        send_at: None,
        automated: true,
        id: None,
    };
    let sent = match state.store.account(d.tenant_id, d.account_id).await {
        Ok(Some(account)) => {
            crate::messages::send_template(state.store.as_ref(), &state.outbound, &account, ask, &d.actor()).await.map(|_| ())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::info!(account = %d.account_id, template, error = %e, "a portal confirmation was not sent");
    }
}

fn terms((frequency, count): (Frequency, u32), today: Date) -> PlanTerms {
    PlanTerms {
        frequency,
        sizing: Sizing::Count(count),
        down_payment: 0,
        first_due_on: today.checked_add(jiff::Span::new().days(FIRST_DUE_DAYS)).unwrap_or(today),
        apr: Decimal::ZERO,
        fee_per_installment: 0,
    }
}

/// The monthly plans the client's policy allows for this balance, each with every installment.
fn offers(file: &AccountFile, today: Date, tr: Tr) -> Result<Vec<Offer>, Problem> {
    let cur = file.account.currency.code();
    let policy = &file.policy.plans;
    let mut out = Vec::new();
    for shape in OFFERED.into_iter().filter(|(_, n)| *n <= policy.max_installments) {
        let t = terms(shape, today);
        let Ok(schedule) = plan::quote(file.balance.owed(), &t, today, policy) else { continue };
        let Some(first) = schedule.first() else { continue };
        if schedule.iter().any(|i: &Installment| i.amount < policy.min_installment) {
            continue;
        }
        out.push(Offer {
            key: offer_key(shape),
            count: shape.1,
            every: tr.t(&format!("plans.{}", shape.0.as_str())),
            installment: money(first.amount, cur),
            first_due: day(first.due_on, tr),
            schedule: schedule.iter().map(|i| (i.number, day(i.due_on, tr), money(i.amount, cur))).collect(),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct PlanForm {
    plan: String,
}

fn offer_key((frequency, count): (Frequency, u32)) -> String {
    format!("{}-{count}", frequency.as_str())
}

async fn choose_plan(State(state): State<AppState>, d: Debtor, Form(f): Form<PlanForm>) -> Response {
    let result = async {
        let Some(shape) = OFFERED.into_iter().find(|s| offer_key(*s) == f.plan) else {
            return Err(Problem::from(StoreError::invalid("/plan", "choose one of the plans shown")));
        };
        let op = plan::create(Uuid::now_v7(), terms(shape, today()), "portal".into(), today(), &d.actor());
        state.store.service(d.tenant_id, d.account_id, op).await?;
        Ok(())
    }
    .await;
    after(&state, &d, result, "plan", Some("plan-confirmation-email")).await
}

#[derive(Deserialize)]
struct PayForm {
    amount: String,
    number: String,
    exp: String,
    cvc: String,
    #[serde(default)]
    holder: String,
    /// Made when the page was drawn: a second press of the button charges once.
    #[serde(default)]
    attempt: String,
}

async fn pay(State(state): State<AppState>, d: Debtor, Form(f): Form<PayForm>) -> Response {
    let result = async {
        let (account, amount) = typed_amount(&state, &d, &f.amount).await?;
        let card = super::console::card_input(&f.number, &f.exp, &f.cvc, &f.holder)?;
        let pay = NewPayment {
            amount,
            currency: account.currency,
            effective_on: today(),
            method: Method::Card,
            source: Source::Portal,
            route: Route::ToAgency,
            commissionable: None,
            reference: None,
            card: None,
            split: false,
        };
        let key = match f.attempt.trim() {
            "" => Uuid::now_v7().to_string(),
            a => format!("portal:{}:{a}", d.party_id),
        };
        crate::api::payments::take(&state, &account, pay, Some(&card), &key, &d.actor()).await
    }
    .await;
    match result {
        Ok(_) => {
            confirm(&state, &d, "payment-receipt-email").await;
            see_other("/portal/account?done=payment")
        }
        Err(p) => {
            let detail = if p.status == StatusCode::PAYMENT_REQUIRED || p.errors.iter().any(|e| e.pointer.starts_with("/card")) {
                format!("{} {}", d.tr.t("error.card"), p.detail)
            } else {
                p.detail
            };
            show(&state, &d, None, Some(detail), f.amount.clone()).await
        }
    }
}

async fn receipt(State(state): State<AppState>, d: Debtor, Path(payment): Path<String>) -> Response {
    let result = async {
        let file = file_of(&state, &d).await?;
        let id = Uuid::parse_str(&payment).map_err(|_| Problem::not_found("payment"))?;
        let pay = file.find::<Payment>(id)?.ok_or_else(|| Problem::not_found("payment"))?;
        let doc = crate::documents::receipt(&pay, &file.account, Some(&file.client));
        Ok::<_, Problem>(crate::documents::respond(&doc, crate::documents::Format::Html, &format!("receipt-{}", pay.receipt_no)))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    super::sign_out(&state, &headers, PORTAL_COOKIE, "/portal").await
}
