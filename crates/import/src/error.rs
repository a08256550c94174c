//! Faults that stop a whole file. A fault in one row never lands here: it becomes a `RowReject`
//! so the rest of the file still imports.

/// A file-level fault: nothing in the file can be trusted to import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty: it has no header row")]
    Empty,
    #[error("the file looks binary (NUL bytes or control characters near the start), not a text file of rows")]
    Binary,
    #[error("the file is UTF-16; save it as UTF-8 (or Windows-1252) and import it again")]
    Utf16,
    #[error("missing required columns: {}; the header row is: {header}", columns.join(", "))]
    MissingColumns { columns: Vec<String>, header: String },
    #[error(
        "unknown columns for the standard format: {}; fix the header, prefix columns to skip with `_`, \
         or import with a mapping file; the header row is: {header}",
        columns.join(", ")
    )]
    UnknownColumns { columns: Vec<String>, header: String },
    #[error("columns given more than once: {}; the header row is: {header}", columns.join(", "))]
    DuplicateColumns { columns: Vec<String>, header: String },
    #[error("the header row is not readable: {reason}")]
    BadHeader { reason: String },
    #[error("bad mapping: {reason}")]
    BadMapping { reason: String },
    #[error("line {line}: the file cannot be read further: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ImportError {
    pub(crate) fn mapping(reason: impl Into<String>) -> Self {
        ImportError::BadMapping { reason: reason.into() }
    }

    pub(crate) fn from_csv(e: csv::Error) -> Self {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        match e.into_kind() {
            csv::ErrorKind::Io(io) => ImportError::Io(io),
            other => ImportError::Malformed { line, reason: format!("{other:?}") },
        }
    }
}
