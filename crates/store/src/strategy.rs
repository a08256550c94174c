//! Strategies and their daily runs in the store: the saved versions of each tenant's strategy
//! and which one is live, each account's position in it, and the actions a run decided.
//!
//! A run reads active accounts in batches in id order ([`Strategies::run_batch`]): each account
//! whole, with its balance, its parties and their contact points (by ranges of account ids, so
//! the batch's rows are walked, not looked up one by one), and what its conditions need from its
//! servicing records. The same rows serve the strategy's facts and the contact policy's questions
//! about the actions decided, which then read only the accounts' records
//! ([`crate::servicing::Servicing::contact_files`]). Each batch's positions and actions are
//! written in one transaction ([`Strategies::save_run_batch`]). An action is keyed
//! by the account, segment entry and step, so a run repeated or resumed after a crash never
//! writes one twice.

use crate::rows::Get;
use crate::{Actor, Result, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::contact::{ConsentState, ContactKind, ContactPoint};
use recoup_domain::ledger::Amounts;
use recoup_domain::party::PartyRole;
use recoup_domain::placement::PlacedParty;
use recoup_domain::strategy::{Facts, Position};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredStrategy {
    pub version: u32,
    pub name: String,
    /// The file as saved.
    pub body: String,
    pub created_by: String,
    /// UTC microseconds.
    pub created_at: i64,
    pub live: bool,
}

/// What happened to an action once the run carried it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Decided; the run itself carries it out (the policy blocked it, or it cannot be made, so
    /// its message or failure is recorded at once), or an older run left it so.
    Planned,
    /// Decided and let through by the contact policy (now, or deferred: the detail says until
    /// when), or needing no policy (a queue move, a status change); the carry-out job makes its
    /// message or task, asking the policy again.
    Queued,
    /// Became a message or task that the policy allowed now or later.
    Done,
    /// The contact policy refused it; the reasons are kept.
    Blocked,
    /// It could not be carried out (no contact point, no template...); the detail says why.
    Failed,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Queued => "queued",
            ActionStatus::Done => "done",
            ActionStatus::Blocked => "blocked",
            ActionStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ActionStatus::Planned, ActionStatus::Queued, ActionStatus::Done, ActionStatus::Blocked, ActionStatus::Failed]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// One step decided for one account on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StrategyAction {
    pub id: Uuid,
    pub account_id: Uuid,
    #[schema(value_type = String)]
    pub run_on: Date,
    pub version: u32,
    pub segment: String,
    pub arm: String,
    pub treatment: String,
    pub step: u32,
    /// email, sms, letter, call, escalate, legal_review, close or recall.
    pub action: String,
    pub template: Option<String>,
    pub queue: Option<String>,
    #[schema(value_type = String)]
    pub entered_on: Date,
    pub status: ActionStatus,
    /// Why it was blocked or failed, or what it became.
    pub detail: Option<String>,
    /// The message or call task it became.
    pub result_id: Option<Uuid>,
}

/// What a planned action became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedAction {
    pub id: Uuid,
    pub status: ActionStatus,
    pub detail: Option<String>,
    pub result_id: Option<Uuid>,
}

/// An account's facts for a run, and where it stood after the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInput {
    pub facts: Facts,
    pub position: Option<(u32, Position)>,
    /// The account as read, with its balance, and its parties, primary first, with their contact
    /// points (the sealed columns left unread): for the contact policy's questions about the
    /// actions decided.
    pub account: Account,
    pub balance: Amounts,
    pub parties: Vec<PlacedParty>,
}

/// What the run decided for one account: its new position (None: it left the strategy) and
/// perhaps an action.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub account_id: Uuid,
    pub position: Option<Position>,
    pub action: Option<StrategyAction>,
    /// The experiment the position's segment runs, which the account joins (once) in its arm.
    pub experiment: Option<String>,
}

/// The experiments joined in a batch: (account, experiment, position).
pub(crate) fn joined(decided: &[Decided]) -> Vec<(Uuid, &str, &Position)> {
    decided.iter().filter_map(|d| Some((d.account_id, d.experiment.as_deref()?, d.position.as_ref()?))).collect()
}

pub(crate) const MEMBER_INSERT: &str = "INSERT INTO experiment_members (tenant_id, experiment, account_id, arm, segment, version, joined_on) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionQuery {
    pub run_on: Option<Date>,
    pub status: Option<ActionStatus>,
    pub account_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: u32,
}

/// When a tenant's daily run starts: a local time in the tenant's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSchedule {
    /// "06:30"
    #[schema(value_type = String, example = "06:30")]
    pub run_at: jiff::civil::Time,
    /// An IANA zone, e.g. America/Chicago.
    pub time_zone: String,
}

/// Who holds a day's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node holds it until its lease ends.
    Claimed,
    /// Another node holds it.
    Held {
        node: String,
    },
    Finished,
}

#[async_trait]
pub trait Strategies: Send + Sync {
    /// Saves the next version (checked by the caller), audited. The first version saved goes
    /// live; later ones wait for [`Strategies::activate_strategy`].
    async fn save_strategy(&self, tenant_id: Uuid, name: &str, body: &str, actor: &Actor) -> Result<StoredStrategy>;
    /// Every version, newest first.
    async fn strategy_versions(&self, tenant_id: Uuid) -> Result<Vec<StoredStrategy>>;
    /// A version, or the live one when `version` is None.
    async fn strategy(&self, tenant_id: Uuid, version: Option<u32>) -> Result<Option<StoredStrategy>>;
    async fn activate_strategy(&self, tenant_id: Uuid, version: u32, actor: &Actor) -> Result<StoredStrategy>;
    /// Up to `limit` active accounts after `after` in id order, with their facts on `today` and
    /// their positions. Time bars from the client's limitation table are the caller's to add.
    async fn run_batch(&self, tenant_id: Uuid, today: Date, after: Option<Uuid>, limit: u32) -> Result<Vec<RunInput>>;
    /// Writes a batch's positions and new actions in one transaction; an action already
    /// written (same account, segment entry and step) is left as it was.
    async fn save_run_batch(&self, tenant_id: Uuid, version: u32, decided: Vec<Decided>) -> Result<()>;
    async fn strategy_actions(&self, tenant_id: Uuid, q: &ActionQuery) -> Result<Vec<StrategyAction>>;
    /// Records what planned actions became, in one transaction.
    async fn finish_actions(&self, tenant_id: Uuid, finished: Vec<FinishedAction>) -> Result<()>;
    async fn run_schedule(&self, tenant_id: Uuid) -> Result<Option<RunSchedule>>;
    /// Every tenant's schedule, for the scheduler's look at the clock (one query, however many
    /// tenants have none).
    async fn run_schedules(&self) -> Result<Vec<(Uuid, RunSchedule)>>;
    /// Sets (Some) or removes (None) the tenant's schedule, audited.
    async fn set_run_schedule(&self, tenant_id: Uuid, schedule: Option<&RunSchedule>, actor: &Actor) -> Result<()>;
    /// Claims the tenant's run of `run_on` for `node` until `lease_until` (UTC microseconds): a
    /// day nobody holds, or whose holder's lease ran out before `now`.
    async fn claim_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64, now: i64) -> Result<Claim>;
    /// Extends the lease; false when another node has taken the run over.
    async fn renew_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64) -> Result<bool>;
    /// Ends the run: finished with its report, or failed (retried once `retry_at` passes).
    async fn finish_run(&self, tenant_id: Uuid, run_on: Date, node: &str, outcome: RunEnd) -> Result<()>;
    /// The scheduled run of a day: who holds or held it, and how it ended.
    async fn strategy_run(&self, tenant_id: Uuid, run_on: Date) -> Result<Option<ScheduledRun>>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScheduledRun {
    pub node: String,
    /// running, finished or failed.
    pub status: String,
    /// The run's report (JSON) once finished, or its error once failed.
    pub report: Option<String>,
}

pub(crate) const RUN_READ: &str = "SELECT node, status, report FROM strategy_runs WHERE tenant_id = $1 AND run_on = $2";

pub(crate) fn run_row(r: &impl Get) -> Result<ScheduledRun> {
    Ok(ScheduledRun { node: r.text("node")?, status: r.text("status")?, report: r.opt_text("report")? })
}

pub(crate) const STRATEGY_COLS: &str = "version, name, body, created_by, created_at";

pub(crate) fn strategy_row(r: &impl Get, live: Option<u32>) -> Result<StoredStrategy> {
    let version = u32::try_from(r.int("version")?).map_err(|_| StoreError::Corrupt("strategy version".into()))?;
    Ok(StoredStrategy {
        version,
        name: r.text("name")?,
        body: r.text("body")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        live: live == Some(version),
    })
}

pub(crate) fn saved_event(actor: &Actor, tenant_id: Uuid, s: &StoredStrategy) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(actor, "strategy.saved", "strategy", tenant_id, serde_json::json!({"version": s.version, "name": s.name}))
}

pub(crate) fn activated_event(actor: &Actor, tenant_id: Uuid, version: u32) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(actor, "strategy.activated", "strategy", tenant_id, serde_json::json!({"version": version}))
}

pub(crate) const ACTION_COLS: &str = "id, account_id, run_on, version, segment, arm, treatment, step, action, template, queue, \
     entered_on, status, detail, result_id";

pub(crate) fn action_row(r: &impl Get) -> Result<StrategyAction> {
    let small = |col: &str| -> Result<u32> { u32::try_from(r.int(col)?).map_err(|_| StoreError::Corrupt(format!("{col} out of range"))) };
    Ok(StrategyAction {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        run_on: r.date("run_on")?,
        version: small("version")?,
        segment: r.text("segment")?,
        arm: r.text("arm")?,
        treatment: r.text("treatment")?,
        step: small("step")?,
        action: r.text("action")?,
        template: r.opt_text("template")?,
        queue: r.opt_text("queue")?,
        entered_on: r.date("entered_on")?,
        status: r.parsed("status", ActionStatus::parse)?,
        detail: r.opt_text("detail")?,
        result_id: r.opt_uuid("result_id")?,
    })
}

/// A batch of active accounts after `$2`, whole, with their balances (`bal_`) and what they were
/// placed at. Their clients', portfolios' and placements' few rows are read apart
/// ([`BatchFacts::owners`]): joined, they were three look-ups per account.
pub(crate) fn run_accounts_sql() -> String {
    format!(
        "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, \
         rep_principal + rep_interest + rep_fees + rep_costs - rep_credit AS original_minor \
         FROM accounts WHERE tenant_id = $1 AND id > $2 AND status = 'active' ORDER BY id LIMIT $3",
        crate::rows::ACCOUNT_COLS
    )
}

/// A row of [`run_accounts_sql`]: the account, its balance, and its facts as far as the account
/// alone tells them.
pub(crate) fn run_account(r: &impl Get, today: Date) -> Result<(Account, Amounts, Facts)> {
    let a = crate::rows::account(r)?;
    let balance = crate::rows::amounts(r, "bal_")?;
    let mut f = Facts::blank(a.id, today, balance.net());
    f.client_id = a.client_id;
    f.exponent = a.currency.exponent();
    f.original_balance_minor = r.int("original_minor")?;
    f.status = a.status;
    f.stage = a.stage;
    f.flags = a.flags.clone();
    f.product.clone_from(&a.product);
    f.first_delinquency_on = a.first_delinquency_on;
    f.charged_off_on = a.charged_off_on;
    f.last_payment_on = a.last_payment_on;
    f.score = a.score;
    Ok((a, balance, f))
}

/// The codes of a batch's clients and portfolios and the days its placements were made, by id.
#[derive(Default)]
pub(crate) struct Owners {
    pub clients: HashMap<Uuid, String>,
    pub portfolios: HashMap<Uuid, String>,
    pub placed_on: HashMap<Uuid, Option<Date>>,
}

pub(crate) const OWNER_CLIENTS: &str = "SELECT id, code FROM clients WHERE tenant_id = $1 AND id";
pub(crate) const OWNER_PORTFOLIOS: &str = "SELECT id, code FROM portfolios WHERE tenant_id = $1 AND id";
pub(crate) const OWNER_PLACEMENTS: &str = "SELECT id, placed_on FROM placements WHERE tenant_id = $1 AND id";

/// Every party of a batch's accounts (`ap` account_parties, `p` parties) with its role. The
/// sealed columns are not read: nothing a run decides or asks the policy needs them, and the
/// run then holds no secrets.
pub(crate) const RUN_PARTY_COLS: &str = "ap.account_id AS linked_account, ap.role AS role, p.tenant_id AS tenant_id, \
     p.id AS id, p.kind AS kind, p.first_name AS first_name, p.last_name AS last_name, p.company_name AS company_name, \
     p.date_of_birth AS date_of_birth, NULL AS date_of_birth_enc, NULL AS national_id_enc, \
     p.national_id_last4 AS national_id_last4, p.language AS language";

/// The parties of the accounts with ids from `$2` to `$3`.
pub(crate) fn run_parties_sql() -> String {
    format!(
        "SELECT {RUN_PARTY_COLS} FROM account_parties ap JOIN parties p ON p.tenant_id = ap.tenant_id AND p.id = ap.party_id \
         WHERE ap.tenant_id = $1 AND ap.account_id BETWEEN $2 AND $3"
    )
}

/// The contact points of the parties of the accounts with ids from `$2` to `$3`, each with the
/// account it was read for (`linked_account`).
pub(crate) fn run_points_sql() -> String {
    format!(
        "SELECT ap.account_id AS linked_account, {} FROM account_parties ap \
         JOIN contact_points cp ON cp.tenant_id = ap.tenant_id AND cp.party_id = ap.party_id \
         WHERE ap.tenant_id = $1 AND ap.account_id BETWEEN $2 AND $3",
        crate::rows::prefixed("cp", crate::rows::CONTACT_COLS)
    )
}

/// The primary party's language, state and channel consent.
fn party_facts(facts: &mut Facts, parties: &[PlacedParty]) {
    let revoked = |c: ConsentState| c == ConsentState::Revoked;
    for placed in parties.iter().filter(|p| p.role == PartyRole::Primary) {
        if facts.language.is_none() {
            facts.language.clone_from(&placed.party.language);
        }
        for cp in &placed.contact_points {
            match cp.kind {
                ContactKind::Email => facts.can_email |= !revoked(cp.consent.email),
                ContactKind::Phone => {
                    facts.can_sms |= !revoked(cp.consent.sms);
                    facts.can_call |= !revoked(cp.consent.call);
                }
                ContactKind::Address => {
                    facts.can_mail |= !revoked(cp.consent.letter);
                    if facts.state.is_none() {
                        facts.state = cp.address.as_ref().map(|a| a.region.trim().to_ascii_uppercase());
                    }
                }
            }
        }
    }
}

/// The servicing records a run reads: promises, plans, disputes and contact attempts.
pub(crate) const FACT_RECORD_COLS: &str = "account_id, kind, status, created_at, \
     CASE WHEN kind = 'contact_attempt' THEN data END AS data";
pub(crate) const FACT_RECORD_KINDS: &str = "('promise', 'plan', 'dispute', 'contact_attempt')";

#[derive(Deserialize)]
struct AttemptFacts {
    at: jiff::Timestamp,
    outcome: recoup_domain::policy::Outcome,
}

fn utc_day(micros: i64) -> Result<Date> {
    let at = jiff::Timestamp::from_microsecond(micros).map_err(|e| StoreError::Corrupt(format!("created_at: {e}")))?;
    Ok(crate::servicing::contact::utc_day(at))
}

pub(crate) fn add_record(facts: &mut Facts, r: &impl Get) -> Result<()> {
    let status = r.text("status")?;
    let created = utc_day(r.int("created_at")?)?;
    let later = |d: &mut Option<Date>, on: Date| *d = Some(d.map_or(on, |x| x.max(on)));
    match r.text("kind")?.as_str() {
        "promise" => {
            facts.promises_made += 1;
            later(&mut facts.last_promise_on, created);
            match status.as_str() {
                "pending" => facts.active_promise = true,
                "kept" => facts.promises_kept += 1,
                "broken" => facts.promises_broken += 1,
                _ => {}
            }
        }
        "plan" => match status.as_str() {
            "active" | "at_risk" => facts.active_plan = true,
            "broken" => facts.plans_broken += 1,
            _ => {}
        },
        "dispute" => {
            later(&mut facts.last_dispute_on, created);
            facts.open_dispute |= status == "open";
        }
        "contact_attempt" => {
            let data = r.text("data")?;
            let a: AttemptFacts = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("contact attempt: {e}")))?;
            let on = crate::servicing::contact::utc_day(a.at);
            later(&mut facts.last_contact_on, on);
            if a.outcome == recoup_domain::policy::Outcome::Conversation {
                later(&mut facts.last_rpc_on, on);
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) const POSITION_COLS: &str =
    "account_id, version, segment, origin, arm, entered_on, next_step, last_step_on, stopped, last_run_on";

pub(crate) fn position_row(r: &impl Get) -> Result<(Uuid, u32, Position)> {
    let position = Position {
        segment: r.text("segment")?,
        origin: r.text("origin")?,
        arm: r.text("arm")?,
        entered_on: r.date("entered_on")?,
        next_step: usize::try_from(r.int("next_step")?).map_err(|_| StoreError::Corrupt("next_step".into()))?,
        last_step_on: r.opt_date("last_step_on")?,
        stopped: r.opt_text("stopped")?,
        last_run_on: r.date("last_run_on")?,
    };
    let version = u32::try_from(r.int("version")?).map_err(|_| StoreError::Corrupt("version".into()))?;
    Ok((r.uuid("account_id")?, version, position))
}

/// A batch being read: accounts first, then the rows that add to them, in any order.
pub(crate) struct BatchFacts {
    /// In account id order, as read.
    inputs: Vec<RunInput>,
    /// Where the last row's account was: the rows of one account mostly come together.
    last: std::cell::Cell<usize>,
}

impl BatchFacts {
    pub fn new(accounts: Vec<(Account, Amounts, Facts)>) -> Self {
        let inputs = accounts
            .into_iter()
            .map(|(account, balance, facts)| RunInput { facts, position: None, account, balance, parties: Vec::new() })
            .collect();
        BatchFacts { inputs, last: std::cell::Cell::new(0) }
    }

    /// The distinct clients, portfolios and placements of the batch's accounts, for [`Owners`].
    pub fn owners(&self) -> [Vec<Uuid>; 3] {
        let distinct = |f: fn(&Account) -> Uuid| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = self.inputs.iter().map(|i| f(&i.account)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        [distinct(|a| a.client_id), distinct(|a| a.portfolio_id), distinct(|a| a.placement_id)]
    }

    pub fn set_owners(&mut self, owners: &Owners) -> Result<()> {
        for input in &mut self.inputs {
            let (f, a) = (&mut input.facts, &input.account);
            let missing = |what: &str, id: Uuid| StoreError::Corrupt(format!("account {} has no {what} {id}", a.id));
            f.client = owners.clients.get(&a.client_id).cloned().ok_or_else(|| missing("client", a.client_id))?;
            f.portfolio = owners.portfolios.get(&a.portfolio_id).cloned().ok_or_else(|| missing("portfolio", a.portfolio_id))?;
            f.placed_on = owners.placed_on.get(&a.placement_id).copied().flatten();
        }
        Ok(())
    }

    /// The place of an account of the batch.
    fn slot(&self, account_id: Uuid) -> Option<usize> {
        let last = self.last.get();
        if self.inputs.get(last).is_some_and(|i| i.account.id == account_id) {
            return Some(last);
        }
        let i = self.inputs.binary_search_by_key(&account_id, |i| i.account.id).ok()?;
        self.last.set(i);
        Some(i)
    }

    /// The bounds of the batch's ids, for range queries; None for an empty batch.
    pub fn range(&self) -> Option<(Uuid, Uuid)> {
        Some((self.inputs.first()?.facts.account_id, self.inputs.last()?.facts.account_id))
    }

    pub fn facts(&mut self, account_id: Uuid) -> Option<&mut Facts> {
        self.slot(account_id).map(|i| &mut self.inputs[i].facts)
    }

    pub fn set_position(&mut self, (account_id, version, p): (Uuid, u32, Position)) {
        if let Some(i) = self.slot(account_id) {
            self.inputs[i].position = Some((version, p));
        }
    }

    /// A row of [`RUN_PARTY_COLS`].
    pub fn add_party(&mut self, r: &impl Get, keys: &crate::Keyring) -> Result<()> {
        let Some(i) = self.slot(r.uuid("linked_account")?) else { return Ok(()) };
        let party = crate::rows::party(r, keys)?;
        self.inputs[i].parties.push(PlacedParty { role: r.parsed("role", PartyRole::parse)?, party, contact_points: Vec::new() });
        Ok(())
    }

    /// A contact point of one of the batch's parties (added before), on the account it was
    /// read for.
    pub fn add_point(&mut self, account_id: Uuid, cp: ContactPoint) {
        let Some(i) = self.slot(account_id) else { return };
        if let Some(placed) = self.inputs[i].parties.iter_mut().find(|p| p.party.id == cp.party_id) {
            placed.contact_points.push(cp);
        }
    }

    pub fn finish(mut self) -> Vec<RunInput> {
        for input in &mut self.inputs {
            for placed in &mut input.parties {
                placed.contact_points.sort_by_key(|cp| cp.id);
            }
            crate::in_party_order(&mut input.parties);
            party_facts(&mut input.facts, &input.parties);
        }
        self.inputs
    }
}

/// How a claimed run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    Finished { report: String },
    Failed { error: String, retry_at: i64 },
}

pub(crate) const SCHEDULES_ALL: &str = "SELECT tenant_id, run_at, time_zone FROM strategy_schedules ORDER BY tenant_id";

pub(crate) fn tenant_schedule_row(r: &impl Get) -> Result<(Uuid, RunSchedule)> {
    Ok((r.uuid("tenant_id")?, schedule_row(r)?))
}

pub(crate) fn schedule_row(r: &impl Get) -> Result<RunSchedule> {
    let run_at = r.with_opt_text("run_at", |s| {
        s.unwrap_or_default().parse::<jiff::civil::Time>().map_err(|e| StoreError::Corrupt(format!("run_at: {e}")))
    })?;
    Ok(RunSchedule { run_at, time_zone: r.text("time_zone")? })
}

pub(crate) fn schedule_event(actor: &Actor, tenant_id: Uuid, s: Option<&RunSchedule>) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(actor, "strategy.scheduled", "strategy", tenant_id, serde_json::json!({ "schedule": s }))
}

/// A claim that neither inserted nor took over: the row as it stands says why.
pub(crate) fn claim_of(status: Option<(String, String)>) -> Claim {
    match status {
        Some((s, _)) if s == "finished" => Claim::Finished,
        Some((_, holder)) => Claim::Held { node: holder },
        None => Claim::Held { node: String::new() },
    }
}

pub(crate) const CLAIM_INSERT: &str = "INSERT INTO strategy_runs (tenant_id, run_on, node, status, lease_until, started_at) \
     VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT (tenant_id, run_on) DO NOTHING";
/// Takes over a day whose holder's lease (or a failed run's wait) is over.
pub(crate) const CLAIM_TAKEOVER: &str = "UPDATE strategy_runs SET node = $3, status = 'running', lease_until = $4, started_at = $5 \
     WHERE tenant_id = $1 AND run_on = $2 AND status <> 'finished' AND lease_until < $5";
pub(crate) const RUN_RENEW: &str =
    "UPDATE strategy_runs SET lease_until = $4 WHERE tenant_id = $1 AND run_on = $2 AND node = $3 AND status = 'running'";
pub(crate) const RUN_FINISH: &str = "UPDATE strategy_runs SET status = $4, lease_until = $5, finished_at = $6, report = $7 \
     WHERE tenant_id = $1 AND run_on = $2 AND node = $3";
