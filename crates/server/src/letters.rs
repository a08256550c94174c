//! Letters: each is rendered to a PDF page set (the validation notice in its model-form layout,
//! any other letter as the collector's letterhead, the address block and the text), "sent" by
//! joining the day's print queue, and printed from one batch file per day.

use recoup_channels::pdf::{Block, Document, Footer, PdfError};
use recoup_channels::transport::{Outgoing, SendError, Sent, Transport};
use recoup_domain::client_policy::Collector;
use recoup_domain::validation_notice::Language;
use recoup_store::servicing::message::Message;

/// The print queue: a letter is sent when it is in the day's batch.
pub struct PrintQueue;

#[async_trait::async_trait]
impl Transport for PrintQueue {
    fn name(&self) -> &'static str {
        "print"
    }

    async fn send(&self, m: &Outgoing) -> Result<Sent, SendError> {
        if m.pdf.is_none() {
            return Err(SendError::Permanent("a letter needs its PDF".into()));
        }
        if m.to.trim().is_empty() {
            return Err(SendError::Permanent("a letter needs a postal address".into()));
        }
        Ok(Sent {
            transport: "print",
            provider_id: format!("print-{}", m.message_id),
            status: recoup_channels::transport::ProviderStatus::Sent,
        })
    }
}

/// A letter's pages: the validation notice in its own layout (and language), any other letter
/// on letterhead.
pub fn document(m: &Message, c: &Collector) -> (Document, Footer<'static>) {
    if let Some(n) = &m.notice {
        return (recoup_channels::notice::validation_notice_document(n), recoup_channels::notice::footer(n.language));
    }
    let mut blocks =
        vec![Block::Paragraph(format!("{}\n{}", c.name, c.address)), Block::Spacer, Block::Paragraph(m.to.clone()), Block::Spacer];
    if let Some(s) = &m.subject {
        blocks.push(Block::Heading(s.clone()));
    }
    blocks.extend(m.text.split("\n\n").map(|p| Block::Paragraph(p.to_string())));
    let lang = m.template.as_ref().and_then(|t| crate::compose::parse_language(&t.language)).unwrap_or(Language::En);
    (Document { title: m.subject.clone().unwrap_or_else(|| c.name.clone()), blocks }, recoup_channels::notice::footer(lang))
}

pub fn pdf(m: &Message, c: &Collector) -> Result<Vec<u8>, PdfError> {
    let (doc, footer) = document(m, c);
    recoup_channels::pdf::render_with_footer(&doc, footer)
}

/// One file for the printer: every letter, each on its own pages with its own page numbers.
pub fn batch_pdf(letters: &[(Message, Collector)]) -> Result<Vec<u8>, PdfError> {
    let docs: Vec<_> = letters.iter().map(|(m, c)| document(m, c)).collect();
    recoup_channels::pdf::render_batch("Print batch", &docs)
}

/// Letters that joined the print queue on `on`, oldest first, with their client's collector.
pub async fn day_letters(
    store: &dyn recoup_store::Store,
    tenant_id: uuid::Uuid,
    on: jiff::civil::Date,
) -> Result<Vec<(Message, Collector)>, recoup_store::StoreError> {
    let mut query = recoup_store::servicing::RecordQuery::of(recoup_store::servicing::RecordKind::Message);
    (query.on_from, query.on_to, query.limit) = (Some(on), Some(on), 5_000);
    query.statuses =
        vec![recoup_domain::message::MessageStatus::Sent.as_str().into(), recoup_domain::message::MessageStatus::Delivered.as_str().into()];
    let mut out = Vec::new();
    let mut collectors = std::collections::HashMap::new();
    loop {
        let page = store.records(tenant_id, &query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.id);
        for r in &page {
            let m = <Message as recoup_store::servicing::Kept>::from_record(r)?;
            if m.medium != recoup_domain::policy::Medium::Letter {
                continue;
            }
            let collector = match collectors.get(&r.client_id) {
                Some(c) => Clone::clone(c),
                None => {
                    let c = store.client_policy(tenant_id, r.client_id).await?.collector;
                    collectors.insert(r.client_id, c.clone());
                    c
                }
            };
            out.push((m, collector));
        }
    }
    Ok(out)
}
