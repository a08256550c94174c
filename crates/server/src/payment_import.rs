//! A payment file from start to end, shared by `recoup import payments` and (next) the API: the
//! file is read on a blocking thread, each good row is matched to its account by the client's
//! account number and posted by one servicing action of its own, so a row lands whole or not at
//! all and one refused row never holds back the others. Every row that does not land goes to
//! the rejects file with its line, column and reason.
//!
//! # Repeats
//!
//! Files get imported twice: a rerun after a crash, the same day's file sent again. A row is a
//! *duplicate*, and is skipped, when its account already has a payment (posted, or posted and
//! since reversed) with the same day, the same amount and the same reference. The check runs
//! inside the transaction that would post the row, so two runs at once cannot both post it. A
//! row without a reference is never taken for a repeat: two equal cash payments on one day are
//! real, and nothing else tells them apart, so files meant to be rerun must carry references.

use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::money::Currency;
use recoup_domain::org::Client;
use recoup_domain::remittance::Route;
use recoup_import::{ImportError, PaymentContext, PaymentField, PaymentLine, PaymentReader, PaymentRow, RejectWriter, RowReject};
use recoup_store::servicing::payment::{self, NewPayment, Payment, Source};
use recoup_store::servicing::{AccountFile, Changes, Op};
use recoup_store::{Actor, Store, StoreError};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::Arc;
use uuid::Uuid;

/// How many rejects a summary carries for display; all of them go to the rejects file.
pub const SAMPLE_REJECTS: usize = 50;

#[derive(Debug, Clone)]
pub struct PaymentImportRequest {
    pub tenant_id: Uuid,
    pub client: Client,
    /// The day the payments are posted on: no row may be dated after it, and promises, plans and
    /// settlements are judged as of it.
    pub today: Date,
    /// Check every row against its account as it stands, and write nothing.
    pub dry_run: bool,
    pub actor: Actor,
}

impl PaymentImportRequest {
    /// What the file's rows are read against: the client's currency and the day.
    pub fn context(&self) -> PaymentContext {
        PaymentContext { currency: self.client.default_currency, today: self.today }
    }
}

/// A row skipped as a repeat of a payment already on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub line: u64,
    pub external_ref: String,
    /// The receipt of the payment it repeats; `None` for a repeat of an earlier row of the same
    /// dry run, which has no receipt yet.
    pub receipt_no: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentImportSummary {
    pub read: u64,
    /// Posted (on a dry run: would be posted).
    pub posted: u64,
    pub duplicates: Vec<Duplicate>,
    pub rejected: u64,
    /// The first rejects, for display.
    pub sample_rejects: Vec<RowReject>,
    /// Minor units posted, per currency, in the order first met.
    pub totals: Vec<(Currency, i64)>,
}

impl PaymentImportSummary {
    fn add_total(&mut self, currency: Currency, amount: i64) {
        match self.totals.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, total)) => *total += amount,
            None => self.totals.push((currency, amount)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentImportError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error("writing the rejects file failed: {0}")]
    Rejects(std::io::Error),
    #[error("the database failed; {posted} payments had been posted, each whole, and the rest of the file was not read: {source}")]
    Store { posted: u64, source: StoreError },
    #[error("the reading thread stopped unexpectedly")]
    Reader,
}

/// What became of one good row.
enum Outcome {
    Posted { currency: Currency, amount: i64 },
    Duplicate(Duplicate),
    Rejected(RowReject),
}

/// Runs a payment import, writing rejects to `rejects` as they are found.
pub async fn run<R, W>(
    store: Arc<dyn Store>,
    reader: PaymentReader<R>,
    mut rejects: Option<RejectWriter<W>>,
    req: &PaymentImportRequest,
) -> Result<PaymentImportSummary, PaymentImportError>
where
    R: Read + Send + 'static,
    W: Write,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<PaymentRow, ImportError>>(256);
    let parser = tokio::task::spawn_blocking(move || {
        for row in reader {
            if tx.blocking_send(row).is_err() {
                break;
            }
        }
    });
    let mut summary = PaymentImportSummary::default();
    let mut seen = HashSet::new();
    while let Some(row) = rx.recv().await {
        summary.read += 1;
        let outcome = match row? {
            PaymentRow::Rejected(r) => Outcome::Rejected(r),
            PaymentRow::Read(line) => match post_line(store.as_ref(), req, &line, &mut seen).await {
                Ok(outcome) => outcome,
                Err(source) => return Err(PaymentImportError::Store { posted: summary.posted, source }),
            },
        };
        tally(&mut summary, rejects.as_mut(), outcome)?;
    }
    parser.await.map_err(|_| PaymentImportError::Reader)?;
    if let Some(w) = rejects {
        w.finish().map_err(PaymentImportError::Rejects)?;
    }
    Ok(summary)
}

fn tally<W: Write>(
    s: &mut PaymentImportSummary,
    rejects: Option<&mut RejectWriter<W>>,
    outcome: Outcome,
) -> Result<(), PaymentImportError> {
    match outcome {
        Outcome::Posted { currency, amount } => {
            s.posted += 1;
            s.add_total(currency, amount);
        }
        Outcome::Duplicate(d) => s.duplicates.push(d),
        Outcome::Rejected(r) => {
            s.rejected += 1;
            if let Some(w) = rejects {
                w.write(&r).map_err(PaymentImportError::Rejects)?;
            }
            if s.sample_rejects.len() < SAMPLE_REJECTS {
                s.sample_rejects.push(r);
            }
        }
    }
    Ok(())
}

/// Finds the row's account and posts the payment (or, on a dry run, checks it would post).
/// `Err` only for a failure of the database itself; anything about the row is an outcome.
async fn post_line(
    store: &dyn Store,
    req: &PaymentImportRequest,
    line: &PaymentLine,
    seen: &mut HashSet<(Uuid, Date, i64, String)>,
) -> Result<Outcome, StoreError> {
    let Some(account) = store.account_by_ref(req.tenant_id, req.client.id, &line.account_ref).await? else {
        let why = format!("client {} has no account {:?}", req.client.code, line.account_ref);
        return Ok(Outcome::Rejected(line.reject(Some(PaymentField::AccountRef), why)));
    };
    let new = match new_payment(line, &account) {
        Ok(p) => p,
        Err(reason) => return Ok(Outcome::Rejected(line.reject(Some(PaymentField::Amount), reason))),
    };
    let result = if req.dry_run {
        check_line(store, req, &account, &new, seen).await?
    } else {
        store.service(req.tenant_id, account.id, post_once(new.clone(), req.today, &req.actor)).await
    };
    let changes = match result {
        Ok(changes) => changes,
        Err(e) => return refused(line, e),
    };
    if !changes.records.is_empty() {
        return Ok(Outcome::Posted { currency: new.currency, amount: new.amount });
    }
    let file = store.account_file(req.tenant_id, account.id).await?;
    let receipt_no = file.as_ref().map(|f| repeat_in(f, &new)).transpose()?.flatten().map(|p| p.receipt_no);
    Ok(Outcome::Duplicate(Duplicate { line: line.line, external_ref: line.account_ref.clone(), receipt_no }))
}

fn new_payment(line: &PaymentLine, account: &Account) -> Result<NewPayment, String> {
    Ok(NewPayment {
        amount: line.amount_in(account.currency)?,
        currency: account.currency,
        effective_on: line.paid_on,
        method: line.method,
        source: if line.route == Route::DirectToClient { Source::ClientReport } else { Source::File },
        route: line.route,
        // The client's policy decides whether direct payments earn commission; the file cannot
        // say otherwise for one row (post such a payment by hand with --not-commissionable).
        commissionable: None,
        reference: line.reference.clone(),
        card: None,
        split: false,
    })
}

/// Posts the payment unless it repeats one already on the account (see the module's rule), in
/// which case nothing changes.
pub fn post_once(new: NewPayment, today: Date, actor: &Actor) -> Op {
    let post = payment::post(new.clone(), today, actor);
    Box::new(move |file: &AccountFile| {
        if repeat_in(file, &new)?.is_some() {
            return Ok(Changes::default());
        }
        post(file)
    })
}

/// The payment on the account that `new` repeats: same day, amount and reference.
pub fn repeat_in(file: &AccountFile, new: &NewPayment) -> Result<Option<Payment>, StoreError> {
    let Some(reference) = new.reference.as_deref() else { return Ok(None) };
    let same = |p: &Payment| p.reference.as_deref() == Some(reference) && p.effective_on == new.effective_on && p.amount == new.amount;
    Ok(file.all::<Payment>()?.into_iter().find(same))
}

/// A dry run's answer: the decision run on the account as it stands, nothing written. A row
/// that repeats an earlier row of the same file is a duplicate, as it would be for real.
async fn check_line(
    store: &dyn Store,
    req: &PaymentImportRequest,
    account: &Account,
    new: &NewPayment,
    seen: &mut HashSet<(Uuid, Date, i64, String)>,
) -> Result<Result<Changes, StoreError>, StoreError> {
    let file = store.account_file(req.tenant_id, account.id).await?.ok_or_else(|| StoreError::not_found("account", account.id))?;
    if let Some(reference) = &new.reference
        && !seen.insert((account.id, new.effective_on, new.amount, reference.clone()))
    {
        return Ok(Ok(Changes::default()));
    }
    Ok(post_once(new.clone(), req.today, &req.actor)(&file))
}

/// A refusal about the row becomes its reject; a failure of the database stops the import.
fn refused(line: &PaymentLine, e: StoreError) -> Result<Outcome, StoreError> {
    let (field, reason) = match e {
        StoreError::Invalid { field, reason } => {
            let column = match field.as_str() {
                "/amount" | "/currency" => Some(PaymentField::Amount),
                "/effective_on" => Some(PaymentField::PaidOn),
                _ => None,
            };
            (column, reason)
        }
        StoreError::Refused(why) | StoreError::NotAllowed(why) => (None, format!("the account refuses the payment: {why}")),
        e @ (StoreError::NotFound { .. } | StoreError::Ledger(_) | StoreError::Transition(_)) => (None, e.to_string()),
        other => return Err(other),
    };
    Ok(Outcome::Rejected(line.reject(field, reason)))
}
