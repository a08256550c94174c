//! Rejected rows, and the rejects file a person fixes and imports again. The file keeps the
//! original columns (or JSON object) and adds what was wrong in `_`-prefixed columns (keys),
//! which the reader skips, so the fixed file imports as it is.

use crate::Format;
use crate::row::Fault;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// A row's original content, as decoded text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "format", content = "row", rename_all = "snake_case")]
pub enum RawRow {
    /// The row's fields in the file's column order.
    Csv(Vec<String>),
    /// The line's JSON object.
    Json(Map<String, Value>),
    /// A JSON Lines line that is not a JSON object.
    Text(String),
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReject {
    /// The physical line the row starts on; the header is line 1.
    pub line: u64,
    /// The first fault's column as the file names it (a JSON path for JSON Lines), or `None`
    /// for a fault of the whole row.
    pub column: Option<String>,
    /// Every fault of the row: the first one's reason, then the others with their columns.
    pub reason: String,
    pub raw: RawRow,
}

impl RowReject {
    pub(crate) fn new(line: u64, faults: Vec<Fault>, raw: RawRow) -> RowReject {
        let mut faults = faults.into_iter();
        let Some(first) = faults.next() else {
            return RowReject { line, column: None, reason: "rejected".to_string(), raw };
        };
        let mut reason = first.reason;
        for f in faults {
            reason.push_str("; also ");
            if let Some(c) = &f.column {
                reason.push_str(c);
                reason.push_str(": ");
            }
            reason.push_str(&f.reason);
        }
        RowReject { line, column: first.column, reason, raw }
    }
}

const TRAILER: [&str; 3] = ["_line", "_column", "_error"];

/// Writes rejects as a file in the input's own format. Nothing is written until the first
/// reject, so a clean import leaves an empty output. The text is always UTF-8, whatever the
/// input's encoding: re-import it with the encoding `auto` or `utf-8`.
pub struct RejectWriter<W: Write> {
    out: Out<W>,
    count: u64,
}

enum Out<W: Write> {
    Csv(Box<CsvOut<W>>),
    Json(W),
}

struct CsvOut<W: Write> {
    out: csv::Writer<W>,
    header: Vec<String>,
    /// The input columns to copy: all but an earlier rejects file's trailer.
    keep: Vec<usize>,
    started: bool,
}

impl<W: Write> RejectWriter<W> {
    /// `header` is the input's header as `PlacementReader::header` gives it (empty for JSON Lines).
    pub fn new(out: W, format: Format, header: &[String]) -> Self {
        let out = match format {
            Format::Csv => Out::Csv(Box::new(CsvOut {
                out: csv::WriterBuilder::new().flexible(true).from_writer(out),
                header: header.to_vec(),
                keep: (0..header.len()).filter(|&i| !TRAILER.contains(&header[i].trim())).collect(),
                started: false,
            })),
            Format::JsonLines => Out::Json(out),
        };
        RejectWriter { out, count: 0 }
    }

    pub fn write(&mut self, reject: &RowReject) -> io::Result<()> {
        let column = reject.column.clone().unwrap_or_default();
        match &mut self.out {
            Out::Csv(csv_out) => {
                let CsvOut { out, header, keep, started } = &mut **csv_out;
                if !*started {
                    out.write_record(keep.iter().map(|&i| header[i].as_str()).chain(TRAILER))?;
                    *started = true;
                }
                let (fields, error) = match &reject.raw {
                    RawRow::Csv(fields) => {
                        let mut error = reject.reason.clone();
                        // Values past the header have no column to go back to; keep them in the
                        // message rather than lose them.
                        if fields.len() > header.len() {
                            error.push_str(&format!(" (values past the last column: {})", fields[header.len()..].join(" | ")));
                        }
                        (keep.iter().map(|&i| fields.get(i).cloned().unwrap_or_default()).collect::<Vec<_>>(), error)
                    }
                    RawRow::Json(o) => (vec![String::new(); keep.len()], format!("{} (row: {})", reject.reason, Value::Object(o.clone()))),
                    RawRow::Text(t) => (vec![String::new(); keep.len()], format!("{} (row: {t})", reject.reason)),
                };
                let line = reject.line.to_string();
                out.write_record(fields.iter().map(String::as_str).chain([line.as_str(), column.as_str(), error.as_str()]))?;
            }
            Out::Json(out) => {
                let error = json!({ "line": reject.line, "column": reject.column, "reason": reject.reason });
                let mut object = match &reject.raw {
                    RawRow::Json(o) => o.clone(),
                    RawRow::Text(t) => Map::from_iter([("_raw".to_string(), Value::String(t.clone()))]),
                    RawRow::Csv(fields) => Map::from_iter([("_raw".to_string(), json!(fields))]),
                };
                object.insert("_error".to_string(), error);
                serde_json::to_writer(&mut *out, &object)?;
                out.write_all(b"\n")?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// How many rejects were written.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes and hands back the output.
    pub fn finish(self) -> io::Result<W> {
        match self.out {
            Out::Csv(csv_out) => csv_out.out.into_inner().map_err(|e| e.into_error()),
            Out::Json(mut out) => {
                out.flush()?;
                Ok(out)
            }
        }
    }
}
