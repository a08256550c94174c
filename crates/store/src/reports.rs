//! Reading what reports need in aggregate, written once for both backends (each only says how
//! its placeholders look). The formulas applied to these sums live in `recoup_domain::kpi`.

use crate::Result;
use crate::listing::Bind;
use crate::rows::{Get, PLACEMENT_COLS, placement};
use jiff::civil::Date;
use recoup_domain::org::Placement;
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
/// policy's decisions by the day of the contact, disputes by the day they were opened.
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
}

impl Part {
    pub const ALL: [Part; 6] = [Part::Collected, Part::Owed, Part::Contacts, Part::Records, Part::Blocked, Part::DoneBy];
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
            let (from_us, to_us) = (bind(Bind::Int(micros(q.from))), bind(Bind::Int(micros(q.to) + DAY_MICROS)));
            let c = client("client_id", &mut bind);
            format!(
                "SELECT kind, status, COUNT(*) AS n FROM servicing_records WHERE tenant_id = {t}{c} AND \
                 ((kind = 'promise' AND on_date >= {from} AND on_date <= {to}) OR \
                  (kind = 'contact_decision' AND on_date >= {from} AND on_date <= {to}) OR \
                  (kind = 'dispute' AND created_at >= {from_us} AND created_at < {to_us})) GROUP BY kind, status"
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
            let (from_us, to_us) = (bind(Bind::Int(micros(q.from))), bind(Bind::Int(micros(q.to) + DAY_MICROS)));
            let c = client("client_id", &mut bind);
            let by = format!("COALESCE({}, {})", (d.json_text)("taken_by"), (d.json_text)("posted_by"));
            let (currency, amount) = ((d.json_text)("currency"), (d.json_text)("amount"));
            format!(
                "SELECT kind, {by} AS by_whom, CASE WHEN kind = 'payment' THEN {currency} ELSE '' END AS currency, COUNT(*) AS n, \
                 CAST(SUM(CASE WHEN kind = 'payment' THEN CAST({amount} AS BIGINT) ELSE 0 END) AS BIGINT) AS minor \
                 FROM servicing_records WHERE tenant_id = {t}{c} AND \
                 ((kind = 'promise' AND created_at >= {from_us} AND created_at < {to_us}) OR \
                  (kind = 'payment' AND status = 'posted' AND on_date >= {from} AND on_date <= {to})) \
                 GROUP BY kind, {by}, CASE WHEN kind = 'payment' THEN {currency} ELSE '' END"
            )
        }
    };
    (sql, binds)
}

const OWED: &str = "(bal_principal + bal_interest + bal_fees + bal_costs)";
const DAY_MICROS: i64 = 86_400_000_000;

fn micros(d: Date) -> i64 {
    d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_microsecond()).unwrap_or(0)
}

/// Adds one row of `part` to `data`.
pub(crate) fn collect(data: &mut ReportData, part: Part, r: &impl Get) -> Result<()> {
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
    }
    Ok(())
}
