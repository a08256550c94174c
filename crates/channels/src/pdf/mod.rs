//! A small document model ([`Document`], [`Block`]) and [`render`], which lays it out on US Letter
//! pages and writes a PDF. Text is set in the standard Helvetica fonts, which every PDF reader
//! has, so no font file ships with recoup; the price is that only Windows-1252 (WinAnsi)
//! characters print: anything else comes out as `?`.
//!
//! The output depends on the input alone (no timestamps, no random ids), so the same document
//! always renders to the same bytes.

mod error;
mod layout;
mod metrics;
mod winansi;
mod wrap;
mod write;

pub use error::PdfError;

/// A document to render: its title goes in the PDF metadata and at the top of every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// One piece of a document's body, laid out top to bottom in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A bold heading, kept on the same page as the start of what follows it.
    Heading(String),
    /// Running text, wrapped to the page width; `\n` starts a new line.
    Paragraph(String),
    /// `label: value` pairs in two columns, labels in bold.
    Fields(Vec<(String, String)>),
    /// A table whose header row is repeated on every page it spans. `numeric` has one flag per
    /// column; flagged columns are right-aligned so amounts line up.
    Table { headers: Vec<String>, rows: Vec<Vec<String>>, numeric: Vec<bool> },
    /// A blank line's worth of vertical space.
    Spacer,
    /// Running text in which some spans are bold, wrapped like a paragraph. Spans join without
    /// an added space, so a bold date can be followed directly by a comma.
    Rich(Vec<Span>),
    /// Label and amount lines with the amounts right-aligned, then a total in bold under a rule.
    Sums { lines: Vec<(String, String)>, total: (String, String) },
    /// A dashed line across the page for a tear-off form, kept on the page with what follows.
    CutLine,
    /// Items each preceded by an empty square to tick, wrapped and indented past the square.
    Checkboxes(Vec<String>),
}

/// A piece of [`Block::Rich`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub strong: bool,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Self {
        Span { text: text.into(), strong: false }
    }

    pub fn strong(text: impl Into<String>) -> Self {
        Span { text: text.into(), strong: true }
    }
}

/// Lays `doc` out and returns the PDF file's bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let pages = layout::layout(doc)?;
    Ok(write::write(&doc.title, &pages))
}

/// [`render`] with the page footer worded by `footer(page, count)` instead of "Page 1 of 2", so
/// a letter in another language says nothing in English.
/// Page footers as `footer(page, count)` words them.
pub type Footer<'a> = &'a dyn Fn(usize, usize) -> String;

/// Several documents in one file (the day's letters for the printer): each starts on a new page
/// and keeps its own header and page numbers, so every letter reads as if printed alone.
pub fn render_batch(title: &str, docs: &[(Document, Footer<'_>)]) -> Result<Vec<u8>, PdfError> {
    let mut pages = Vec::new();
    for (doc, footer) in docs {
        pages.extend(layout::layout_with(doc, *footer)?);
    }
    Ok(write::write(title, &pages))
}

pub fn render_with_footer(doc: &Document, footer: &dyn Fn(usize, usize) -> String) -> Result<Vec<u8>, PdfError> {
    let pages = layout::layout_with(doc, footer)?;
    Ok(write::write(&doc.title, &pages))
}
