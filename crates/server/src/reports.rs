//! Named reports over a window of days: each is a table (columns and typed cells) built from the
//! store's `report_data` with the domain's KPI formulas, and each says in its help what it
//! computes. The API, the CLI and the console's dashboard all take them from here, so a figure
//! is the same wherever it is read; CSV and JSON are written here too.

use jiff::civil::Date;
use recoup_domain::kpi::{self, Aging, Bucket, Ratio};
use recoup_domain::message::CallResult;
use recoup_domain::money::Currency;
use recoup_store::reports::{ReportData, ReportQuery};
use recoup_store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every report, by the name the API and CLI take.
pub const NAMES: [&str; 9] = ["placements", "recovery", "aging", "contacts", "funnel", "agents", "promises", "blocked", "netback"];

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
    if name == "netback" {
        return netback(store, tenant_id, q).await;
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
        let (from, to) = (micros(q.from), micros(q.to) + 86_400_000_000);
        let worked = kpi::worked(&store.work_periods(tenant_id, from, to).await?, from, to);
        Ok(Context { clients: clients.into_iter().map(|c| (c.id, (c.code, c.commission_rate))).collect(), people, worked, currency })
    }
}

fn micros(d: Date) -> i64 {
    d.to_zoned(jiff::tz::TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond())
}

/// The report `name` from data already read.
pub fn build(name: &str, d: &ReportData, q: &ReportQuery, cx: &Context) -> Result<Table, ReportError> {
    Ok(match name {
        "placements" => placements(d, &cx.clients),
        "recovery" => recovery(d, q),
        "aging" => aging(d, q),
        "contacts" => contacts(d, cx),
        "funnel" => funnel(d),
        "agents" => agents(d, cx),
        "promises" => promises(d),
        "blocked" => blocked(d),
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
    Table {
        name: "promises",
        title: "Promises and disputes",
        help: "Promises that fell due in the period: promise-kept rate = kept (paid in full within grace) / kept + broken (COMPLIANCE.md). Disputes opened in the period.",
        columns: vec!["promises_due", "kept", "broken", "promise_kept_rate", "still_pending", "disputes_opened"],
        rows: vec![vec![
            Cell::Count(kept + broken),
            Cell::Count(kept),
            Cell::Count(broken),
            Cell::Rate(rate.value()),
            Cell::Count(count(d, "promise", "pending")),
            Cell::Count(count(d, "dispute", "")),
        ]],
    }
}

fn blocked(d: &ReportData) -> Table {
    let decisions = count(d, "contact_decision", "");
    let mut by_reason: BTreeMap<(String, String), u64> = BTreeMap::new();
    for reasons in &d.blocked {
        for r in reasons {
            *by_reason.entry(r.clone()).or_default() += 1;
        }
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
        help: "Per client for the period: collected by the agency and paid to the client directly (reversals netted), the agency's commission (contingency rate x commissionable collections, per payment), and netback = collected - commission - costs.",
        columns: vec!["client", "collected_by_agency", "paid_direct", "commission", "netback"],
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_since_placement_count_from_zero_in_the_month_placed() {
        assert_eq!(months_since("2026-09", date(2026, 9, 30)), Some(0));
        assert_eq!(months_since("2026-09", date(2027, 1, 1)), Some(4));
        assert_eq!(months_since("2026-09", date(2026, 8, 31)), None);
    }

    #[test]
    fn cells_are_exact_in_csv_and_shown_readably() {
        let m = money(-123_456, "USD");
        assert_eq!((m.plain(), m.shown()), ("-1234.56".to_string(), "-$1,234.56".to_string()));
        assert_eq!((Cell::Rate(None).plain(), Cell::Rate(None).shown()), (String::new(), "-".to_string()));
        assert_eq!(Cell::Rate(Some(0.21428)).plain(), "0.2143");
    }
}
