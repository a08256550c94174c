//! Servicing from the command line: `recoup promise|plan|payment|settlement|dispute|hold ...`,
//! `recoup servicing run` and `recoup remittance statement`. Each action goes through the same
//! decision the API uses (`recoup_store::servicing`), as one read-decide-write on the account.
//! Accounts are named by client code and account number; amounts are typed in major units of
//! the account's currency; every action is dated by today in UTC unless `--today` says
//! otherwise (for back-dated work and tests). Each command prints a short summary, or the
//! record with `--json`.

mod listing;
pub mod remittance;

use crate::DbArgs;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use recoup_domain::access::Role;
use recoup_domain::account::Account;
use recoup_domain::dispute::{DisputeStatus, Reason};
use recoup_domain::hold::HoldKind;
use recoup_domain::money::Currency;
use recoup_domain::org::Tenant;
use recoup_domain::payment::Method;
use recoup_domain::plan::{Frequency, Installment, Sizing};
use recoup_domain::promise::PromiseItem;
use recoup_domain::remittance::Route;
use recoup_domain::settlement::{Approval, Offer};
use recoup_store::servicing::dispute::{self, Dispute, DisputeUpdate, NewDispute};
use recoup_store::servicing::hold::{self, HoldDetails, HoldRecord, NewHold, Representative};
use recoup_store::servicing::payment::{self, NewPayment, Payment, Reversal, ReversalReason, Source};
use recoup_store::servicing::plan::{self, Plan, PlanTerms};
use recoup_store::servicing::promise::{self, NewPromise, Promise};
use recoup_store::servicing::settlement::{self, NewSettlement, Requester, Settlement, SettlementStatus};
use recoup_store::servicing::{Kept, Op, changed};
use recoup_store::{Store, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

pub use listing::ListOpenDisputes;

/// The account to act on, and how to print the result.
#[derive(Args)]
pub struct Target {
    /// The client's code.
    #[arg(long)]
    client: String,
    /// The client's account number.
    #[arg(long)]
    account: String,
    /// Print the record as JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// The day an action is dated by.
#[derive(Args)]
pub struct Day {
    /// The day to act on (default: today in UTC), for back-dated work.
    #[arg(long)]
    today: Option<Date>,
}

impl Day {
    fn get(&self) -> Date {
        self.today.unwrap_or_else(recoup_server::api::servicing::today)
    }
}

#[derive(Subcommand)]
pub enum PromiseCommand {
    /// Take a promise to pay: one or several dated amounts, in date order.
    Take {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// A promised payment as DATE=AMOUNT (2026-12-01=50.00); repeat for several.
        #[arg(long = "item", required = true, value_parser = item)]
        items: Vec<(Date, String)>,
        /// Days after each date before it counts as missed (default 2, at most 10).
        #[arg(long)]
        grace_days: Option<i32>,
    },
}

/// A plan's terms as typed.
#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    at: Target,
    #[command(flatten)]
    day: Day,
    /// weekly, bi_weekly or monthly.
    #[arg(long, value_parser = frequency)]
    frequency: Frequency,
    /// How many installments (or give --installment).
    #[arg(long, required_unless_present = "installment", conflicts_with = "installment")]
    count: Option<u32>,
    /// The installment amount (or give --count).
    #[arg(long)]
    installment: Option<String>,
    /// The first installment's due date.
    #[arg(long)]
    first_due: Date,
    /// Paid on the day the plan is agreed, before the installments.
    #[arg(long)]
    down_payment: Option<String>,
    /// Annual rate as a fraction (0.08), where the client's policy allows interest.
    #[arg(long)]
    apr: Option<Decimal>,
    /// A fee added to each installment, where the policy allows fees.
    #[arg(long)]
    fee: Option<String>,
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Print the amortization table for the account's balance; nothing is stored.
    Quote(PlanArgs),
    /// Set up the plan the same terms quote, for the whole balance.
    Create(PlanArgs),
}

#[derive(Subcommand)]
pub enum PaymentCommand {
    /// Post a payment received by check, ACH, cash or transfer. Card payments are charged
    /// through the payment gateway, which only the API reaches: take them there.
    Post {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// The amount paid, in the account's currency (25.00).
        #[arg(long)]
        amount: String,
        /// check, ach, cash or transfer (not card: see above).
        #[arg(long, value_parser = offline_method)]
        method: Method,
        /// The day the money moved (default: --today); not after it.
        #[arg(long)]
        date: Option<Date>,
        /// A check number, bank trace or the client's own reference.
        #[arg(long)]
        reference: Option<String>,
        /// Paid to the client directly and reported by it (the agency invoices its commission).
        #[arg(long)]
        direct: bool,
        /// With --direct: the contract earns no commission on it.
        #[arg(long, requires = "direct")]
        not_commissionable: bool,
    },
    /// Reverse a payment (returned check, chargeback, posted in error), found by its receipt.
    Reverse {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// The payment's receipt number (`recoup payment list` shows them).
        #[arg(long)]
        receipt: String,
        /// nsf, chargeback, error or other.
        #[arg(long, value_parser = word::<ReversalReason>)]
        reason: ReversalReason,
        /// The day the payment came back (default: --today).
        #[arg(long)]
        date: Option<Date>,
    },
    /// The account's payments, oldest first.
    List {
        #[command(flatten)]
        at: Target,
    },
    /// The day's posted and reversed payments per gateway as CSV, to match against the
    /// processor's and the bank's reports.
    Reconciliation {
        /// The day (default: today in UTC).
        #[arg(long)]
        date: Option<Date>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum SettlementCommand {
    /// Offer a settlement for less than the balance. Within the role's own discount limit it is
    /// put to the debtor at once; deeper, it waits for a supervisor's or admin's approval.
    Offer {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// Share of the balance to collect (0.6 collects 60 %), or give --amount.
        #[arg(long, required_unless_present = "amount", conflicts_with = "amount")]
        percent: Option<Decimal>,
        /// The amount to collect, or give --percent.
        #[arg(long)]
        amount: Option<String>,
        /// The last day to pay it.
        #[arg(long)]
        expires: Date,
        /// The role the offer is made in: agent, supervisor or admin; its limit decides
        /// whether approval is needed.
        #[arg(long, value_parser = operator_role)]
        as_role: Role,
    },
    /// Approve or reject a settlement waiting for approval.
    ///
    /// The command line has no signed-in person, so every invocation acts as an operator of its
    /// own with a fresh id: an approval here never matches the id the offer was stored with,
    /// and the rule that nobody approves their own request cannot tell two invocations by the
    /// same person apart. The role given is trusted, as anyone with access to the database is.
    /// Where four eyes must be enforced, decide through the API, where people sign in.
    Decide {
        #[command(flatten)]
        at: Target,
        /// The settlement's id.
        #[arg(long)]
        id: Uuid,
        /// Put it to the debtor.
        #[arg(long, required_unless_present = "reject", conflicts_with = "reject")]
        approve: bool,
        /// Turn it down.
        #[arg(long)]
        reject: bool,
        /// supervisor or admin: the role's limit must cover the discount to approve it.
        #[arg(long, value_parser = approver_role)]
        as_role: Role,
        /// Why, kept with the decision.
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DisputeCommand {
    /// Log a dispute: collection contact about the debt stops until verification is sent or
    /// the dispute is resolved.
    Open {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// not_mine, wrong_amount, already_paid, identity_theft, bankruptcy, time_barred,
        /// request_original_creditor or other.
        #[arg(long, value_parser = word::<Reason>)]
        reason: Reason,
        /// The debtor's words.
        #[arg(long, default_value = "")]
        text: String,
        /// The day the dispute reached us (default: --today).
        #[arg(long)]
        received: Option<Date>,
        /// The disputed part; without it the whole debt is disputed.
        #[arg(long)]
        amount: Option<String>,
        /// When the validation notice was sent, to judge whether the dispute came inside the
        /// validation period.
        #[arg(long)]
        notice_sent: Option<Date>,
    },
    /// Move a dispute on: verification_sent (collection may resume), upheld or withdrawn.
    Update {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// The dispute's id.
        #[arg(long)]
        id: Uuid,
        /// verification_sent, upheld or withdrawn.
        #[arg(long, value_parser = word::<DisputeStatus>)]
        status: DisputeStatus,
        /// What was done; kept in the audit trail.
        #[arg(long)]
        note: String,
        /// Upheld: reduce the principal by this much.
        #[arg(long)]
        adjust_by: Option<String>,
        /// Upheld: close the account.
        #[arg(long)]
        close: bool,
    },
    /// Open disputes across the tenant, oldest first, with their age and SLA.
    ListOpen(ListOpenDisputes),
}

#[derive(Subcommand)]
pub enum HoldCommand {
    /// Place a hold (disputes place their own).
    Add {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// cease, bankruptcy, deceased, attorney_represented, hardship_pause, vulnerability or
        /// recall.
        #[arg(long, value_parser = hold_kind)]
        kind: HoldKind,
        /// Why; kept in the audit trail.
        #[arg(long)]
        reason: String,
        /// A hardship pause's last day.
        #[arg(long)]
        until: Option<Date>,
        /// Bankruptcy: 7, 11 or 13.
        #[arg(long)]
        chapter: Option<u8>,
        /// Bankruptcy: the court's case number.
        #[arg(long)]
        case_number: Option<String>,
        /// Attorney or estate: who to contact instead of the debtor.
        #[arg(long)]
        contact_name: Option<String>,
        #[arg(long, requires = "contact_name")]
        contact_phone: Option<String>,
        #[arg(long, requires = "contact_name")]
        contact_email: Option<String>,
    },
    /// Release a hold, saying why.
    Release {
        #[command(flatten)]
        at: Target,
        #[command(flatten)]
        day: Day,
        /// The hold's id.
        #[arg(long)]
        id: Uuid,
        #[arg(long)]
        reason: String,
    },
}

/// A snake_case word of a domain type (`not_mine`, `nsf`), read as the API reads it.
fn word<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_ascii_lowercase())).map_err(|e| e.to_string())
}

fn frequency(text: &str) -> Result<Frequency, String> {
    Frequency::parse(text.trim()).ok_or_else(|| format!("{text:?} is not weekly, bi_weekly or monthly"))
}

fn offline_method(text: &str) -> Result<Method, String> {
    match word::<Method>(text)? {
        Method::Card => Err("card payments are charged through the payment gateway: take them through the API".into()),
        m => Ok(m),
    }
}

fn operator_role(text: &str) -> Result<Role, String> {
    match Role::parse(text) {
        Some(r @ (Role::Agent | Role::Supervisor | Role::Admin)) => Ok(r),
        _ => Err(format!("{text:?} is not agent, supervisor or admin")),
    }
}

fn approver_role(text: &str) -> Result<Role, String> {
    match Role::parse(text) {
        Some(r @ (Role::Supervisor | Role::Admin)) => Ok(r),
        _ => Err(format!("{text:?} is not supervisor or admin")),
    }
}

fn hold_kind(text: &str) -> Result<HoldKind, String> {
    match HoldKind::parse(text.trim()) {
        Some(HoldKind::Dispute) => Err("open a dispute instead (`recoup dispute open`): it places its own hold".into()),
        Some(k) => Ok(k),
        None => Err(format!("{text:?} is not a kind of hold")),
    }
}

/// `2026-12-01=50.00`: the date now, the amount once the account's currency is known.
fn item(text: &str) -> Result<(Date, String), String> {
    let (day, amount) = text.split_once('=').ok_or_else(|| format!("{text:?} is not DATE=AMOUNT (2026-12-01=50.00)"))?;
    let day = day.trim().parse::<Date>().map_err(|e| format!("{day:?} is not a date: {e}"))?;
    Ok((day, amount.trim().to_string()))
}

/// An amount typed for `flag`, in minor units of `currency`.
fn money(currency: Currency, text: &str, flag: &str) -> Result<i64> {
    currency.parse_minor(text).map_err(|e| anyhow!("{flag}: {e}"))
}

/// The store, tenant and account a command acts on.
struct Ctx {
    store: Arc<dyn Store>,
    tenant: Tenant,
    account: Account,
}

impl Ctx {
    async fn open(db: &DbArgs, at: &Target) -> Result<Ctx> {
        let store = store::open(db).await?;
        let tenant = store::tenant(store.as_ref(), &db.tenant).await?;
        let client = find_client(store.as_ref(), &tenant, &at.client).await?;
        let account = store
            .account_by_ref(tenant.id, client.id, &at.account)
            .await?
            .with_context(|| format!("client {} has no account {:?}", client.code, at.account))?;
        Ok(Ctx { store, tenant, account })
    }

    fn money(&self, minor: i64) -> String {
        self.account.currency.format_minor(minor)
    }

    /// Runs a decision on the account; `flags` name the options behind the store's field
    /// pointers, so a refusal points at what was typed.
    async fn act(&self, op: Op, flags: &[(&str, &str)]) -> Result<recoup_store::servicing::Changes> {
        self.store.service(self.tenant.id, self.account.id, op).await.map_err(|e| explain(e, flags))
    }

    async fn records<T: Kept>(&self) -> Result<Vec<T>> {
        let file = self.store.account_file(self.tenant.id, self.account.id).await?.context("the account is gone")?;
        Ok(file.all::<T>()?)
    }
}

fn explain(e: StoreError, flags: &[(&str, &str)]) -> anyhow::Error {
    match e {
        StoreError::Invalid { field, reason } => {
            let flag = flags.iter().find(|(pointer, _)| field.starts_with(pointer)).map(|(_, flag)| *flag);
            anyhow!("{}: {reason}", flag.unwrap_or(&field))
        }
        other => anyhow::Error::new(other).context("refused"),
    }
}

/// The record as JSON, or the summary.
fn show<T: Serialize>(json: bool, record: &T, summary: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(record)?);
    } else {
        println!("{}", summary());
    }
    Ok(())
}

pub async fn promise(db: &DbArgs, cmd: PromiseCommand) -> Result<()> {
    let PromiseCommand::Take { at, day, items, grace_days } = cmd;
    let c = Ctx::open(db, &at).await?;
    let items = items
        .iter()
        .map(|(due_on, amount)| Ok(PromiseItem { due_on: *due_on, amount: money(c.account.currency, amount, "--item")? }))
        .collect::<Result<Vec<_>>>()?;
    let new = NewPromise { id: Uuid::now_v7(), items, grace_days, channel: "agent".into() };
    let id = new.id;
    let changes = c.act(promise::take(new, day.get(), &cli_actor()), &[("/items", "--item"), ("/grace_days", "--grace-days")]).await?;
    let p: Promise = changed(&changes, id)?;
    show(at.json, &p, || {
        let items: Vec<String> = p.items.iter().map(|i| format!("{} {}", i.due_on, c.money(i.amount))).collect();
        format!(
            "Promise {} taken on account {}: {} ({}), grace {} days, {}",
            p.id,
            c.account.external_ref,
            c.money(p.total()),
            items.join(", "),
            p.grace_days,
            p.status.as_str()
        )
    })
}

fn terms(a: &PlanArgs, currency: Currency) -> Result<PlanTerms> {
    let sizing = match (a.count, &a.installment) {
        (Some(n), None) => Sizing::Count(n),
        (None, Some(amount)) => Sizing::Installment(money(currency, amount, "--installment")?),
        _ => bail!("give either --count or --installment"),
    };
    let optional =
        |text: &Option<String>, flag: &str| text.as_deref().map(|t| money(currency, t, flag)).transpose().map(Option::unwrap_or_default);
    Ok(PlanTerms {
        frequency: a.frequency,
        sizing,
        down_payment: optional(&a.down_payment, "--down-payment")?,
        first_due_on: a.first_due,
        apr: a.apr.unwrap_or_default(),
        fee_per_installment: optional(&a.fee, "--fee")?,
    })
}

const PLAN_FLAGS: [(&str, &str); 6] = [
    ("/down_payment", "--down-payment"),
    ("/first_due_on", "--first-due"),
    ("/count", "--count"),
    ("/installment", "--installment"),
    ("/apr", "--apr"),
    ("/fee_per_installment", "--fee"),
];

pub async fn plan(db: &DbArgs, cmd: PlanCommand) -> Result<()> {
    match cmd {
        PlanCommand::Quote(a) => {
            let c = Ctx::open(db, &a.at).await?;
            let balance = c.store.balance(c.tenant.id, c.account.id).await?.owed();
            let terms = terms(&a, c.account.currency)?;
            // The client's policy decides what a plan may carry, as it does for a plan set up.
            let policy = c.store.client_policy(c.tenant.id, c.account.client_id).await?.plans;
            let rows = plan::quote(balance, &terms, a.day.get(), &policy).map_err(|e| explain(e, &PLAN_FLAGS))?;
            let out = serde_json::json!({"balance": balance, "installments": rows});
            show(a.at.json, &out, || {
                format!("Quote for account {} on a balance of {}\n{}", c.account.external_ref, c.money(balance), table(&c, &rows))
            })
        }
        PlanCommand::Create(a) => {
            let c = Ctx::open(db, &a.at).await?;
            let terms = terms(&a, c.account.currency)?;
            let id = Uuid::now_v7();
            let changes = c.act(plan::create(id, terms, "agent".into(), a.day.get(), &cli_actor()), &PLAN_FLAGS).await?;
            let p: Plan = changed(&changes, id)?;
            show(a.at.json, &p, || {
                format!(
                    "Plan {} set up on account {}: {} financed, {} installments totalling {}\n{}",
                    p.id,
                    c.account.external_ref,
                    c.money(p.financed),
                    p.installments.len(),
                    c.money(p.total()),
                    table(&c, &p.installments)
                )
            })
        }
    }
}

fn table(c: &Ctx, rows: &[Installment]) -> String {
    let mut out = format!(
        "  {:>3}  {:<10}  {:>12}  {:>12}  {:>10}  {:>8}  {:>13}",
        "#", "due", "amount", "principal", "interest", "fees", "balance after"
    );
    for r in rows {
        out.push_str(&format!(
            "\n  {:>3}  {:<10}  {:>12}  {:>12}  {:>10}  {:>8}  {:>13}",
            r.number,
            r.due_on.to_string(),
            c.money(r.amount),
            c.money(r.principal),
            c.money(r.interest),
            c.money(r.fees),
            c.money(r.balance_after)
        ));
    }
    let sum = |f: fn(&Installment) -> i64| c.money(rows.iter().map(f).sum());
    out.push_str(&format!(
        "\n  {:>3}  {:<10}  {:>12}  {:>12}  {:>10}  {:>8}",
        "",
        "total",
        sum(|r| r.amount),
        sum(|r| r.principal),
        sum(|r| r.interest),
        sum(|r| r.fees)
    ));
    out
}

pub async fn payment(db: &DbArgs, cmd: PaymentCommand) -> Result<()> {
    match cmd {
        PaymentCommand::Post { at, day, amount, method, date, reference, direct, not_commissionable } => {
            let c = Ctx::open(db, &at).await?;
            let today = day.get();
            let effective_on = date.unwrap_or(today);
            if effective_on > today {
                bail!("--date: a payment cannot be dated after today ({today})");
            }
            let route = if direct { Route::DirectToClient } else { Route::ToAgency };
            let new = NewPayment {
                amount: money(c.account.currency, &amount, "--amount")?,
                currency: c.account.currency,
                effective_on,
                method,
                source: if direct { Source::ClientReport } else { Source::Agent },
                route,
                commissionable: not_commissionable.then_some(false),
                reference: reference.filter(|r| !r.trim().is_empty()),
                card: None,
                split: false,
            };
            let flags = [("/amount", "--amount"), ("/currency", "--amount"), ("/effective_on", "--date")];
            let changes = c.act(payment::post(new, today, &cli_actor()), &flags).await?;
            let id = changes.records.iter().find(|r| r.kind == Payment::KIND).map(|r| r.id).context("no payment was recorded")?;
            let p: Payment = changed(&changes, id)?;
            show(at.json, &p, || {
                let to = if direct { "paid direct to the client" } else { "to the agency" };
                format!(
                    "Payment {} posted on account {}: {} by {} on {}, {to}, commission {}",
                    p.receipt_no,
                    c.account.external_ref,
                    c.money(p.amount),
                    p.method.as_str(),
                    p.effective_on,
                    c.money(p.commission)
                )
            })
        }
        PaymentCommand::Reverse { at, day, receipt, reason, date } => {
            let c = Ctx::open(db, &at).await?;
            let paid = c.records::<Payment>().await?.into_iter().find(|p| p.receipt_no == receipt.trim());
            let paid = paid.with_context(|| format!("account {} has no payment with receipt {receipt:?}", c.account.external_ref))?;
            let today = day.get();
            let op = payment::reverse(paid.id, reason, date.unwrap_or(today), today, &cli_actor());
            let changes = c.act(op, &[("/effective_on", "--date")]).await?;
            let id = changes.records.iter().find(|r| r.kind == Reversal::KIND).map(|r| r.id).context("no reversal was recorded")?;
            let r: Reversal = changed(&changes, id)?;
            show(at.json, &r, || {
                format!(
                    "Payment {} reversed ({}) on {}: {} is owed again, commission {} taken back",
                    r.receipt_no,
                    word_of(&r.reason),
                    r.effective_on,
                    c.money(r.amount),
                    c.money(-r.commission)
                )
            })
        }
        PaymentCommand::List { at } => {
            let c = Ctx::open(db, &at).await?;
            let payments = c.records::<Payment>().await?;
            show(at.json, &payments, || listing::payments(&c, &payments))
        }
        PaymentCommand::Reconciliation { date, output } => {
            let s = store::open(db).await?;
            let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
            let day = date.unwrap_or_else(recoup_server::api::servicing::today);
            let csv = recoup_server::reconciliation::csv(s.as_ref(), tenant.id, day).await?;
            match output {
                None => print!("{csv}"),
                Some(path) => {
                    std::fs::write(&path, &csv).with_context(|| format!("writing {}", path.display()))?;
                    println!("reconciliation for {day} written to {}: {} rows", path.display(), csv.lines().count() - 1);
                }
            }
            Ok(())
        }
    }
}

/// A domain value's snake_case word, as the API writes it.
fn word_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub async fn settlement(db: &DbArgs, cmd: SettlementCommand) -> Result<()> {
    match cmd {
        SettlementCommand::Offer { at, day, percent, amount, expires, as_role } => {
            let c = Ctx::open(db, &at).await?;
            let offer = match (percent, amount) {
                (Some(p), None) => Offer::Percent(p),
                (None, Some(a)) => Offer::Amount(money(c.account.currency, &a, "--amount")?),
                _ => bail!("give either --percent or --amount"),
            };
            // A fresh id per invocation: see `Decide`.
            let new = NewSettlement {
                id: Uuid::now_v7(),
                offer,
                expires_on: expires,
                installments: Vec::new(),
                requested_by: Requester { id: Uuid::now_v7(), role: as_role },
            };
            let id = new.id;
            let flags = [("/offer", "--percent/--amount"), ("/expires_on", "--expires")];
            let changes = c.act(settlement::offer(new, day.get(), &cli_actor()), &flags).await?;
            let s: Settlement = changed(&changes, id)?;
            show(at.json, &s, || settlement_summary(&c, &s, "offered"))
        }
        SettlementCommand::Decide { at, id, approve, reject: _, as_role, note } => {
            let c = Ctx::open(db, &at).await?;
            // Never the requester's id (see the command's help): the approver is this invocation.
            let approver = Requester { id: Uuid::now_v7(), role: as_role };
            let changes = c.act(settlement::decide(id, approve, approver, note, &cli_actor()), &[]).await?;
            let s: Settlement = changed(&changes, id)?;
            show(at.json, &s, || settlement_summary(&c, &s, if approve { "approved" } else { "rejected" }))
        }
    }
}

fn settlement_summary(c: &Ctx, s: &Settlement, done: &str) -> String {
    let waiting = match s.approval {
        Approval::Needed(role) if s.status == SettlementStatus::PendingApproval => format!(" (waits for a {}'s approval)", role.as_str()),
        _ => String::new(),
    };
    format!(
        "Settlement {} {done} on account {}: collect {} of {} ({}% forgiven) by {}, {}{waiting}",
        s.id,
        c.account.external_ref,
        c.money(s.amount),
        c.money(s.owed),
        (s.discount * Decimal::ONE_HUNDRED).round_dp(2).normalize(),
        s.expires_on,
        s.status.as_str()
    )
}

pub async fn dispute(db: &DbArgs, cmd: DisputeCommand) -> Result<()> {
    match cmd {
        DisputeCommand::Open { at, day, reason, text, received, amount, notice_sent } => {
            let c = Ctx::open(db, &at).await?;
            let today = day.get();
            let new = NewDispute {
                id: Uuid::now_v7(),
                reason,
                text,
                channel: "agent".into(),
                received_on: received.unwrap_or(today),
                disputed_amount: amount.map(|a| money(c.account.currency, &a, "--amount")).transpose()?,
                validation_notice_sent_on: notice_sent,
            };
            let id = new.id;
            let flags = [("/text", "--text"), ("/received_on", "--received"), ("/disputed_amount", "--amount")];
            let changes = c.act(dispute::open(new, today, &cli_actor()), &flags).await?;
            let d: Dispute = changed(&changes, id)?;
            show(at.json, &d, || {
                format!(
                    "Dispute {} opened on account {} ({}), received {}, answer due by {}; collection is on hold (hold {})",
                    d.id,
                    c.account.external_ref,
                    word_of(&d.reason),
                    d.received_on,
                    d.sla_due_on,
                    d.hold_id
                )
            })
        }
        DisputeCommand::Update { at, day, id, status, note, adjust_by, close } => {
            let c = Ctx::open(db, &at).await?;
            let adjust_by = adjust_by.map(|a| money(c.account.currency, &a, "--adjust-by")).transpose()?;
            let u = DisputeUpdate { to: status, note, adjust_by, close };
            let changes =
                c.act(dispute::update(id, u, day.get(), &cli_actor()), &[("/note", "--note"), ("/adjust_by", "--adjust-by")]).await?;
            let d: Dispute = changed(&changes, id)?;
            show(at.json, &d, || {
                format!(
                    "Dispute {} on account {} is now {}: {}",
                    d.id,
                    c.account.external_ref,
                    word_of(&d.status),
                    d.resolution.as_deref().unwrap_or("")
                )
            })
        }
        DisputeCommand::ListOpen(args) => listing::open_disputes(db, args).await,
    }
}

pub async fn hold(db: &DbArgs, cmd: HoldCommand) -> Result<()> {
    match cmd {
        HoldCommand::Add { at, day, kind, reason, until, chapter, case_number, contact_name, contact_phone, contact_email } => {
            let c = Ctx::open(db, &at).await?;
            let contact =
                contact_name.map(|name| Representative { name, phone: contact_phone, email: contact_email, ..Default::default() });
            let details = HoldDetails { chapter, case_number, filed_on: None, contact };
            let new = NewHold { id: Uuid::now_v7(), kind, reason, details, until };
            let id = new.id;
            let flags = [
                ("/reason", "--reason"),
                ("/until", "--until"),
                ("/details/chapter", "--chapter"),
                ("/details/case_number", "--case-number"),
                ("/details/contact", "--contact-name/--contact-phone/--contact-email"),
            ];
            let changes = c.act(hold::add(new, day.get(), &cli_actor()), &flags).await?;
            let h: HoldRecord = changed(&changes, id)?;
            show(at.json, &h, || {
                let until = h.until.map(|u| format!(" until {u}")).unwrap_or_default();
                format!("Hold {} ({}) placed on account {}{until}: {}", h.id, h.kind.as_str(), c.account.external_ref, h.reason)
            })
        }
        HoldCommand::Release { at, day, id, reason } => {
            let c = Ctx::open(db, &at).await?;
            let changes = c.act(hold::release(id, reason, day.get(), &cli_actor()), &[("/reason", "--reason")]).await?;
            let h: HoldRecord = changed(&changes, id)?;
            show(at.json, &h, || {
                format!(
                    "Hold {} ({}) on account {} released: {}",
                    h.id,
                    h.kind.as_str(),
                    c.account.external_ref,
                    h.release_reason.as_deref().unwrap_or("")
                )
            })
        }
    }
}
