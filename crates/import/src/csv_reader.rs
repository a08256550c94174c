//! CSV placement files: the header is matched to fields once, then each record is decoded field
//! by field and handed to the row builder. Records are read into one reused buffer, so memory
//! stays flat whatever the file's size.

use crate::decode::{self, BOM, LineEnds, Prefixed};
use crate::error::ImportError;
use crate::field::Field;
use crate::ids::Ids;
use crate::mapping::Mapping;
use crate::rejects::{RawRow, RowReject};
use crate::row::{self, Fault, Record};
use crate::{ImportContext, RowResult};
use csv::ByteRecord;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;

pub(crate) struct CsvSource<R: Read> {
    reader: csv::Reader<LineEnds<Prefixed<R>>>,
    /// The header's names as decoded from the file, for reports and the rejects file.
    header: Vec<String>,
    columns: [Option<usize>; Field::COUNT],
    record: ByteRecord,
    encoding: decode::Encoding,
}

impl<R: Read> CsvSource<R> {
    pub fn new(input: Prefixed<R>, mapping: &Mapping) -> Result<Self, ImportError> {
        // Flexible, so a short or long row is ours to report with its line rather than a stop.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(LineEnds::new(input));
        let mut record = ByteRecord::new();
        if !reader.read_byte_record(&mut record).map_err(ImportError::from_csv)? {
            return Err(ImportError::Empty);
        }
        let encoding = mapping.encoding();
        let mut header = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            let raw = if i == 0 { raw.strip_prefix(BOM).unwrap_or(raw) } else { raw };
            let name = decode::decode(raw, encoding).map_err(|why| ImportError::BadHeader { reason: format!("column {} {why}", i + 1) })?;
            header.push(name.into_owned());
        }
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(ImportError::Empty);
        }
        let columns = resolve(&header, mapping)?;
        Ok(CsvSource { reader, header, columns, record, encoding })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Reads the next record that is not blank; `Ok(None)` at the end.
    fn read(&mut self) -> Result<Option<u64>, ImportError> {
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

    pub fn next_row(
        &mut self,
        mapping: &Mapping,
        ctx: &ImportContext,
        duplicates: &HashMap<String, Vec<u64>>,
        ids: &mut Ids,
    ) -> Option<Result<RowResult, ImportError>> {
        let line = match self.read() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let mut rec = Record::new(line);
        for field in Field::ALL {
            let Some(i) = self.columns[field.index()] else {
                continue;
            };
            let Some(bytes) = self.record.get(i) else {
                continue;
            };
            let column = self.header[i].trim();
            match decode::decode(bytes, self.encoding) {
                Ok(text) => rec.cells.set(field, text, column),
                Err(why) => rec.faults.push(Fault { column: Some(column.to_string()), reason: format!("the value {why}") }),
            }
        }
        let (got, want) = (self.record.len(), self.header.len());
        if got != want {
            let hint = if got < want { "the line looks cut short" } else { "a value probably holds an unquoted comma" };
            rec.faults.push(Fault { column: None, reason: format!("the row has {got} fields but the header has {want}: {hint}") });
        }
        let result = match row::build(rec, mapping, ctx, duplicates, ids) {
            Ok(placed) => RowResult::Placed(Box::new(placed)),
            Err(faults) => RowResult::Rejected(RowReject::new(line, faults, RawRow::Csv(self.raw_fields()))),
        };
        Some(Ok(result))
    }

    fn raw_fields(&self) -> Vec<String> {
        self.record
            .iter()
            .map(|b| match decode::decode(b, self.encoding) {
                Ok(t) => t.into_owned(),
                Err(_) => String::from_utf8_lossy(b).into_owned(),
            })
            .collect()
    }

    /// The next record's line and trimmed account number, for the duplicate pass.
    pub fn next_ref(&mut self) -> Option<Result<(u64, Option<String>), ImportError>> {
        let line = match self.read() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let text = self.columns[Field::AccountRef.index()]
            .and_then(|i| self.record.get(i))
            .and_then(|b| decode::decode(b, self.encoding).ok())
            .map(|t: Cow<'_, str>| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Some(Ok((line, text)))
    }
}

/// Which column holds each field. With the standard columns, every column must be known (a typo
/// would silently drop data); with a mapping's own [columns], unmapped columns are the client's
/// business and are skipped. Columns whose name starts with `_` are always skipped.
fn resolve(header: &[String], mapping: &Mapping) -> Result<[Option<usize>; Field::COUNT], ImportError> {
    let mut columns = [None; Field::COUNT];
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    let mut twice = Vec::new();
    let named = |i: usize| header[i].trim();
    let usable: Vec<usize> = (0..header.len()).filter(|&i| !named(i).starts_with('_')).collect();
    if mapping.uses_standard_columns() {
        for &i in &usable {
            match Field::parse(named(i)) {
                None if named(i).is_empty() => unknown.push(format!("(unnamed column {})", i + 1)),
                None => unknown.push(named(i).to_string()),
                Some(f) if columns[f.index()].is_some() => twice.push(named(i).to_string()),
                Some(f) => columns[f.index()] = Some(i),
            }
        }
    } else {
        for f in Field::ALL {
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
    let has = |f: Field| columns[f.index()].is_some() || mapping.default_for(f).is_some();
    if mapping.uses_standard_columns() {
        for f in [Field::AccountRef, Field::Principal] {
            if !has(f) {
                missing.push(f.name().to_string());
            }
        }
        if !has(Field::LastName) && !has(Field::CompanyName) {
            missing.push("last_name or company_name".to_string());
        }
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
