//! Named reports over a window of days: each is a table (columns and typed cells) built from the
//! store's `report_data` with the domain's KPI formulas, and each says in its help what it
//! computes. The API, the CLI and the console's dashboard all take them from here, so a figure
//! is the same wherever it is read; CSV and JSON are written here too.

use jiff::civil::Date;
use recoup_domain::experiment::ArmResult;
use recoup_domain::kpi::{self, Aging, Bucket, Ratio};
use recoup_domain::message::CallResult;
use recoup_domain::money::Currency;
use recoup_domain::strategy::CONTROL;
use recoup_store::reports::{ReportData, ReportQuery};
use recoup_store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every report, by the name the API and CLI take.
pub const NAMES: [&str; 15] = [
    "placements",
    "recovery",
    "aging",
    "aging_trend",
    "rolls",
    "receivables",
    "contacts",
    "funnel",
    "agents",
    "promises",
    "blocked",
    "queues",
    "worklists",
    "netback",
    "uplift",
];

/// One value: text, a count, money (exact, in the currency's minor units) or a rate (none when
/// there was nothing to divide by).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Money {
        minor: i64,
        currency: String,
    },
    Rate(Option<f64>),
    /// A figure such as a count per hour, to one place (none: nothing to divide by).
    Number(Option<f64>),
    /// A length of time in microseconds, shown as hours and minutes.
    Hours(i64),
}

impl Cell {
    /// As CSV and JSON carry it: money as a plain decimal ("1234.56"), a rate to four places.
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Money { minor, currency } => Currency::from_code(currency).map_or_else(|_| minor.to_string(), |c| c.format_minor(*minor)),
            Cell::Rate(r) => r.map(|r| format!("{r:.4}")).unwrap_or_default(),
            Cell::Number(n) => n.map(|n| format!("{n:.2}")).unwrap_or_default(),
            Cell::Hours(us) => format!("{:.2}", *us as f64 / 3_600_000_000.0),
        }
    }

    /// As a page shows it: "$1,234.56", "21.4%", "-".
    pub fn shown(&self) -> String {
        match self {
            Cell::Money { minor, currency } => recoup_domain::money::format_money(*minor, currency),
            Cell::Rate(r) => kpi::percent(*r),
            Cell::Number(n) => n.map_or_else(|| "-".into(), |n| format!("{n:.1}")),
            Cell::Hours(us) => format!("{}:{:02}", us / 3_600_000_000, us % 3_600_000_000 / 60_000_000),
            other => other.plain(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Count(n) => (*n).into(),
            Cell::Rate(r) => r.map_or(serde_json::Value::Null, |r| serde_json::json!((r * 10_000.0).round() / 10_000.0)),
            Cell::Number(n) => n.map_or(serde_json::Value::Null, |n| serde_json::json!((n * 100.0).round() / 100.0)),
            other => other.plain().into(),
        }
    }
}

/// A report's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub title: &'static str,
    /// What it computes, with the formula (COMPLIANCE.md's definitions).
    pub help: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Serialize)]
struct JsonTable<'a> {
    name: &'a str,
    title: &'a str,
    help: &'a str,
    from: String,
    to: String,
    rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl Table {
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.columns);
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(Cell::plain));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    pub fn json(&self, q: &ReportQuery) -> serde_json::Value {
        let rows = self.rows.iter().map(|r| self.columns.iter().map(|c| c.to_string()).zip(r.iter().map(Cell::json)).collect()).collect();
        let t = JsonTable { name: self.name, title: self.title, help: self.help, from: q.from.to_string(), to: q.to.to_string(), rows };
        serde_json::to_value(t).unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no report named {0:?}; there are: {list}", list = NAMES.join(", "))]
    Unknown(String),
    #[error("the period ends ({to}) before it starts ({from})")]
    Backwards { from: Date, to: Date },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the data once for several reports.
pub async fn data(store: &dyn Store, tenant_id: Uuid, q: &ReportQuery) -> Result<ReportData, ReportError> {
    if q.to < q.from {
        return Err(ReportError::Backwards { from: q.from, to: q.to });
    }
    Ok(store.report_data(tenant_id, q).await?)
}

/// The report `name` for the tenant (or the query's client): reads what it needs and builds it.
pub async fn table(store: &dyn Store, tenant_id: Uuid, name: &str, q: &ReportQuery) -> Result<Table, ReportError> {
    if q.to < q.from {
        return Err(ReportError::Backwards { from: q.from, to: q.to });
    }
    match name {
        "netback" => return netback(store, tenant_id, q).await,
        "uplift" => return uplift(store, tenant_id, q).await,
        _ => {}
    }
    if !NAMES.contains(&name) {
        return Err(ReportError::Unknown(name.to_string()));
    }
    let data = data(store, tenant_id, q).await?;
    build(name, &data, q, &Context::read(store, tenant_id, q).await?)
}

/// What reports name things by, beside the data: clients, people and their signed-in time.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Each client's code and commission rate, by id.
    pub clients: BTreeMap<Uuid, (String, rust_decimal::Decimal)>,
    /// Each person's name by how records name them ("user:<id>").
    pub people: BTreeMap<String, String>,
    /// Microseconds each person was signed in during the period.
    pub worked: BTreeMap<Uuid, i64>,
    /// The currency money is shown in where there is none to take it from.
    pub currency: String,
}

impl Context {
    pub async fn read(store: &dyn Store, tenant_id: Uuid, q: &ReportQuery) -> Result<Context, ReportError> {
        let clients = store.list_clients(tenant_id).await?;
        let currency = clients.first().map_or("USD", |c| c.default_currency.code()).to_string();
        let people = store.list_users(tenant_id).await?.into_iter().map(|u| (format!("user:{}", u.id), u.name)).collect();
        let (from, to) = recoup_store::reports::window_micros(q);
        let worked = kpi::worked(&store.work_periods(tenant_id, from, to).await?, from, to);
        Ok(Context { clients: clients.into_iter().map(|c| (c.id, (c.code, c.commission_rate))).collect(), people, worked, currency })
    }
}

/// The report `name` from data already read.
/// The tables the console's dashboard builds from one [`data`] read, in the order it shows them
/// (netback and uplift read on their own).
pub const DASHBOARD: [&str; 13] = [
    "recovery",
    "aging",
    "aging_trend",
    "rolls",
    "receivables",
    "funnel",
    "agents",
    "contacts",
    "promises",
    "blocked",
    "queues",
    "worklists",
    "placements",
];

/// The month-ends the nightly run keeps: the last thirteen that are over on `today`.
pub fn kept_month_ends(today: Date) -> Vec<Date> {
    let mut ends = vec![recoup_store::reports::previous_month_end(today)];
    while ends.len() < 13 {
        let Some(last) = ends.last() else { break };
        ends.push(recoup_store::reports::previous_month_end(*last));
    }
    ends
}

pub fn build(name: &str, d: &ReportData, q: &ReportQuery, cx: &Context) -> Result<Table, ReportError> {
    Ok(match name {
        "placements" => placements(d, &cx.clients),
        "recovery" => recovery(d, q),
        "aging" => aging(d, q),
        "aging_trend" => aging_trend(d),
        "rolls" => rolls(d),
        "receivables" => receivables(d, q),
        "contacts" => contacts(d, cx),
        "funnel" => funnel(d),
        "agents" => agents(d, cx),
        "promises" => promises(d),
        "blocked" => blocked(d),
        "queues" => queues(d, q),
        "worklists" => worklists(d),
        other => return Err(ReportError::Unknown(other.into())),
    })
}

fn money(minor: i64, currency: &str) -> Cell {
    Cell::Money { minor, currency: currency.to_string() }
}

fn placements(d: &ReportData, clients: &BTreeMap<Uuid, (String, rust_decimal::Decimal)>) -> Table {
    let rows = d
        .placements
        .iter()
        .map(|p| {
            vec![
                Cell::Text(clients.get(&p.placement.client_id).map(|c| c.0.clone()).unwrap_or_default()),
                Cell::Text(p.placement.placed_on.to_string()),
                Cell::Text(p.placement.file_name.clone()),
                Cell::Count(p.accounts),
                money(p.placed_minor, &p.currency),
                money(p.collected_minor, &p.currency),
                Cell::Rate(kpi::recovery_rate(p.collected_minor, p.placed_minor)),
            ]
        })
        .collect();
    Table {
        name: "placements",
        title: "Placements",
        help: "Each placement with the accounts it brought, the amount placed and what has been collected on them (payments less reversals). Recovery rate = collected / placed.",
        columns: vec!["client", "placed_on", "file", "accounts", "placed", "collected", "recovery_rate"],
        rows,
    }
}

/// Months from `vintage` ("2026-09") to the month of `day`: 0 in the month placed.
fn months_since(vintage: &str, day: Date) -> Option<u32> {
    let (y, m) = vintage.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    u32::try_from((i32::from(day.year()) - y) * 12 + i32::from(day.month()) - m).ok()
}

fn recovery(d: &ReportData, q: &ReportQuery) -> Table {
    // Placed per (vintage, currency), and each vintage's age at the window's end.
    let mut placed: BTreeMap<(String, String), i64> = BTreeMap::new();
    for p in &d.placements {
        *placed.entry((p.placement.vintage(), p.currency.clone())).or_default() += p.placed_minor;
    }
    let mut rows = Vec::new();
    for ((vintage, currency), placed_minor) in &placed {
        let Some(age) = months_since(vintage, q.to) else { continue };
        let one = BTreeMap::from([(vintage.clone(), (*placed_minor, age))]);
        let collected: Vec<kpi::curves::Collected> = d
            .collected
            .iter()
            .filter(|c| &c.vintage == vintage && &c.currency == currency)
            .filter_map(|c| {
                Some(kpi::curves::Collected { vintage: c.vintage.clone(), month: months_since(vintage, c.on)?, minor: c.minor })
            })
            .collect();
        for curve in kpi::curves::recovery_curves(&one, &collected) {
            for (month, rate) in curve.cumulative.iter().enumerate() {
                rows.push(vec![
                    Cell::Text(vintage.clone()),
                    money(*placed_minor, currency),
                    Cell::Count(month as u64),
                    Cell::Rate(Some(*rate).filter(|_| *placed_minor > 0)),
                ]);
            }
        }
    }
    Table {
        name: "recovery",
        title: "Recovery curves by vintage",
        help: "For each placement vintage (the month placed): cumulative collected / placed at the end of each month since placement (month 0 is the month placed), up to the period's end.",
        columns: vec!["vintage", "placed", "month", "cumulative_recovery_rate"],
        rows,
    }
}

/// Per worklist queue and currency: what is owed now and by how many accounts, how much of it is
/// over 90 days past due, and what came in during the period.
fn queues(d: &ReportData, q: &ReportQuery) -> Table {
    #[derive(Default)]
    struct Sums {
        accounts: u64,
        owed: i64,
        over_90: i64,
        collected: i64,
    }
    let mut by: BTreeMap<(&str, &str), Sums> = BTreeMap::new();
    for o in &d.owed {
        let days = o.since.and_then(|s| s.until(q.to).ok()).map_or(0, |span| i64::from(span.get_days()));
        let s = by.entry((&o.queue, &o.currency)).or_default();
        s.accounts += o.accounts;
        s.owed += o.owed_minor;
        s.over_90 += if days > 90 { o.owed_minor } else { 0 };
    }
    for c in &d.queue_collected {
        by.entry((&c.queue, &c.currency)).or_default().collected += c.minor;
    }
    let rows = by
        .into_iter()
        .map(|((queue, currency), s)| {
            vec![
                Cell::Text(if queue.is_empty() { "(no queue)".into() } else { queue.to_string() }),
                Cell::Count(s.accounts),
                money(s.owed, currency),
                Cell::Rate((s.owed > 0).then(|| s.over_90 as f64 / s.owed as f64)),
                money(s.collected, currency),
            ]
        })
        .collect();
    Table {
        name: "queues",
        title: "Queues",
        help: "Per worklist queue: accounts owing and what they owe as they stand now, the share of it over 90 days past due at the period's end, and money in during the period (payments less reversals) on accounts while they sat in the queue.",
        columns: vec!["queue", "accounts", "owed", "share_over_90_days", "collected"],
        rows,
    }
}

/// Per worklist queue: the call tasks opened in the period and where they stand, and the calls
/// that worked them with what they reached.
fn worklists(d: &ReportData) -> Table {
    let mut queues: std::collections::BTreeSet<&str> = d.tasks.iter().map(|t| t.queue.as_str()).collect();
    queues.extend(d.contacts.iter().filter(|c| !c.queue.is_empty()).map(|c| c.queue.as_str()));
    let tasks = |queue: &str, status: Option<&str>| {
        d.tasks.iter().filter(|t| t.queue == queue && status.is_none_or(|s| t.status == s)).map(|t| t.count).sum::<u64>()
    };
    let rows = queues
        .into_iter()
        .map(|queue| {
            let calls = call_counts(d.contacts.iter().filter(|c| c.queue == queue));
            let promises: u64 =
                d.contacts.iter().filter(|c| c.queue == queue && c.result.as_deref() == Some("promise_taken")).map(|c| c.count).sum();
            vec![
                Cell::Text(queue.to_string()),
                Cell::Count(tasks(queue, None)),
                Cell::Count(tasks(queue, Some("done"))),
                Cell::Count(tasks(queue, Some("open"))),
                Cell::Count(tasks(queue, Some("blocked"))),
                Cell::Count(calls.attempts),
                Cell::Count(calls.right_party),
                Cell::Rate(kpi::rates::rpc_per_attempt(calls).value()),
                Cell::Count(promises),
                Cell::Rate(kpi::rates::Ratio::new(promises, calls.right_party).value()),
            ]
        })
        .collect();
    Table {
        name: "worklists",
        title: "Worklist queues",
        help: "Per worklist queue: call tasks opened in the period (by the day opened) and their status now: done (a call worked it), still open, or blocked (the contact policy refused the call when it was asked for). Calls: outbound calls in the period that worked one of the queue's tasks. Right-party contacts: those that reached the debtor (right party, refused, promise taken); RPC rate = right-party contacts / calls. Promises: calls that ended with a promise taken; promise rate = promises / right-party contacts.",
        columns: vec![
            "queue",
            "tasks_opened",
            "worked",
            "open",
            "blocked",
            "calls",
            "right_party_contacts",
            "rpc_rate_per_call",
            "promises",
            "promise_rate_per_rpc",
        ],
        rows,
    }
}

fn aging(d: &ReportData, q: &ReportQuery) -> Table {
    let mut by_currency: BTreeMap<&str, Aging> = BTreeMap::new();
    for o in &d.owed {
        let days = o.since.and_then(|s| s.until(q.to).ok()).map_or(0, |span| i64::from(span.get_days()));
        let a = by_currency.entry(&o.currency).or_default();
        let b = Bucket::of(days).index();
        a.accounts[b] += o.accounts;
        a.balance_minor[b] += o.owed_minor;
    }
    let mut rows = Vec::new();
    for (currency, a) in &by_currency {
        for b in Bucket::ALL {
            let total = a.total_minor();
            rows.push(vec![
                Cell::Text(b.label().into()),
                Cell::Count(a.accounts[b.index()]),
                money(a.balance_minor[b.index()], currency),
                Cell::Rate((total > 0).then(|| a.balance_minor[b.index()] as f64 / total as f64)),
            ]);
        }
    }
    Table {
        name: "aging",
        title: "Aging",
        help: "Accounts with money owed, by days past due at the period's end (from the first delinquency): current, 1-30, 31-60, 61-90, 91-120, 121-180, 180+. Balances as they stand now.",
        columns: vec!["bucket", "accounts", "owed", "share_of_owed"],
        rows,
    }
}

/// The window's month-ends (opening first) and currencies, from the month-end balances.
fn month_ends_of(d: &ReportData, q: &ReportQuery) -> (Vec<Date>, std::collections::BTreeSet<String>) {
    (recoup_store::reports::month_ends(q), d.owed_at.iter().map(|o| o.currency.clone()).collect())
}

fn aging_trend(d: &ReportData) -> Table {
    let mut rows = Vec::new();
    let ends: std::collections::BTreeSet<Date> = d.owed_at.iter().map(|o| o.on).collect();
    let currencies: std::collections::BTreeSet<&str> = d.owed_at.iter().map(|o| o.currency.as_str()).collect();
    for currency in currencies {
        for on in &ends {
            for b in Bucket::ALL {
                let o = d.owed_at.iter().find(|o| o.on == *on && o.currency == currency && o.bucket == b);
                rows.push(vec![
                    Cell::Text(on.to_string()),
                    Cell::Text(b.label().into()),
                    Cell::Count(o.map_or(0, |o| o.accounts)),
                    money(o.map_or(0, |o| o.owed_minor), currency),
                ]);
            }
        }
    }
    Table {
        name: "aging_trend",
        title: "Aging at each month-end",
        help: "What was owed at the end of each month in the period (and of the month before it starts), by days past due on that day counted from the first delinquency: the ledger replayed to that day, on the accounts placed by then.",
        columns: vec!["month_end", "bucket", "accounts", "owed"],
        rows,
    }
}

fn rolls(d: &ReportData) -> Table {
    let mut by: BTreeMap<(Date, &str), Vec<kpi::roll::Step>> = BTreeMap::new();
    for m in &d.moves {
        by.entry((m.on, &m.currency)).or_default().push(kpi::roll::Step {
            from: m.from,
            from_minor: m.from_minor,
            to: m.to.map(|b| (b, m.to_minor)),
        });
    }
    let mut rows = Vec::new();
    for ((on, currency), steps) in &by {
        let matrix = kpi::roll::RollMatrix::of(steps);
        for b in Bucket::ALL {
            if matrix.start_minor[b.index()] <= 0 {
                continue;
            }
            let mut row = vec![Cell::Text(on.to_string()), Cell::Text(b.label().into()), money(matrix.start_minor[b.index()], currency)];
            row.push(Cell::Rate(matrix.roll_rate(b)));
            row.extend((0..8).map(|to| Cell::Rate(matrix.share(b, to))));
            rows.push(row);
        }
    }
    let mut columns = vec!["month_end", "bucket", "owed", "roll_rate"];
    columns.extend(Bucket::ALL.iter().map(|b| match b {
        Bucket::Current => "to_current",
        Bucket::D1To30 => "to_1_30",
        Bucket::D31To60 => "to_31_60",
        Bucket::D61To90 => "to_61_90",
        Bucket::D91To120 => "to_91_120",
        Bucket::D121To180 => "to_121_180",
        Bucket::Over180 => "to_180_plus",
    }));
    columns.push("paid_off");
    Table {
        name: "rolls",
        title: "Roll rates",
        help: "For each month-end and aging bucket: the balance owed there, the roll rate = balance of those accounts in the next bucket at the next month-end / their balance at this one (COMPLIANCE.md), and the whole row of where that balance sat a month later (a share in each bucket; paid off when nothing is owed).",
        columns,
        rows,
    }
}

fn receivables(d: &ReportData, q: &ReportQuery) -> Table {
    let (ends, currencies) = month_ends_of(d, q);
    let owed = |on: Date, currency: &str, only: Option<Bucket>| -> i64 {
        d.owed_at.iter().filter(|o| o.on == on && o.currency == currency && only.is_none_or(|b| o.bucket == b)).map(|o| o.owed_minor).sum()
    };
    let placed = |after: Date, upto: Date, currency: &str| -> i64 {
        d.placements
            .iter()
            .filter(|p| p.currency == currency && p.placement.placed_on > after && p.placement.placed_on <= upto)
            .map(|p| p.placed_minor)
            .sum()
    };
    let mut rows = Vec::new();
    for currency in &currencies {
        let mut sales: Vec<kpi::receivables::MonthSales> = Vec::new();
        for pair in ends.windows(2) {
            let (open, close) = (pair[0], pair[1]);
            let days = u32::try_from(open.until(close).map_or(0, |s| s.get_days())).unwrap_or(0);
            let new = placed(open, close, currency);
            sales.insert(0, kpi::receivables::MonthSales { sales_minor: new, days });
            let (opening, closing, current) =
                (owed(open, currency, None), owed(close, currency, None), owed(close, currency, Some(Bucket::Current)));
            rows.push(vec![
                Cell::Text(close.strftime("%Y-%m").to_string()),
                money(opening, currency),
                money(new, currency),
                money(closing, currency),
                money(current, currency),
                Cell::Number(kpi::receivables::cei(opening, new, closing, current)),
                Cell::Number(kpi::receivables::dso_standard(closing, new, days)),
                Cell::Number(kpi::receivables::dso_countback(closing, &sales)),
            ]);
        }
    }
    Table {
        name: "receivables",
        title: "Receivables: CEI and DSO by month",
        help: "Each month in the period: owed at its start and end (the ledger replayed to each month-end), new placements (for an agency, its credit sales), and what is current at the end. CEI = (opening + placed - closing) / (opening + placed - closing current) x 100. DSO standard = closing / placed in the month x days in the month. DSO countback walks back from the month, newest first, taking each month's placements out of the closing balance and adding its days, then a fraction of the last (COMPLIANCE.md); it stops at the period's first month, so a longer period gives a longer, truer figure.",
        columns: vec![
            "month",
            "opening_owed",
            "placed",
            "closing_owed",
            "closing_current",
            "cei",
            "dso_standard_days",
            "dso_countback_days",
        ],
        rows,
    }
}

fn call_counts<'a>(rows: impl Iterator<Item = &'a recoup_store::reports::ContactCount>) -> kpi::rates::CallCounts {
    let mut c = kpi::rates::CallCounts::default();
    for r in rows.filter(|r| r.medium == "call" && !r.inbound) {
        c.attempts += r.count;
        let result = r.result.as_deref().and_then(CallResult::parse);
        if result.is_some_and(CallResult::is_connect) {
            c.connects += r.count;
        }
        if result.is_some_and(CallResult::is_rpc) {
            c.right_party += r.count;
        }
    }
    c
}

fn contacts(d: &ReportData, cx: &Context) -> Table {
    let by: std::collections::BTreeSet<&str> = d.contacts.iter().filter(|c| c.by.starts_with("user:")).map(|c| c.by.as_str()).collect();
    let mut rows = Vec::new();
    let row = |who: String, c: kpi::rates::CallCounts| {
        vec![
            Cell::Text(who),
            Cell::Count(c.attempts),
            Cell::Count(c.connects),
            Cell::Count(c.right_party),
            Cell::Rate(kpi::rates::rpc_per_attempt(c).value()),
            Cell::Rate(kpi::rates::rpc_per_connect(c).value()),
            Cell::Rate(kpi::rates::contact_rate(c).value()),
        ]
    };
    rows.push(row("all".into(), call_counts(d.contacts.iter())));
    for who in by {
        let name = cx.people.get(who).cloned().unwrap_or_else(|| who.to_string());
        rows.push(row(name, call_counts(d.contacts.iter().filter(|c| c.by == who))));
    }
    Table {
        name: "contacts",
        title: "Calls and right-party contact",
        help: "Outbound call attempts in the period. Connects: answered by a person (the debtor, a third party, a wrong number). Right-party contacts: a conversation with the debtor (right party, refused, promise taken). RPC rate per attempt = right-party contacts / attempts (COMPLIANCE.md); per connect = right-party contacts / connects. Contact rate = connects / attempts.",
        columns: vec!["by", "attempts", "connects", "right_party_contacts", "rpc_rate_per_attempt", "rpc_rate_per_connect", "contact_rate"],
        rows,
    }
}

fn done(d: &ReportData, kind: &str) -> u64 {
    d.done_by.iter().filter(|x| x.kind == kind).map(|x| x.count).sum()
}

fn funnel(d: &ReportData) -> Table {
    let calls = call_counts(d.contacts.iter());
    let (kept, broken) = (count(d, "promise", "kept"), count(d, "promise", "broken"));
    let stages = [
        ("call attempts", calls.attempts, None),
        ("connects", calls.connects, Some(calls.attempts)),
        ("right-party contacts", calls.right_party, Some(calls.connects)),
        ("promises taken", done(d, "promise"), Some(calls.right_party)),
        ("promises due", kept + broken, None),
        ("promises kept", kept, Some(kept + broken)),
    ];
    Table {
        name: "funnel",
        title: "From call to kept promise",
        help: "Outbound call attempts in the period, the connects among them (a person answered), the right-party contacts among those, and the promises taken in the period (every channel: calls, portal, API). Then the promises that fell due in the period and those kept (paid in full within grace). Each rate is the stage over the one before it; promises taken and due are not the same promises, so kept is over due.",
        columns: vec!["stage", "count", "rate_of_previous"],
        rows: stages
            .into_iter()
            .map(|(stage, n, of)| vec![Cell::Text(stage.into()), Cell::Count(n), Cell::Rate(of.and_then(|of| Ratio::new(n, of).value()))])
            .collect(),
    }
}

/// Each agent's attempts, right-party contacts, promises and collections, per hour signed in.
fn agents(d: &ReportData, cx: &Context) -> Table {
    let mut by: BTreeMap<String, kpi::Productivity> = BTreeMap::new();
    for c in d.contacts.iter().filter(|c| c.by.starts_with("user:")) {
        let one = call_counts(std::iter::once(c));
        let p = by.entry(c.by.clone()).or_default();
        p.attempts += one.attempts;
        p.right_party_contacts += one.right_party;
    }
    for x in d.done_by.iter().filter(|x| x.by.starts_with("user:")) {
        let p = by.entry(x.by.clone()).or_default();
        match x.kind.as_str() {
            "promise" => p.promises += x.count,
            _ => *p.collected.entry(x.currency.clone()).or_default() += x.minor,
        }
    }
    // Signed in but did nothing recorded: still on the board, with their hours.
    for (user, micros) in &cx.worked {
        by.entry(format!("user:{user}")).or_default().worked_micros = *micros;
    }
    let mut rows = Vec::new();
    for (who, p) in &by {
        let name = cx.people.get(who).cloned().unwrap_or_else(|| who.to_string());
        let currencies: Vec<String> =
            if p.collected.is_empty() { vec![cx.currency.clone()] } else { p.collected.keys().cloned().collect() };
        for currency in currencies {
            let per_hour = |n: u64| Cell::Number(p.per_hour(n));
            rows.push(vec![
                Cell::Text(name.clone()),
                Cell::Hours(p.worked_micros),
                Cell::Count(p.attempts),
                Cell::Count(p.right_party_contacts),
                Cell::Count(p.promises),
                money(p.collected.get(&currency).copied().unwrap_or(0), &currency),
                per_hour(p.attempts),
                per_hour(p.right_party_contacts),
                per_hour(p.promises),
                p.collected_per_hour(&currency).map_or(Cell::Number(None), |m| money(m, &currency)),
            ]);
        }
    }
    // The leaderboard: most collected first.
    rows.sort_by(|a, b| money_of(&b[5]).cmp(&money_of(&a[5])).then_with(|| a[0].plain().cmp(&b[0].plain())));
    Table {
        name: "agents",
        title: "Agent leaderboard",
        help: "Each agent's outbound call attempts, right-party contacts (a conversation with the debtor), promises taken and payments they posted (not reversed) in the period, and each per hour signed in to the console (overlapping sessions count once). Most collected first.",
        columns: vec![
            "agent",
            "hours_signed_in",
            "attempts",
            "right_party_contacts",
            "promises",
            "collected",
            "attempts_per_hour",
            "rpc_per_hour",
            "promises_per_hour",
            "collected_per_hour",
        ],
        rows,
    }
}

fn money_of(c: &Cell) -> i64 {
    if let Cell::Money { minor, .. } = c { *minor } else { 0 }
}

fn count(d: &ReportData, kind: &str, status: &str) -> u64 {
    d.records.iter().filter(|r| r.kind == kind && (status.is_empty() || r.status == status)).map(|r| r.count).sum()
}

fn promises(d: &ReportData) -> Table {
    let (kept, broken) = (count(d, "promise", "kept"), count(d, "promise", "broken"));
    let rate: Ratio = kpi::rates::promise_kept(kept, broken);
    let (disputes, ceases) = (count(d, "dispute", ""), count(d, "cease", ""));
    let owing: u64 = d.owed.iter().map(|o| o.accounts).sum();
    let per_thousand = |n: u64| Cell::Number((owing > 0).then(|| n as f64 * 1000.0 / owing as f64));
    Table {
        name: "promises",
        title: "Promises, disputes and complaints",
        help: "Promises that fell due in the period: promise-kept rate = kept (paid in full within grace) / kept + broken (COMPLIANCE.md). Disputes opened and cease requests received in the period; complaints are both. Rates per 1,000 accounts owing now.",
        columns: vec![
            "promises_due",
            "kept",
            "broken",
            "promise_kept_rate",
            "still_pending",
            "disputes_opened",
            "disputes_per_1000",
            "cease_requests",
            "complaints_per_1000",
        ],
        rows: vec![vec![
            Cell::Count(kept + broken),
            Cell::Count(kept),
            Cell::Count(broken),
            Cell::Rate(rate.value()),
            Cell::Count(count(d, "promise", "pending")),
            Cell::Count(disputes),
            per_thousand(disputes),
            Cell::Count(ceases),
            per_thousand(disputes + ceases),
        ]],
    }
}

fn blocked(d: &ReportData) -> Table {
    let decisions = count(d, "contact_decision", "");
    let mut by_reason: BTreeMap<(String, String), u64> = BTreeMap::new();
    for b in &d.blocked {
        *by_reason.entry((b.code.clone(), b.rule.clone())).or_default() += b.count;
    }
    let mut rows: Vec<_> = by_reason.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Table {
        name: "blocked",
        title: "Contacts blocked by the policy",
        help: "Contacts the contact policy blocked in the period, by reason and rule. Rate = blocked for that reason / every decision the policy made in the period (a blocked contact with two reasons counts under both).",
        columns: vec!["reason", "rule", "blocked", "rate_of_decisions"],
        rows: rows
            .into_iter()
            .map(|((code, rule), n)| {
                vec![Cell::Text(code.replace('_', " ")), Cell::Text(rule), Cell::Count(n), Cell::Rate(Ratio::new(n, decisions).value())]
            })
            .collect(),
    }
}

/// Netback per client (COMPLIANCE.md): collected - commission - costs, from each client's
/// remittance statement for the period. Costs are not yet recorded apart, so they count as none.
pub async fn netback(store: &dyn Store, tenant_id: Uuid, q: &ReportQuery) -> Result<Table, ReportError> {
    let mut rows = Vec::new();
    for client in store.list_clients(tenant_id).await? {
        if q.client_id.is_some_and(|c| c != client.id) {
            continue;
        }
        let st = recoup_store::servicing::remittance::statement(store, tenant_id, client.id, q.from, q.to).await?;
        let t = &st.totals;
        let cur = client.default_currency.code();
        rows.push(vec![
            Cell::Text(client.code.clone()),
            money(t.collected_by_agency, cur),
            money(t.paid_direct, cur),
            money(t.commission, cur),
            money(kpi::netback::netback(t, 0), cur),
        ]);
    }
    Ok(Table {
        name: "netback",
        title: "Netback and commission by client",
        help: "Per client for the period: collected by the agency and paid to the client directly (reversals netted), the agency's commission (contingency rate x commissionable collections, per payment), and netback = collected - commission - costs. By client: a portfolio chosen does not narrow it.",
        columns: vec!["client", "collected_by_agency", "paid_direct", "commission", "netback"],
        rows,
    })
}

/// Each experiment the live strategy runs: every arm against its control group, from the day
/// each account joined to the period's end, with 95% intervals.
pub async fn uplift(store: &dyn Store, tenant_id: Uuid, q: &ReportQuery) -> Result<Table, ReportError> {
    use crate::experiments;
    let refused = |e: crate::strategy::StrategyRefusal| match e {
        crate::strategy::StrategyRefusal::Store(s) => ReportError::Store(s),
        other => ReportError::Store(StoreError::invalid("/strategy", other.to_string())),
    };
    let mut rows = Vec::new();
    for e in experiments::list(store, tenant_id).await.map_err(refused)? {
        let report = experiments::results(store, tenant_id, &e.name, q.to).await.map_err(refused)?;
        let Some(control) = report.arms.iter().find(|a| a.arm == CONTROL) else { continue };
        for arm in report.arms.iter().filter(|a| a.arm != CONTROL) {
            rows.extend(uplift_rows(&e.name, arm, control));
        }
    }
    Ok(Table {
        name: "uplift",
        title: "Experiment uplift over control",
        help: "For each experiment the live strategy runs, each arm against its control group, counted from the day each account joined to the period's end: collected per account (difference of means, 95% interval from the arms' intervals), right-party contact rate, promise-kept rate and complaints per account (differences of proportions, Newcombe's 95% interval). An interval that spans zero is no evidence of a difference.",
        columns: vec!["experiment", "arm", "measure", "arm_value", "control_value", "uplift", "low", "high"],
        rows,
    })
}

fn uplift_rows(name: &str, arm: &ArmResult, control: &ArmResult) -> Vec<Vec<Cell>> {
    let text = |s: &str| Cell::Text(s.to_string());
    let mut rows = Vec::new();
    for a in &arm.collected {
        let Some(c) = control.collected.iter().find(|c| c.currency == a.currency) else { continue };
        if let Some(u) = kpi::uplift::amount_uplift(a, c) {
            let m = |minor| money(minor, &a.currency);
            rows.push(vec![
                text(name),
                text(&arm.arm),
                text("collected per account"),
                m(a.per_account_minor),
                m(c.per_account_minor),
                m(u.difference_minor),
                m(u.low_minor),
                m(u.high_minor),
            ]);
        }
    }
    let rates = [
        ("right-party contact rate", &arm.rpc_rate, &control.rpc_rate),
        ("promise-kept rate", &arm.promise_kept_rate, &control.promise_kept_rate),
        ("complaints per account", &arm.complaint_rate, &control.complaint_rate),
    ];
    for (measure, a, c) in rates {
        let u = kpi::uplift::rate_uplift(a, c);
        rows.push(vec![
            text(name),
            text(&arm.arm),
            text(measure),
            Cell::Rate(a.value),
            Cell::Rate(c.value),
            Cell::Rate(u.map(|u| u.difference)),
            Cell::Rate(u.map(|u| u.low)),
            Cell::Rate(u.map(|u| u.high)),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_nightly_run_keeps_the_thirteen_month_ends_over() {
        let ends = kept_month_ends(date(2026, 11, 24));
        assert_eq!((ends.len(), ends[0], ends[12]), (13, date(2026, 10, 31), date(2025, 10, 31)));
        assert_eq!(kept_month_ends(date(2026, 3, 1))[0], date(2026, 2, 28), "on the 1st, the month just over");
    }

    #[test]
    fn months_since_placement_count_from_zero_in_the_month_placed() {
        assert_eq!(months_since("2026-09", date(2026, 9, 30)), Some(0));
        assert_eq!(months_since("2026-09", date(2027, 1, 1)), Some(4));
        assert_eq!(months_since("2026-09", date(2026, 8, 31)), None);
    }

    fn owed_at(on: Date, bucket: Bucket, owed_minor: i64) -> recoup_store::reports::OwedAt {
        recoup_store::reports::OwedAt { on, currency: "USD".into(), bucket, accounts: 1, owed_minor }
    }

    #[test]
    fn receivables_give_cei_and_both_dsos_per_month() {
        // Opening 100.00 at the end of September; 50.00 placed in October; 120.00 owed at the end
        // of October, 20.00 of it current. CEI = (100 + 50 - 120) / (100 + 50 - 20) = 23.08.
        let (sep, oct) = (date(2026, 9, 30), date(2026, 10, 31));
        let d = ReportData {
            owed_at: vec![
                owed_at(sep, Bucket::Over180, 10_000),
                owed_at(oct, Bucket::Current, 2_000),
                owed_at(oct, Bucket::Over180, 10_000),
            ],
            ..Default::default()
        };
        let mut d = d;
        d.placements.push(recoup_store::reports::PlacementSummary {
            placement: recoup_domain::org::Placement {
                id: Uuid::nil(),
                tenant_id: Uuid::nil(),
                client_id: Uuid::nil(),
                portfolio_id: Uuid::nil(),
                placed_on: date(2026, 10, 6),
                file_name: "f.csv".into(),
                status: recoup_domain::org::PlacementStatus::Completed,
                counts: Default::default(),
            },
            currency: "USD".into(),
            accounts: 1,
            placed_minor: 5_000,
            collected_minor: 0,
        });
        let q = ReportQuery::window(date(2026, 10, 1), oct);
        let t = receivables(&d, &q);
        let row: Vec<String> = t.rows[0].iter().map(Cell::plain).collect();
        // DSO standard = 120 / 50 x 31 = 74.4; countback: 120 is more than October's 50, and
        // there is no earlier month in the period, so October's 31 days (a floor).
        assert_eq!(row, ["2026-10", "100.00", "50.00", "120.00", "20.00", "23.08", "74.40", "31.00"]);
    }

    #[test]
    fn rolls_show_the_roll_rate_and_where_the_rest_went() {
        let sep = date(2026, 9, 30);
        let mv = |from, to: Option<Bucket>, from_minor, to_minor| recoup_store::reports::Move {
            on: sep,
            currency: "USD".into(),
            from,
            to,
            accounts: 1,
            from_minor,
            to_minor,
        };
        let d = ReportData {
            moves: vec![mv(Bucket::D1To30, Some(Bucket::D31To60), 6_000, 6_000), mv(Bucket::D1To30, None, 4_000, 0)],
            ..Default::default()
        };
        let t = rolls(&d);
        let row: Vec<String> = t.rows[0].iter().map(Cell::plain).collect();
        assert_eq!(row[..5], ["2026-09-30", "1-30", "100.00", "0.6000", "0.0000"]);
        assert_eq!((row[6].as_str(), row[11].as_str()), ("0.6000", "0.4000"), "60% rolled to 31-60, 40% paid off");
    }

    #[test]
    fn uplift_sets_each_arm_against_control_with_its_interval() {
        use recoup_domain::experiment::{Amount, wilson};
        let arm = |name: &str, per_account_minor, rpc: (u64, u64)| ArmResult {
            arm: name.into(),
            accounts: 80,
            collected: vec![Amount {
                currency: "USD".into(),
                total_minor: 0,
                per_account_minor,
                low_minor: per_account_minor - 300,
                high_minor: per_account_minor + 400,
            }],
            rpc_rate: wilson(rpc.0, rpc.1),
            promise_kept_rate: wilson(0, 0),
            complaints: 0,
            complaint_rate: wilson(0, 80),
        };
        // Newcombe (1998) example (a): 56/70 against 48/80 is 0.2 (0.0524 to 0.3339).
        let rows = uplift_rows("e", &arm("sms-first", 1_500, (56, 70)), &arm(CONTROL, 1_000, (48, 80)));
        let plain = |r: &Vec<Cell>| r.iter().map(Cell::plain).collect::<Vec<_>>();
        // The amount's half-widths, 400 and 400 (the upper ones), in quadrature: 565.
        assert_eq!(plain(&rows[0])[2..], ["collected per account", "15.00", "10.00", "5.00", "-0.65", "10.65"]);
        assert_eq!(plain(&rows[1])[2..], ["right-party contact rate", "0.8000", "0.6000", "0.2000", "0.0524", "0.3339"]);
        assert_eq!(plain(&rows[2])[5..], ["", "", ""], "no promise fell due: no uplift, not NaN");
    }

    #[test]
    fn cells_are_exact_in_csv_and_shown_readably() {
        let m = money(-123_456, "USD");
        assert_eq!((m.plain(), m.shown()), ("-1234.56".to_string(), "-$1,234.56".to_string()));
        assert_eq!((Cell::Rate(None).plain(), Cell::Rate(None).shown()), (String::new(), "-".to_string()));
        assert_eq!(Cell::Rate(Some(0.21428)).plain(), "0.2143");
    }
}
