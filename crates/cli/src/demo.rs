//! `recoup demo`: a demo agency with three clients and about 5,000 realistic accounts in several
//! portfolios and placements, with payments (a few reversed) on their ledgers. The accounts go
//! through the same import pipeline a real file does.

use anyhow::Result;
use jiff::civil::{Date, date};
use recoup_domain::ledger::{Component, Waterfall};
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, Portfolio, Tenant};
use recoup_import::{Mapping, PlacementReader, synth};
use recoup_server::import::ImportRequest;
use recoup_store::servicing::contact::{self, ContactAttempt};
use recoup_store::servicing::payment::{self, Method, NewPayment, ReversalReason};
use recoup_store::{Actor, Store};
use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;
use uuid::Uuid;

pub const TENANT: &str = "demo";

struct DemoPortfolio {
    client: &'static str,
    code: &'static str,
    name: &'static str,
    product: &'static str,
    rows: u64,
    placed_on: Date,
}

const PORTFOLIOS: &[DemoPortfolio] = &[
    DemoPortfolio { client: "LSB", code: "CARDS", name: "Credit cards", product: "credit card", rows: 1_600, placed_on: date(2026, 5, 4) },
    DemoPortfolio {
        client: "LSB",
        code: "LOANS",
        name: "Personal and auto loans",
        product: "personal loan",
        rows: 900,
        placed_on: date(2026, 8, 3),
    },
    DemoPortfolio {
        client: "MHS",
        code: "SELFPAY",
        name: "Self-pay balances",
        product: "medical",
        rows: 1_300,
        placed_on: date(2026, 6, 1),
    },
    DemoPortfolio { client: "NWU", code: "FINAL", name: "Final bills", product: "utility", rows: 1_200, placed_on: date(2026, 10, 20) },
];

/// The day the demo's dates were written for. A demo built on another day has every date moved
/// by the difference, so its accounts are always as old as they were on this day (a fresh
/// placement is still fresh and in the strategy's early stage).
const WRITTEN_FOR: Date = date(2026, 11, 24);

fn shifted(d: Date) -> Date {
    let by = recoup_server::api::servicing::today() - WRITTEN_FOR;
    d.checked_add(by).unwrap_or(d)
}

fn clients(tenant_id: Uuid) -> Vec<Client> {
    let client = |code: &str, name: &str, rate: &str, waterfall: Waterfall| Client {
        id: Uuid::now_v7(),
        tenant_id,
        code: code.into(),
        name: name.into(),
        commission_rate: rate.parse().expect("a decimal"),
        waterfall,
        default_currency: Currency::USD,
    };
    // The hospital's contracts apply payments to principal first; the others use the default.
    let principal_first =
        Waterfall::try_from(vec![Component::Principal, Component::Interest, Component::Fees, Component::Costs]).expect("a waterfall");
    vec![
        client("LSB", "Lakeshore Bank", "0.25", Waterfall::default()),
        client("MHS", "Mercy Health System", "0.30", principal_first),
        client("NWU", "Northwind Utilities", "0.18", Waterfall::default()),
    ]
}

/// Builds the demo data unless it is already there.
pub async fn ensure(store: Arc<dyn Store>) -> Result<()> {
    if let Some(t) = store.tenant_by_slug(TENANT).await? {
        let n = store.count_accounts(t.id).await?;
        println!("demo data already present: {n} accounts in tenant {TENANT}");
        return Ok(());
    }
    let tenant = Tenant { id: Uuid::now_v7(), slug: TENANT.into(), name: "Demo Recovery Agency".into() };
    store.create_tenant(&tenant).await?;
    let actor = Actor::new("demo");
    let clients = clients(tenant.id);
    for c in &clients {
        store.create_client(c, &actor).await?;
    }
    let tmp = tempfile::tempdir()?;
    for (i, p) in PORTFOLIOS.iter().enumerate() {
        let client = clients.iter().find(|c| c.code == p.client).expect("a demo client").clone();
        let portfolio = Portfolio {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            client_id: client.id,
            code: p.code.into(),
            name: p.name.into(),
            product: Some(p.product.into()),
        };
        store.create_portfolio(&portfolio, &actor).await?;
        let file = tmp.path().join(format!("{}-{}.csv", p.client, p.code));
        synth::write_csv(
            BufWriter::new(File::create(&file)?),
            p.rows,
            1_000 + i as u64,
            &format!("{}-{}-", p.client, p.code),
            shifted(p.placed_on),
        )?;
        let req = ImportRequest {
            tenant_id: tenant.id,
            client,
            portfolio,
            file_name: format!("{}-{}.csv", p.client, p.code),
            placed_on: shifted(p.placed_on),
            dry_run: false,
            actor: actor.clone(),
        };
        let ctx = req.context();
        let reader = PlacementReader::open(&file, &Mapping::standard(), ctx.clone())?;
        let s = recoup_server::import::run::<_, std::io::Sink>(store.clone(), reader, ctx, None, req, |_| {}).await?;
        println!("placed {} accounts for {} / {} on {}", s.counts.created, p.client, p.code, shifted(p.placed_on));
    }
    users(store.as_ref(), &tenant, &clients, &actor).await?;
    let paid = payments(store.as_ref(), &tenant, &actor).await?;
    println!("posted {} payments ({} reversed, {} accounts paid in full)", paid.posted, paid.reversed, paid.paid_in_full);
    let n = arrangements(store.as_ref(), &tenant, &actor).await?;
    println!(
        "took {} promises, set up {} plans, logged {} disputes, placed {} cease holds, offered {} settlements awaiting approval",
        n[0], n[1], n[2], n[3], n[4]
    );
    let sent = communications(store.as_ref(), &tenant, &clients, &actor).await?;
    println!(
        "saved {} message templates; queued {} messages ({} blocked by the contact policy), and {} validation notices with them",
        sent.templates, sent.queued, sent.blocked, sent.notices
    );
    strategy_days(store.as_ref(), &tenant, &actor).await?;
    let (paid, called, worked) = after_the_first_day(store.as_ref(), &tenant, &actor).await?;
    println!(
        "since the first strategy day: {paid} payments and {called} logged calls on the experiment's accounts; {worked} call tasks worked"
    );
    Ok(())
}

/// What happened to the early segment's accounts after the first strategy day, so the
/// experiment's arms have results to compare: some pay part of the balance, some are called
/// (about three calls in ten reach the debtor). Every arm is treated alike here: any difference
/// the results show is chance, which their intervals say.
/// Then agents work some of the call tasks the runs queued.
async fn after_the_first_day(store: &dyn Store, tenant: &Tenant, actor: &Actor) -> Result<(u64, u64, u64)> {
    use recoup_domain::message::CallResult;
    use recoup_store::servicing::promise;
    let mut rng = fastrand::Rng::with_seed(11);
    let today = recoup_server::api::servicing::today();
    let yesterday = today.checked_sub(jiff::Span::new().days(1))?;
    let agents: Vec<Uuid> =
        store.list_users(tenant.id).await?.into_iter().filter(|u| u.role == recoup_domain::access::Role::Agent).map(|u| u.id).collect();
    worked_yesterday(store, tenant, &agents, yesterday, &mut rng).await?;
    let (mut paid, mut called) = (0, 0);
    for (id, _) in store.experiment_accounts(tenant.id, "early-sms-vs-email").await? {
        // An agent on the phones did it, or (for payments) the debtor paid on their own.
        let by = Actor::new(format!("user:{}", agents[rng.usize(..agents.len())]));
        let owed = store.balance(tenant.id, id).await?.owed();
        if rng.u8(0..100) < 12 {
            let currency = store.account(tenant.id, id).await?.map(|a| a.currency).unwrap_or(Currency::USD);
            let amount = (owed * i64::from(rng.u8(10..40)) / 100).max(1_000);
            let who = if rng.bool() { &by } else { actor };
            store.service(tenant.id, id, payment::post(demo_payment(amount, yesterday, Method::Ach, currency), yesterday, who)).await?;
            paid += 1;
        }
        if rng.u8(0..100) < 30 {
            let result = call_result(&mut rng);
            let at = yesterday.at(18, rng.i8(0..60), 0, 0).to_zoned(jiff::tz::TimeZone::UTC)?.timestamp();
            store.service(tenant.id, id, contact::log(ContactAttempt::call(id, at, result), None, &by)).await?;
            called += 1;
            if result == CallResult::PromiseTaken && owed > 0 {
                let due = yesterday.checked_add(jiff::Span::new().days(rng.i64(5..15)))?;
                let promised = promise::NewPromise {
                    id: Uuid::now_v7(),
                    items: vec![recoup_domain::promise::PromiseItem { due_on: due, amount: (owed / 4).max(1_000).min(owed) }],
                    grace_days: None,
                    channel: "phone".into(),
                };
                // An account that already has a promise pending keeps it (one at a time).
                let _ = store.service(tenant.id, id, promise::take(promised, yesterday, &by)).await;
            }
        }
    }
    let worked = worked_tasks(store, tenant, &agents, &mut rng).await?;
    Ok((paid, called, worked))
}

/// A day's shift for each agent (about eight hours, signed in yesterday afternoon UTC): a
/// session opened and closed, which keeps its span for "per hour worked".
/// Roughly how outbound collection calls end: most are not answered.
fn call_result(rng: &mut fastrand::Rng) -> recoup_domain::message::CallResult {
    use recoup_domain::message::CallResult;
    match rng.u8(0..100) {
        0..25 => CallResult::NoAnswer,
        25..45 => CallResult::Voicemail,
        45..55 => CallResult::NotConnected,
        55..62 => CallResult::WrongNumber,
        62..70 => CallResult::ThirdParty,
        70..84 => CallResult::RightParty,
        84..90 => CallResult::Refused,
        _ => CallResult::PromiseTaken,
    }
}

/// The agents have worked about half of the call tasks due so far, each call logged against its
/// task (closing it), so the worklist queues' figures have calls, contacts and promises to show.
async fn worked_tasks(store: &dyn Store, tenant: &Tenant, agents: &[Uuid], rng: &mut fastrand::Rng) -> Result<u64> {
    let now = jiff::Timestamp::now();
    let q = recoup_store::worklist::WorkQuery { queues: Vec::new(), agent_id: None, now: now.as_microsecond(), limit: 10_000 };
    let mut worked = 0;
    for item in store.worklist(tenant.id, &q).await? {
        if item.due_at > now || agents.is_empty() || rng.bool() {
            continue;
        }
        let by = Actor::new(format!("user:{}", agents[rng.usize(..agents.len())]));
        let at = now.checked_sub(jiff::SignedDuration::from_mins(rng.i64(5..240)))?.max(item.due_at);
        let logged = contact::log(ContactAttempt::call(item.account_id, at, call_result(rng)), Some(item.task_id), &by);
        store.service(tenant.id, item.account_id, logged).await?;
        worked += 1;
    }
    Ok(worked)
}

async fn worked_yesterday(
    store: &dyn Store,
    tenant: &Tenant,
    agents: &[Uuid],
    yesterday: jiff::civil::Date,
    rng: &mut fastrand::Rng,
) -> Result<()> {
    let start = yesterday.at(14, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC)?.timestamp().as_microsecond();
    for user_id in agents {
        let session = recoup_domain::access::Session {
            token_hash: std::array::from_fn(|_| rng.u8(..)),
            tenant_id: tenant.id,
            user_id: *user_id,
            created_at: start + rng.i64(0..45) * 60_000_000,
            last_seen_at: start + (7 * 60 + rng.i64(0..90)) * 60_000_000,
            account_id: None,
        };
        store.create_session(&session).await?;
        store.delete_session(&session.token_hash).await?;
    }
    Ok(())
}

/// The demo strategy, saved and live, run for the last three days so the outbox, the call
/// queues and the experiment's arms have something to show.
async fn strategy_days(store: &dyn Store, tenant: &Tenant, actor: &Actor) -> Result<()> {
    use recoup_server::strategy::{RunRequest, save};
    let saved =
        save(store, tenant.id, recoup_domain::strategy::DEMO, actor).await.map_err(|e| anyhow::anyhow!("the demo strategy: {e}"))?;
    let out = recoup_server::outbound::Outbound::default();
    let today = recoup_server::api::servicing::today();
    for back in (0..3).rev() {
        let date = today.checked_sub(jiff::Span::new().days(back))?;
        let req = RunRequest { tenant_id: tenant.id, date, dry_run: false, version: None, node: None };
        let mut r =
            recoup_server::strategy::run(store, &out, &req, |_| {}).await.map_err(|e| anyhow::anyhow!("the demo's run for {date}: {e}"))?;
        recoup_server::strategy::carry_out_day(store, &out, &mut r, tenant.id).await?;
        let done = r.outcomes.get("done").copied().unwrap_or(0);
        println!(
            "strategy \"{}\" ran for {date}: {} accounts, {} actions ({done} carried out, the rest blocked or failed with reasons)",
            saved.name, r.accounts, r.actions
        );
    }
    Ok(())
}

/// Who the demo's letters come from.
fn demo_collector() -> recoup_domain::client_policy::Collector {
    recoup_domain::client_policy::Collector {
        name: "Demo Recovery Agency LLC".into(),
        address: "100 Main Street, Suite 400\nSpringfield, IL 62701".into(),
        phone: "(555) 010-0199".into(),
        hours: "Monday to Friday, 8 a.m. to 8 p.m. Central Time".into(),
        website: "https://pay.recoup-demo.example".into(),
        electronic_dispute: Some("disputes@recoup-demo.example".into()),
    }
}

#[derive(Default)]
struct Sent {
    templates: usize,
    queued: u64,
    blocked: u64,
    notices: u64,
}

/// The starter templates, the collector's identity on every client, and a first round of
/// messages (e-mail, text and letter reminders on every 25th account) so the outbox has
/// something to show: each goes through the contact policy, and each account's first message
/// brings its validation notice. `serve` sends them through the outbox transport.
async fn communications(store: &dyn Store, tenant: &Tenant, clients: &[Client], actor: &Actor) -> Result<Sent> {
    use recoup_server::messages::{FromTemplate, save_template, send_template};
    let mut sent = Sent::default();
    for c in clients {
        let mut policy = store.client_policy(tenant.id, c.id).await?;
        policy.collector = demo_collector();
        store.set_client_policy(tenant.id, c.id, &policy, actor).await?;
    }
    for d in recoup_channels::template::starter_set() {
        save_template(store, tenant.id, &d, actor).await?;
        sent.templates += 1;
    }
    let out = recoup_server::outbound::Outbound::default();
    for (k, a) in every_nth_active(store, tenant, 25).await? {
        let template = ["reminder-email", "reminder-sms", "final-notice-letter"][(k % 3) as usize];
        let ask =
            FromTemplate { template: template.into(), language: None, contact_point_id: None, send_at: None, automated: true, id: None };
        // An account without the contact point the template needs is skipped.
        let Ok(m) = send_template(store, &out, &a, ask, actor).await else { continue };
        sent.queued += 1;
        sent.blocked += u64::from(m.status == recoup_domain::message::MessageStatus::Blocked);
        let all = store.account_file(tenant.id, a.id).await?.map(|f| f.all::<recoup_store::servicing::message::Message>()).transpose()?;
        sent.notices += all.unwrap_or_default().iter().filter(|m| m.notice.is_some()).count() as u64;
    }
    Ok(sent)
}

/// One sign-in per role; the passwords are public on purpose: this is a demo.
pub const USERS: [(&str, &str, recoup_domain::access::Role); 5] = [
    ("admin@recoup-demo.example", "Ada Admin", recoup_domain::access::Role::Admin),
    ("supervisor@recoup-demo.example", "Sam Supervisor", recoup_domain::access::Role::Supervisor),
    ("agent@recoup-demo.example", "Alex Agent", recoup_domain::access::Role::Agent),
    ("client@recoup-demo.example", "Lakeshore Bank viewer", recoup_domain::access::Role::Client),
    ("auditor@recoup-demo.example", "Avery Auditor", recoup_domain::access::Role::Auditor),
];

/// The rest of the calling floor: agents who do not sign in to the demo, so the leaderboard
/// has a team to rank.
const FLOOR: [(&str, &str); 3] = [
    ("jordan@recoup-demo.example", "Jordan Reyes"),
    ("priya@recoup-demo.example", "Priya Shah"),
    ("mateo@recoup-demo.example", "Mateo Garc\u{ed}a"),
];

pub fn demo_password(role: recoup_domain::access::Role) -> String {
    format!("demo-{}-password", role.as_str())
}

async fn users(store: &dyn Store, tenant: &Tenant, clients: &[Client], actor: &Actor) -> Result<()> {
    let lakeshore = clients.iter().find(|c| c.code == "LSB").map(|c| c.id);
    let floor = FLOOR.map(|(email, name)| (email, name, recoup_domain::access::Role::Agent));
    for (email, name, role) in USERS.into_iter().chain(floor) {
        let hash = recoup_server::passwords::hash(demo_password(role)).await?;
        let client_id = (role == recoup_domain::access::Role::Client).then_some(lakeshore).flatten();
        let user = recoup_domain::access::User {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            email: email.into(),
            name: name.into(),
            role,
            client_id,
            disabled: false,
            created_at: jiff::Timestamp::now().as_microsecond(),
        };
        store.create_user(&user, &hash, actor).await?;
        if let Some(queues) = demo_queues(role) {
            let agent = recoup_domain::worklist::Agent {
                user_id: user.id,
                queues: queues.iter().map(|q| q.to_string()).collect(),
                daily_capacity: 60,
                time_zone: "America/Chicago".into(),
            };
            store.set_agent(tenant.id, &agent, actor).await?;
        }
    }
    Ok(())
}

/// The demo strategy's call queues each worker takes: the agent the everyday calls, the
/// supervisor every queue, the specialists' and legal ones included.
fn demo_queues(role: recoup_domain::access::Role) -> Option<&'static [&'static str]> {
    use recoup_domain::access::Role;
    match role {
        Role::Agent => Some(&["early", "mid", "hardship", "inbound-replies"]),
        Role::Supervisor => Some(&["early", "mid", "late", "late-specialists", "legal", "hardship", "inbound-replies"]),
        _ => None,
    }
}

/// A fresh integrator key for this run of the demo (keys are shown once, so each run makes one).
pub async fn api_key(store: &dyn Store) -> Result<String> {
    let tenant = store.tenant_by_slug(TENANT).await?.ok_or_else(|| anyhow::anyhow!("the demo tenant is missing"))?;
    let (_, text) =
        recoup_server::keys::issue(store, tenant.id, "demo", recoup_domain::access::Role::Integrator, None, &Actor::new("demo")).await?;
    Ok(text)
}

#[derive(Default)]
struct Paid {
    posted: u64,
    reversed: u64,
    paid_in_full: u64,
}

fn demo_payment(amount: i64, on: jiff::civil::Date, method: Method, currency: recoup_domain::money::Currency) -> NewPayment {
    NewPayment::by_agent(amount, currency, on, method)
}

/// Gives about a third of the accounts one to three payments after placement; one payment in
/// twenty bounces (NSF) and is reversed; a few accounts pay in full and close as paid. Every
/// payment goes through servicing, so each has its receipt, commission and record.
async fn payments(store: &dyn Store, tenant: &Tenant, actor: &Actor) -> Result<Paid> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut paid = Paid::default();
    let mut after = None;
    let mut placed = std::collections::HashMap::new();
    loop {
        let page = store.list_accounts(tenant.id, &Default::default(), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for a in page {
            if rng.u8(0..100) >= 35 {
                continue;
            }
            let placed_on = match placed.get(&a.placement_id) {
                Some(d) => *d,
                None => {
                    let d = store.placement(tenant.id, a.placement_id).await?.map(|p| p.placed_on).unwrap_or(shifted(date(2026, 5, 4)));
                    placed.insert(a.placement_id, d);
                    d
                }
            };
            let mut day = placed_on.max(a.charged_off_on.unwrap_or(placed_on)).checked_add(jiff::Span::new().days(20)).unwrap_or(placed_on);
            let owed = store.balance(tenant.id, a.id).await?.owed();
            if rng.u8(0..100) < 6 {
                let when = day.min(shifted(date(2026, 11, 20)));
                store.service(tenant.id, a.id, payment::post(demo_payment(owed, when, Method::Card, a.currency), when, actor)).await?;
                paid.posted += 1;
                paid.paid_in_full += 1;
                continue;
            }
            for _ in 0..rng.u8(1..4) {
                let amount = (owed * i64::from(rng.u8(5..25)) / 100).max(1_000);
                let when = day.min(shifted(date(2026, 11, 20)));
                let ch =
                    store.service(tenant.id, a.id, payment::post(demo_payment(amount, when, Method::Ach, a.currency), when, actor)).await?;
                paid.posted += 1;
                if rng.u8(0..100) < 5 {
                    let id = recoup_store::servicing::first::<payment::Payment>(&ch)?.id;
                    store.service(tenant.id, a.id, payment::reverse(id, ReversalReason::Nsf, when, when, actor)).await?;
                    paid.reversed += 1;
                }
                day = day.checked_add(jiff::Span::new().days(30)).unwrap_or(day);
            }
        }
    }
    Ok(paid)
}

/// Gives the worklists something to show: on every 40th open account, in turn, a promise, a
/// plan, a dispute, a cease request or a settlement waiting for a supervisor, dated from today.
async fn arrangements(store: &dyn Store, tenant: &Tenant, actor: &Actor) -> Result<[u64; 5]> {
    use recoup_store::servicing::{dispute, hold, plan, promise, settlement};
    let today = recoup_server::api::servicing::today();
    let days = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap_or(today);
    let mut counts = [0u64; 5];
    for (k, a) in every_nth_active(store, tenant, 40).await? {
        let owed = store.balance(tenant.id, a.id).await?.owed();
        let kind = (k % 5) as usize;
        let op = match kind {
            0 => promise::take(
                promise::NewPromise {
                    id: uuid::Uuid::now_v7(),
                    items: vec![recoup_domain::promise::PromiseItem { due_on: days(7), amount: (owed / 10).max(1) }],
                    grace_days: None,
                    channel: "agent".into(),
                },
                today,
                actor,
            ),
            1 => plan::create(
                uuid::Uuid::now_v7(),
                plan::PlanTerms {
                    frequency: recoup_domain::plan::Frequency::Monthly,
                    sizing: recoup_domain::plan::Sizing::Count(6),
                    down_payment: 0,
                    first_due_on: days(14),
                    apr: Default::default(),
                    fee_per_installment: 0,
                },
                "agent".into(),
                today,
                actor,
            ),
            2 => dispute::open(
                dispute::NewDispute {
                    id: uuid::Uuid::now_v7(),
                    reason: recoup_domain::dispute::Reason::WrongAmount,
                    text: "The balance is higher than my last statement".into(),
                    channel: "agent".into(),
                    received_on: today,
                    disputed_amount: None,
                    validation_notice_sent_on: None,
                },
                today,
                actor,
            ),
            3 => hold::add(
                hold::NewHold {
                    id: uuid::Uuid::now_v7(),
                    kind: recoup_domain::hold::HoldKind::Cease,
                    reason: "written request to stop contact".into(),
                    details: Default::default(),
                    until: None,
                },
                today,
                actor,
            ),
            _ => settlement::offer(
                settlement::NewSettlement {
                    id: uuid::Uuid::now_v7(),
                    offer: recoup_domain::settlement::Offer::Percent("0.6".parse().unwrap_or_default()),
                    expires_on: days(30),
                    installments: Vec::new(),
                    requested_by: settlement::Requester { id: uuid::Uuid::now_v7(), role: recoup_domain::access::Role::Agent },
                },
                today,
                actor,
            ),
        };
        // An account a rule refuses (too small a balance for a plan, say) is skipped.
        if store.service(tenant.id, a.id, op).await.is_ok() {
            counts[kind] += 1;
        }
    }
    Ok(counts)
}

/// Every `n`th active account, with its place among them (the 1st is the `n`th account).
async fn every_nth_active(store: &dyn Store, tenant: &Tenant, n: u64) -> Result<Vec<(u64, recoup_domain::account::Account)>> {
    let filter = recoup_store::AccountFilter { statuses: vec![recoup_domain::account::AccountStatus::Active], ..Default::default() };
    let (mut after, mut i, mut out) = (None, 0u64, Vec::new());
    loop {
        let page = store.list_accounts(tenant.id, &filter, after, 500).await?;
        let Some(last) = page.last() else { return Ok(out) };
        after = Some(last.id);
        for a in page {
            i += 1;
            if i % n == 0 {
                out.push((i / n, a));
            }
        }
    }
}

/// A debtor to try the portal as: their signed link and the answers to the identity check.
pub struct PortalSample {
    pub link: String,
    pub name: String,
    pub reference: String,
    pub date_of_birth: jiff::civil::Date,
    pub zip: String,
}

/// The first demo account with a balance whose debtor has a birthday and an address on file.
pub async fn portal_sample(store: &dyn Store, out: &recoup_server::outbound::Outbound) -> Result<Option<PortalSample>> {
    let Some(tenant) = store.tenant_by_slug(TENANT).await? else { return Ok(None) };
    let today = jiff::Zoned::now().date();
    for a in store.list_accounts(tenant.id, &Default::default(), None, 200).await? {
        if store.balance(tenant.id, a.id).await?.owed() <= 0 {
            continue;
        }
        let parties = store.parties_of(tenant.id, a.id).await?;
        let Some(p) = parties.iter().find(|p| p.role == recoup_domain::party::PartyRole::Primary) else { continue };
        let zip = p.contact_points.iter().find_map(|c| c.address.as_ref().map(|x| x.postal_code.clone()));
        let (Some(dob), Some(zip)) = (p.party.date_of_birth.as_ref(), zip) else { continue };
        return Ok(Some(PortalSample {
            link: out.portal_link(store, tenant.id, a.id, today),
            name: p.party.display_name(),
            reference: a.external_ref,
            date_of_birth: *dob.expose(),
            zip,
        }));
    }
    Ok(None)
}
