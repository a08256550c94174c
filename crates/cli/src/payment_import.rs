//! `recoup import payments FILE --client C ...`: a payment file (a client's report of payments
//! made to it, a bank's or lockbox's deposits), each row posted on its account by
//! `recoup_server::payment_import`, a summary at the end and a rejects file to fix and import
//! again.

use crate::DbArgs;
use crate::import::default_rejects_path;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result};
use clap::Args;
use jiff::civil::Date;
use recoup_import::{Format, PaymentMapping, PaymentReader, RejectWriter};
use recoup_server::payment_import::{PaymentImportRequest, PaymentImportSummary};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Import a payment file (CSV), each row posted on its account by the client's account number.
///
/// Standard columns: account_ref, amount (in the account's currency), paid_on (YYYY-MM-DD),
/// method (card, ach, check, cash or transfer), reference and route (agency, the default, or
/// direct for a payment made to the client); a mapping file renames them and sets the date
/// format. A row that repeats a payment already on its account (same day, amount and
/// reference) is skipped as a duplicate, so a file can be imported again safely; a row without
/// a reference is never taken for a repeat.
#[derive(Args)]
pub struct PaymentArgs {
    file: PathBuf,
    /// The client's code.
    #[arg(long)]
    client: String,
    /// A TOML mapping from the file's own columns and date format to recoup's.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Where rejected rows go (default: next to the file, as NAME.rejects.EXT).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// The day the payments are posted on (default: today in UTC); no row may be dated after it.
    #[arg(long)]
    today: Option<Date>,
    /// Check every row against its account as it stands and report what would happen, writing
    /// nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(db: &DbArgs, args: PaymentArgs) -> Result<ExitCode> {
    let store = store::open(db).await?;
    let tenant = store::tenant(store.as_ref(), &db.tenant).await?;
    let client = find_client(store.as_ref(), &tenant, &args.client).await?;
    let mapping = match &args.mapping {
        Some(p) => PaymentMapping::from_file(p).with_context(|| format!("reading mapping {}", p.display()))?,
        None => PaymentMapping::standard(),
    };
    let req = PaymentImportRequest {
        tenant_id: tenant.id,
        client,
        today: args.today.unwrap_or_else(recoup_server::api::servicing::today),
        dry_run: args.dry_run,
        actor: cli_actor(),
    };
    let file = &args.file;
    let input = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let reader = PaymentReader::new(input, &mapping, req.context()).with_context(|| format!("reading {}", file.display()))?;
    let rejects_path = args.rejects.clone().unwrap_or_else(|| default_rejects_path(file));
    let out = File::create(&rejects_path).with_context(|| format!("creating {}", rejects_path.display()))?;
    let writer = RejectWriter::new(BufWriter::new(out), Format::Csv, reader.header());
    let summary = recoup_server::payment_import::run(store, reader, Some(writer), &req).await;
    let summary = summary.with_context(|| format!("importing {}", file.display()))?;
    if summary.rejected == 0 {
        let _ = std::fs::remove_file(&rejects_path);
    }
    print_summary(file, &req, &summary, (summary.rejected > 0).then_some(rejects_path.as_path()));
    Ok(ExitCode::SUCCESS)
}

fn print_summary(file: &Path, req: &PaymentImportRequest, s: &PaymentImportSummary, rejects: Option<&Path>) {
    let code = &req.client.code;
    if req.dry_run {
        println!("Dry run of payments {} for client {code} on {}: nothing was written", file.display(), req.today);
    } else {
        println!("Imported payments {} for client {code} on {}", file.display(), req.today);
    }
    println!("  rows read   {:>9}", s.read);
    println!("  posted      {:>9}{}", s.posted, if req.dry_run { "  (would be posted)" } else { "" });
    println!("  duplicate   {:>9}  (already posted: same account, day, amount and reference)", s.duplicates.len());
    println!("  rejected    {:>9}", s.rejected);
    let totals: Vec<String> = s.totals.iter().map(|(c, minor)| format!("{c} {}", c.format_minor(*minor))).collect();
    println!("  total posted  {}", if totals.is_empty() { "0".to_string() } else { totals.join(", ") });
    for d in &s.duplicates {
        let of = d.receipt_no.as_deref().map(|r| format!(" of receipt {r}")).unwrap_or_else(|| " of an earlier row".into());
        eprintln!("line {} (account {}): duplicate{of}, skipped", d.line, d.external_ref);
    }
    for r in &s.sample_rejects {
        let column = r.column.as_deref().map(|c| format!(", column {c:?}")).unwrap_or_default();
        eprintln!("line {}{column}: {}", r.line, r.reason);
    }
    let shown = s.sample_rejects.len() as u64;
    if s.rejected > shown {
        eprintln!("... and {} more", s.rejected - shown);
    }
    if let Some(path) = rejects {
        println!("Rejected rows are in {}: fix them there and import that file again.", path.display());
    }
}
