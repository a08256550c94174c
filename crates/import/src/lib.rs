//! recoup-import owns placement files: the standard CSV and JSON Lines formats, client mapping
//! files, decoding (UTF-8 with or without BOM, Windows-1252), and every per-row check. It reads a
//! file as a stream and yields, row by row, a validated [`PlacedAccount`] or a [`RowReject`] with
//! line, column and reason; it never touches a database. It also writes rejects files that can
//! be fixed and imported again, and generates realistic synthetic files ([`synth`]). Payment
//! files (a client's remittance report, a bank's deposits) are read the same way by
//! [`PaymentReader`]; their columns are documented in `payments.rs`.
//!
//! # The standard CSV format
//!
//! (Also in `crates/import/FORMAT.md`.) A header row, then one account per row. Column names
//! are matched case-insensitively, surrounding spaces ignored, in any order. Only
//! `account_ref`, `principal` and a name (`last_name`, or `company_name` for a company) are
//! required; a column may be absent or a value blank.
//!
//! | column | value |
//! | --- | --- |
//! | `account_ref` | the client's account number; unique in the file |
//! | `original_creditor`, `current_creditor` | default: the client's name |
//! | `product` | free text (credit card, medical...) |
//! | `currency` | ISO 4217 code; default: the mapping's, else the client's |
//! | `opened_on`, `first_delinquency_on`, `charged_off_on`, `itemization_on`, `last_payment_on` | dates, `YYYY-MM-DD`; none in the future, none before `opened_on`, charge-off not before first delinquency |
//! | `itemization_basis` | `last_statement`, `charge_off`, `last_payment`, `transaction` or `judgment`; with no `itemization_on`, the basis's own date (charge-off or last payment) is used |
//! | `last_payment_amount`, `principal`, `interest`, `fees`, `costs` | decimal amounts in the account's currency (`2410.50`, `$2,410.50`), 0 or more; blank interest, fees or costs are 0; principal + interest + fees + costs must be more than 0 |
//! | `total` | optional cross-check: must equal principal + interest + fees + costs to the cent |
//! | `flags` | comma-separated: disputed, cease, bankruptcy, deceased, attorney_represented, vulnerable, time_barred, military, complaint |
//! | `language` | BCP 47 tag (`en`, `es`) |
//! | `first_name`, `last_name`, `company_name` | a person needs `last_name`; a row with `company_name` is a company |
//! | `date_of_birth` | date |
//! | `national_id` | 9 digits (dashes allowed), or only the last 4; the store keeps the full id encrypted |
//! | `address_line1`, `address_line2`, `city`, `state`, `postal_code`, `country` | an address needs line 1, city and postal code; a US one a known state and a 5 or 5+4 digit ZIP; country is ISO 3166 alpha-2, default `US` |
//! | `phone_home`, `phone_mobile`, `phone_work` | any common style, North American without a country code; an extension (`x204`, `ext. 9`) is kept apart |
//! | `email` | an e-mail address |
//! | `time_zone` | IANA zone (`America/Chicago`); default: the state's zone when it has only one |
//!
//! Columns whose name starts with `_` are skipped (rejects files use them). Any other unknown
//! column is a file-level error, because a misspelt column would silently lose data; with a
//! mapping file that has its own `[columns]`, unmapped columns are skipped instead. A row with
//! any fault is rejected whole and nothing of it is imported; the reject names every fault.
//! Two rows with the same `account_ref` are both rejected (see [`find_duplicate_refs`]).
//!
//! JSON Lines files carry one object per line with the same keys, plus optional `parties` and
//! `invoices` lists; see `FORMAT.md`.

mod csv_reader;
mod decode;
mod dupes;
mod error;
mod field;
mod fingerprint;
mod ids;
mod jsonl;
mod mapping;
mod parse;
mod party;
mod payments;
mod rejects;
mod row;
pub mod synth;

#[cfg(test)]
mod tests;

pub use decode::Encoding;
pub use dupes::find_duplicate_refs;
pub use error::ImportError;
pub use field::{Field, FieldSet};
pub use mapping::{ColumnMapping, Mapping};
pub use payments::{PaymentContext, PaymentField, PaymentLine, PaymentMapping, PaymentReader, PaymentRow};
pub use rejects::{RawRow, RejectWriter, RowReject};

use csv_reader::CsvSource;
use jiff::civil::Date;
use jsonl::JsonlSource;
use recoup_domain::money::Currency;
use recoup_domain::placement::PlacedAccount;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use uuid::Uuid;

/// Where the accounts of one file go, and the facts the file's rows are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportContext {
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub portfolio_id: Uuid,
    pub placement_id: Uuid,
    /// For rows (and mappings) that name no currency.
    pub default_currency: Currency,
    /// The original and current creditor of rows that name none.
    pub creditor_name: String,
    /// No date in the file may be after this day.
    pub today: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// Guesses by extension: `.jsonl` and `.ndjson` are JSON Lines, anything else CSV.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("jsonl" | "ndjson") => Format::JsonLines,
            _ => Format::Csv,
        }
    }

    /// Reads a format name as a user types it (`csv`, `jsonl`, `ndjson`, `json-lines`).
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json-lines" | "jsonlines" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowResult {
    Placed(Box<PlacedAccount>),
    Rejected(RowReject),
}

enum Source<R: Read> {
    Csv(Box<CsvSource<R>>),
    Jsonl(JsonlSource<R>),
}

/// Reads a placement file row by row. Memory stays flat whatever the file's size, apart from
/// the set of duplicated account numbers given with [`PlacementReader::with_duplicates`].
pub struct PlacementReader<R: Read> {
    source: Source<R>,
    mapping: Mapping,
    ctx: ImportContext,
    duplicates: HashMap<String, Vec<u64>>,
    ids: ids::Ids,
    stopped: bool,
}

impl<R: Read> PlacementReader<R> {
    /// Checks the start of the file (empty, binary) and, for CSV, reads and checks the header.
    pub fn new(input: R, format: Format, mapping: &Mapping, ctx: ImportContext) -> Result<Self, ImportError> {
        let input = decode::sniff(input)?;
        let source = match format {
            Format::Csv => Source::Csv(Box::new(CsvSource::new(input, mapping)?)),
            Format::JsonLines => Source::Jsonl(JsonlSource::new(input, mapping)),
        };
        Ok(PlacementReader { source, mapping: mapping.clone(), ctx, duplicates: HashMap::new(), ids: ids::Ids::new(), stopped: false })
    }

    /// Rejects every row whose account number is a key of `duplicates` (as returned by
    /// [`find_duplicate_refs`] over the same file). A stream cannot tell which of two rows is
    /// right, and must not land the first before it meets the second.
    pub fn with_duplicates(mut self, duplicates: HashMap<String, Vec<u64>>) -> Self {
        self.duplicates = duplicates;
        self
    }

    /// The header as decoded from a CSV file (BOM removed); empty for JSON Lines. A
    /// [`RejectWriter`] needs it.
    pub fn header(&self) -> &[String] {
        match &self.source {
            Source::Csv(s) => s.header(),
            Source::Jsonl(_) => &[],
        }
    }

    pub fn format(&self) -> Format {
        match self.source {
            Source::Csv(_) => Format::Csv,
            Source::Jsonl(_) => Format::JsonLines,
        }
    }
}

impl PlacementReader<std::fs::File> {
    /// Opens a file, guessing its format from the extension, and runs the duplicate pass over
    /// it first, so the reader is ready to use.
    pub fn open(path: &Path, mapping: &Mapping, ctx: ImportContext) -> Result<Self, ImportError> {
        let format = Format::from_path(path);
        let duplicates = find_duplicate_refs(std::fs::File::open(path)?, format, mapping)?;
        Ok(PlacementReader::new(std::fs::File::open(path)?, format, mapping, ctx)?.with_duplicates(duplicates))
    }
}

impl<R: Read> Iterator for PlacementReader<R> {
    /// `Err` only when the file cannot be read further (I/O); the iteration ends after it.
    type Item = Result<RowResult, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        let next = match &mut self.source {
            Source::Csv(s) => s.next_row(&self.mapping, &self.ctx, &self.duplicates, &mut self.ids),
            Source::Jsonl(s) => s.next_row(&self.mapping, &self.ctx, &self.duplicates, &mut self.ids),
        };
        self.stopped = matches!(next, None | Some(Err(_)));
        next
    }
}
