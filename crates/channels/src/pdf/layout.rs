//! Places a [`Document`] on pages: every piece of text gets a page, a position and a style here,
//! so pagination and alignment can be tested without reading PDF bytes back.

use super::metrics::{Font, Style};
use super::winansi;
use super::wrap::{truncate, wrap, wrap_spans};
use super::{Block, Document, PdfError, Span};

pub(crate) const PAGE_WIDTH: f32 = 612.0;
pub(crate) const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const BODY_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY_TOP: f32 = PAGE_HEIGHT - 72.0;
const BODY_BOTTOM: f32 = 72.0;
const HEADER_BASELINE: f32 = PAGE_HEIGHT - 48.0;
const FOOTER_BASELINE: f32 = 40.0;
/// Space after a paragraph, field list or table, so blocks read as separate.
const BLOCK_GAP: f32 = 8.0;
/// Horizontal padding inside table and field cells, so columns do not touch.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 2.0;
/// Labels may take at most this share of the width, so a long label cannot squeeze its value.
const LABEL_SHARE: f32 = 0.4;
/// Side of a check box, and the indent of the text beside it.
const CHECKBOX: f32 = 8.0;
const CHECKBOX_INDENT: f32 = 16.0;
/// Lines of body text a cut line keeps with it, so a tear-off form never starts alone at the
/// foot of a page.
const CUT_KEEP_LINES: f32 = 12.0;

const BODY: Style = Style { font: Font::Regular, size: 10.0 };
const STRONG: Style = Style { font: Font::Bold, size: 10.0 };
const HEADING: Style = Style { font: Font::Bold, size: 14.0 };
const MARGINAL: Style = Style { font: Font::Regular, size: 9.0 };
const MARGINAL_STRONG: Style = Style { font: Font::Bold, size: 9.0 };

/// A line of WinAnsi text with its baseline's left end at (`x`, `y`), PDF coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextRun {
    pub x: f32,
    pub y: f32,
    pub style: Style,
    pub text: Vec<u8>,
}

/// A thin horizontal line from `x1` to `x2` at height `y`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub x1: f32,
    pub x2: f32,
    pub y: f32,
    pub dashed: bool,
}

/// An empty square `size` wide with its lower left corner at (`x`, `y`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Square {
    pub x: f32,
    pub y: f32,
    pub size: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub runs: Vec<TextRun>,
    pub rules: Vec<Rule>,
    pub squares: Vec<Square>,
}

/// Lays out the body, then adds the title header and "Page n of m" footer now that the page
/// count is known.
pub(crate) fn layout(doc: &Document) -> Result<Vec<Page>, PdfError> {
    layout_with(doc, &|page, count| format!("Page {page} of {count}"))
}

/// [`layout`] with the footer worded by `footer(page, count)`, for documents in other languages.
pub(crate) fn layout_with(doc: &Document, footer: &dyn Fn(usize, usize) -> String) -> Result<Vec<Page>, PdfError> {
    let mut flow = Flow::new();
    for (index, block) in doc.blocks.iter().enumerate() {
        flow.block(index, block)?;
    }
    let mut pages = flow.pages;
    decorate(&mut pages, &doc.title, footer);
    Ok(pages)
}

fn decorate(pages: &mut [Page], title: &str, footer: &dyn Fn(usize, usize) -> String) {
    let count = pages.len();
    let title = truncate(title, MARGINAL_STRONG, BODY_WIDTH);
    for (i, page) in pages.iter_mut().enumerate() {
        page.runs.push(TextRun { x: MARGIN, y: HEADER_BASELINE, style: MARGINAL_STRONG, text: title.clone() });
        page.rules.push(Rule { x1: MARGIN, x2: PAGE_WIDTH - MARGIN, y: HEADER_BASELINE - 6.0, dashed: false });
        let footer = winansi::encode(&footer(i + 1, count));
        let x = PAGE_WIDTH - MARGIN - MARGINAL.width(&footer);
        page.runs.push(TextRun { x, y: FOOTER_BASELINE, style: MARGINAL, text: footer });
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// Wrapped text in a box `width` wide starting at `x`.
struct Cell {
    x: f32,
    width: f32,
    align: Align,
    style: Style,
    lines: Vec<Vec<u8>>,
}

impl Cell {
    fn new(text: &str, x: f32, width: f32, align: Align, style: Style) -> Self {
        let lines = wrap(text, style, width - 2.0 * CELL_PAD_X);
        Cell { x, width, align, style, lines }
    }

    fn line_x(&self, line: &[u8]) -> f32 {
        match self.align {
            Align::Left => self.x + CELL_PAD_X,
            Align::Right => self.x + self.width - CELL_PAD_X - self.style.width(line),
        }
    }
}

fn row_height(cells: &[Cell]) -> f32 {
    let tallest = cells.iter().map(|c| c.lines.len() as f32 * c.style.leading()).fold(0.0, f32::max);
    tallest + 2.0 * CELL_PAD_Y
}

/// Column geometry shared by a table's header and rows.
struct Column {
    x: f32,
    width: f32,
    align: Align,
}

/// The cursor moving down the pages as blocks are placed.
struct Flow {
    pages: Vec<Page>,
    /// Top of the space left on the current page.
    y: f32,
}

impl Flow {
    fn new() -> Self {
        Flow { pages: vec![Page::default()], y: BODY_TOP }
    }

    fn block(&mut self, index: usize, block: &Block) -> Result<(), PdfError> {
        match block {
            Block::Heading(text) => self.heading(text),
            Block::Paragraph(text) => self.paragraph(text),
            Block::Fields(pairs) => self.fields(index, pairs)?,
            Block::Table { headers, rows, numeric } => self.table(index, headers, rows, numeric)?,
            Block::Spacer => self.gap(BODY.leading()),
            Block::Rich(spans) => self.rich(spans),
            Block::Sums { lines, total } => self.sums(index, lines, total)?,
            Block::CutLine => self.cut_line(),
            Block::Checkboxes(items) => self.checkboxes(index, items)?,
        }
        Ok(())
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a flow always has a page")
    }

    /// Starts a new page unless `height` fits below the cursor; true when it did. A fresh page
    /// never breaks again, so oversized content cannot loop.
    fn make_room(&mut self, height: f32) -> bool {
        if self.y - height >= BODY_BOTTOM || self.y >= BODY_TOP {
            return false;
        }
        self.pages.push(Page::default());
        self.y = BODY_TOP;
        true
    }

    /// Moves down, except at the top of a page where space would only push content down.
    fn gap(&mut self, height: f32) {
        if self.y < BODY_TOP {
            self.y -= height;
        }
    }

    fn line(&mut self, x: f32, style: Style, text: Vec<u8>) {
        let y = self.y - style.size;
        self.page().runs.push(TextRun { x, y, style, text });
        self.y -= style.leading();
    }

    fn heading(&mut self, text: &str) {
        let lines = wrap(text, HEADING, BODY_WIDTH);
        // Room for the heading plus two lines of what follows, so it is never left alone at the
        // foot of a page.
        self.make_room(lines.len() as f32 * HEADING.leading() + 2.0 * BODY.leading());
        for line in lines {
            self.line(MARGIN, HEADING, line);
        }
        self.y -= BLOCK_GAP / 2.0;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap(text, BODY, BODY_WIDTH) {
            self.make_room(BODY.leading());
            self.line(MARGIN, BODY, line);
        }
        self.gap(BLOCK_GAP);
    }

    fn fields(&mut self, index: usize, pairs: &[(String, String)]) -> Result<(), PdfError> {
        let widest = pairs.iter().map(|(label, _)| natural_width(label, STRONG)).fold(0.0, f32::max);
        let label_width = (widest + 2.0 * CELL_PAD_X).min(BODY_WIDTH * LABEL_SHARE);
        for (label, value) in pairs {
            let cells = [
                Cell::new(label, MARGIN, label_width, Align::Left, STRONG),
                Cell::new(value, MARGIN + label_width, BODY_WIDTH - label_width, Align::Left, BODY),
            ];
            let height = row_height(&cells);
            self.check_fits(index, height)?;
            self.make_room(height);
            self.row(&cells);
        }
        self.gap(BLOCK_GAP);
        Ok(())
    }

    fn table(&mut self, index: usize, headers: &[String], rows: &[Vec<String>], numeric: &[bool]) -> Result<(), PdfError> {
        check_shape(index, headers, rows, numeric)?;
        if headers.is_empty() {
            return Ok(());
        }
        let columns = columns(headers, rows, numeric);
        let header = table_cells(&columns, headers, STRONG);
        let header_height = row_height(&header);
        let bodies: Vec<Vec<Cell>> = rows.iter().map(|row| table_cells(&columns, row, BODY)).collect();
        for cells in &bodies {
            self.check_fits(index, header_height + row_height(cells))?;
        }
        let first = bodies.first().map_or(0.0, |cells| row_height(cells));
        self.make_room(header_height + first);
        self.header_row(&header);
        for cells in &bodies {
            if self.make_room(row_height(cells)) {
                self.header_row(&header);
            }
            self.row(cells);
        }
        self.gap(BLOCK_GAP);
        Ok(())
    }

    fn rich(&mut self, spans: &[Span]) {
        let styled: Vec<(Style, &str)> = spans.iter().map(|s| (if s.strong { STRONG } else { BODY }, s.text.as_str())).collect();
        for pieces in wrap_spans(&styled, BODY_WIDTH) {
            self.make_room(BODY.leading());
            let y = self.y - BODY.size;
            let mut x = MARGIN;
            for (style, text) in pieces {
                let width = style.width(&text);
                self.page().runs.push(TextRun { x, y, style, text });
                x += width;
            }
            self.y -= BODY.leading();
        }
        self.gap(BLOCK_GAP);
    }

    fn sums(&mut self, index: usize, lines: &[(String, String)], total: &(String, String)) -> Result<(), PdfError> {
        let widest = lines.iter().chain([total]).map(|(_, amount)| natural_width(amount, STRONG)).fold(0.0, f32::max);
        let amount_width = (widest + 2.0 * CELL_PAD_X).min(BODY_WIDTH * (1.0 - LABEL_SHARE));
        let label_width = BODY_WIDTH - amount_width;
        let cells = |label: &str, amount: &str, style: Style| {
            [
                Cell::new(label, MARGIN, label_width, Align::Left, style),
                Cell::new(amount, MARGIN + label_width, amount_width, Align::Right, style),
            ]
        };
        for (label, amount) in lines {
            let row = cells(label, amount, BODY);
            self.check_fits(index, row_height(&row))?;
            self.make_room(row_height(&row));
            self.row(&row);
        }
        let row = cells(&total.0, &total.1, STRONG);
        self.check_fits(index, row_height(&row))?;
        self.make_room(row_height(&row) + CELL_PAD_Y);
        let y = self.y;
        self.page().rules.push(Rule { x1: MARGIN, x2: MARGIN + BODY_WIDTH, y, dashed: false });
        self.y -= CELL_PAD_Y;
        self.row(&row);
        self.gap(BLOCK_GAP);
        Ok(())
    }

    fn cut_line(&mut self) {
        let height = BODY.leading();
        self.make_room(height + CUT_KEEP_LINES * BODY.leading());
        let y = self.y - height / 2.0;
        self.page().rules.push(Rule { x1: MARGIN, x2: MARGIN + BODY_WIDTH, y, dashed: true });
        self.y -= height;
    }

    fn checkboxes(&mut self, index: usize, items: &[String]) -> Result<(), PdfError> {
        for item in items {
            let cell = Cell::new(item, MARGIN + CHECKBOX_INDENT - CELL_PAD_X, BODY_WIDTH - CHECKBOX_INDENT + CELL_PAD_X, Align::Left, BODY);
            let height = row_height(std::slice::from_ref(&cell));
            self.check_fits(index, height)?;
            self.make_room(height);
            // The square sits on the first line's baseline, as tall as a capital letter.
            let baseline = self.y - CELL_PAD_Y - BODY.size;
            self.page().squares.push(Square { x: MARGIN, y: baseline - 0.5, size: CHECKBOX });
            self.row(std::slice::from_ref(&cell));
        }
        self.gap(BLOCK_GAP);
        Ok(())
    }

    fn check_fits(&self, block: usize, height: f32) -> Result<(), PdfError> {
        if height > BODY_TOP - BODY_BOTTOM {
            return Err(PdfError::RowTooTall { block });
        }
        Ok(())
    }

    fn header_row(&mut self, cells: &[Cell]) {
        self.row(cells);
        let (x1, x2) = (MARGIN, MARGIN + BODY_WIDTH);
        let y = self.y + CELL_PAD_Y / 2.0;
        self.page().rules.push(Rule { x1, x2, y, dashed: false });
    }

    fn row(&mut self, cells: &[Cell]) {
        let top = self.y - CELL_PAD_Y;
        for cell in cells {
            for (i, line) in cell.lines.iter().enumerate() {
                let y = top - i as f32 * cell.style.leading() - cell.style.size;
                let run = TextRun { x: cell.line_x(line), y, style: cell.style, text: line.clone() };
                self.page().runs.push(run);
            }
        }
        self.y -= row_height(cells);
    }
}

fn check_shape(block: usize, headers: &[String], rows: &[Vec<String>], numeric: &[bool]) -> Result<(), PdfError> {
    if numeric.len() != headers.len() {
        return Err(PdfError::NumericFlags { block, headers: headers.len(), flags: numeric.len() });
    }
    match rows.iter().position(|row| row.len() != headers.len()) {
        Some(row) => Err(PdfError::RaggedRow { block, row, expected: headers.len(), found: rows[row].len() }),
        None => Ok(()),
    }
}

fn table_cells(columns: &[Column], texts: &[String], style: Style) -> Vec<Cell> {
    columns.iter().zip(texts).map(|(col, text)| Cell::new(text, col.x, col.width, col.align, style)).collect()
}

/// Widest line of `text` unwrapped.
fn natural_width(text: &str, style: Style) -> f32 {
    wrap(text, style, f32::INFINITY).iter().map(|line| style.width(line)).fold(0.0, f32::max)
}

fn columns(headers: &[String], rows: &[Vec<String>], numeric: &[bool]) -> Vec<Column> {
    let natural: Vec<f32> = (0..headers.len())
        .map(|i| {
            let body = rows.iter().map(|row| natural_width(&row[i], BODY)).fold(0.0, f32::max);
            natural_width(&headers[i], STRONG).max(body) + 2.0 * CELL_PAD_X
        })
        .collect();
    let mut x = MARGIN;
    fit(&natural, BODY_WIDTH)
        .into_iter()
        .zip(numeric)
        .map(|(width, &numeric)| {
            let column = Column { x, width, align: if numeric { Align::Right } else { Align::Left } };
            x += width;
            column
        })
        .collect()
}

/// Column widths filling `available`. When the natural widths fit they are stretched evenly;
/// when not, narrow columns keep their natural width and the wide ones share what is left, so
/// a long description wraps instead of an amount being squeezed.
fn fit(natural: &[f32], available: f32) -> Vec<f32> {
    let total: f32 = natural.iter().sum();
    if total <= available {
        return natural.iter().map(|w| w * available / total).collect();
    }
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by(|&a, &b| natural[a].total_cmp(&natural[b]));
    let mut widths = vec![0.0; natural.len()];
    let mut left = available;
    for (placed, &i) in order.iter().enumerate() {
        widths[i] = natural[i].min(left / (natural.len() - placed) as f32);
        left -= widths[i];
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(blocks: Vec<Block>) -> Document {
        Document { title: "Remittance statement".into(), blocks }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn runs_with<'a>(page: &'a Page, text: &str) -> Vec<&'a TextRun> {
        page.runs.iter().filter(|r| r.text == text.as_bytes()).collect()
    }

    fn statement(rows: usize) -> Block {
        Block::Table {
            headers: strings(&["Account", "Debtor", "Collected"]),
            rows: (0..rows).map(|i| vec![format!("ACC-{i:04}"), format!("Debtor {i}"), format!("{}.{:02}", i * 7, i % 100)]).collect(),
            numeric: vec![false, false, true],
        }
    }

    #[test]
    fn long_table_spans_pages_each_numbered_and_headed() {
        let pages = layout(&doc(vec![Block::Heading("Collections".into()), statement(200)])).unwrap();
        let count = pages.len();
        assert!(count >= 4, "{count} pages");
        for (i, page) in pages.iter().enumerate() {
            let footer = format!("Page {} of {count}", i + 1);
            assert_eq!(runs_with(page, &footer).len(), 1, "page {i}: no {footer:?}");
            assert_eq!(runs_with(page, "Remittance statement").len(), 1, "page {i}: no title");
            let header = runs_with(page, "Account");
            assert_eq!(header.len(), 1, "page {i}: header row not repeated");
            assert_eq!(header[0].style.font, Font::Bold);
        }
    }

    #[test]
    fn long_table_places_every_row_once_in_order_inside_the_body() {
        let pages = layout(&doc(vec![statement(200)])).unwrap();
        let accounts: Vec<Vec<u8>> =
            pages.iter().flat_map(|p| &p.runs).filter(|r| r.text.starts_with(b"ACC-")).map(|r| r.text.clone()).collect();
        let expected: Vec<Vec<u8>> = (0..200).map(|i| format!("ACC-{i:04}").into_bytes()).collect();
        assert_eq!(accounts, expected);
        for run in pages.iter().flat_map(|p| &p.runs).filter(|r| r.style == BODY) {
            assert!(run.y >= BODY_BOTTOM && run.y <= BODY_TOP, "row outside the body at y={}", run.y);
        }
    }

    #[test]
    fn numeric_columns_are_right_aligned_and_others_left_aligned() {
        let table = Block::Table {
            headers: strings(&["Description", "Amount"]),
            rows: vec![strings(&["Payment", "5.00"]), strings(&["Settlement discount", "1,250.00"])],
            numeric: vec![false, true],
        };
        let pages = layout(&doc(vec![table])).unwrap();
        let page = &pages[0];
        let right_edge = |text: &str| {
            let run = runs_with(page, text)[0];
            run.x + run.style.width(&run.text)
        };
        let left_edge = |text: &str| runs_with(page, text)[0].x;
        let edge = right_edge("5.00");
        assert!((right_edge("1,250.00") - edge).abs() < 0.01);
        assert!((right_edge("Amount") - edge).abs() < 0.01);
        assert!((edge - (PAGE_WIDTH - MARGIN - CELL_PAD_X)).abs() < 0.01, "last column ends at the margin");
        assert!(left_edge("5.00") > left_edge("1,250.00"));
        assert_eq!(left_edge("Payment"), MARGIN + CELL_PAD_X);
        assert_eq!(left_edge("Settlement discount"), MARGIN + CELL_PAD_X);
    }

    #[test]
    fn paragraph_lines_fill_the_width_and_step_down_by_the_leading() {
        let text = "We have agreed to accept 1,800.00 in full and final settlement of the balance. ".repeat(10);
        let pages = layout(&doc(vec![Block::Paragraph(text)])).unwrap();
        let lines: Vec<&TextRun> = pages[0].runs.iter().filter(|r| r.style == BODY).collect();
        assert!(lines.len() > 5);
        for pair in lines.windows(2) {
            assert_eq!(pair[0].x, MARGIN);
            assert!((pair[0].y - pair[1].y - BODY.leading()).abs() < 0.01);
            assert!(MARGIN + BODY.width(&pair[0].text) <= PAGE_WIDTH - MARGIN);
            assert!(BODY.width(&pair[0].text) > BODY_WIDTH * 0.8, "line not filled");
        }
    }

    #[test]
    fn fields_put_labels_and_values_in_two_columns() {
        let fields = Block::Fields(vec![("Account".into(), "ACC-0042".into()), ("Amount paid".into(), "125.00 EUR".into())]);
        let pages = layout(&doc(vec![fields])).unwrap();
        let page = &pages[0];
        let (account, value) = (runs_with(page, "Account")[0], runs_with(page, "ACC-0042")[0]);
        assert_eq!(account.style, STRONG);
        assert_eq!(account.y, value.y);
        assert_eq!(runs_with(page, "ACC-0042")[0].x, runs_with(page, "125.00 EUR")[0].x);
        assert!(value.x >= MARGIN + STRONG.width(b"Amount paid"));
    }

    #[test]
    fn heading_never_ends_a_page() {
        // 28 one-line paragraphs leave room for the heading's own line but not for the two lines
        // after it that it is kept with.
        let mut blocks: Vec<Block> = (0..28).map(|i| Block::Paragraph(format!("Line {i}"))).collect();
        let spare = BODY_TOP - 28.0 * (BODY.leading() + BLOCK_GAP) - BODY_BOTTOM;
        assert!(spare >= HEADING.leading() && spare < HEADING.leading() + 2.0 * BODY.leading());
        blocks.push(Block::Heading("Payment plan".into()));
        blocks.push(Block::Paragraph("Three instalments of 100.00.".into()));
        let pages = layout(&doc(blocks)).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(runs_with(&pages[0], "Line 27").len(), 1);
        assert_eq!(runs_with(&pages[1], "Payment plan").len(), 1);
        assert_eq!(runs_with(&pages[1], "Three instalments of 100.00.").len(), 1);
    }

    #[test]
    fn empty_document_is_one_numbered_page_and_long_titles_are_cut() {
        let title = "Settlement letter ".repeat(20);
        let pages = layout(&Document { title, blocks: vec![] }).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(runs_with(&pages[0], "Page 1 of 1").len(), 1);
        let title_run = pages[0].runs.iter().find(|r| r.style == MARGINAL_STRONG).unwrap();
        assert!(MARGIN + title_run.style.width(&title_run.text) <= PAGE_WIDTH - MARGIN);
    }

    #[test]
    fn malformed_tables_are_refused() {
        let ragged =
            Block::Table { headers: strings(&["A", "B"]), rows: vec![strings(&["1", "2"]), strings(&["3"])], numeric: vec![false, true] };
        assert_eq!(layout(&doc(vec![Block::Spacer, ragged])), Err(PdfError::RaggedRow { block: 1, row: 1, expected: 2, found: 1 }));
        let flags = Block::Table { headers: strings(&["A", "B"]), rows: vec![], numeric: vec![true] };
        assert_eq!(layout(&doc(vec![flags])), Err(PdfError::NumericFlags { block: 0, headers: 2, flags: 1 }));
    }

    #[test]
    fn a_row_taller_than_a_page_is_an_error_not_a_loop() {
        let huge = "word ".repeat(20_000);
        let fields = Block::Fields(vec![("Notes".into(), huge)]);
        assert_eq!(layout(&doc(vec![fields])), Err(PdfError::RowTooTall { block: 0 }));
    }

    #[test]
    fn wide_tables_keep_narrow_columns_whole() {
        let widths = fit(&[600.0, 50.0, 40.0], 504.0);
        assert_eq!(widths[1..], [50.0, 40.0]);
        assert!((widths.iter().sum::<f32>() - 504.0).abs() < 0.01);
        let stretched = fit(&[100.0, 50.0], 300.0);
        assert_eq!(stretched, vec![200.0, 100.0]);
    }
}
