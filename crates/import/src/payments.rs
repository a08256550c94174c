//! Payment files: a client's report of payments made to it, or a bank's or lockbox's deposit
//! file, one payment per row. They are read like placement files (the same decoding, CSV reading,
//! mapping files and rejects files) but carry other fields, and a good row is only half checked:
//! whether its account exists and takes the payment is the store's to say, so a
//! [`PaymentLine`] can still be turned into a reject with [`PaymentLine::reject`].
//!
//! # The standard payment columns
//!
//! | column | value |
//! | --- | --- |
//! | `account_ref` | the client's account number (required) |
//! | `amount` | the amount paid in the account's currency (`25.00`, `$1,250.00`), above zero (required) |
//! | `paid_on` | the day the money moved, in the mapping's date format (ISO `YYYY-MM-DD` by default), not after today (required) |
//! | `method` | `card`, `ach`, `check`, `cash` or `transfer` (required, or a mapping default) |
//! | `reference` | the check number, bank trace or the client's own id; what lets a second run of the same file recognize the payment |
//! | `route` | `agency` (default: paid to the agency) or `direct` (paid to the client and reported) |
//!
//! Columns whose name starts with `_` are skipped, so a fixed rejects file imports as it is.

use crate::csv_reader::{CsvTable, resolve};
use crate::decode;
use crate::error::ImportError;
use crate::field::FieldSet;
use crate::mapping::ColumnMapping;
use crate::parse;
use crate::rejects::{RawRow, RowReject};
use crate::row::Fault;
use jiff::civil::Date;
use recoup_domain::money::Currency;
use recoup_domain::payment::Method;
use recoup_domain::remittance::Route;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentField {
    AccountRef,
    Amount,
    PaidOn,
    Method,
    Reference,
    Route,
}

impl PaymentField {
    pub const ALL: [PaymentField; 6] = [
        PaymentField::AccountRef,
        PaymentField::Amount,
        PaymentField::PaidOn,
        PaymentField::Method,
        PaymentField::Reference,
        PaymentField::Route,
    ];
}

impl FieldSet for PaymentField {
    const KEY: PaymentField = PaymentField::AccountRef;

    fn all() -> &'static [PaymentField] {
        &PaymentField::ALL
    }

    fn name(self) -> &'static str {
        match self {
            PaymentField::AccountRef => "account_ref",
            PaymentField::Amount => "amount",
            PaymentField::PaidOn => "paid_on",
            PaymentField::Method => "method",
            PaymentField::Reference => "reference",
            PaymentField::Route => "route",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn missing(has: &dyn Fn(PaymentField) -> bool) -> Vec<String> {
        use PaymentField::*;
        [AccountRef, Amount, PaidOn, Method].into_iter().filter(|&f| !has(f)).map(|f| f.to_string()).collect()
    }

    fn check_default(self, text: &str, date_format: &str) -> Result<(), String> {
        match self {
            PaymentField::Method => method(text).map(drop),
            PaymentField::Route => route(text).map(drop),
            PaymentField::PaidOn => parse::date(text, date_format).map(drop),
            // One amount or one reference for every row would make the rows alike, and a
            // shared reference would make every row after the first look like a repeat.
            PaymentField::Amount | PaymentField::Reference | PaymentField::AccountRef => Err("it must come from each row".to_string()),
        }
    }
}

impl fmt::Display for PaymentField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a payment file.
pub type PaymentMapping = ColumnMapping<PaymentField>;

/// What a payment file's rows are read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentContext {
    /// The client's currency: amounts are checked in it while reading (see
    /// [`PaymentLine::amount_in`] for accounts in another).
    pub currency: Currency,
    /// No payment may be dated after this day.
    pub today: Date,
}

/// A row whose values are all well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    /// The physical line the row starts on; the header is line 1.
    pub line: u64,
    pub account_ref: String,
    /// Minor units of the context's currency, above zero.
    pub amount: i64,
    pub paid_on: Date,
    pub method: Method,
    pub reference: Option<String>,
    pub route: Route,
    amount_text: String,
    raw: Vec<String>,
    /// Each field's column as the file (or the mapping) names it, by field index.
    columns: Arc<[String]>,
}

impl PaymentLine {
    /// The amount in `currency`: the account's, which may differ from the client's.
    pub fn amount_in(&self, currency: Currency) -> Result<i64, String> {
        payment_amount(&self.amount_text, currency)
    }

    /// The column `field` was read from, as the file names it.
    pub fn column(&self, field: PaymentField) -> &str {
        &self.columns[field.index()]
    }

    /// This row rejected for a reason found after reading it (an unknown account, a payment the
    /// account refuses), about `field`'s column or, with `None`, the whole row.
    pub fn reject(&self, field: Option<PaymentField>, reason: impl Into<String>) -> RowReject {
        let column = field.map(|f| self.column(f).to_string());
        RowReject::new(self.line, vec![Fault { column, reason: reason.into() }], RawRow::Csv(self.raw.clone()))
    }
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentRow {
    Read(PaymentLine),
    Rejected(RowReject),
}

/// Reads a CSV payment file row by row.
pub struct PaymentReader<R: Read> {
    table: CsvTable<R>,
    columns: Vec<Option<usize>>,
    names: Arc<[String]>,
    mapping: PaymentMapping,
    ctx: PaymentContext,
    stopped: bool,
}

impl<R: Read> PaymentReader<R> {
    /// Checks the start of the file (empty, binary) and reads and checks the header.
    pub fn new(input: R, mapping: &PaymentMapping, ctx: PaymentContext) -> Result<Self, ImportError> {
        let table = CsvTable::new(decode::sniff(input)?, mapping.encoding())?;
        let columns = resolve(table.header(), mapping)?;
        let names = PaymentField::ALL
            .iter()
            .map(|&f| match columns[f.index()] {
                Some(i) => table.column(i).to_string(),
                None => mapping.column(f).unwrap_or(f.name()).to_string(),
            })
            .collect();
        Ok(PaymentReader { table, columns, names, mapping: mapping.clone(), ctx, stopped: false })
    }

    /// The header as decoded (BOM removed), for a [`crate::RejectWriter`].
    pub fn header(&self) -> &[String] {
        self.table.header()
    }

    /// The current record laid out by field: trimmed text, the mapping's default for a blank.
    fn row(&self, line: u64) -> Row {
        let mut row = Row { line, texts: vec![None; PaymentField::ALL.len()], faults: Vec::new(), names: self.names.clone() };
        for f in PaymentField::ALL {
            match self.columns[f.index()].and_then(|i| self.table.cell(i)) {
                Some(Ok(text)) if !text.trim().is_empty() => row.texts[f.index()] = Some(text.trim().to_string()),
                Some(Err(reason)) => row.fault(f, reason),
                _ => row.texts[f.index()] = self.mapping.default_for(f).map(str::to_string),
            }
        }
        row.faults.extend(self.table.width_fault());
        row
    }
}

impl<R: Read> Iterator for PaymentReader<R> {
    /// `Err` only when the file cannot be read further; the iteration ends after it.
    type Item = Result<PaymentRow, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        let line = match self.table.read() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => {
                self.stopped = true;
                return Some(Err(e));
            }
        };
        let raw = self.table.raw_fields();
        Some(Ok(match self.row(line).check(&self.ctx, self.mapping.date_format(), raw) {
            Ok(p) => PaymentRow::Read(p),
            Err(r) => PaymentRow::Rejected(r),
        }))
    }
}

/// One row's texts by field (blank ones as `None`), checked all at once so a reject names
/// every fault.
struct Row {
    line: u64,
    texts: Vec<Option<String>>,
    faults: Vec<Fault>,
    names: Arc<[String]>,
}

impl Row {
    fn text(&self, f: PaymentField) -> Option<&str> {
        self.texts[f.index()].as_deref()
    }

    fn fault(&mut self, f: PaymentField, reason: impl Into<String>) {
        self.faults.push(Fault { column: Some(self.names[f.index()].clone()), reason: reason.into() });
    }

    /// The field's value read by `read`; a blank required field is a fault.
    fn required<T>(&mut self, f: PaymentField, what: &str, read: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let Some(text) = self.text(f) else {
            self.fault(f, format!("the {what} is empty; every row needs one"));
            return None;
        };
        read(text).map_err(|reason| self.fault(f, reason)).ok()
    }

    fn check(mut self, ctx: &PaymentContext, date_format: &str, raw: Vec<String>) -> Result<PaymentLine, RowReject> {
        use PaymentField as P;
        let account_ref = self.required(P::AccountRef, "account number", |t| Ok(t.to_string()));
        let amount = self.required(P::Amount, "amount", |t| payment_amount(t, ctx.currency));
        let paid_on = self.required(P::PaidOn, "payment date", |t| paid_on(t, date_format, ctx.today));
        let method = self.required(P::Method, "payment method", method);
        let route = match self.text(P::Route) {
            None => Some(Route::ToAgency),
            Some(t) => route(t).map_err(|reason| self.fault(P::Route, reason)).ok(),
        };
        let values = (account_ref, amount, paid_on, method, route);
        let (Some(account_ref), Some(amount), Some(paid_on), Some(method), Some(route)) = values else {
            return Err(RowReject::new(self.line, self.faults, RawRow::Csv(raw)));
        };
        if !self.faults.is_empty() {
            return Err(RowReject::new(self.line, self.faults, RawRow::Csv(raw)));
        }
        Ok(PaymentLine {
            line: self.line,
            account_ref,
            amount,
            paid_on,
            method,
            reference: self.text(P::Reference).map(str::to_string),
            route,
            amount_text: self.text(P::Amount).unwrap_or_default().to_string(),
            raw,
            columns: self.names,
        })
    }
}

/// An amount paid: major units of `currency`, above zero.
fn payment_amount(text: &str, currency: Currency) -> Result<i64, String> {
    let minor = currency.parse_minor(text).map_err(|e| e.to_string())?;
    match minor {
        m if m > 0 => Ok(m),
        0 => Err("the amount is 0; a payment must be above zero".to_string()),
        _ => Err(format!("{:?} is negative; a payment must be above zero (a returned payment is a reversal, not a row here)", text.trim())),
    }
}

fn paid_on(text: &str, fmt: &str, today: Date) -> Result<Date, String> {
    let d = parse::date(text, fmt)?;
    if d > today {
        return Err(format!("{d} is after today ({today}); a payment is dated the day the money moved"));
    }
    Ok(d)
}

fn method(text: &str) -> Result<Method, String> {
    Method::parse(&text.trim().to_ascii_lowercase()).ok_or_else(|| {
        let known: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
        format!("{text:?} is not a payment method (expected {})", known.join(", "))
    })
}

fn route(text: &str) -> Result<Route, String> {
    match text.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
        "agency" | "to_agency" => Ok(Route::ToAgency),
        "direct" | "direct_to_client" => Ok(Route::DirectToClient),
        _ => Err(format!("{text:?} is not a route (expected agency, or direct for a payment made to the client)")),
    }
}
