//! Strategies at work: checking a file against the tenant's templates before it is saved, and
//! the daily run.
//!
//! A run streams the active accounts in batches, evaluates each with the strategy (a pure
//! function), asks the contact policy about each action it decides, and writes each batch's
//! positions and actions in one transaction; a dry run only counts. An action the policy lets
//! through (now, or deferred to a later instant) is written `queued`; one it blocks, or one that
//! cannot be made (no contact point, no template), is written `planned` with the reasons. The
//! run then asks for the day's **carry-out** job, which makes what each action asks for: the
//! planned ones' blocked messages and failures, then the queued ones' messages rendered and
//! queued through the policy again (the validation notice first when one is due), call tasks
//! and queue moves. Both halves can be repeated: accounts already decided today are passed over,
//! actions already carried out are not taken again, so a run that was killed resumes where it
//! stopped and a second run of the same day creates nothing.
//!
//! Rendering waits for the carry-out because it is most of the cost of an action (two messages
//! of a few kilobytes each on an account's first contact), and a message rendered when it is made
//! shows the balance of that moment.

use crate::api::calls::{CallAsk, prepare_call};
use crate::messages::{self, FromTemplate};
use crate::outbound::Outbound;
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus};
use recoup_domain::client_policy::ClientPolicy;
use recoup_domain::ledger::Amounts;
use recoup_domain::limitation::TimeBar;
use recoup_domain::placement::PlacedParty;
use recoup_domain::policy::Medium;
use recoup_domain::strategy::plan::Note;
use recoup_domain::strategy::{self, Action, Strategy, StrategyError};
use recoup_store::outbox::{Job, JobEnd, JobKind, NewJob};
use recoup_store::servicing::message::Message;
use recoup_store::servicing::task::{CallTask, TaskStatus};
use recoup_store::strategy::{ActionQuery, ActionStatus, Decided, FinishedAction, RunInput, StoredStrategy, StrategyAction};
use recoup_store::{Actor, Assignment, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Accounts read and decided per transaction.
pub const RUN_BATCH: u32 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum StrategyRefusal {
    #[error("the strategy has {} mistake(s); the first: {}", .0.len(), .0[0])]
    Invalid(Vec<StrategyError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses the file and checks that every template it names exists for the tenant, on the
/// step's channel.
pub async fn check(store: &dyn Store, tenant_id: Uuid, text: &str) -> Result<Strategy, StrategyRefusal> {
    let s = strategy::parse(text).map_err(StrategyRefusal::Invalid)?;
    let templates = store.templates(tenant_id).await?;
    let mut errors = Vec::new();
    for (key, action, line) in s.template_refs() {
        let found: Vec<_> = templates.iter().filter(|t| t.key == key).collect();
        let message = if found.is_empty() {
            format!("there is no template \"{key}\"")
        } else if !found.iter().any(|t| t.channel == action.as_str()) {
            format!("template \"{key}\" is for {}, not {}", found[0].channel, action.as_str())
        } else {
            continue;
        };
        errors.push(StrategyError { line, column: 1, message });
    }
    if errors.is_empty() { Ok(s) } else { Err(StrategyRefusal::Invalid(errors)) }
}

/// Checks and saves a new version; the first version of a tenant goes live.
pub async fn save(store: &dyn Store, tenant_id: Uuid, text: &str, actor: &Actor) -> Result<StoredStrategy, StrategyRefusal> {
    let s = check(store, tenant_id, text).await?;
    Ok(store.save_strategy(tenant_id, &s.name, text, actor).await?)
}

#[derive(Debug, Clone)]
pub struct RunRequest {
    pub tenant_id: Uuid,
    pub date: Date,
    pub dry_run: bool,
    /// The live version when None.
    pub version: Option<u32>,
    /// The node holding the day's run (the scheduler's claim), whose lease the run renews as
    /// it goes; None for a run started by hand.
    pub node: Option<String>,
}

/// How long a node holds a day's run without renewing its lease; a node that dies is taken
/// over this long after its last renewal.
pub const LEASE_MICROS: i64 = 5 * 60 * 1_000_000;

/// Renews the lease of a scheduled run, or stops the run when another node has taken it over.
async fn keep_lease(store: &dyn Store, req: &RunRequest) -> Result<(), StoreError> {
    let Some(node) = &req.node else { return Ok(()) };
    let until = jiff::Timestamp::now().as_microsecond() + LEASE_MICROS;
    if store.renew_run(req.tenant_id, req.date, node, until).await? {
        return Ok(());
    }
    Err(StoreError::Refused(format!("the {} run of tenant {} was taken over by another node", req.date, req.tenant_id)))
}

/// What a run decided and did, counted the ways a manager compares two versions by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    #[schema(value_type = String)]
    pub date: Date,
    pub version: u32,
    pub dry_run: bool,
    /// Active accounts evaluated.
    pub accounts: u64,
    /// Accounts already decided on this date (a repeated or resumed run).
    pub already_run: u64,
    pub by_segment: BTreeMap<String, u64>,
    /// Accounts by segment and experiment arm.
    pub by_arm: BTreeMap<String, u64>,
    /// Actions by `treatment#step action`.
    pub by_step: BTreeMap<String, u64>,
    /// Actions by channel or kind (email, sms, letter, call, escalate, ...).
    pub by_action: BTreeMap<String, u64>,
    /// Why accounts got no action today: waiting, stopped, no treatment, no segment, ...
    pub idle: BTreeMap<String, u64>,
    /// Steps passed over, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub actions: u64,
    /// Carried out: done, blocked or failed (a live run only).
    pub outcomes: BTreeMap<String, u64>,
    /// Why the contact policy or the data stopped actions, by reason.
    pub block_reasons: BTreeMap<String, u64>,
}

fn bump(map: &mut BTreeMap<String, u64>, key: impl Into<String>) {
    *map.entry(key.into()).or_default() += 1;
}

/// Runs one day of the strategy for one tenant. `progress` hears the accounts decided so far.
pub async fn run(store: &dyn Store, out: &Outbound, req: &RunRequest, progress: impl Fn(u64)) -> Result<RunReport, StrategyRefusal> {
    let stored = match (store.strategy(req.tenant_id, req.version).await?, req.version) {
        (Some(s), _) => s,
        (None, Some(v)) => return Err(StoreError::not_found("strategy version", v).into()),
        (None, None) => return Err(StoreError::Refused("the tenant has no live strategy; save one first".into()).into()),
    };
    let s = strategy::parse(&stored.body).map_err(StrategyRefusal::Invalid)?;
    let mut report = RunReport { date: req.date, version: stored.version, dry_run: req.dry_run, ..RunReport::default() };
    let mut bars = TimeBars::default();
    let gate =
        Gate { store, out, tenant_id: req.tenant_id, templates: messages::TemplateCache::default(), actor: run_actor(stored.version) };
    let mut after = None;
    // A pipeline of three batches: while one is written (on the single writer), the one before
    // it is asked of the policy and the next is read and decided (the reads of both on reader
    // connections beside the writer).
    let (mut gating, mut writing): (Option<Batch>, Option<Batch>) = (None, None);
    loop {
        let (next, gated, written) = tokio::join!(
            next_batch(store, &s, stored.version, req, &mut bars, after, &mut report),
            gate.batch(gating.take()),
            write_batch(store, req, stored.version, writing.take()),
        );
        written?;
        if let Some((batch, tally)) = gated? {
            for (map, counts) in [(&mut report.outcomes, tally.outcomes), (&mut report.block_reasons, tally.reasons)] {
                for (k, n) in counts {
                    *map.entry(k).or_default() += n;
                }
            }
            writing = Some(batch);
        }
        match next? {
            Some(batch) => {
                after = Some(batch.last);
                progress(report.accounts);
                gating = (!req.dry_run).then_some(batch);
            }
            None if gating.is_none() && writing.is_none() => break,
            None => {}
        }
    }
    if req.dry_run {
        return Ok(report);
    }
    // The blocked messages, the failures and what the policy let through are made by the job
    // (asked for by every live run: one that resumes a killed one may find nothing new to decide
    // and still leave the killed one's actions to make).
    enqueue_carry_out(store, req.tenant_id, req.date).await?;
    Ok(report)
}

/// A batch decided (and, for a live run, asked of the policy), to write.
struct Batch {
    last: Uuid,
    decided: Vec<Decided>,
    worth: Vec<(Uuid, i64, Option<Date>)>,
    /// The accounts whose action contacts someone, with their balances and parties, as the
    /// batch's read found them.
    contacted: HashMap<Uuid, (Account, Amounts, Vec<PlacedParty>)>,
}

/// Reads and decides the batch after `after`; None when no account is left.
async fn next_batch(
    store: &dyn Store,
    s: &Strategy,
    version: u32,
    req: &RunRequest,
    bars: &mut TimeBars,
    after: Option<Uuid>,
    report: &mut RunReport,
) -> Result<Option<Batch>, StoreError> {
    let inputs = store.run_batch(req.tenant_id, req.date, after, RUN_BATCH).await?;
    let Some(last) = inputs.last().map(|i| i.facts.account_id) else { return Ok(None) };
    let worth = inputs.iter().map(|i| worth(&i.facts)).collect();
    let mut decided = Vec::with_capacity(inputs.len());
    let mut contacted = HashMap::new();
    for RunInput { facts, position, account, balance, parties } in inputs {
        let Some(d) = decide(store, s, version, req, bars, (facts, position), report).await? else { continue };
        // Kept for the policy's questions about the action.
        if d.action.as_ref().is_some_and(|a| contacts(&a.action)) {
            contacted.insert(d.account_id, (account, balance, parties));
        }
        decided.push(d);
    }
    Ok(Some(Batch { last, decided, worth, contacted }))
}

/// Writes a batch's positions and actions in one transaction, and refreshes the worth of its
/// accounts' open tasks.
async fn write_batch(store: &dyn Store, req: &RunRequest, version: u32, batch: Option<Batch>) -> Result<(), StoreError> {
    let Some(Batch { decided, worth, .. }) = batch else { return Ok(()) };
    if !decided.is_empty() {
        keep_lease(store, req).await?;
        store.save_run_batch(req.tenant_id, version, decided).await?;
    }
    store.refresh_expected(req.tenant_id, worth).await
}

fn run_actor(version: u32) -> Actor {
    Actor::new(format!("strategy:v{version}"))
}

/// What working the account is worth today, for the order of the worklists its open tasks are in.
fn worth(f: &strategy::Facts) -> (Uuid, i64, Option<jiff::civil::Date>) {
    use recoup_domain::worklist::{Signals, expected_recovery, propensity};
    (f.account_id, expected_recovery(f.balance_minor, propensity(&Signals::of(f))), f.first_delinquency_on)
}

/// The client's limitation table, read once per client per run.
#[derive(Default)]
struct TimeBars {
    policies: HashMap<Uuid, ClientPolicy>,
}

impl TimeBars {
    async fn barred(&mut self, store: &dyn Store, tenant_id: Uuid, f: &strategy::Facts) -> Result<bool, StoreError> {
        let policy = match self.policies.entry(f.client_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(store.client_policy(tenant_id, f.client_id).await?),
        };
        let limitation = &policy.limitation;
        let bar = limitation.judge_dates(f.state.as_deref(), f.first_delinquency_on, f.charged_off_on, f.last_payment_on, f.today);
        Ok(matches!(bar, TimeBar::Barred { .. }))
    }
}

/// The contact policy's first look at a batch's actions, before they are written.
struct Gate<'a> {
    store: &'a dyn Store,
    out: &'a Outbound,
    tenant_id: Uuid,
    templates: messages::TemplateCache,
    actor: Actor,
}

/// The policy's first answer about an action, before anything is made.
enum Asked {
    /// Let through now, or deferred (the detail says until when).
    Through(Option<String>),
    /// Blocked, with the policy's reasons and their rules.
    Blocked(String),
    /// It cannot be made as things stand (no contact point for the channel, no template), with why.
    Unmakeable(String),
    /// Judged once rendered: words that may threaten suit (Reg F 1006.26(b)).
    Unjudged,
}

/// What a batch's gate counted, for the run's report.
#[derive(Default)]
struct Tally {
    outcomes: BTreeMap<String, u64>,
    reasons: BTreeMap<String, u64>,
}

impl Gate<'_> {
    /// Sets each action's status: queued when the policy lets it through (now, or deferred) or
    /// asks nothing of it; planned, with the reasons, when it blocks it or the action cannot be
    /// made (the carry-out then records the blocked message or the failure on the account).
    async fn batch(&self, batch: Option<Batch>) -> Result<Option<(Batch, Tally)>, StoreError> {
        let Some(mut batch) = batch else { return Ok(None) };
        let mut parties = HashMap::with_capacity(batch.contacted.len());
        let mut accounts = Vec::with_capacity(batch.contacted.len());
        for (id, (account, balance, people)) in std::mem::take(&mut batch.contacted) {
            accounts.push((account, balance));
            parties.insert(id, people);
        }
        let files = self.store.contact_files(self.tenant_id, accounts).await?;
        let now = (self.out.clock)();
        let mut tally = Tally::default();
        for a in batch.decided.iter_mut().filter_map(|d| d.action.as_mut()) {
            let asked = match (contacts(&a.action), files.get(&a.account_id)) {
                (false, _) => Asked::Through(None),
                (true, Some(file)) => self.ask(a, file, parties.get(&a.account_id).map(Vec::as_slice).unwrap_or_default(), now).await?,
                (true, None) => Asked::Unmakeable(StoreError::not_found("account", a.account_id).to_string()),
            };
            let (status, outcome, detail) = match asked {
                Asked::Through(detail) => (ActionStatus::Queued, ActionStatus::Queued, detail),
                Asked::Unjudged => (ActionStatus::Planned, ActionStatus::Queued, None),
                Asked::Blocked(why) => (ActionStatus::Planned, ActionStatus::Blocked, Some(why)),
                Asked::Unmakeable(why) => (ActionStatus::Planned, ActionStatus::Failed, Some(why)),
            };
            bump(&mut tally.outcomes, outcome.as_str());
            if matches!(outcome, ActionStatus::Blocked | ActionStatus::Failed) {
                bump(&mut tally.reasons, detail.clone().unwrap_or_default());
            }
            (a.status, a.detail) = (status, detail);
        }
        Ok(Some((batch, tally)))
    }

    /// The policy's answer about one contact action.
    async fn ask(
        &self,
        a: &StrategyAction,
        file: &recoup_store::servicing::AccountFile,
        parties: &[PlacedParty],
        now: jiff::Timestamp,
    ) -> Result<Asked, StoreError> {
        let check = match Action::parse(&a.action) {
            Some(Action::Call) => match messages::pick_point(parties, Medium::Call, None) {
                Ok((point, postal_state)) => recoup_store::servicing::task::agent_call(point, postal_state, now),
                Err(e) => return Ok(Asked::Unmakeable(e.to_string())),
            },
            _ => {
                let Some(template) = a.template.clone() else { return Ok(Asked::Unmakeable("a message step names a template".into())) };
                let ask = FromTemplate { template, language: None, contact_point_id: None, send_at: None, automated: true, id: None };
                let head = match messages::Head::find(self.store, self.tenant_id, parties, &self.templates, &ask).await {
                    Ok(h) => h,
                    Err(e) if refusal_kind(&e) => return Ok(Asked::Unmakeable(e.to_string())),
                    Err(e) => return Err(e),
                };
                if head.template.legal_threat {
                    return Ok(Asked::Unjudged);
                }
                head.check(true, now)
            }
        };
        let decision = recoup_store::servicing::contact::explain(file, &check, &self.actor)?;
        Ok(match (decision.decision.as_str(), decision.until) {
            ("allow", _) => Asked::Through(None),
            ("defer", Some(until)) => Asked::Through(Some(format!("deferred until {until}: {}", decision.words()))),
            _ => Asked::Blocked(decision.words()),
        })
    }
}

/// Whether an action contacts the person (a message or a call), so the policy is asked.
fn contacts(action: &str) -> bool {
    matches!(Action::parse(action), Some(Action::Email | Action::Sms | Action::Letter | Action::Call))
}

async fn decide(
    store: &dyn Store,
    s: &Strategy,
    version: u32,
    req: &RunRequest,
    bars: &mut TimeBars,
    (mut facts, position): (strategy::Facts, Option<(u32, strategy::Position)>),
    report: &mut RunReport,
) -> Result<Option<Decided>, StoreError> {
    facts.time_barred = bars.barred(store, req.tenant_id, &facts).await?;
    // A position from another version still counts if its segment exists in this one.
    let previous = position.filter(|(v, p)| *v == version || s.segment(&p.segment).is_some()).map(|(_, p)| p);
    report.accounts += 1;
    let d = strategy::evaluate(s, &facts, previous.as_ref());
    if d.note == Note::AlreadyRun {
        report.already_run += 1;
        return Ok(None);
    }
    if let Some(p) = &d.position {
        bump(&mut report.by_segment, p.segment.clone());
        bump(&mut report.by_arm, format!("{}/{}", p.segment, p.arm));
    }
    for skip in &d.skipped {
        bump(&mut report.skipped, skip.why.clone());
    }
    let action = match (&d.step, &d.position) {
        (Some(step), Some(p)) => {
            report.actions += 1;
            bump(&mut report.by_step, format!("{}#{} {}", step.treatment, step.index + 1, step.action.as_str()));
            bump(&mut report.by_action, step.action.as_str());
            Some(StrategyAction {
                id: Uuid::now_v7(),
                account_id: facts.account_id,
                run_on: req.date,
                version,
                segment: p.segment.clone(),
                arm: p.arm.clone(),
                treatment: step.treatment.clone(),
                step: u32::try_from(step.index).unwrap_or(u32::MAX),
                action: step.action.as_str().into(),
                template: step.template.clone(),
                queue: step.queue.clone(),
                entered_on: p.entered_on,
                status: ActionStatus::Planned,
                detail: None,
                result_id: None,
            })
        }
        _ => {
            bump(&mut report.idle, idle_reason(&d.note));
            None
        }
    };
    // Nothing to forget for an account that never had a position.
    if d.position.is_none() && previous.is_none() {
        return Ok(None);
    }
    let experiment = d.position.as_ref().and_then(|p| s.segment(&p.segment)?.experiment.as_ref()).map(|e| e.name.clone());
    Ok(Some(Decided { account_id: facts.account_id, position: d.position, action, experiment }))
}

fn idle_reason(note: &Note) -> String {
    match note {
        Note::Waiting { .. } => "waiting for the next step".into(),
        Note::Stopped { on } => format!("stopped on {on}"),
        Note::NoTreatment => "no treatment (control group or holding segment)".into(),
        Note::NoSegment => "in no segment".into(),
        Note::Inactive => "not active".into(),
        Note::Finished => "treatment finished".into(),
        Note::AlreadyRun | Note::Act => "already decided".into(),
    }
}

/// How many actions one claim of the carry-out job takes; it is queued again for the rest, so
/// its lease never has to outlast a whole day's worth.
pub const CARRY_OUT_CHUNK: u64 = 10_000;

/// Carries out the day's actions in `status`, `most` of them at most; each ends done, blocked
/// or failed with why. A page's messages and call tasks are written in one transaction (one
/// commit instead of hundreds). Returns whether some may be left.
async fn carry_out(
    store: &dyn Store,
    out: &Outbound,
    req: &RunRequest,
    status: ActionStatus,
    most: Option<u64>,
    report: &mut RunReport,
) -> Result<bool, StoreError> {
    let mut q = ActionQuery { run_on: Some(req.date), status: Some(status), limit: 500, ..ActionQuery::default() };
    // A pipeline: while one page's messages and tasks are written (on the single writer), the
    // next page is read and rendered, four parts at a time (reads wait on the database, not the
    // CPU). Pages hold different accounts, since an account has one action a day.
    let mut prepared: Option<Prepared> = None;
    let templates = messages::TemplateCache::default();
    let mut taken = 0u64;
    loop {
        keep_lease(store, req).await?;
        let full = most.is_none_or(|m| taken < m);
        let page = if full { store.strategy_actions(req.tenant_id, &q).await? } else { Vec::new() };
        taken += page.len() as u64;
        if let Some(last) = page.last() {
            q.after = Some(last.id);
        }
        if page.is_empty() && prepared.is_none() {
            return Ok(!full);
        }
        let actor = page.first().map(|a| run_actor(a.version)).unwrap_or_else(|| run_actor(report.version));
        let quarter = page.len().div_ceil(4);
        let mut parts = page.chunks(quarter.max(1));
        let mut part = || parts.next().unwrap_or(&[]);
        let (p1, p2, p3, p4) = (part(), part(), part(), part());
        let (a, b, c, d, written) = tokio::join!(
            prepare_page(store, out, req.tenant_id, p1, &actor, &templates),
            prepare_page(store, out, req.tenant_id, p2, &actor, &templates),
            prepare_page(store, out, req.tenant_id, p3, &actor, &templates),
            prepare_page(store, out, req.tenant_id, p4, &actor, &templates),
            write_page(store, req.tenant_id, prepared.take()),
        );
        let mut next = a?;
        for more in [b?, c?, d?] {
            next.ended.extend(more.ended);
            next.writes.extend(more.writes);
        }
        next.actor = actor;
        prepared = (!next.ended.is_empty() || !next.writes.is_empty()).then_some(next);
        for f in written? {
            bump(&mut report.outcomes, f.status.as_str());
            if f.status != ActionStatus::Done {
                bump(&mut report.block_reasons, f.detail.clone().unwrap_or_default());
            }
        }
    }
}

/// The carry-out job's id for a tenant's day: asking for it twice makes one job.
fn carry_out_job_id(tenant_id: Uuid, date: Date) -> Uuid {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{}/{tenant_id}/{date}", JobKind::StrategyCarryOut.as_str()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

async fn enqueue_carry_out(store: &dyn Store, tenant_id: Uuid, date: Date) -> Result<(), StoreError> {
    let job = NewJob { kind: JobKind::StrategyCarryOut, payload: date.to_string(), run_at: jiff::Timestamp::now().as_microsecond() };
    store.enqueue_job(tenant_id, carry_out_job_id(tenant_id, date), &job).await
}

/// The carry-out job: makes what a chunk of the day's actions ask for (the planned ones first:
/// the blocked messages and failures the run found), and comes back for the rest.
pub async fn run_carry_out_job(out: &Outbound, store: &dyn Store, job: &Job) -> Result<(), StoreError> {
    let Ok(date) = job.payload.parse::<Date>() else {
        return store.bury_job(job, "the job's payload is not a date").await;
    };
    let req = RunRequest { tenant_id: job.tenant_id, date, dry_run: false, version: None, node: None };
    let mut report = RunReport { date, ..RunReport::default() };
    let more = carry_out_left(store, out, &req, Some(CARRY_OUT_CHUNK), &mut report).await?;
    tracing::info!(tenant = %job.tenant_id, %date, outcomes = ?report.outcomes, more, "strategy actions carried out");
    let end =
        if more { JobEnd::RetryAt(jiff::Timestamp::now().as_microsecond(), "more actions to carry out".into()) } else { JobEnd::Done };
    store.finish_job(job, &end).await
}

/// Carries out every action of the day the run left, now, for a caller with no job worker to
/// wait for (the CLI, the demo); the report's counts become what the actions became.
pub async fn carry_out_day(store: &dyn Store, out: &Outbound, report: &mut RunReport, tenant_id: Uuid) -> Result<(), StoreError> {
    let req = RunRequest { tenant_id, date: report.date, dry_run: false, version: None, node: None };
    // The run's counts were the policy's first answers; these are what became of the actions.
    report.outcomes.clear();
    report.block_reasons.clear();
    carry_out_left(store, out, &req, None, report).await?;
    Ok(())
}

/// Carries out what the day's runs left: the planned actions first (the blocked messages and
/// failures they found), then the queued ones; `most` of each at most. Returns whether some may
/// be left.
async fn carry_out_left(
    store: &dyn Store,
    out: &Outbound,
    req: &RunRequest,
    most: Option<u64>,
    report: &mut RunReport,
) -> Result<bool, StoreError> {
    for status in [ActionStatus::Planned, ActionStatus::Queued] {
        if carry_out(store, out, req, status, most, report).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A page's actions, read and rendered: those that ended already and those to write.
struct Prepared {
    ended: Vec<(StrategyAction, Outcome)>,
    writes: Vec<(StrategyAction, Write)>,
    actor: Actor,
}

async fn prepare_page(
    store: &dyn Store,
    out: &Outbound,
    tenant_id: Uuid,
    page: &[StrategyAction],
    actor: &Actor,
    templates: &messages::TemplateCache,
) -> Result<Prepared, StoreError> {
    let mut p = Prepared { ended: Vec::new(), writes: Vec::new(), actor: actor.clone() };
    if page.is_empty() {
        return Ok(p);
    }
    let ids: Vec<Uuid> = page.iter().map(|a| a.account_id).collect();
    let mut files = store.account_files(tenant_id, &ids).await?;
    let mut parties = store.parties_of_many(tenant_id, &ids).await?;
    for a in page {
        let Some(file) = files.remove(&a.account_id) else {
            p.ended.push((a.clone(), refusal(StoreError::not_found("account", a.account_id))?));
            continue;
        };
        let people = parties.remove(&a.account_id).unwrap_or_default();
        match prepare(store, out, a, actor, &file, &people, templates).await {
            Ok(Step::Ended(outcome)) => p.ended.push((a.clone(), outcome)),
            Ok(Step::Write(w)) => p.writes.push((a.clone(), w)),
            Err(e) => p.ended.push((a.clone(), refusal(e)?)),
        }
    }
    Ok(p)
}

/// Writes a prepared page's messages and tasks, then records every action's outcome.
async fn write_page(store: &dyn Store, tenant_id: Uuid, page: Option<Prepared>) -> Result<Vec<FinishedAction>, StoreError> {
    let Some(Prepared { mut ended, writes, actor }) = page else { return Ok(Vec::new()) };
    ended.extend(write_all(store, tenant_id, writes, &actor).await?);
    let finished: Vec<FinishedAction> =
        ended.into_iter().map(|(a, (status, detail, result_id))| FinishedAction { id: a.id, status, detail, result_id }).collect();
    store.finish_actions(tenant_id, finished.clone()).await?;
    Ok(finished)
}

/// A refusal belongs to its action (it fails); a store failure stops the run, which resumes.
fn refusal(e: StoreError) -> Result<Outcome, StoreError> {
    if refusal_kind(&e) { Ok((ActionStatus::Failed, Some(e.to_string()), None)) } else { Err(e) }
}

/// What an action needs written: messages (the validation notice may come first), or a call task.
enum Write {
    Messages(Vec<(Message, recoup_store::servicing::contact::Check)>),
    Task(Box<(CallTask, recoup_store::servicing::contact::Check)>),
}

impl Write {
    fn op(&self, actor: &Actor) -> recoup_store::servicing::Op {
        match self {
            Write::Messages(items) => recoup_store::servicing::message::queue(items.clone(), actor),
            Write::Task(t) => recoup_store::servicing::task::create(t.0.clone(), t.1.clone(), actor),
        }
    }

    fn outcome(&self, changes: &recoup_store::servicing::Changes) -> Result<Outcome, StoreError> {
        match self {
            Write::Messages(items) => {
                let id = items.last().map(|(m, _)| m.id).ok_or_else(|| StoreError::Corrupt("no message".into()))?;
                Ok(message_outcome(&messages::kept(changes, id)?))
            }
            Write::Task(t) => Ok(task_outcome(&recoup_store::servicing::changed::<CallTask>(changes, t.0.id)?)),
        }
    }
}

/// A message made for an action: blocked with the policy's reason, or done.
fn message_outcome(m: &Message) -> Outcome {
    if m.status == recoup_domain::message::MessageStatus::Blocked {
        let reason = m.steps.last().map(|s| s.detail.clone()).unwrap_or_else(|| "blocked by the contact policy".into());
        return (ActionStatus::Blocked, Some(reason), Some(m.id));
    }
    (ActionStatus::Done, None, Some(m.id))
}

/// A call task made for an action: blocked when the policy refused the call, or done.
fn task_outcome(t: &CallTask) -> Outcome {
    if t.status == TaskStatus::Blocked {
        return (ActionStatus::Blocked, Some("the contact policy refused the call".into()), Some(t.id));
    }
    (ActionStatus::Done, None, Some(t.id))
}

/// Writes every action's messages and tasks in one transaction. If the store refuses the batch
/// (one account's change refused fails them all), each is written alone, so one bad account
/// fails only its own action.
async fn write_all(
    store: &dyn Store,
    tenant_id: Uuid,
    writes: Vec<(StrategyAction, Write)>,
    actor: &Actor,
) -> Result<Vec<(StrategyAction, Outcome)>, StoreError> {
    let ops = writes.iter().map(|(a, w)| (a.account_id, w.op(actor))).collect();
    match store.service_many(tenant_id, ops).await {
        Ok(changes) => writes.into_iter().zip(changes).map(|((a, w), c)| Ok((a, w.outcome(&c)?))).collect(),
        Err(e) if refusal_kind(&e) => {
            let mut out = Vec::with_capacity(writes.len());
            for (a, w) in writes {
                let outcome = match store.service(tenant_id, a.account_id, w.op(actor)).await {
                    Ok(c) => w.outcome(&c)?,
                    Err(e) => refusal(e)?,
                };
                out.push((a, outcome));
            }
            Ok(out)
        }
        Err(e) => Err(e),
    }
}

fn refusal_kind(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Invalid { .. }
            | StoreError::Refused(_)
            | StoreError::NotFound { .. }
            | StoreError::NotAllowed(_)
            | StoreError::Transition(_)
    )
}

type Outcome = (ActionStatus, Option<String>, Option<Uuid>);

/// What an action already became, when a run stopped between making its message or task (under
/// the action's own id) and recording that it had: the resumed run must not make it again.
fn made_before(file: &recoup_store::servicing::AccountFile, a: &StrategyAction) -> Result<Option<Outcome>, StoreError> {
    if let Some(m) = file.find::<Message>(a.id)? {
        return Ok(Some(message_outcome(&m)));
    }
    if let Some(t) = file.find::<CallTask>(a.id)? {
        return Ok(Some(task_outcome(&t)));
    }
    let closed = match Action::parse(&a.action) {
        Some(Action::Close) => file.account.status == AccountStatus::Closed,
        Some(Action::Recall) => file.account.status == AccountStatus::Recalled,
        _ => false,
    };
    Ok(closed.then(|| (ActionStatus::Done, Some(format!("already {}", file.account.status.as_str())), None)))
}

/// What carrying out an action takes: an outcome already (made before, a queue move, a status
/// change), or something to write with the page.
enum Step {
    Ended(Outcome),
    Write(Write),
}

async fn prepare(
    store: &dyn Store,
    out: &Outbound,
    a: &StrategyAction,
    actor: &Actor,
    file: &recoup_store::servicing::AccountFile,
    parties: &[recoup_domain::placement::PlacedParty],
    templates: &messages::TemplateCache,
) -> Result<Step, StoreError> {
    let tenant_id = file.account.tenant_id;
    if let Some(outcome) = made_before(file, a)? {
        return Ok(Step::Ended(outcome));
    }
    let account = &file.account;
    let why = format!("strategy step: {} #{}", a.treatment, a.step + 1);
    let queue = a.queue.as_deref().unwrap_or("default");
    match Action::parse(&a.action) {
        Some(Action::Email | Action::Sms | Action::Letter) => {
            let template = a.template.clone().ok_or_else(|| StoreError::invalid("/template", "a message step names a template"))?;
            let ask = FromTemplate { template, language: None, contact_point_id: None, send_at: None, automated: true, id: Some(a.id) };
            Ok(Step::Write(Write::Messages(messages::prepare_template(store, out, file, parties, templates, ask).await?)))
        }
        Some(Action::Call) => {
            let (point, _) = messages::pick_point(parties, Medium::Call, None)?;
            let ask = CallAsk { queue, reason: &why, id: Some(a.id) };
            Ok(Step::Write(Write::Task(Box::new(prepare_call(parties, (out.clock)(), account.id, point, ask)))))
        }
        Some(Action::Escalate | Action::LegalReview) => {
            let change = Assignment { stage: None, queue: Some(Some(queue.to_string())), agent_id: Some(None) };
            store.assign(tenant_id, account.id, &change, actor).await?;
            Ok(Step::Ended((ActionStatus::Done, Some(format!("moved to queue {queue}")), None)))
        }
        Some(Action::Close) => {
            store.change_status(tenant_id, account.id, AccountStatus::Closed, &why, actor).await?;
            Ok(Step::Ended((ActionStatus::Done, Some("closed".into()), None)))
        }
        Some(Action::Recall) => {
            store.change_status(tenant_id, account.id, AccountStatus::Recalled, &why, actor).await?;
            Ok(Step::Ended((ActionStatus::Done, Some("recalled to the client".into()), None)))
        }
        None => Err(StoreError::invalid("/action", format!("unknown action {}", a.action))),
    }
}

/// The scheduler inside `serve`: every `tick`, each tenant with a schedule whose local run time
/// has come gets its day run, by whichever node claims it first. The claim is a row per tenant
/// and day with a lease, so on PostgreSQL any number of nodes share the work and exactly one runs
/// each tenant's day; a node that dies mid-run is taken over when its lease ends, and the run
/// resumes without repeating what was done.
pub async fn schedule(
    store: std::sync::Arc<dyn Store>,
    out: Outbound,
    node: String,
    tick: std::time::Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut finished: HashMap<Uuid, Date> = HashMap::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(tick) => {}
        }
        let schedules = match store.run_schedules().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "the strategy scheduler could not read the schedules");
                continue;
            }
        };
        for (tenant, schedule) in schedules {
            if let Err(e) = scheduled_day(store.as_ref(), &out, &node, tenant, &schedule, &mut finished).await {
                tracing::error!(%tenant, error = %e, "the scheduled strategy run failed");
            }
        }
    }
}

/// The tenant's run for its local today, if it is due and this node can claim it.
async fn scheduled_day(
    store: &dyn Store,
    out: &Outbound,
    node: &str,
    tenant_id: Uuid,
    schedule: &recoup_store::strategy::RunSchedule,
    finished: &mut HashMap<Uuid, Date>,
) -> Result<(), StoreError> {
    let zone = jiff::tz::TimeZone::get(&schedule.time_zone).map_err(|e| StoreError::invalid("/time_zone", e.to_string()))?;
    let now = jiff::Timestamp::now();
    let local = now.to_zoned(zone);
    let day = local.date();
    if local.time() < schedule.run_at || finished.get(&tenant_id) == Some(&day) || store.strategy(tenant_id, None).await?.is_none() {
        return Ok(());
    }
    match claimed(store, out, tenant_id, day, node, |_| {}).await {
        Ok(Ran::Done(report)) => {
            tracing::info!(tenant = %tenant_id, %day, accounts = report.accounts, actions = report.actions, "scheduled strategy run finished");
            finished.insert(tenant_id, day);
        }
        Ok(Ran::Finished) => {
            finished.insert(tenant_id, day);
        }
        Ok(Ran::Held { .. }) => {}
        Err(e) => tracing::error!(tenant = %tenant_id, %day, error = %e, "scheduled strategy run failed; it is tried again in ten minutes"),
    }
    Ok(())
}

/// What asking to run a day under a claim came to.
#[derive(Debug)]
pub enum Ran {
    Done(Box<RunReport>),
    /// Another node (or a manual run) holds the day.
    Held {
        node: String,
    },
    /// The day had already been run to the end.
    Finished,
}

/// Runs the tenant's `day` live as `node`, holding the day's claim so no other node or manual
/// run carries out the same actions at the same time. A run that fails leaves the day for a
/// retry in ten minutes.
pub async fn claimed(
    store: &dyn Store,
    out: &Outbound,
    tenant_id: Uuid,
    day: Date,
    node: &str,
    progress: impl Fn(u64),
) -> Result<Ran, StrategyRefusal> {
    let now = jiff::Timestamp::now().as_microsecond();
    match store.claim_run(tenant_id, day, node, now + LEASE_MICROS, now).await? {
        recoup_store::strategy::Claim::Finished => return Ok(Ran::Finished),
        // Held under our own name: an earlier process of ours that stopped (a killed CLI run);
        // it resumes here.
        recoup_store::strategy::Claim::Held { node: holder } if holder == node => {
            store.renew_run(tenant_id, day, node, now + LEASE_MICROS).await?;
        }
        recoup_store::strategy::Claim::Held { node } => return Ok(Ran::Held { node }),
        recoup_store::strategy::Claim::Claimed => {}
    }
    let req = RunRequest { tenant_id, date: day, dry_run: false, version: None, node: Some(node.to_string()) };
    match run(store, out, &req, progress).await {
        Ok(report) => {
            let end = recoup_store::strategy::RunEnd::Finished { report: serde_json::to_string(&report).unwrap_or_default() };
            store.finish_run(tenant_id, day, node, end).await?;
            Ok(Ran::Done(Box::new(report)))
        }
        Err(e) => {
            let end = recoup_store::strategy::RunEnd::Failed { error: e.to_string(), retry_at: now + 10 * 60 * 1_000_000 };
            store.finish_run(tenant_id, day, node, end).await?;
            Err(e)
        }
    }
}

/// A live run asked for by hand (API or CLI): under the day's claim, refused while another node
/// holds the day; a day already run is run again, which creates nothing new and reports it so.
pub async fn run_by_hand(
    store: &dyn Store,
    out: &Outbound,
    tenant_id: Uuid,
    day: Date,
    node: &str,
    progress: impl Fn(u64),
) -> Result<RunReport, StrategyRefusal> {
    match claimed(store, out, tenant_id, day, node, &progress).await? {
        Ran::Done(report) => Ok(*report),
        Ran::Held { node } => {
            Err(StoreError::Refused(format!("the {day} run is being carried out by {node}; try again when it has finished")).into())
        }
        Ran::Finished => {
            let req = RunRequest { tenant_id, date: day, dry_run: false, version: None, node: None };
            run(store, out, &req, progress).await
        }
    }
}
