//! Lists: an account's payments, and the tenant's open disputes by age.

use super::{Ctx, Day, show, word_of};
use crate::DbArgs;
use crate::setup::find_client;
use crate::store;
use anyhow::Result;
use clap::Args;
use recoup_domain::dispute::age_days;
use recoup_domain::remittance::Route;
use recoup_store::servicing::dispute::Dispute;
use recoup_store::servicing::payment::Payment;
use recoup_store::servicing::{Kept, RecordKind, RecordQuery};
use serde::Serialize;

pub fn payments(c: &Ctx, payments: &[Payment]) -> String {
    if payments.is_empty() {
        return format!("Account {} has no payments", c.account.external_ref);
    }
    let mut out = format!("Payments of account {}", c.account.external_ref);
    for p in payments {
        let route = if p.route == Route::DirectToClient { "direct" } else { "agency" };
        out.push_str(&format!(
            "\n  {:<24} {}  {:>12}  {:<8} {:<6}  {:<8}  commission {:>10}  {}",
            p.receipt_no,
            p.effective_on,
            c.money(p.amount),
            p.method.as_str(),
            route,
            p.status.as_str(),
            c.money(p.commission),
            p.reference.as_deref().unwrap_or("")
        ));
    }
    out
}

#[derive(Args)]
pub struct ListOpenDisputes {
    /// Only this client's accounts.
    #[arg(long)]
    client: Option<String>,
    #[command(flatten)]
    day: Day,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// An open dispute with its account's number and how long it has waited.
#[derive(Serialize)]
struct Aged {
    external_ref: String,
    age_days: i32,
    overdue: bool,
    #[serde(flatten)]
    dispute: Dispute,
}

pub async fn open_disputes(db: &DbArgs, args: ListOpenDisputes) -> Result<()> {
    let s = store::open(db).await?;
    let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    let mut q = RecordQuery::of(RecordKind::Dispute);
    q.statuses = vec!["open".into()];
    q.limit = 10_000;
    if let Some(code) = &args.client {
        q.client_id = Some(find_client(s.as_ref(), &tenant, code).await?.id);
    }
    let today = args.day.get();
    let mut aged = Vec::new();
    for r in s.records(tenant.id, &q).await? {
        let dispute = Dispute::from_record(&r)?;
        let external_ref = s.account(tenant.id, r.account_id).await?.map(|a| a.external_ref).unwrap_or_default();
        aged.push(Aged { external_ref, age_days: age_days(dispute.received_on, today), overdue: today > dispute.sla_due_on, dispute });
    }
    aged.sort_by_key(|a| (a.dispute.received_on, a.dispute.id));
    show(args.json, &aged, || table(&aged))
}

fn table(aged: &[Aged]) -> String {
    if aged.is_empty() {
        return "No open disputes".into();
    }
    let mut out = format!("{} open disputes, oldest first", aged.len());
    for a in aged {
        let d = &a.dispute;
        let late = if a.overdue { "  OVERDUE" } else { "" };
        out.push_str(&format!(
            "\n  {:<16} {}  {:<26} received {}  {:>3} days  due {}{late}",
            a.external_ref,
            d.id,
            word_of(&d.reason),
            d.received_on,
            a.age_days,
            d.sla_due_on
        ));
    }
    out
}
