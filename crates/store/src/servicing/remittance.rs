//! Agency remittance statements: per client and period, every payment and reversal dated in it,
//! with the commission each earned or gave back, and the totals from
//! `recoup_domain::remittance::statement`. The lines carry the commission recorded when the
//! payment was posted, so a later change of rate never rewrites a past statement.

use super::payment::{Payment, Reversal};
use super::{Kept, RecordQuery, Servicing};
use crate::Result;
use jiff::civil::Date;
use recoup_domain::money::Currency;
use recoup_domain::remittance::{Route, Statement};
use serde::Serialize;
use uuid::Uuid;

/// One line of a statement: a payment (positive) or a reversal (negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub effective_on: Date,
    pub account_id: Uuid,
    pub receipt_no: String,
    /// "payment" or "reversal".
    pub kind: String,
    pub route: Route,
    pub amount: i64,
    pub commission: i64,
    pub method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RemittanceStatement {
    pub client_id: Uuid,
    pub from: Date,
    pub to: Date,
    pub lines: Vec<StatementLine>,
    pub totals: Statement,
    pub reversals: i64,
}

async fn all_of<T: Kept>(s: &(impl Servicing + ?Sized), tenant_id: Uuid, client_id: Uuid, from: Date, to: Date) -> Result<Vec<T>> {
    let mut q = RecordQuery::of(T::KIND);
    (q.client_id, q.on_from, q.on_to, q.limit) = (Some(client_id), Some(from), Some(to), 5_000);
    let mut out = Vec::new();
    loop {
        let page = s.records(tenant_id, &q).await?;
        let Some(last) = page.last() else { return Ok(out) };
        q.after = Some(last.id);
        for r in &page {
            out.push(T::from_record(r)?);
        }
    }
}

/// The statement for `client_id` over `from..=to`.
pub async fn statement(
    s: &(impl Servicing + ?Sized),
    tenant_id: Uuid,
    client_id: Uuid,
    from: Date,
    to: Date,
) -> Result<RemittanceStatement> {
    let payments: Vec<Payment> = all_of(s, tenant_id, client_id, from, to).await?;
    let reversals: Vec<Reversal> = all_of(s, tenant_id, client_id, from, to).await?;
    let mut lines: Vec<StatementLine> = payments
        .iter()
        .map(|p| StatementLine {
            effective_on: p.effective_on,
            account_id: p.account_id,
            receipt_no: p.receipt_no.clone(),
            kind: "payment".into(),
            route: p.route,
            amount: p.amount,
            commission: p.commission,
            method: Some(p.method.as_str().into()),
        })
        .collect();
    lines.extend(reversals.iter().map(|r| StatementLine {
        effective_on: r.effective_on,
        account_id: r.account_id,
        receipt_no: r.receipt_no.clone(),
        kind: "reversal".into(),
        route: r.route,
        amount: -r.amount,
        commission: r.commission,
        method: None,
    }));
    lines.sort_by(|a, b| (a.effective_on, &a.receipt_no, &a.kind).cmp(&(b.effective_on, &b.receipt_no, &b.kind)));
    let mut totals = Statement::default();
    for l in &lines {
        match l.route {
            Route::ToAgency => totals.collected_by_agency += l.amount,
            Route::DirectToClient => totals.paid_direct += l.amount,
        }
        totals.commission += l.commission;
    }
    totals.net_due_to_client = totals.collected_by_agency - totals.commission;
    let reversal_total = reversals.iter().map(|r| r.amount).sum();
    Ok(RemittanceStatement { client_id, from, to, lines, totals, reversals: reversal_total })
}

/// The statement as CSV, one line per payment or reversal and the totals at the end.
pub fn to_csv(st: &RemittanceStatement, currency: Currency) -> String {
    let minor = |v: i64| currency.format_minor(v);
    let mut out = String::from("effective_on,receipt_no,account_id,kind,route,method,amount,commission\n");
    for l in &st.lines {
        let route = match l.route {
            Route::ToAgency => "to_agency",
            Route::DirectToClient => "direct_to_client",
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            l.effective_on,
            csv_field(&l.receipt_no),
            l.account_id,
            l.kind,
            route,
            l.method.as_deref().unwrap_or(""),
            minor(l.amount),
            minor(l.commission)
        ));
    }
    let t = &st.totals;
    out.push_str(&format!(",TOTAL collected by agency,,,,,{},\n", minor(t.collected_by_agency)));
    out.push_str(&format!(",TOTAL paid direct to client,,,,,{},\n", minor(t.paid_direct)));
    out.push_str(&format!(",TOTAL commission,,,,,,{}\n", minor(t.commission)));
    out.push_str(&format!(",NET due to client,,,,,{},\n", minor(t.net_due_to_client)));
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
