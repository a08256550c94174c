use thiserror::Error;

/// Why a document could not be rendered. `block` is the index into [`super::Document::blocks`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PdfError {
    #[error("block {block}: table has {headers} headers but {flags} numeric flags")]
    NumericFlags { block: usize, headers: usize, flags: usize },
    #[error("block {block}: table row {row} has {found} cells, expected {expected}")]
    RaggedRow { block: usize, row: usize, expected: usize, found: usize },
    #[error("block {block}: a row is taller than a page once wrapped")]
    RowTooTall { block: usize },
}
