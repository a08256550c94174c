//! Documents recoup produces for debtors and clients: payment receipts, settlement letters and
//! remittance statements. Each is built once as a `recoup_channels::pdf::Document` and rendered
//! as a page (HTML) or a PDF, so the two always say the same thing.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use recoup_channels::pdf::{Block, Document};
use recoup_domain::account::Account;
use recoup_domain::money::Currency;
use recoup_domain::org::Client;
use recoup_store::servicing::payment::{Payment, PaymentStatus};
use recoup_store::servicing::remittance::RemittanceStatement;
use recoup_store::servicing::settlement::Settlement;

pub use recoup_channels::html::escape;

/// The two ways a document is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Pdf,
}

impl Format {
    pub fn parse(s: Option<&str>) -> Option<Format> {
        match s.unwrap_or("html") {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
}

/// The document as a response in `format`; `name` is the PDF's file name.
pub fn respond(doc: &Document, format: Format, name: &str) -> Response {
    if format == Format::Html {
        return crate::hardening::inline_styled(recoup_channels::html::render(doc));
    }
    pdf_response(recoup_channels::pdf::render(doc), name)
}

/// Rendered PDF bytes as a response (`name` is the file name), or the logged failure.
pub fn pdf_response(rendered: Result<Vec<u8>, recoup_channels::pdf::PdfError>, name: &str) -> Response {
    match rendered {
        Ok(bytes) => {
            let disposition = format!("inline; filename=\"{name}.pdf\"");
            ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "a document could not be rendered to PDF");
            crate::api::problem::Problem::internal().into_response()
        }
    }
}

fn creditor(account: &Account, client: Option<&Client>) -> String {
    client.map(|c| c.name.clone()).unwrap_or_else(|| account.current_creditor.clone())
}

fn money(c: Currency, minor: i64) -> String {
    format!("{} {}", c.format_minor(minor), c.code())
}

/// The receipt for one payment, numbered as recorded.
pub fn receipt(p: &Payment, account: &Account, client: Option<&Client>) -> Document {
    let mut fields = vec![
        ("Receipt".to_string(), p.receipt_no.clone()),
        ("Account".into(), account.external_ref.clone()),
        ("Creditor".into(), creditor(account, client)),
        ("Date".into(), p.effective_on.to_string()),
        ("Amount".into(), money(p.currency, p.amount)),
        ("Method".into(), p.method.as_str().to_string()),
    ];
    if let Some(card) = &p.card {
        fields.push(("Card".into(), format!("{} ending {}", card.brand, card.last4)));
    }
    if let Some(r) = &p.reference {
        fields.push(("Reference".into(), r.clone()));
    }
    let status = if p.status == PaymentStatus::Reversed { "reversed" } else { "posted" };
    fields.push(("Status".into(), status.into()));
    Document { title: "Payment receipt".into(), blocks: vec![Block::Fields(fields)] }
}

/// The letter confirming a settlement: the balance, what settles it and by when, and (once
/// completed) that the rest is forgiven.
pub fn settlement_letter(s: &Settlement, account: &Account, client: Option<&Client>, debtor: &str) -> Document {
    let c = account.currency;
    let mut blocks = vec![
        Block::Paragraph(format!("{debtor},")),
        Block::Paragraph(format!("Re: account {} with {}.", account.external_ref, creditor(account, client))),
        Block::Paragraph(format!(
            "The balance on {} was {}. We agree to accept {} in full settlement.",
            s.offered_on,
            money(c, s.owed),
            money(c, s.amount)
        )),
    ];
    if s.installments.is_empty() {
        blocks.push(Block::Paragraph(format!("Pay {} by {}.", money(c, s.amount), s.expires_on)));
    } else {
        let rows = s.installments.iter().map(|i| vec![i.due_on.to_string(), c.format_minor(i.amount)]).collect();
        blocks.push(Block::Paragraph("Pay in these installments:".into()));
        blocks.push(Block::Table { headers: vec!["Due".into(), format!("Amount ({})", c.code())], rows, numeric: vec![false, true] });
    }
    blocks.push(Block::Paragraph(match s.completed_on {
        Some(day) => format!(
            "Settled in full on {day}. The remaining {} has been forgiven and nothing more is owed on this account.",
            money(c, s.owed - s.amount)
        ),
        None => "When the settlement amount is paid, the rest of the balance will be forgiven and the account closed as settled.".into(),
    }));
    blocks.push(Block::Paragraph(format!("This offer expires on {}. Reference {}.", s.expires_on, s.id)));
    Document { title: "Settlement agreement".into(), blocks }
}

/// A client's remittance statement for a period.
pub fn statement(st: &RemittanceStatement, client: &Client) -> Document {
    let c = client.default_currency;
    let rows = st
        .lines
        .iter()
        .map(|l| {
            vec![l.effective_on.to_string(), l.receipt_no.clone(), l.kind.clone(), c.format_minor(l.amount), c.format_minor(l.commission)]
        })
        .collect();
    let t = &st.totals;
    let totals = vec![
        ("Collected by the agency".to_string(), c.format_minor(t.collected_by_agency)),
        ("Paid directly to the client".into(), c.format_minor(t.paid_direct)),
        ("Reversals included".into(), c.format_minor(-st.reversals)),
        ("Commission".into(), c.format_minor(t.commission)),
        ("Net due to the client".into(), c.format_minor(t.net_due_to_client)),
    ];
    Document {
        title: "Remittance statement".into(),
        blocks: vec![
            Block::Paragraph(format!("{}, {} to {} ({})", client.name, st.from, st.to, c.code())),
            Block::Table {
                headers: vec!["Date".into(), "Receipt".into(), "Kind".into(), "Amount".into(), "Commission".into()],
                rows,
                numeric: vec![false, false, false, true, true],
            },
            Block::Heading("Totals".into()),
            Block::Fields(totals),
        ],
    }
}
