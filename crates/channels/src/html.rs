//! The same [`Document`] as a self-contained HTML page, for showing in a browser what the PDF
//! prints: one model, two renderings, so the two never say different things.

use crate::pdf::{Block, Document, Span};
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}\
.n{text-align:right}.total th,.total td{font-weight:bold;border-top:1px solid #222}\
hr.cut{border:0;border-top:1px dashed #222;margin:1.5rem 0}ul.boxes{list-style:none;padding-left:0}ul.boxes li::before{content:\"\\2610\\00a0\"}";

pub fn render(doc: &Document) -> String {
    let mut body = String::new();
    for block in &doc.blocks {
        block_html(&mut body, block);
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = escape(&doc.title)
    )
}

fn block_html(out: &mut String, block: &Block) {
    match block {
        Block::Heading(h) => {
            let _ = write!(out, "<h2>{}</h2>", escape(h));
        }
        Block::Paragraph(p) => {
            let _ = write!(out, "<p>{}</p>", escape(p).replace('\n', "<br>"));
        }
        Block::Fields(fields) => {
            out.push_str("<table>");
            for (label, value) in fields {
                let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(label), escape(value));
            }
            out.push_str("</table>");
        }
        Block::Table { headers, rows, numeric } => table(out, headers, rows, numeric),
        Block::Spacer => out.push_str("<br>"),
        Block::Rich(spans) => rich(out, spans),
        Block::Sums { lines, total } => sums(out, lines, total),
        Block::CutLine => out.push_str("<hr class=\"cut\">"),
        Block::Checkboxes(items) => {
            out.push_str("<ul class=\"boxes\">");
            for item in items {
                let _ = write!(out, "<li>{}</li>", escape(item));
            }
            out.push_str("</ul>");
        }
    }
}

fn rich(out: &mut String, spans: &[Span]) {
    out.push_str("<p>");
    for span in spans {
        let text = escape(&span.text).replace('\n', "<br>");
        if span.strong {
            let _ = write!(out, "<strong>{text}</strong>");
        } else {
            out.push_str(&text);
        }
    }
    out.push_str("</p>");
}

fn sums(out: &mut String, lines: &[(String, String)], total: &(String, String)) {
    out.push_str("<table>");
    for (label, amount) in lines {
        let _ = write!(out, "<tr><td>{}</td><td class=\"n\">{}</td></tr>", escape(label), escape(amount));
    }
    let _ = write!(out, "<tr class=\"total\"><th>{}</th><td class=\"n\">{}</td></tr>", escape(&total.0), escape(&total.1));
    out.push_str("</table>");
}

fn table(out: &mut String, headers: &[String], rows: &[Vec<String>], numeric: &[bool]) {
    let class = |i: usize| if numeric.get(i).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
    out.push_str("<table><tr>");
    for (i, h) in headers.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_renders_and_text_is_escaped() {
        let doc = Document {
            title: "Statement <Q4>".into(),
            blocks: vec![
                Block::Heading("Totals".into()),
                Block::Paragraph("line one\nline & two".into()),
                Block::Fields(vec![("Net".into(), "1.00".into())]),
                Block::Table {
                    headers: vec!["Receipt".into(), "Amount".into()],
                    rows: vec![vec!["<b>".into(), "5.00".into()]],
                    numeric: vec![false, true],
                },
            ],
        };
        let html = render(&doc);
        assert!(html.contains("<title>Statement &lt;Q4&gt;</title>"));
        assert!(html.contains("<p>line one<br>line &amp; two</p>"));
        assert!(html.contains("<td>&lt;b&gt;</td><td class=\"n\">5.00</td>"), "{html}");
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn notice_blocks_render_as_html() {
        let doc = Document {
            title: "Notice".into(),
            blocks: vec![
                Block::Rich(vec![Span::plain("Call by "), Span::strong("July 9, 2025"), Span::plain(" & write.")]),
                Block::Sums { lines: vec![("Interest:".into(), "+ $5.00".into())], total: ("Total:".into(), "$10.00".into()) },
                Block::CutLine,
                Block::Checkboxes(vec!["This is not my debt.".into(), "<other>".into()]),
            ],
        };
        let html = render(&doc);
        assert!(html.contains("<p>Call by <strong>July 9, 2025</strong> &amp; write.</p>"), "{html}");
        assert!(html.contains("<tr><td>Interest:</td><td class=\"n\">+ $5.00</td></tr>"));
        assert!(html.contains("<tr class=\"total\"><th>Total:</th><td class=\"n\">$10.00</td></tr>"));
        assert!(html.contains("<hr class=\"cut\">"));
        assert!(html.contains("<ul class=\"boxes\"><li>This is not my debt.</li><li>&lt;other&gt;</li></ul>"));
    }
}
