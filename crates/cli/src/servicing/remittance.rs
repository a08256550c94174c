//! `recoup servicing run`, the daily judgement on demand, and `recoup remittance statement`.

use crate::DbArgs;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use jiff::civil::Date;
use recoup_domain::org::{Client, Tenant};
use recoup_store::servicing::remittance::{self, RemittanceStatement};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ServicingCommand {
    /// Run the daily judgement now: promises kept or broken, plan installments missed,
    /// settlements completed or expired, hardship pauses ended. `serve` runs it every day on
    /// its own. Every tenant is judged unless one is named (--tenant or RECOUP_TENANT). Exits
    /// with 2 when an account failed.
    Run {
        /// The day to judge (default: today in UTC).
        #[arg(long)]
        date: Option<Date>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RemittanceCommand {
    /// A client's statement for a period: collections, direct payments, reversals, commission
    /// and the net amount due to the client.
    Statement {
        /// The client's code.
        #[arg(long)]
        client: String,
        /// First day, inclusive.
        #[arg(long)]
        from: Date,
        /// Last day, inclusive.
        #[arg(long)]
        to: Date,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Write the statement to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
    /// Needs --output.
    Pdf,
}

pub async fn run(db: &DbArgs, cmd: ServicingCommand) -> Result<ExitCode> {
    let ServicingCommand::Run { date, json } = cmd;
    let s = store::open(db).await?;
    let tenants = if db.tenant_named { vec![store::tenant(s.as_ref(), &db.tenant).await?] } else { s.list_tenants().await? };
    let day = date.unwrap_or_else(recoup_server::api::servicing::today);
    let mut out = Vec::new();
    let mut failed = 0;
    for t in &tenants {
        let r = recoup_store::servicing::daily(s.as_ref(), t.id, day, &cli_actor()).await?;
        for (account, error) in &r.failed {
            eprintln!("tenant {}: account {account} failed: {error}", t.slug);
        }
        failed += r.failed.len();
        if !json {
            println!(
                "tenant {} on {day}: {} accounts judged, {} changed, {} given interest or fees, {} failed",
                t.slug,
                r.accounts,
                r.changed,
                r.accrued,
                r.failed.len()
            );
        }
        let failures: Vec<_> = r.failed.iter().map(|(a, e)| serde_json::json!({"account_id": a, "error": e})).collect();
        out.push(serde_json::json!({"tenant": t.slug, "date": day, "accounts": r.accounts, "changed": r.changed, "accrued": r.accrued, "failed": failures}));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

pub async fn statement(db: &DbArgs, cmd: RemittanceCommand) -> Result<()> {
    let RemittanceCommand::Statement { client, from, to, format, json, output } = cmd;
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let s = store::open(db).await?;
    let tenant: Tenant = store::tenant(s.as_ref(), &db.tenant).await?;
    let client = find_client(s.as_ref(), &tenant, &client).await?;
    let st = remittance::statement(s.as_ref(), tenant.id, client.id, from, to).await?;
    let format = if json { Format::Json } else { format };
    if format == Format::Pdf && output.is_none() {
        bail!("--format pdf writes a file: give --output FILE");
    }
    let body = match format {
        Format::Csv => remittance::to_csv(&st, client.default_currency).into_bytes(),
        Format::Json => (serde_json::to_string_pretty(&st)? + "\n").into_bytes(),
        Format::Text => text(&st, &client).into_bytes(),
        Format::Pdf => recoup_channels::pdf::render(&recoup_server::documents::statement(&st, &client))?,
    };
    match output {
        None => print!("{}", String::from_utf8_lossy(&body)),
        Some(path) => {
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
            let money = |m: i64| client.default_currency.format_minor(m);
            println!(
                "Statement of client {} for {from} to {to} written to {}: {} lines, net due to client {}",
                client.code,
                path.display(),
                st.lines.len(),
                money(st.totals.net_due_to_client)
            );
        }
    }
    Ok(())
}

fn text(st: &RemittanceStatement, client: &Client) -> String {
    let money = |m: i64| client.default_currency.format_minor(m);
    let mut out = format!("Remittance statement of client {} ({}) for {} to {}\n", client.code, client.name, st.from, st.to);
    for l in &st.lines {
        out.push_str(&format!(
            "  {}  {:<24} {:<8} {:<16} {:<8} {:>12}  commission {:>10}\n",
            l.effective_on,
            l.receipt_no,
            l.kind,
            super::word_of(&l.route),
            l.method.as_deref().unwrap_or(""),
            money(l.amount),
            money(l.commission)
        ));
    }
    let t = &st.totals;
    out.push_str(&format!("  collected by agency     {:>12}\n", money(t.collected_by_agency)));
    out.push_str(&format!("  paid direct to client   {:>12}\n", money(t.paid_direct)));
    out.push_str(&format!("  reversals               {:>12}\n", money(st.reversals)));
    out.push_str(&format!("  commission              {:>12}\n", money(t.commission)));
    out.push_str(&format!("  net due to client       {:>12}\n", money(t.net_due_to_client)));
    out
}
