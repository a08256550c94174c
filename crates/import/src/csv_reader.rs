//! CSV files: the header is matched to fields once, then each record is decoded field by field
//! and handed to a row builder. Records are read into one reused buffer, so memory stays flat
//! whatever the file's size. [`CsvTable`] is the part every kind of file shares (placements
//! here, payments in `payments`): header, physical line numbers, decoding, the field count.

use crate::decode::{self, BOM, LineEnds, Prefixed};
use crate::error::ImportError;
use crate::field::{Field, FieldSet};
use crate::ids::Ids;
use crate::mapping::{ColumnMapping, Mapping};
use crate::rejects::{RawRow, RowReject};
use crate::row::{self, Fault, Record};
use crate::{ImportContext, RowResult};
use csv::ByteRecord;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;

/// A CSV file's header and its records one at a time, as decoded text with physical lines.
pub(crate) struct CsvTable<R: Read> {
    reader: csv::Reader<LineEnds<Prefixed<R>>>,
    /// The header's names as decoded from the file, for reports and the rejects file.
    header: Vec<String>,
    record: ByteRecord,
    encoding: decode::Encoding,
}

impl<R: Read> CsvTable<R> {
    pub fn new(input: Prefixed<R>, encoding: decode::Encoding) -> Result<Self, ImportError> {
        // Flexible, so a short or long row is ours to report with its line rather than a stop.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(LineEnds::new(input));
        let mut record = ByteRecord::new();
        if !reader.read_byte_record(&mut record).map_err(ImportError::from_csv)? {
            return Err(ImportError::Empty);
        }
        let mut header = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            let raw = if i == 0 { raw.strip_prefix(BOM).unwrap_or(raw) } else { raw };
            let name = decode::decode(raw, encoding).map_err(|why| ImportError::BadHeader { reason: format!("column {} {why}", i + 1) })?;
            header.push(name.into_owned());
        }
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(ImportError::Empty);
        }
        Ok(CsvTable { reader, header, record, encoding })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The header's name of column `i`, trimmed, as reports name it.
    pub fn column(&self, i: usize) -> &str {
        self.header[i].trim()
    }

    /// Reads the next record that is not blank and returns the physical line it starts on;
    /// `Ok(None)` at the end.
    pub fn read(&mut self) -> Result<Option<u64>, ImportError> {
        loop {
            if !self.reader.read_byte_record(&mut self.record).map_err(ImportError::from_csv)? {
                return Ok(None);
            }
            // Spreadsheets export trailing rows of bare commas; they hold nothing to report.
            if self.record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            // Every record ends with an LF (see `LineEnds`), so the line count after it is one
            // past its last line.
            let bytes = self.record.as_slice();
            let breaks = if bytes.contains(&b'\n') { bytes.iter().filter(|&&b| b == b'\n').count() as u64 } else { 0 };
            return Ok(Some(self.reader.position().line().saturating_sub(1 + breaks)));
        }
    }

    /// Column `i` of the current record as text; `None` when the row is too short to have it,
    /// `Err(reason)` when its bytes are not text in the mapping's encoding.
    pub fn cell(&self, i: usize) -> Option<Result<Cow<'_, str>, String>> {
        self.record.get(i).map(|bytes| decode::decode(bytes, self.encoding).map_err(|why| format!("the value {why}")))
    }

    /// A fault when the current record has more or fewer fields than the header.
    pub fn width_fault(&self) -> Option<Fault> {
        let (got, want) = (self.record.len(), self.header.len());
        if got == want {
            return None;
        }
        let hint = if got < want { "the line looks cut short" } else { "a value probably holds an unquoted comma" };
        Some(Fault { column: None, reason: format!("the row has {got} fields but the header has {want}: {hint}") })
    }

    /// The current record's fields as text, for the rejects file.
    pub fn raw_fields(&self) -> Vec<String> {
        self.record
            .iter()
            .map(|b| match decode::decode(b, self.encoding) {
                Ok(t) => t.into_owned(),
                Err(_) => String::from_utf8_lossy(b).into_owned(),
            })
            .collect()
    }
}

pub(crate) struct CsvSource<R: Read> {
    table: CsvTable<R>,
    columns: Vec<Option<usize>>,
}

impl<R: Read> CsvSource<R> {
    pub fn new(input: Prefixed<R>, mapping: &Mapping) -> Result<Self, ImportError> {
        let table = CsvTable::new(input, mapping.encoding())?;
        let columns = resolve(table.header(), mapping)?;
        Ok(CsvSource { table, columns })
    }

    pub fn header(&self) -> &[String] {
        self.table.header()
    }

    pub fn next_row(
        &mut self,
        mapping: &Mapping,
        ctx: &ImportContext,
        duplicates: &HashMap<String, Vec<u64>>,
        ids: &mut Ids,
    ) -> Option<Result<RowResult, ImportError>> {
        let line = match self.table.read() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let t = &self.table;
        let mut rec = Record::new(line);
        for field in Field::ALL {
            let Some(i) = self.columns[field.index()] else {
                continue;
            };
            match t.cell(i) {
                None => {}
                Some(Ok(text)) => rec.cells.set(field, text, t.column(i)),
                Some(Err(reason)) => rec.faults.push(Fault { column: Some(t.column(i).to_string()), reason }),
            }
        }
        rec.faults.extend(t.width_fault());
        let result = match row::build(rec, mapping, ctx, duplicates, ids) {
            Ok(placed) => RowResult::Placed(Box::new(placed)),
            Err(faults) => RowResult::Rejected(RowReject::new(line, faults, RawRow::Csv(t.raw_fields()))),
        };
        Some(Ok(result))
    }

    /// The next record's line and trimmed account number, for the duplicate pass.
    pub fn next_ref(&mut self) -> Option<Result<(u64, Option<String>), ImportError>> {
        let line = match self.table.read() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let text = self.columns[Field::AccountRef.index()]
            .and_then(|i| self.table.cell(i))
            .and_then(Result::ok)
            .map(|t: Cow<'_, str>| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Some(Ok((line, text)))
    }
}

/// Which column holds each field. With the standard columns, every column must be known (a typo
/// would silently drop data); with a mapping's own [columns], unmapped columns are the client's
/// business and are skipped. Columns whose name starts with `_` are always skipped.
pub(crate) fn resolve<F: FieldSet>(header: &[String], mapping: &ColumnMapping<F>) -> Result<Vec<Option<usize>>, ImportError> {
    let mut columns = vec![None; F::all().len()];
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    let mut twice = Vec::new();
    let named = |i: usize| header[i].trim();
    let usable: Vec<usize> = (0..header.len()).filter(|&i| !named(i).starts_with('_')).collect();
    if mapping.uses_standard_columns() {
        for &i in &usable {
            match F::parse(named(i)) {
                None if named(i).is_empty() => unknown.push(format!("(unnamed column {})", i + 1)),
                None => unknown.push(named(i).to_string()),
                Some(f) if columns[f.index()].is_some() => twice.push(named(i).to_string()),
                Some(f) => columns[f.index()] = Some(i),
            }
        }
    } else {
        for &f in F::all() {
            let Some(want) = mapping.column(f) else {
                continue;
            };
            let found: Vec<usize> = usable.iter().copied().filter(|&i| named(i).eq_ignore_ascii_case(want)).collect();
            match found[..] {
                [] => missing.push(want.to_string()),
                [i] => columns[f.index()] = Some(i),
                _ => twice.push(want.to_string()),
            }
        }
    }
    let has = |f: F| columns[f.index()].is_some() || mapping.default_for(f).is_some();
    if mapping.uses_standard_columns() {
        missing.extend(F::missing(&has));
    }
    let header_line = || header.join(",");
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { columns: missing, header: header_line() });
    }
    if !twice.is_empty() {
        return Err(ImportError::DuplicateColumns { columns: twice, header: header_line() });
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns { columns: unknown, header: header_line() });
    }
    Ok(columns)
}
