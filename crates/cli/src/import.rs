//! `recoup import placements FILE --client C ...`: a placement file into the store, with a
//! progress bar on a terminal, a summary at the end and a rejects file to fix and re-import.
//! Payment files are `payment_import`'s.

use crate::DbArgs;
use crate::setup::{cli_actor, find_client};
use crate::store;
use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;
use recoup_domain::org::{Client, Portfolio};
use recoup_import::{Format, Mapping, PlacementReader, RejectWriter, find_duplicate_refs};
use recoup_server::import::{ImportRequest, ImportSummary};
use recoup_store::Store;
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import a placement file (CSV or JSON Lines) for a client.
    Placements {
        file: PathBuf,
        /// The client's code.
        #[arg(long)]
        client: String,
        /// The portfolio's code; `default` is created for the client when missing.
        #[arg(long, default_value = "default")]
        portfolio: String,
        /// A TOML mapping from the client's own columns and date format to recoup's.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// `csv` or `jsonl`; guessed from the file's extension when absent.
        #[arg(long)]
        format: Option<String>,
        /// Where rejected rows go (default: next to the file, as NAME.rejects.EXT).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// The placement date (default: today).
        #[arg(long)]
        placed_on: Option<Date>,
        /// Check every row and report what would happen, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    Payments(crate::payment_import::PaymentArgs),
}

/// Counts bytes as the parser reads them, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub async fn run(db: &DbArgs, cmd: ImportCommand) -> Result<ExitCode> {
    let (file, client, portfolio, mapping, format, rejects, placed_on, dry_run) = match cmd {
        ImportCommand::Placements { file, client, portfolio, mapping, format, rejects, placed_on, dry_run } => {
            (file, client, portfolio, mapping, format, rejects, placed_on, dry_run)
        }
        ImportCommand::Payments(args) => return crate::payment_import::run(db, args).await,
    };
    let store = store::open(db).await?;
    let tenant = store::tenant(store.as_ref(), &db.tenant).await?;
    let client = find_client(store.as_ref(), &tenant, &client).await?;
    let (portfolio, new_portfolio) = find_portfolio(store.as_ref(), &client, &portfolio).await?;
    let mapping = match &mapping {
        Some(p) => Mapping::from_file(p).with_context(|| format!("reading mapping {}", p.display()))?,
        None => Mapping::standard(),
    };
    let format = match format {
        Some(f) => Format::parse(&f).with_context(|| format!("unknown format {f:?}: use csv or jsonl"))?,
        None => Format::from_path(&file),
    };
    let placed_on = placed_on.unwrap_or_else(|| jiff::Zoned::now().date());
    let req = ImportRequest {
        tenant_id: tenant.id,
        client,
        portfolio,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        placed_on,
        dry_run,
        actor: cli_actor(),
    };
    let open = || File::open(&file).with_context(|| format!("opening {}", file.display()));
    let duplicates = find_duplicate_refs(open()?, format, &mapping).with_context(|| format!("reading {}", file.display()))?;
    let size = open()?.metadata()?.len();
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{spinner} importing [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let read_bytes = Arc::new(AtomicU64::new(0));
    let input = Counting { inner: open()?, read: read_bytes.clone() };
    let ctx = req.context();
    let reader = PlacementReader::new(input, format, &mapping, ctx.clone())
        .with_context(|| format!("reading {}", file.display()))?
        .with_duplicates(duplicates);
    if new_portfolio && !dry_run {
        store.create_portfolio(&req.portfolio, &cli_actor()).await?;
    }
    let rejects_path = rejects.unwrap_or_else(|| default_rejects_path(&file));
    let writer = RejectWriter::new(
        BufWriter::new(File::create(&rejects_path).with_context(|| format!("creating {}", rejects_path.display()))?),
        format,
        reader.header(),
    );
    let bar = progress.clone();
    let on_progress = move |rows: u64| {
        bar.set_position(read_bytes.load(Ordering::Relaxed));
        bar.set_message(format!("{rows} rows"));
    };
    let result = recoup_server::import::run(store.clone(), reader, ctx, Some(writer), req.clone(), on_progress).await;
    progress.finish_and_clear();
    let summary = result?;
    let kept_rejects = summary.counts.rejected > summary.refusals.len() as u64;
    if !kept_rejects {
        let _ = std::fs::remove_file(&rejects_path);
    }
    print_summary(&file, &req, &summary, kept_rejects.then_some(rejects_path.as_path()));
    Ok(ExitCode::SUCCESS)
}

/// The named portfolio, and whether it still has to be created: `default` is made for the
/// client on its first import, once the file has been found readable.
async fn find_portfolio(store: &dyn Store, client: &Client, code: &str) -> Result<(Portfolio, bool)> {
    recoup_server::import::find_portfolio(store, client, code).await?.with_context(|| {
        format!(
            "client {} has no portfolio {code:?}; add it with `recoup portfolio add {code} --client {} --name ...`",
            client.code, client.code
        )
    })
}

pub fn default_rejects_path(file: &Path) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "placement".into());
    let ext = file.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "csv".into());
    file.with_file_name(format!("{stem}.rejects.{ext}"))
}

fn print_summary(file: &Path, req: &ImportRequest, s: &ImportSummary, rejects: Option<&Path>) {
    let n = &s.counts;
    match s.placement_id {
        Some(id) => {
            println!("Imported {} for client {} / portfolio {} as placement {id}", file.display(), req.client.code, req.portfolio.code)
        }
        None => {
            println!("Dry run of {} for client {} / portfolio {}: nothing was written", file.display(), req.client.code, req.portfolio.code)
        }
    }
    println!("  rows read   {:>9}", n.read);
    if s.placement_id.is_some() {
        println!("  created     {:>9}", n.created);
        println!("  updated     {:>9}", n.updated);
        println!("  unchanged   {:>9}", n.unchanged);
    } else {
        println!("  new         {:>9}", n.created);
        println!("  known       {:>9}  (would be updated, or left unchanged if identical)", n.updated);
    }
    println!("  rejected    {:>9}", n.rejected);
    for r in &s.sample_rejects {
        let column = r.column.as_deref().map(|c| format!(", column {c:?}")).unwrap_or_default();
        eprintln!("line {}{column}: {}", r.line, r.reason);
    }
    let shown = s.sample_rejects.len() as u64;
    let file_rejects = n.rejected - s.refusals.len() as u64;
    if file_rejects > shown {
        eprintln!("... and {} more", file_rejects - shown);
    }
    for r in &s.refusals {
        eprintln!("line {} (account {}): refused by the stored account: {}", r.line, r.external_ref, r.reason);
    }
    if let Some(path) = rejects {
        println!("Rejected rows are in {}: fix them there and import that file again.", path.display());
    }
}
