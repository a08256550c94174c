//! `recoup account show REF --client C`: one account as the store holds it: balances by
//! component, parties and contact points with consent, invoices and the ledger.

use crate::DbArgs;
use crate::setup::find_client;
use crate::store;
use anyhow::{Context, Result};
use clap::Subcommand;
use recoup_domain::contact::{Channel, ContactPoint};
use recoup_domain::ledger::Amounts;
use recoup_domain::money::Currency;

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Show one account by the client's account number.
    Show {
        external_ref: String,
        #[arg(long)]
        client: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(db: &DbArgs, cmd: AccountCommand) -> Result<()> {
    let AccountCommand::Show { external_ref, client, json } = cmd;
    let s = store::open(db).await?;
    let tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    let client = find_client(s.as_ref(), &tenant, &client).await?;
    let account = s
        .account_by_ref(tenant.id, client.id, &external_ref)
        .await?
        .with_context(|| format!("client {} has no account {external_ref:?}", client.code))?;
    let balance = s.balance(tenant.id, account.id).await?;
    let parties = s.parties_of(tenant.id, account.id).await?;
    let invoices = s.invoices(tenant.id, account.id).await?;
    let ledger = s.ledger(tenant.id, account.id).await?;
    if json {
        let out = serde_json::json!({"account": account, "balance": balance, "parties": parties, "invoices": invoices, "ledger": ledger});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let cur = account.currency;
    let money = |m: i64| cur.format_minor(m);
    let date = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
    println!("Account {} of client {}   id {}", account.external_ref, client.code, account.id);
    println!("  status {}, stage {}, flags {}", account.status.as_str(), account.stage.as_str(), or_dash(&account.flags.to_text()));
    println!(
        "  creditor {} (original {}), product {}",
        account.current_creditor,
        account.original_creditor,
        account.product.as_deref().unwrap_or("-")
    );
    println!(
        "  opened {}, first delinquency {}, charged off {}, itemization {}, last payment {} {}",
        date(account.opened_on),
        date(account.first_delinquency_on),
        date(account.charged_off_on),
        date(account.itemization_on),
        date(account.last_payment_on),
        account.last_payment_minor.map(money).unwrap_or_default()
    );
    println!("Balance ({cur})\n  {}", amounts(&balance, cur));
    println!("  owed {}  net {}", money(balance.owed()), money(balance.net()));
    println!("Parties");
    for p in &parties {
        println!(
            "  {:<10} {}  ({}, language {})",
            p.role.as_str(),
            p.party.display_name(),
            p.party.kind.as_str(),
            p.party.language.as_deref().unwrap_or("-")
        );
        for c in &p.contact_points {
            println!("    {}", contact(c));
        }
    }
    if !invoices.is_empty() {
        println!("Invoices");
        for i in &invoices {
            println!(
                "  {:<12} issued {} due {}  amount {:>12}  open {:>12}",
                i.number,
                i.issued_on,
                i.due_on,
                money(i.amount_minor),
                money(i.open_minor)
            );
        }
    }
    println!("Ledger");
    for e in &ledger {
        println!("  {} {:<10} {}  {}", e.effective_on, e.kind.as_str(), amounts(&e.delta, cur), e.memo);
    }
    Ok(())
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn amounts(a: &Amounts, cur: Currency) -> String {
    format!(
        "principal {:>10}  interest {:>9}  fees {:>8}  costs {:>8}  credit {:>8}",
        cur.format_minor(a.principal),
        cur.format_minor(a.interest),
        cur.format_minor(a.fees),
        cur.format_minor(a.costs),
        cur.format_minor(a.credit)
    )
}

fn contact(c: &ContactPoint) -> String {
    let consent: Vec<String> = Channel::ALL.iter().map(|ch| format!("{} {}", ch.as_str(), c.consent.get(*ch).as_str())).collect();
    let kind = c.phone_type.map(|t| t.as_str()).unwrap_or(c.kind.as_str());
    let ext = c.extension.as_deref().map(|e| format!(" x{e}")).unwrap_or_default();
    format!(
        "{kind:<8} {}{ext}  zone {}  {} {}  consent: {}",
        c.value,
        c.time_zone.as_deref().unwrap_or("unknown"),
        c.source.as_str(),
        c.verification.as_str(),
        consent.join(", ")
    )
}
