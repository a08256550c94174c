//! Reading what reports need in aggregate, written once for both backends (each only says how
//! its placeholders look). The formulas applied to these sums live in `recoup_domain::kpi`.

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

/// Placements, newest first, with their sums. Placeholders: `{t}` the tenant, `{c}` the client
/// when `by_client` (the caller binds it second).
pub(crate) fn placement_summaries_sql(t: &str, c: &str, by_client: bool) -> String {
    let client = if by_client { format!(" AND placements.client_id = {c}") } else { String::new() };
    // A payment entry carries negative components and a positive credit for any overpayment; its
    // reversal the opposite. So credit minus the components is the money in, net of reversals.
    format!(
        "SELECT {PLACEMENT_COLS}, s.currency, s.accounts, s.placed, s.collected FROM placements \
         JOIN (SELECT a.placement_id, a.currency, COUNT(*) AS accounts, \
                 CAST(SUM(a.rep_principal + a.rep_interest + a.rep_fees + a.rep_costs - a.rep_credit) AS BIGINT) AS placed, \
                 CAST(COALESCE(SUM(m.collected), 0) AS BIGINT) AS collected \
               FROM accounts a LEFT JOIN \
                 (SELECT account_id, SUM(credit - principal - interest - fees - costs) AS collected FROM ledger_entries \
                  WHERE tenant_id = {t} AND kind IN ('payment', 'reversal') GROUP BY account_id) m ON m.account_id = a.id \
               WHERE a.tenant_id = {t} GROUP BY a.placement_id, a.currency) s ON s.placement_id = placements.id \
         WHERE placements.tenant_id = {t}{client} ORDER BY placements.placed_on DESC, placements.id, s.currency"
    )
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

/// What a report reads: the tenant's (or one client's) records over a window of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub client_id: Option<Uuid>,
    pub from: Date,
    pub to: Date,
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

/// Accounts with money owed, by the day they first went delinquent (none: not delinquent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedBySince {
    pub since: Option<Date>,
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
    pub contacts: Vec<ContactCount>,
    pub records: Vec<RecordCount>,
    /// The policy's blocked contacts in the window: each one's reasons as (code, rule).
    pub blocked: Vec<Vec<(String, String)>>,
    /// Promises taken and payments posted in the window, by who did it.
    pub done_by: Vec<DoneBy>,
    /// What was owed at each of the window's month-ends ([`month_ends`]), by bucket.
    pub owed_at: Vec<OwedAt>,
    /// How each month-end's balances moved by the next.
    pub moves: Vec<Move>,
}

/// How a backend writes a placeholder and reads a text field of a record's JSON `data`.
pub(crate) struct Dialect {
    pub ph: fn(usize) -> String,
    pub json_text: fn(&str) -> String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Collected,
    Owed,
    Contacts,
    Records,
    Blocked,
    DoneBy,
    /// Each account's ledger movement per month up to the window's last month-end, in account
    /// order, folded into month-end balances as the rows stream past.
    MonthEnds,
}

impl Part {
    pub const ALL: [Part; 7] = [Part::Collected, Part::Owed, Part::Contacts, Part::Records, Part::Blocked, Part::DoneBy, Part::MonthEnds];
}

/// One part's SQL and its values in placeholder order (the tenant first).
pub(crate) fn part_sql(part: Part, tenant_id: Uuid, q: &ReportQuery, d: &Dialect) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Uuid(tenant_id)];
    let mut bind = |b: Bind| {
        binds.push(b);
        (d.ph)(binds.len())
    };
    let t = (d.ph)(1);
    let client = |col: &str, bind: &mut dyn FnMut(Bind) -> String| match q.client_id {
        Some(c) => format!(" AND {col} = {}", bind(Bind::Uuid(c))),
        None => String::new(),
    };
    let sql = match part {
        Part::Collected => {
            let to = bind(Bind::Text(q.to.to_string()));
            let c = client("a.client_id", &mut bind);
            format!(
                "SELECT substr(p.placed_on, 1, 7) AS vintage, l.effective_on AS on_day, a.currency, \
                 CAST(SUM(l.credit - l.principal - l.interest - l.fees - l.costs) AS BIGINT) AS minor \
                 FROM ledger_entries l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id \
                 JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
                 WHERE l.tenant_id = {t} AND l.kind IN ('payment', 'reversal') AND l.effective_on <= {to}{c} \
                 GROUP BY substr(p.placed_on, 1, 7), l.effective_on, a.currency"
            )
        }
        Part::Owed => {
            let c = client("client_id", &mut bind);
            format!(
                "SELECT first_delinquency_on AS since, currency, COUNT(*) AS accounts, CAST(SUM({OWED}) AS BIGINT) AS owed \
                 FROM accounts WHERE tenant_id = {t} AND {OWED} > 0{c} GROUP BY first_delinquency_on, currency"
            )
        }
        Part::Contacts => {
            let (from, to) = (bind(Bind::Text(q.from.to_string())), bind(Bind::Text(q.to.to_string())));
            let c = client("client_id", &mut bind);
            let (by, medium, result, inbound) =
                ((d.json_text)("by"), (d.json_text)("medium"), (d.json_text)("result"), (d.json_text)("inbound"));
            format!(
                "SELECT {by} AS by_whom, {medium} AS medium, {result} AS result, {inbound} AS inbound, COUNT(*) AS n \
                 FROM servicing_records WHERE tenant_id = {t} AND kind = 'contact_attempt' AND on_date >= {from} AND on_date <= {to}{c} \
                 GROUP BY {by}, {medium}, {result}, {inbound}"
            )
        }
        Part::Records => {
            let (from, to) = (bind(Bind::Text(q.from.to_string())), bind(Bind::Text(q.to.to_string())));
            let (from_us, to_us) = window_micros(q);
            let (from_us, to_us) = (bind(Bind::Int(from_us)), bind(Bind::Int(to_us)));
            let c = client("client_id", &mut bind);
            // One branch per kind, so each reads only its own range of the (tenant, kind, day)
            // index; an OR of the three would read every record of the tenant.
            let by_day = |kind: &str| {
                format!(
                    "SELECT kind, status, COUNT(*) AS n FROM servicing_records WHERE tenant_id = {t}{c} AND kind = '{kind}' \
                     AND on_date >= {from} AND on_date <= {to} GROUP BY kind, status"
                )
            };
            let hold_kind = (d.json_text)("kind");
            format!(
                "{} UNION ALL {} UNION ALL SELECT kind, status, COUNT(*) AS n FROM servicing_records WHERE tenant_id = {t}{c} \
                 AND kind = 'dispute' AND created_at >= {from_us} AND created_at < {to_us} GROUP BY kind, status \
                 UNION ALL SELECT 'cease' AS kind, status, COUNT(*) AS n FROM servicing_records WHERE tenant_id = {t}{c} \
                 AND kind = 'hold' AND created_at >= {from_us} AND created_at < {to_us} AND {hold_kind} = 'cease' GROUP BY status",
                by_day("promise"),
                by_day("contact_decision")
            )
        }
        Part::Blocked => {
            let (from, to) = (bind(Bind::Text(q.from.to_string())), bind(Bind::Text(q.to.to_string())));
            let c = client("client_id", &mut bind);
            format!(
                "SELECT data FROM servicing_records WHERE tenant_id = {t} AND kind = 'contact_decision' AND status = 'block' \
                 AND on_date >= {from} AND on_date <= {to}{c}"
            )
        }
        Part::DoneBy => {
            let (from, to) = (bind(Bind::Text(q.from.to_string())), bind(Bind::Text(q.to.to_string())));
            let (from_us, to_us) = window_micros(q);
            let (from_us, to_us) = (bind(Bind::Int(from_us)), bind(Bind::Int(to_us)));
            let c = client("client_id", &mut bind);
            let (taken_by, posted_by) = ((d.json_text)("taken_by"), (d.json_text)("posted_by"));
            let (currency, amount) = ((d.json_text)("currency"), (d.json_text)("amount"));
            // Two branches, each on its own range of the (tenant, kind, day) index.
            format!(
                "SELECT 'promise' AS kind, {taken_by} AS by_whom, '' AS currency, COUNT(*) AS n, CAST(0 AS BIGINT) AS minor \
                 FROM servicing_records WHERE tenant_id = {t}{c} AND kind = 'promise' AND created_at >= {from_us} AND created_at < {to_us} \
                 GROUP BY {taken_by} \
                 UNION ALL \
                 SELECT 'payment' AS kind, {posted_by} AS by_whom, {currency} AS currency, COUNT(*) AS n, \
                 CAST(SUM(CAST({amount} AS BIGINT)) AS BIGINT) AS minor \
                 FROM servicing_records WHERE tenant_id = {t}{c} AND kind = 'payment' AND on_date >= {from} AND on_date <= {to} \
                 AND status = 'posted' GROUP BY {posted_by}, {currency}"
            )
        }
        Part::MonthEnds => {
            let ends = month_ends(q);
            let (first, last) = (ends.first().copied().unwrap_or(q.from), ends.last().copied().unwrap_or(q.from));
            let (first, last) = (bind(Bind::Text(first.to_string())), bind(Bind::Text(last.to_string())));
            let c = client("a.client_id", &mut bind);
            // Entries up to the opening month-end count in its month.
            let month = format!("CASE WHEN l.effective_on <= {first} THEN substr({first}, 1, 7) ELSE substr(l.effective_on, 1, 7) END");
            format!(
                "SELECT l.account_id, a.currency, a.first_delinquency_on AS since, p.placed_on, {month} AS month, \
                 CAST(SUM(l.principal + l.interest + l.fees + l.costs) AS BIGINT) AS delta \
                 FROM ledger_entries l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id \
                 JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
                 WHERE l.tenant_id = {t} AND l.effective_on <= {last}{c} \
                 GROUP BY l.account_id, a.currency, a.first_delinquency_on, p.placed_on, {month} \
                 ORDER BY l.account_id, month"
            )
        }
    };
    (sql, binds)
}

/// One account's month-end balances, gathered while its rows stream past.
struct Account {
    id: Uuid,
    currency: String,
    since: Option<Date>,
    placed_on: Date,
    /// Ledger movement per month ("2026-09"), oldest first.
    deltas: Vec<(String, i64)>,
}

/// A move's month-end, currency, bucket there and bucket a month later (none: paid off).
type MoveKey = (Date, String, Bucket, Option<Bucket>);

/// Folds the MonthEnds rows into month-end balances and moves without holding every account.
pub(crate) struct Collector {
    pub data: ReportData,
    ends: Vec<Date>,
    current: Option<Account>,
    owed: BTreeMap<(Date, String, Bucket), (u64, i64)>,
    moves: BTreeMap<MoveKey, (u64, i64, i64)>,
}

impl Collector {
    pub fn new(placements: Vec<PlacementSummary>, q: &ReportQuery) -> Collector {
        Collector {
            data: ReportData { placements, ..Default::default() },
            ends: month_ends(q),
            current: None,
            owed: BTreeMap::new(),
            moves: BTreeMap::new(),
        }
    }

    pub fn collect(&mut self, part: Part, r: &impl Get) -> Result<()> {
        if part != Part::MonthEnds {
            return collect(&mut self.data, part, r);
        }
        let id = r.uuid("account_id")?;
        if self.current.as_ref().is_none_or(|a| a.id != id) {
            self.flush();
            self.current = Some(Account {
                id,
                currency: r.text("currency")?,
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
        let mut before: Option<(Bucket, i64)> = None;
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
                let e = self.owed.entry((*end, a.currency.clone(), bucket)).or_default();
                (e.0, e.1) = (e.0 + 1, e.1 + minor);
            }
            if let Some((from, from_minor)) = before {
                let prior = self.ends.iter().rev().find(|e| *e < end).copied().unwrap_or(*end);
                let m = self.moves.entry((prior, a.currency.clone(), from, now.map(|n| n.0))).or_default();
                (m.0, m.1, m.2) = (m.0 + 1, m.1 + from_minor, m.2 + now.map_or(0, |n| n.1));
            }
            before = now;
        }
    }

    pub fn finish(mut self) -> ReportData {
        self.flush();
        self.data.owed_at = self
            .owed
            .into_iter()
            .map(|((on, currency, bucket), (accounts, owed_minor))| OwedAt { on, currency, bucket, accounts, owed_minor })
            .collect();
        self.data.moves = self
            .moves
            .into_iter()
            .map(|((on, currency, from, to), (accounts, from_minor, to_minor))| Move {
                on,
                currency,
                from,
                to,
                accounts,
                from_minor,
                to_minor,
            })
            .collect();
        self.data
    }
}

const OWED: &str = "(bal_principal + bal_interest + bal_fees + bal_costs)";
/// The window's instants in microseconds: the start of its first (UTC) day, and the start of
/// the day after its last (exclusive).
pub fn window_micros(q: &ReportQuery) -> (i64, i64) {
    let start = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond());
    (start(q.from), start(q.to) + 86_400_000_000)
}

/// Adds one row of `part` to `data` (every part but MonthEnds, which the Collector folds).
fn collect(data: &mut ReportData, part: Part, r: &impl Get) -> Result<()> {
    match part {
        Part::Collected => data.collected.push(CollectedDay {
            vintage: r.text("vintage")?,
            on: r.date("on_day")?,
            currency: r.text("currency")?,
            minor: r.int("minor")?,
        }),
        Part::Owed => data.owed.push(OwedBySince {
            since: r.opt_date("since")?,
            currency: r.text("currency")?,
            accounts: r.int("accounts")?.max(0) as u64,
            owed_minor: r.int("owed")?,
        }),
        Part::Contacts => {
            let inbound = r.opt_text("inbound")?.unwrap_or_default();
            data.contacts.push(ContactCount {
                by: r.opt_text("by_whom")?.unwrap_or_default(),
                medium: r.opt_text("medium")?.unwrap_or_default(),
                result: r.opt_text("result")?,
                inbound: inbound == "1" || inbound == "true",
                count: r.int("n")?.max(0) as u64,
            })
        }
        Part::Records => {
            data.records.push(RecordCount { kind: r.text("kind")?, status: r.text("status")?, count: r.int("n")?.max(0) as u64 })
        }
        Part::Blocked => {
            let decision: crate::servicing::contact::ContactDecision =
                serde_json::from_str(&r.text("data")?).map_err(|e| crate::rows::corrupt("data", e))?;
            data.blocked.push(decision.reasons.into_iter().map(|x| (x.code, x.rule)).collect());
        }
        Part::DoneBy => data.done_by.push(DoneBy {
            by: r.opt_text("by_whom")?.unwrap_or_default(),
            kind: r.text("kind")?,
            currency: r.opt_text("currency")?.unwrap_or_default(),
            count: r.int("n")?.max(0) as u64,
            minor: r.int("minor")?,
        }),
        // Folded by the Collector.
        Part::MonthEnds => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_window_covers_the_opening_month_end_and_each_one_inside_it() {
        let q = |from, to| ReportQuery { client_id: None, from, to };
        let ends = month_ends(&q(date(2026, 10, 15), date(2026, 12, 31)));
        assert_eq!(ends, [date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31)]);
        assert_eq!(month_ends(&q(date(2026, 11, 1), date(2026, 11, 20))), [date(2026, 10, 31)], "only the opening");
        assert_eq!(month_ends(&q(date(2024, 3, 1), date(2024, 3, 31))), [date(2024, 2, 29), date(2024, 3, 31)], "a leap February");
    }
}
