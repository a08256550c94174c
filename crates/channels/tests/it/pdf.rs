//! Renders documents and reads the bytes back with an independent PDF parser.

use lopdf::Object;
use recoup_channels::pdf::{Block, Document, PdfError, render};

fn statement(rows: usize) -> Document {
    Document {
        title: "Remittance statement — March".into(),
        blocks: vec![
            Block::Heading("Collections for Acme Utilities".into()),
            Block::Fields(vec![("Period".into(), "2026-03-01 to 2026-03-31".into()), ("Debtor".into(), "Zoë Muñoz €5 東".into())]),
            Block::Spacer,
            Block::Table {
                headers: vec!["Account".into(), "Collected".into(), "Commission".into()],
                rows: (0..rows).map(|i| vec![format!("ACC-{i:04}"), format!("{i}.50"), format!("{}.05", i / 10)]).collect(),
                numeric: vec![false, true, true],
            },
            Block::Paragraph("Amounts are in EUR. Questions about this statement go to your account manager.".into()),
        ],
    }
}

fn load(bytes: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(bytes).expect("a PDF lopdf can parse")
}

/// The strings a page's content stream shows, one per `Tj`: one per cell line here.
fn shown(pdf: &lopdf::Document, page: lopdf::ObjectId) -> Vec<String> {
    let content = lopdf::content::Content::decode(&pdf.get_page_content(page)).unwrap();
    let shows = content.operations.iter().filter(|op| op.operator == "Tj");
    shows.map(|op| String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned()).collect()
}

#[test]
fn rendered_statement_reads_back_with_pages_footers_and_cells() {
    let pdf = load(&render(&statement(200)).unwrap());
    let pages = pdf.get_pages();
    let count = pages.len() as u32;
    assert!(count >= 4, "{count} pages");
    for number in 1..=count {
        let text = pdf.extract_text(&[number]).unwrap();
        assert!(text.contains(&format!("Page {number} of {count}")), "page {number}: {text}");
        assert!(text.contains("Remittance statement — March"), "page {number} header: {text}");
        assert!(text.contains("Account"), "page {number} repeats the table header");
    }
    let first = shown(&pdf, pages[&1]);
    let cell = first.iter().position(|s| s == "ACC-0007").expect("cell ACC-0007 on page 1");
    assert_eq!(first[cell + 1..cell + 3], ["7.50", "0.05"]);
    assert!(shown(&pdf, pages[&count]).contains(&"ACC-0199".to_string()));
}

#[test]
fn text_outside_winansi_prints_as_question_marks() {
    let pdf = load(&render(&statement(1)).unwrap());
    let text = pdf.extract_text(&[1]).unwrap();
    assert!(text.contains("Zoë Muñoz €5 ?"), "{text}");
}

#[test]
fn every_page_is_us_letter_and_the_title_is_in_the_metadata() {
    let pdf = load(&render(&statement(200)).unwrap());
    for (_, id) in pdf.get_pages() {
        let page = pdf.get_dictionary(id).unwrap();
        let media_box: Vec<f32> = page.get(b"MediaBox").unwrap().as_array().unwrap().iter().map(|n| n.as_float().unwrap()).collect();
        assert_eq!(media_box, vec![0.0, 0.0, 612.0, 792.0]);
    }
    let info = pdf.trailer.get(b"Info").and_then(Object::as_reference).unwrap();
    let title = pdf.get_dictionary(info).unwrap().get(b"Title").unwrap();
    assert_eq!(lopdf::decode_text_string(title).unwrap(), "Remittance statement — March");
}

#[test]
fn same_document_renders_to_the_same_bytes() {
    assert_eq!(render(&statement(60)).unwrap(), render(&statement(60)).unwrap());
}

#[test]
fn malformed_table_is_an_error() {
    let doc = Document {
        title: "Receipt".into(),
        blocks: vec![Block::Table { headers: vec!["A".into()], rows: vec![vec![]], numeric: vec![false] }],
    };
    assert_eq!(render(&doc), Err(PdfError::RaggedRow { block: 0, row: 0, expected: 1, found: 0 }));
}

#[test]
fn a_batch_keeps_each_documents_header_and_page_numbers() {
    let letter = |title: &str| Document { title: title.into(), blocks: vec![Block::Paragraph(format!("Dear reader of {title}"))] };
    let en: recoup_channels::pdf::Footer<'_> = &|p, n| format!("Page {p} of {n}");
    let es: recoup_channels::pdf::Footer<'_> = &|p, n| format!("Pagina {p} de {n}");
    let docs = vec![(statement(200), en), (letter("Carta"), es), (letter("Letter"), en)];
    let pdf = load(&recoup_channels::pdf::render_batch("Print batch", &docs).unwrap());
    let pages: Vec<_> = pdf.get_pages().into_values().collect();
    let statement_pages = load(&render(&statement(200)).unwrap()).get_pages().len();
    assert_eq!(pages.len(), statement_pages + 2, "each letter starts its own page");
    let carta = shown(&pdf, pages[statement_pages]);
    assert!(carta.contains(&"Carta".to_string()) && carta.contains(&"Pagina 1 de 1".to_string()), "{carta:?}");
    let last = shown(&pdf, pages[statement_pages + 1]);
    assert!(last.contains(&"Letter".to_string()) && last.contains(&"Page 1 of 1".to_string()), "{last:?}");
    let first = shown(&pdf, pages[0]);
    assert!(first.contains(&format!("Page 1 of {statement_pages}")), "{first:?}");
}
