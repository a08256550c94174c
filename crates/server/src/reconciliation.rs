//! The daily reconciliation export: every payment and reversal dated on a day, one CSV row
//! each, sorted by gateway, to match against the processor's and the bank's reports. Shared by
//! `GET /api/v1/payments/reconciliation` and `recoup payment reconciliation`.

use jiff::civil::Date;
use recoup_store::StoreError;
use recoup_store::servicing::payment::{Payment, Reversal};
use recoup_store::servicing::{Kept, Record, RecordKind, RecordQuery, Servicing};
use uuid::Uuid;

pub const HEADER: &str = "gateway,kind,receipt_no,account_id,amount_minor,currency,method,charge_id";

/// The day's rows as CSV, header first.
pub async fn csv(store: &(impl Servicing + ?Sized), tenant_id: Uuid, day: Date) -> Result<String, StoreError> {
    let mut rows: Vec<[String; 8]> = Vec::new();
    for kind in [RecordKind::Payment, RecordKind::Reversal] {
        let mut query = RecordQuery::of(kind);
        (query.on_from, query.on_to, query.limit) = (Some(day), Some(day), 10_000);
        loop {
            let page = store.records(tenant_id, &query).await?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.id);
            for r in &page {
                rows.push(row(r)?);
            }
        }
    }
    rows.sort();
    let mut out = format!("{HEADER}\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    Ok(out)
}

fn row(r: &Record) -> Result<[String; 8], StoreError> {
    if r.kind == RecordKind::Payment {
        let pay = Payment::from_record(r)?;
        let (gateway, charge) = pay.card.map(|c| (c.gateway, c.charge_id)).unwrap_or_else(|| ("none".into(), String::new()));
        return Ok([
            gateway,
            "payment".into(),
            pay.receipt_no,
            pay.account_id.to_string(),
            pay.amount.to_string(),
            pay.currency.code().into(),
            pay.method.as_str().into(),
            charge,
        ]);
    }
    let rev = Reversal::from_record(r)?;
    Ok([
        rev.gateway.unwrap_or_else(|| "none".into()),
        "reversal".into(),
        rev.receipt_no,
        rev.account_id.to_string(),
        (-rev.amount).to_string(),
        String::new(),
        String::new(),
        String::new(),
    ])
}
