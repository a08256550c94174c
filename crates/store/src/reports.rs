//! Reading what reports need in aggregate, written once for both backends (each only says how
//! its placeholders look). Reports read sums the database keeps as their rows change (migration
//! 0018: per day, by placement, portfolio, queue and the like), so a report costs the same at a
//! thousand accounts as at a million; balances at month-ends are replayed from the ledger once a
//! month is over and kept (`Replay`, `Store::close_month_ends`). The formulas applied to these
//! sums live in `recoup_domain::kpi`.

use crate::Result;
use crate::listing::Bind;
use crate::rows::{Get, PLACEMENT_COLS, placement};
use jiff::civil::Date;
use recoup_domain::kpi::Bucket;
use recoup_domain::org::Placement;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One placement with what it brought and what has been recovered on it, in one currency (a
/// placement of accounts in two currencies gives two summaries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementSummary {
    pub placement: Placement,
    pub currency: String,
    /// Accounts whose latest placement this is.
    pub accounts: u64,
    /// What the client reported owed on them when placed, minor units.
    pub placed_minor: i64,
    /// Payments on them, less reversals, minor units.
    pub collected_minor: i64,
}

/// Placements, newest first, with their sums (kept in `placement_sums` and `ledger_days`).
/// Placeholders: `{t}` the tenant, `{c}` the client when `by_client` (the caller binds it second).
pub(crate) fn placement_summaries_sql(t: &str, c: &str, by_client: bool) -> String {
    let client = if by_client { format!(" AND placements.client_id = {c}") } else { String::new() };
    // A payment entry carries negative components and a positive credit for any overpayment; its
    // reversal the opposite. So credit minus the components is the money in, net of reversals.
    format!(
        "SELECT {PLACEMENT_COLS}, s.currency, s.accounts, s.placed, COALESCE(m.collected, 0) AS collected FROM placements \
         JOIN (SELECT placement_id, currency, accounts, placed FROM placement_sums WHERE tenant_id = {t} AND accounts > 0) s \
           ON s.placement_id = placements.id \
         LEFT JOIN (SELECT placement_id, currency, CAST(SUM({COLLECTED}) AS BIGINT) AS collected FROM ledger_days \
           WHERE tenant_id = {t} AND kind IN ('payment', 'reversal') GROUP BY placement_id, currency) m \
           ON m.placement_id = s.placement_id AND m.currency = s.currency \
         WHERE placements.tenant_id = {t}{client} ORDER BY placements.placed_on DESC, placements.id, s.currency"
    )
}

/// Money in from a sum of ledger components: credit less the components.
const COLLECTED: &str = "credit - principal - interest - fees - costs";

/// The placements of one portfolio, when given.
pub(crate) fn in_portfolio(mut all: Vec<PlacementSummary>, portfolio_id: Option<Uuid>) -> Vec<PlacementSummary> {
    all.retain(|p| portfolio_id.is_none_or(|id| p.placement.portfolio_id == id));
    all
}

pub(crate) fn placement_summary(r: &impl Get) -> Result<PlacementSummary> {
    Ok(PlacementSummary {
        placement: placement(r)?,
        currency: r.text("currency")?,
        accounts: r.int("accounts")?.max(0) as u64,
        placed_minor: r.int("placed")?,
        collected_minor: r.int("collected")?,
    })
}

/// What a report reads: the tenant's records over a window of days, of one client and one
/// portfolio when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub client_id: Option<Uuid>,
    pub portfolio_id: Option<Uuid>,
    pub from: Date,
    pub to: Date,
}

impl ReportQuery {
    /// The whole tenant over a window.
    pub fn window(from: Date, to: Date) -> ReportQuery {
        ReportQuery { client_id: None, portfolio_id: None, from, to }
    }
}

/// Money in (payments less reversals) on one day, on accounts of one placement vintage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedDay {
    /// The month placed, "2026-09".
    pub vintage: String,
    pub on: Date,
    pub currency: String,
    pub minor: i64,
}

/// Money in (payments less reversals) during the window on accounts while in one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCollected {
    /// "" for accounts in no queue.
    pub queue: String,
    pub currency: String,
    pub minor: i64,
}

/// Accounts with money owed, by the day they first went delinquent (none: not delinquent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedBySince {
    pub since: Option<Date>,
    /// The worklist queue the accounts sit in now ("" for none).
    pub queue: String,
    pub currency: String,
    pub accounts: u64,
    pub owed_minor: i64,
}

/// Contact attempts in the window, counted by who made them and how they went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCount {
    /// "user:<id>", "strategy", ... as recorded.
    pub by: String,
    pub medium: String,
    /// A call's result ("right_party", "no_answer", ...), when it was a call.
    pub result: Option<String>,
    pub inbound: bool,
    /// The worklist queue whose call task the call worked ("" for calls outside a worklist).
    pub queue: String,
    pub count: u64,
}

/// Call tasks opened in the window, by worklist queue and their status now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCount {
    pub queue: String,
    /// open, done (a call worked it), blocked (the policy refused the call) or cancelled.
    pub status: String,
    pub count: u64,
}

/// Servicing records in the window by kind and status: promises by the day they fell due, the
/// policy's decisions by the day of the contact, disputes by the day they were opened, and
/// cease requests (kind "cease": holds of that kind) by the day they were placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCount {
    pub kind: String,
    pub status: String,
    pub count: u64,
}

/// Contacts the policy blocked for one reason: its code and the rule's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedCount {
    pub code: String,
    pub rule: String,
    pub count: u64,
}

/// What one person did in the window: promises they took (by the day taken), or payments they
/// posted (by the day effective; reversed ones left out) and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneBy {
    /// "user:<id>" as recorded.
    pub by: String,
    /// "promise" or "payment".
    pub kind: String,
    /// A payment's currency; empty for promises.
    pub currency: String,
    pub count: u64,
    /// Payments' sum in minor units; 0 for promises.
    pub minor: i64,
}

/// Accounts owed money at a month-end, by aging bucket there (days past due from the first
/// delinquency to that day). Only accounts already placed by that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedAt {
    pub on: Date,
    pub currency: String,
    pub bucket: Bucket,
    pub accounts: u64,
    pub owed_minor: i64,
}

/// Where the balance owed at one month-end (`on`) in bucket `from` sat at the next: in bucket
/// `to`, or paid off (`None`). Summed over the accounts that made that move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub on: Date,
    pub currency: String,
    pub from: Bucket,
    pub to: Option<Bucket>,
    pub accounts: u64,
    pub from_minor: i64,
    pub to_minor: i64,
}

/// The month-ends a window covers: the last day of the month before it starts (the opening
/// balance), then each month's last day up to the window's end.
pub fn month_ends(q: &ReportQuery) -> Vec<Date> {
    let mut ends = Vec::new();
    let mut end = q.from.first_of_month().yesterday().unwrap_or(q.from);
    while end <= q.to {
        ends.push(end);
        let Ok(next) = end.tomorrow().map(|d| d.last_of_month()) else { break };
        end = next;
    }
    ends
}

/// Everything the reports compute from, read in one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportData {
    pub placements: Vec<PlacementSummary>,
    /// Through the window's last day, from the first payment ever (curves need it all).
    pub collected: Vec<CollectedDay>,
    /// As the accounts stand now.
    pub owed: Vec<OwedBySince>,
    /// Money in during the window, by queue.
    pub queue_collected: Vec<QueueCollected>,
    pub contacts: Vec<ContactCount>,
    pub tasks: Vec<TaskCount>,
    pub records: Vec<RecordCount>,
    /// The policy's blocked contacts in the window, counted by reason (a contact blocked for
    /// two reasons counts under both).
    pub blocked: Vec<BlockedCount>,
    /// Promises taken and payments posted in the window, by who did it.
    pub done_by: Vec<DoneBy>,
    /// What was owed at each of the window's month-ends ([`month_ends`]), by bucket.
    pub owed_at: Vec<OwedAt>,
    /// How each month-end's balances moved by the next.
    pub moves: Vec<Move>,
}

/// How a backend writes a placeholder.
pub(crate) struct Dialect {
    pub ph: fn(usize) -> String,
}

/// The queries a report load runs, in one read snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Collected,
    /// Money in during the window by the queue the account sat in when it came.
    QueueCollected,
    Owed,
    /// Every servicing fact of the window (contacts, promises, decisions and their reasons,
    /// disputes, cease requests, payments by who posted them), from `record_days`.
    Records,
    /// Month-end balances kept by [`close`](crate::Store::close_month_ends).
    ClosedOwed,
    ClosedMoves,
    /// Month-end balances replayed from the ledger, for month-ends not (yet) kept.
    Replay,
}

/// The parts of a load whose month-ends are all kept, and of one where some are not.
pub(crate) const KEPT_PARTS: [Part; 6] =
    [Part::Collected, Part::QueueCollected, Part::Owed, Part::Records, Part::ClosedOwed, Part::ClosedMoves];
pub(crate) const REPLAYED_PARTS: [Part; 5] = [Part::Collected, Part::QueueCollected, Part::Owed, Part::Records, Part::Replay];

/// The facts `record_days` keeps that reports read.
const FACTS: &str = "'attempt', 'promise_due', 'promise_taken', 'contact_decision', 'blocked', 'dispute', 'cease', 'payment', 'task'";

/// Builds a statement's placeholders and values together, the tenant first.
struct Binder<'a> {
    d: &'a Dialect,
    binds: Vec<Bind>,
}

impl Binder<'_> {
    fn new(d: &Dialect, tenant_id: Uuid) -> Binder<'_> {
        Binder { d, binds: vec![Bind::Uuid(tenant_id)] }
    }

    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        (self.d.ph)(self.binds.len())
    }

    fn day(&mut self, d: Date) -> String {
        self.bind(Bind::Text(d.to_string()))
    }

    fn days(&mut self, days: &[Date]) -> String {
        days.iter().map(|d| self.day(*d)).collect::<Vec<_>>().join(", ")
    }

    /// ` AND {client} = ? AND {portfolio} = ?` for the query's client and portfolio.
    fn scope(&mut self, q: &ReportQuery, client: &str, portfolio: &str) -> String {
        let mut out = String::new();
        if let Some(c) = q.client_id {
            out += &format!(" AND {client} = {}", self.bind(Bind::Uuid(c)));
        }
        if let Some(p) = q.portfolio_id {
            out += &format!(" AND {portfolio} = {}", self.bind(Bind::Uuid(p)));
        }
        out
    }
}

/// One part's SQL and its values in placeholder order (the tenant first).
pub(crate) fn part_sql(part: Part, tenant_id: Uuid, q: &ReportQuery, d: &Dialect) -> (String, Vec<Bind>) {
    let mut b = Binder::new(d, tenant_id);
    let t = (d.ph)(1);
    let sql = match part {
        Part::Collected => {
            let to = b.day(q.to);
            let scope = b.scope(q, "p.client_id", "l.portfolio_id");
            format!(
                "SELECT substr(p.placed_on, 1, 7) AS vintage, l.on_day, l.currency, CAST(SUM({COLLECTED}) AS BIGINT) AS minor \
                 FROM ledger_days l JOIN placements p ON p.tenant_id = l.tenant_id AND p.id = l.placement_id \
                 WHERE l.tenant_id = {t} AND l.kind IN ('payment', 'reversal') AND l.on_day <= {to}{scope} \
                 GROUP BY substr(p.placed_on, 1, 7), l.on_day, l.currency"
            )
        }
        Part::QueueCollected => {
            let (from, to) = (b.day(q.from), b.day(q.to));
            let scope = b.scope(q, "p.client_id", "l.portfolio_id");
            format!(
                "SELECT l.queue, l.currency, CAST(SUM({COLLECTED}) AS BIGINT) AS minor \
                 FROM ledger_days l JOIN placements p ON p.tenant_id = l.tenant_id AND p.id = l.placement_id \
                 WHERE l.tenant_id = {t} AND l.kind IN ('payment', 'reversal') AND l.on_day >= {from} AND l.on_day <= {to}{scope} \
                 GROUP BY l.queue, l.currency"
            )
        }
        Part::Owed => {
            let scope = b.scope(q, "client_id", "portfolio_id");
            format!(
                "SELECT NULLIF(since, '') AS since, queue, currency, CAST(SUM(accounts) AS BIGINT) AS accounts, \
                 CAST(SUM(owed) AS BIGINT) AS owed FROM owed_sums WHERE tenant_id = {t}{scope} GROUP BY since, queue, currency \
                 HAVING SUM(accounts) <> 0"
            )
        }
        Part::Records => {
            let (from, to) = (b.day(q.from), b.day(q.to));
            let scope = b.scope(q, "client_id", "portfolio_id");
            format!(
                "SELECT fact, status, by_whom, medium, result, CAST(inbound AS BIGINT) AS inbound, currency, code, rule, queue, \
                 CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(minor) AS BIGINT) AS minor FROM record_days \
                 WHERE tenant_id = {t} AND fact IN ({FACTS}) AND on_day >= {from} AND on_day <= {to}{scope} \
                 GROUP BY fact, status, by_whom, medium, result, inbound, currency, code, rule, queue HAVING SUM(n) <> 0"
            )
        }
        Part::ClosedOwed => {
            let ends = b.days(&month_ends(q));
            let scope = b.scope(q, "client_id", "portfolio_id");
            format!(
                "SELECT on_day, currency, bucket, CAST(SUM(accounts) AS BIGINT) AS accounts, CAST(SUM(owed) AS BIGINT) AS owed \
                 FROM month_end_owed WHERE tenant_id = {t} AND on_day IN ({ends}){scope} \
                 GROUP BY on_day, currency, bucket HAVING SUM(accounts) <> 0"
            )
        }
        Part::ClosedMoves => {
            // Kept under the later month-end: the window's moves are those into its second
            // month-end onwards.
            let later = b.days(month_ends(q).get(1..).unwrap_or_default());
            let later = if later.is_empty() { "NULL".to_string() } else { later };
            let scope = b.scope(q, "client_id", "portfolio_id");
            format!(
                "SELECT on_day, currency, from_bucket, to_bucket, CAST(SUM(accounts) AS BIGINT) AS accounts, \
                 CAST(SUM(from_minor) AS BIGINT) AS from_minor, CAST(SUM(to_minor) AS BIGINT) AS to_minor \
                 FROM month_end_moves WHERE tenant_id = {t} AND on_day IN ({later}){scope} \
                 GROUP BY on_day, currency, from_bucket, to_bucket HAVING SUM(accounts) <> 0"
            )
        }
        Part::Replay => return replay_sql(tenant_id, &month_ends(q), Some(q), d),
    };
    (sql, b.binds)
}

/// Each account's ledger movement per month up to the last of `ends`, in account order, for
/// [`Replay`] to fold into month-end balances; of the query's client and portfolio when given.
pub(crate) fn replay_sql(tenant_id: Uuid, ends: &[Date], q: Option<&ReportQuery>, d: &Dialect) -> (String, Vec<Bind>) {
    let mut b = Binder::new(d, tenant_id);
    let t = (d.ph)(1);
    let (first, last) = (ends.first().copied().unwrap_or_default(), ends.last().copied().unwrap_or_default());
    let (first, last) = (b.day(first), b.day(last));
    let scope = q.map(|q| b.scope(q, "a.client_id", "a.portfolio_id")).unwrap_or_default();
    // Entries up to the first month-end count in its month.
    let month = format!("CASE WHEN l.effective_on <= {first} THEN substr({first}, 1, 7) ELSE substr(l.effective_on, 1, 7) END");
    let sql = format!(
        "SELECT l.account_id, a.client_id, a.portfolio_id, a.currency, a.first_delinquency_on AS since, p.placed_on, {month} AS month, \
         CAST(SUM(l.principal + l.interest + l.fees + l.costs) AS BIGINT) AS delta \
         FROM ledger_entries l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id \
         JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
         WHERE l.tenant_id = {t} AND l.effective_on <= {last}{scope} \
         GROUP BY l.account_id, a.client_id, a.portfolio_id, a.currency, a.first_delinquency_on, p.placed_on, {month} \
         ORDER BY l.account_id, month"
    );
    (sql, b.binds)
}

/// The month-end before the month of `day`.
pub fn previous_month_end(day: Date) -> Date {
    day.first_of_month().yesterday().unwrap_or(day)
}

/// One account's month-end balances, gathered while its rows stream past.
struct Account {
    id: Uuid,
    group: Group,
    since: Option<Date>,
    placed_on: Date,
    /// Ledger movement per month ("2026-09"), oldest first.
    deltas: Vec<(String, i64)>,
}

/// What month-end sums are kept by: client, portfolio and currency.
pub(crate) type Group = (Uuid, Uuid, String);
/// A month-end's balance by group and bucket.
type OwedKey = (Date, Group, Bucket);
/// A move, under its later month-end: group, bucket at the earlier one, bucket at the later
/// one (none: paid off).
type MoveKey = (Date, Group, Bucket, Option<Bucket>);
/// Accounts, balance at the earlier month-end and at the later, per move.
type MoveSums<K> = BTreeMap<K, (u64, i64, i64)>;

/// Folds each account's monthly ledger movement into balances at month-ends, by bucket, and
/// where each balance sat at the next month-end, without holding every account.
pub(crate) struct Replay {
    ends: Vec<Date>,
    current: Option<Account>,
    pub owed: BTreeMap<OwedKey, (u64, i64)>,
    pub moves: MoveSums<MoveKey>,
}

impl Replay {
    /// Over `ends`; a move is counted between two of them that are a month apart.
    pub fn new(ends: Vec<Date>) -> Replay {
        Replay { ends, current: None, owed: BTreeMap::new(), moves: BTreeMap::new() }
    }

    pub fn add(&mut self, r: &impl Get) -> Result<()> {
        let id = r.uuid("account_id")?;
        if self.current.as_ref().is_none_or(|a| a.id != id) {
            self.flush();
            self.current = Some(Account {
                id,
                group: (r.uuid("client_id")?, r.uuid("portfolio_id")?, r.text("currency")?),
                since: r.opt_date("since")?,
                placed_on: r.date("placed_on")?,
                deltas: Vec::new(),
            });
        }
        if let Some(a) = self.current.as_mut() {
            a.deltas.push((r.text("month")?, r.int("delta")?));
        }
        Ok(())
    }

    /// The account in hand's balance at each month-end, added to the sums.
    fn flush(&mut self) {
        let Some(a) = self.current.take() else { return };
        let mut owed = 0;
        let mut next = a.deltas.iter().peekable();
        let mut before: Option<(Date, Option<(Bucket, i64)>)> = None;
        for end in &self.ends {
            let month = end.strftime("%Y-%m").to_string();
            while let Some((_, delta)) = next.next_if(|(m, _)| *m <= month) {
                owed += delta;
            }
            let now = (a.placed_on <= *end && owed > 0).then(|| {
                let days = a.since.and_then(|s| s.until(*end).ok()).map_or(0, |span| i64::from(span.get_days()));
                (Bucket::of(days), owed)
            });
            if let Some((bucket, minor)) = now {
                let e = self.owed.entry((*end, a.group.clone(), bucket)).or_default();
                (e.0, e.1) = (e.0 + 1, e.1 + minor);
            }
            if let Some((prior, Some((from, from_minor)))) = before
                && prior == previous_month_end(*end)
            {
                let m = self.moves.entry((*end, a.group.clone(), from, now.map(|n| n.0))).or_default();
                (m.0, m.1, m.2) = (m.0 + 1, m.1 + from_minor, m.2 + now.map_or(0, |n| n.1));
            }
            before = Some((*end, now));
        }
    }

    pub fn finish(mut self) -> Replay {
        self.flush();
        self
    }

    /// Adds the sums over every group, as reports read them: balances at each month-end, and
    /// moves under their earlier month-end.
    fn into_data(self, data: &mut ReportData) {
        let mut owed: BTreeMap<(Date, String, Bucket), (u64, i64)> = BTreeMap::new();
        for ((on, (_, _, currency), bucket), (n, minor)) in self.owed {
            let e = owed.entry((on, currency, bucket)).or_default();
            (e.0, e.1) = (e.0 + n, e.1 + minor);
        }
        let mut moves: MoveSums<(Date, String, Bucket, Option<Bucket>)> = BTreeMap::new();
        for ((on, (_, _, currency), from, to), (n, from_minor, to_minor)) in self.moves {
            let e = moves.entry((previous_month_end(on), currency, from, to)).or_default();
            (e.0, e.1, e.2) = (e.0 + n, e.1 + from_minor, e.2 + to_minor);
        }
        data.owed_at.extend(owed.into_iter().map(|((on, currency, bucket), (accounts, owed_minor))| OwedAt {
            on,
            currency,
            bucket,
            accounts,
            owed_minor,
        }));
        data.moves.extend(moves.into_iter().map(|((on, currency, from, to), (accounts, from_minor, to_minor))| Move {
            on,
            currency,
            from,
            to,
            accounts,
            from_minor,
            to_minor,
        }));
    }
}

/// Gathers a load's rows into [`ReportData`].
pub(crate) struct Collector {
    data: ReportData,
    replay: Replay,
}

impl Collector {
    pub fn new(placements: Vec<PlacementSummary>, q: &ReportQuery) -> Collector {
        Collector { data: ReportData { placements, ..Default::default() }, replay: Replay::new(month_ends(q)) }
    }

    pub fn collect(&mut self, part: Part, r: &impl Get) -> Result<()> {
        let d = &mut self.data;
        match part {
            Part::Collected => d.collected.push(CollectedDay {
                vintage: r.text("vintage")?,
                on: r.date("on_day")?,
                currency: r.text("currency")?,
                minor: r.int("minor")?,
            }),
            Part::QueueCollected => {
                d.queue_collected.push(QueueCollected { queue: r.text("queue")?, currency: r.text("currency")?, minor: r.int("minor")? })
            }
            Part::Owed => d.owed.push(OwedBySince {
                since: r.opt_date("since")?,
                queue: r.text("queue")?,
                currency: r.text("currency")?,
                accounts: count(r, "accounts")?,
                owed_minor: r.int("owed")?,
            }),
            Part::Records => record(d, r)?,
            Part::ClosedOwed => d.owed_at.push(OwedAt {
                on: r.date("on_day")?,
                currency: r.text("currency")?,
                bucket: bucket(r, "bucket")?,
                accounts: count(r, "accounts")?,
                owed_minor: r.int("owed")?,
            }),
            Part::ClosedMoves => {
                let to = r.text("to_bucket")?;
                d.moves.push(Move {
                    on: previous_month_end(r.date("on_day")?),
                    currency: r.text("currency")?,
                    from: bucket(r, "from_bucket")?,
                    to: if to.is_empty() { None } else { Some(bucket(r, "to_bucket")?) },
                    accounts: count(r, "accounts")?,
                    from_minor: r.int("from_minor")?,
                    to_minor: r.int("to_minor")?,
                })
            }
            Part::Replay => self.replay.add(r)?,
        }
        Ok(())
    }

    pub fn finish(self) -> ReportData {
        let mut data = self.data;
        self.replay.finish().into_data(&mut data);
        data.owed_at.sort_by(|a, b| (a.on, &a.currency, a.bucket).cmp(&(b.on, &b.currency, b.bucket)));
        data.moves.sort_by(|a, b| (a.on, &a.currency, a.from, a.to).cmp(&(b.on, &b.currency, b.from, b.to)));
        data
    }
}

fn count(r: &impl Get, col: &str) -> Result<u64> {
    Ok(r.int(col)?.max(0) as u64)
}

fn bucket(r: &impl Get, col: &str) -> Result<Bucket> {
    let label = r.text(col)?;
    Bucket::parse(&label).ok_or_else(|| crate::rows::corrupt(col, format!("no aging bucket {label:?}")))
}

/// One row of `record_days`, into whichever list its fact feeds.
fn record(d: &mut ReportData, r: &impl Get) -> Result<()> {
    let (fact, status, n) = (r.text("fact")?, r.text("status")?, count(r, "n")?);
    let text = |col: &str| r.opt_text(col).map(Option::unwrap_or_default);
    let kind = match fact.as_str() {
        "attempt" => {
            let result = text("result")?;
            d.contacts.push(ContactCount {
                by: text("by_whom")?,
                medium: text("medium")?,
                result: (!result.is_empty()).then_some(result),
                inbound: r.int("inbound")? != 0,
                queue: text("queue")?,
                count: n,
            });
            return Ok(());
        }
        "task" => {
            d.tasks.push(TaskCount { queue: text("queue")?, status, count: n });
            return Ok(());
        }
        "blocked" => {
            d.blocked.push(BlockedCount { code: text("code")?, rule: text("rule")?, count: n });
            return Ok(());
        }
        "promise_taken" => {
            d.done_by.push(DoneBy { by: text("by_whom")?, kind: "promise".into(), currency: String::new(), count: n, minor: 0 });
            return Ok(());
        }
        "payment" if status == "posted" => {
            d.done_by.push(DoneBy {
                by: text("by_whom")?,
                kind: "payment".into(),
                currency: text("currency")?,
                count: n,
                minor: r.int("minor")?,
            });
            return Ok(());
        }
        "payment" => return Ok(()),
        "promise_due" => "promise",
        other => other,
    };
    d.records.push(RecordCount { kind: kind.to_string(), status, count: n });
    Ok(())
}

/// A close's rows: the balances at each month-end in `ends` and the moves into it.
pub(crate) struct Closed {
    ends: Vec<Date>,
    pub owed: BTreeMap<OwedKey, (u64, i64)>,
    pub moves: MoveSums<MoveKey>,
}

impl Closed {
    /// The month-ends replayed for keeping.
    pub fn ends(&self) -> Vec<Date> {
        self.ends.clone()
    }
}

/// The month-ends whose balances and moves in `ends` need replaying: each of them and the
/// month-end before it.
pub(crate) fn replay_ends(ends: &[Date]) -> Vec<Date> {
    let mut all: Vec<Date> = ends.iter().flat_map(|e| [previous_month_end(*e), *e]).collect();
    all.sort();
    all.dedup();
    all
}

impl Replay {
    /// What a close keeps for `ends` out of a replay over [`replay_ends`].
    pub(crate) fn closed(self, ends: &[Date]) -> Closed {
        Closed {
            ends: ends.to_vec(),
            owed: self.owed.into_iter().filter(|((on, ..), _)| ends.contains(on)).collect(),
            moves: self.moves.into_iter().filter(|((on, ..), _)| ends.contains(on)).collect(),
        }
    }
}

/// Marks a month-end as being replayed by `closer` (`{1}` tenant, `{2}` month-end, `{3}`
/// closer), taking over from a replay that never finished; a month-end already kept stays kept.
pub(crate) fn mark_sql(d: &Dialect) -> String {
    let p = d.ph;
    format!(
        "INSERT INTO month_end_closes (tenant_id, on_day, closer) VALUES ({}, {}, {}) ON CONFLICT (tenant_id, on_day) \
         DO UPDATE SET closer = excluded.closer WHERE month_end_closes.closer IS NOT NULL",
        p(1),
        p(2),
        p(3)
    )
}

/// Turns `closer`'s mark into a kept month-end; changes no row when a change reopened it (or
/// another replay took over) since it was marked.
pub(crate) fn keep_sql(d: &Dialect) -> String {
    let p = d.ph;
    format!("UPDATE month_end_closes SET closer = NULL WHERE tenant_id = {} AND on_day = {} AND closer = {}", p(1), p(2), p(3))
}

/// A close's statements with their values for the month-ends it could keep: clear what they
/// had, then write the new rows.
pub(crate) fn close_statements(tenant_id: Uuid, ends: &[Date], closed: &Closed, d: &Dialect) -> Vec<(String, Vec<Bind>)> {
    let mut out = Vec::new();
    if ends.is_empty() {
        return out;
    }
    for table in ["month_end_owed", "month_end_moves"] {
        let mut b = Binder::new(d, tenant_id);
        let days = b.days(ends);
        out.push((format!("DELETE FROM {table} WHERE tenant_id = {} AND on_day IN ({days})", (d.ph)(1)), b.binds));
    }
    let closed = Closed {
        ends: ends.to_vec(),
        owed: closed.owed.iter().filter(|((on, ..), _)| ends.contains(on)).map(|(k, v)| (k.clone(), *v)).collect(),
        moves: closed.moves.iter().filter(|((on, ..), _)| ends.contains(on)).map(|(k, v)| (k.clone(), *v)).collect(),
    };
    let insert = |table: &str, columns: &str, on: Date, group: &Group, rest: Vec<Bind>| {
        let mut b = Binder::new(d, tenant_id);
        let (client, portfolio, currency) = group;
        let mut values =
            vec![(d.ph)(1), b.day(on), b.bind(Bind::Uuid(*client)), b.bind(Bind::Uuid(*portfolio)), b.bind(Bind::Text(currency.clone()))];
        values.extend(rest.into_iter().map(|v| b.bind(v)));
        let sql =
            format!("INSERT INTO {table} (tenant_id, on_day, client_id, portfolio_id, currency, {columns}) VALUES ({})", values.join(", "));
        (sql, b.binds)
    };
    for ((on, group, bucket), (n, minor)) in &closed.owed {
        let rest = vec![Bind::Text(bucket.label().into()), Bind::Int(*n as i64), Bind::Int(*minor)];
        out.push(insert("month_end_owed", "bucket, accounts, owed", *on, group, rest));
    }
    for ((on, group, from, to), (n, from_minor, to_minor)) in &closed.moves {
        let to = Bind::Text(to.map(|t| t.label()).unwrap_or_default().into());
        let rest = vec![Bind::Text(from.label().into()), to, Bind::Int(*n as i64), Bind::Int(*from_minor), Bind::Int(*to_minor)];
        out.push(insert("month_end_moves", "from_bucket, to_bucket, accounts, from_minor, to_minor", *on, group, rest));
    }
    out
}

/// The month-ends of `ends` a close may keep on `today`: those of months already over.
pub fn closable(ends: &[Date], today: Date) -> Vec<Date> {
    ends.iter().copied().filter(|e| *e < today.first_of_month()).collect()
}

/// The window's instants in microseconds: the start of its first (UTC) day, and the start of
/// the day after its last (exclusive).
pub fn window_micros(q: &ReportQuery) -> (i64, i64) {
    let start = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond());
    (start(q.from), start(q.to) + 86_400_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_window_covers_the_opening_month_end_and_each_one_inside_it() {
        let q = ReportQuery::window;
        let ends = month_ends(&q(date(2026, 10, 15), date(2026, 12, 31)));
        assert_eq!(ends, [date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31)]);
        assert_eq!(month_ends(&q(date(2026, 11, 1), date(2026, 11, 20))), [date(2026, 10, 31)], "only the opening");
        assert_eq!(month_ends(&q(date(2024, 3, 1), date(2024, 3, 31))), [date(2024, 2, 29), date(2024, 3, 31)], "a leap February");
    }
}
