//! A placement import from start to end, shared by `recoup import placements` and (next) the API
//! upload: the file is parsed on a blocking thread while batches are written on the async side,
//! so parsing and writing overlap; rejects go to the rejects file as they are found.

use jiff::civil::Date;
use recoup_domain::org::{Client, ImportCounts, Placement, PlacementStatus, Portfolio};
use recoup_domain::placement::{PlacedAccount, RowOutcome};
use recoup_import::{ImportContext, ImportError, PlacementReader, RejectWriter, RowReject, RowResult};
use recoup_store::{Actor, Store, StoreError};
use std::io::{Read, Write};
use std::sync::Arc;
use uuid::Uuid;

/// How many rejects a summary carries for display; all of them go to the rejects file.
pub const SAMPLE_REJECTS: usize = 50;

/// Rows per write transaction. Each commit writes every page the batch touched, and the indexes
/// on random keys (a party's national-id hash, a phone number) touch a page per row, so larger
/// batches write far less (200,000 rows in batches of 2,000 wrote 2.8 times the bytes of
/// batches of 10,000). The cost: other writers wait for a batch, about half a second, and the batch and
/// the one queued behind it (a channel of one) stay in memory, some 30 MB each.
pub const BATCH_ROWS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub tenant_id: Uuid,
    pub client: Client,
    pub portfolio: Portfolio,
    pub file_name: String,
    pub placed_on: Date,
    /// Read and check everything, and tell which accounts are new, but write nothing.
    pub dry_run: bool,
    pub actor: Actor,
}

impl ImportRequest {
    /// The context rows are checked in, with a fresh placement id.
    pub fn context(&self) -> ImportContext {
        ImportContext {
            tenant_id: self.tenant_id,
            client_id: self.client.id,
            portfolio_id: self.portfolio.id,
            placement_id: Uuid::now_v7(),
            default_currency: self.client.default_currency,
            creditor_name: self.client.name.clone(),
            today: self.placed_on,
        }
    }
}

/// The portfolio a placement goes to: the client's portfolio with this code, or, for the code
/// `default` when the client has none yet, a new one to create (the `bool`). `None`: no such
/// portfolio.
pub async fn find_portfolio(store: &dyn Store, client: &Client, code: &str) -> Result<Option<(Portfolio, bool)>, StoreError> {
    if let Some(p) = store.portfolio_by_code(client.tenant_id, client.id, code).await? {
        return Ok(Some((p, false)));
    }
    if code != "default" {
        return Ok(None);
    }
    let p = Portfolio {
        id: Uuid::now_v7(),
        tenant_id: client.tenant_id,
        client_id: client.id,
        code: code.into(),
        name: "Default".into(),
        product: None,
    };
    Ok(Some((p, true)))
}

/// A row that was valid but that the store would not apply, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: u64,
    pub external_ref: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    /// `None` on a dry run.
    pub placement_id: Option<Uuid>,
    pub counts: ImportCounts,
    pub refusals: Vec<Refusal>,
    /// The first rejects, for display.
    pub sample_rejects: Vec<RowReject>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportRunError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error("writing the rejects file failed: {0}")]
    Rejects(std::io::Error),
    #[error("the database refused a batch; {landed} rows had landed, each whole, and the placement is marked failed: {source}")]
    Store { landed: u64, source: StoreError },
    #[error("the reading thread stopped unexpectedly")]
    Reader,
}

enum Batch {
    Rows(Vec<PlacedAccount>),
    /// Progress from the reader: rows read so far, rejects so far.
    Done {
        read: u64,
        rejected: u64,
        sample: Vec<RowReject>,
    },
}

/// Runs an import. `ctx` must come from `req.context()`; `progress` is called after each batch
/// with the rows read so far.
pub async fn run<R, W>(
    store: Arc<dyn Store>,
    reader: PlacementReader<R>,
    ctx: ImportContext,
    rejects: Option<RejectWriter<W>>,
    req: ImportRequest,
    progress: impl Fn(u64) + Send + 'static,
) -> Result<ImportSummary, ImportRunError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    run_keeping(store, reader, ctx, rejects, req, progress, SAMPLE_REJECTS).await
}

/// `run`, with the summary keeping up to `keep` rejects (the API reports them in its answer).
pub async fn run_keeping<R, W>(
    store: Arc<dyn Store>,
    reader: PlacementReader<R>,
    ctx: ImportContext,
    rejects: Option<RejectWriter<W>>,
    req: ImportRequest,
    progress: impl Fn(u64) + Send + 'static,
    keep: usize,
) -> Result<ImportSummary, ImportRunError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let placement = Placement {
        id: ctx.placement_id,
        tenant_id: req.tenant_id,
        client_id: req.client.id,
        portfolio_id: req.portfolio.id,
        placed_on: req.placed_on,
        file_name: req.file_name.clone(),
        status: PlacementStatus::Importing,
        counts: ImportCounts::default(),
    };
    if !req.dry_run {
        store.begin_placement(&placement, &req.actor).await.map_err(|source| ImportRunError::Store { landed: 0, source })?;
    }
    // Parsing runs ten times faster than writing; a deeper queue would only hold memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(1);
    let parser = tokio::task::spawn_blocking(move || parse(reader, rejects, tx, progress, keep));

    let mut counts = ImportCounts::default();
    let mut refusals = Vec::new();
    let mut sample_rejects = Vec::new();
    let mut write_error = None;
    while let Some(batch) = rx.recv().await {
        match batch {
            Batch::Rows(rows) => {
                if write_error.is_some() {
                    continue; // drain so the parser can finish and close the rejects file
                }
                let outcome = if req.dry_run {
                    classify(store.as_ref(), &rows).await
                } else {
                    write(store.as_ref(), &placement, rows, &req.actor).await
                };
                match outcome {
                    Ok(done) => tally(&mut counts, &mut refusals, done),
                    Err(e) => write_error = Some(e),
                }
            }
            Batch::Done { read, rejected, sample } => {
                counts.read = read;
                counts.rejected += rejected;
                sample_rejects = sample;
            }
        }
    }
    let parsed = parser.await.map_err(|_| ImportRunError::Reader)?;
    let status = if write_error.is_some() || parsed.is_err() { PlacementStatus::Failed } else { PlacementStatus::Completed };
    if !req.dry_run {
        store
            .finish_placement(req.tenant_id, placement.id, status, &counts)
            .await
            .map_err(|source| ImportRunError::Store { landed: counts.created + counts.updated, source })?;
    }
    if let Some(source) = write_error {
        return Err(ImportRunError::Store { landed: counts.created + counts.updated, source });
    }
    parsed?;
    Ok(ImportSummary { placement_id: (!req.dry_run).then_some(placement.id), counts, refusals, sample_rejects })
}

/// The blocking half: reads rows, writes rejects, sends batches of good rows.
fn parse<R: Read, W: Write>(
    reader: PlacementReader<R>,
    mut rejects: Option<RejectWriter<W>>,
    tx: tokio::sync::mpsc::Sender<Batch>,
    progress: impl Fn(u64),
    keep: usize,
) -> Result<(), ImportRunError> {
    let (mut read, mut rejected) = (0u64, 0u64);
    let mut sample = Vec::new();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    for item in reader {
        read += 1;
        match item? {
            RowResult::Placed(row) => batch.push(*row),
            RowResult::Rejected(r) => {
                rejected += 1;
                if let Some(w) = rejects.as_mut() {
                    w.write(&r).map_err(ImportRunError::Rejects)?;
                }
                if sample.len() < keep {
                    sample.push(r);
                }
            }
        }
        if batch.len() == BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if tx.blocking_send(Batch::Rows(full)).is_err() {
                return Err(ImportRunError::Reader);
            }
            progress(read);
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Batch::Rows(batch));
    }
    progress(read);
    if let Some(w) = rejects {
        w.finish().map_err(ImportRunError::Rejects)?;
    }
    let _ = tx.blocking_send(Batch::Done { read, rejected, sample });
    Ok(())
}

type Written = Vec<(u64, String, RowOutcome)>;

async fn write(store: &dyn Store, placement: &Placement, rows: Vec<PlacedAccount>, actor: &Actor) -> Result<Written, StoreError> {
    let keys: Vec<(u64, String)> = rows.iter().map(|r| (r.line, r.account.external_ref.clone())).collect();
    let outcomes = store.write_placed(placement, rows, actor).await?;
    Ok(keys.into_iter().zip(outcomes).map(|((l, r), o)| (l, r, o)).collect())
}

/// A dry run's answer for each row: new, or already known (which a real run would update or
/// leave unchanged).
async fn classify(store: &dyn Store, rows: &[PlacedAccount]) -> Result<Written, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let known = store.account_by_ref(r.account.tenant_id, r.account.client_id, &r.account.external_ref).await?;
        let outcome = if known.is_some() { RowOutcome::Updated } else { RowOutcome::Created };
        out.push((r.line, r.account.external_ref.clone(), outcome));
    }
    Ok(out)
}

fn tally(counts: &mut ImportCounts, refusals: &mut Vec<Refusal>, done: Written) {
    for (line, external_ref, outcome) in done {
        let label = match outcome {
            RowOutcome::Created => {
                counts.created += 1;
                "created"
            }
            RowOutcome::Updated => {
                counts.updated += 1;
                "updated"
            }
            RowOutcome::Unchanged => {
                counts.unchanged += 1;
                "unchanged"
            }
            RowOutcome::Refused(reason) => {
                counts.rejected += 1;
                refusals.push(Refusal { line, external_ref, reason });
                "refused"
            }
        };
        metrics::counter!("recoup_import_rows_total", "outcome" => label).increment(1);
    }
}
