//! Serialises laid-out pages with pdf-writer. Content streams stay uncompressed: documents are
//! a few pages of text, and plain streams keep the output byte-for-byte reproducible and easy to
//! inspect in tests.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use super::layout::{PAGE_HEIGHT, PAGE_WIDTH, Page, TextRun};
use super::metrics::Font;

const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const REGULAR: Ref = Ref::new(4);
const BOLD: Ref = Ref::new(5);
/// Page `i` is object `FIRST_PAGE + 2i` and its content stream the object after it.
const FIRST_PAGE: i32 = 6;

const RULE_WIDTH: f32 = 0.5;
/// On and off lengths of a dashed cut line, in points.
const DASH: [f32; 2] = [4.0, 3.0];

pub(crate) fn write(title: &str, pages: &[Page]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGE_TREE);
    pdf.document_info(INFO).title(TextStr(title)).producer(TextStr("recoup"));
    for (id, font) in [(REGULAR, Font::Regular), (BOLD, Font::Bold)] {
        pdf.type1_font(id).base_font(Name(font.base_font())).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let ids: Vec<Ref> = (0..pages.len()).map(page_id).collect();
    pdf.pages(PAGE_TREE).kids(ids.iter().copied()).count(ids.len() as i32);
    for (page, id) in pages.iter().zip(ids) {
        write_page(&mut pdf, id, page);
    }
    pdf.finish()
}

fn page_id(index: usize) -> Ref {
    Ref::new(FIRST_PAGE + 2 * index as i32)
}

fn write_page(pdf: &mut Pdf, id: Ref, page: &Page) {
    let content_id = Ref::new(id.get() + 1);
    let mut writer = pdf.page(id);
    writer.parent(PAGE_TREE).media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).contents(content_id);
    writer.resources().fonts().pair(Name(Font::Regular.resource()), REGULAR).pair(Name(Font::Bold.resource()), BOLD);
    // The page writer borrows the whole PDF until it is dropped.
    drop(writer);
    pdf.stream(content_id, &content(page));
}

fn content(page: &Page) -> Vec<u8> {
    let mut content = Content::new();
    if !page.rules.is_empty() || !page.squares.is_empty() {
        content.set_line_width(RULE_WIDTH);
        strokes(&mut content, page);
    }
    content.begin_text();
    let mut current = None;
    for run in &page.runs {
        show(&mut content, run, &mut current);
    }
    content.end_text();
    content.finish().into_vec()
}

/// Solid rules and squares in one path, then dashed rules in another, as the dash pattern is
/// graphics state that applies to a whole stroke.
fn strokes(content: &mut Content, page: &Page) {
    let (dashed, solid): (Vec<_>, Vec<_>) = page.rules.iter().partition(|r| r.dashed);
    for rule in &solid {
        content.move_to(rule.x1, rule.y).line_to(rule.x2, rule.y);
    }
    for square in &page.squares {
        content.rect(square.x, square.y, square.size, square.size);
    }
    if !solid.is_empty() || !page.squares.is_empty() {
        content.stroke();
    }
    if !dashed.is_empty() {
        content.save_state();
        content.set_dash_pattern(DASH, 0.0);
        for rule in &dashed {
            content.move_to(rule.x1, rule.y).line_to(rule.x2, rule.y);
        }
        content.stroke();
        content.restore_state();
    }
}

/// Shows one run, switching font only when it changes, as most runs share the body font.
fn show(content: &mut Content, run: &TextRun, current: &mut Option<(Font, f32)>) {
    let font = (run.style.font, run.style.size);
    if *current != Some(font) {
        content.set_font(Name(font.0.resource()), font.1);
        *current = Some(font);
    }
    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, run.y]);
    content.show(Str(&run.text));
}
