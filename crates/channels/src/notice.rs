//! The validation notice (Reg F 1006.34) as a letter laid out after the CFPB model notice
//! (Model Form B-1, Reg F appendix B): who is collecting for whom, the itemization, the dispute
//! rights with the period's end in bold, and a tear-off response form. The content comes checked
//! from [`recoup_domain::validation_notice::compose`]; this module only lays it out, in the
//! notice's language, using the notice's own statements wherever they carry the required words.

use crate::pdf::{self, Block, Document, PdfError, Span};
use recoup_domain::money::format_money;
use recoup_domain::validation_notice::{Language, Notice, long_date};

/// Validation notices go to US consumers about US debts (Reg F), so amounts are dollars.
const CURRENCY: &str = "USD";

/// The short labels the model form adds around the required statements.
struct Words {
    title: &'static str,
    our_information: &'static str,
    dispute_heading: &'static str,
    use_the_form: &'static str,
    else_heading: &'static str,
    payment_options: &'static str,
    respond_heading: &'static str,
    check_all: &'static str,
    dispute_because: &'static str,
    reasons: [&'static str; 3],
    original_creditor: &'static str,
    enclosed: &'static str,
    mail_to: &'static str,
}

const EN: Words = Words {
    title: "Validation notice",
    our_information: "Our information shows:",
    dispute_heading: "How can you dispute the debt?",
    use_the_form: "You may use the form below or write to us without the form. You may also include supporting documents.",
    else_heading: "What else can you do?",
    payment_options: "Contact us about your payment options.",
    respond_heading: "How do you want to respond?",
    check_all: "Check all that apply:",
    dispute_because: "I want to dispute the debt because I think:",
    reasons: ["This is not my debt.", "The amount is wrong.", "Other (please describe on reverse or attach additional information)."],
    original_creditor: "I want you to send me the name and address of the original creditor.",
    enclosed: "I enclosed this amount: $__________",
    mail_to: "Mail this form to:",
};

const ES: Words = Words {
    title: "Aviso de validación",
    our_information: "Nuestra información muestra:",
    dispute_heading: "¿Cómo puede disputar la deuda?",
    use_the_form: "Puede usar el formulario de abajo o escribirnos sin el formulario. También puede incluir documentos de respaldo.",
    else_heading: "¿Qué más puede hacer?",
    payment_options: "Comuníquese con nosotros para conocer sus opciones de pago.",
    respond_heading: "¿Cómo desea responder?",
    check_all: "Marque todas las que correspondan:",
    dispute_because: "Quiero disputar la deuda porque creo que:",
    reasons: ["Esta no es mi deuda.", "La cantidad es incorrecta.", "Otro (describa en el reverso o adjunte información adicional)."],
    original_creditor: "Quiero que me envíen el nombre y la dirección del acreedor original.",
    enclosed: "Adjunté esta cantidad: $__________",
    mail_to: "Envíe este formulario por correo a:",
};

/// The model form's offer of the Spanish form, printed on the English notice (1006.34(d)(3)(vi)).
const SPANISH_OFFER: &str = "Póngase en contacto con nosotros para solicitar una copia de este formulario en español.";
const SPANISH_CHECKBOX: &str = "Quiero este formulario en español.";

fn words(lang: Language) -> &'static Words {
    match lang {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

/// The notice as a document, ready for [`pdf::render`] or [`crate::html::render`].
pub fn validation_notice_document(n: &Notice) -> Document {
    let w = words(n.language);
    let mut blocks = letterhead(n);
    blocks.push(Block::Heading(intro(n)));
    blocks.extend(itemization(n, w));
    blocks.extend(dispute_rights(n, w));
    blocks.extend(response_form(n, w));
    Document { title: format!("{} - {}", w.title, n.collector_name), blocks }
}

/// The notice as PDF bytes, its page footer in the notice's language too.
pub fn validation_notice_pdf(n: &Notice) -> Result<Vec<u8>, PdfError> {
    pdf::render_with_footer(&validation_notice_document(n), footer(n.language))
}

/// Page numbers in the letter's language.
pub fn footer(lang: Language) -> pdf::Footer<'static> {
    match lang {
        Language::En => &|page, count| format!("Page {page} of {count}"),
        Language::Es => &|page, count| format!("Página {page} de {count}"),
    }
}

/// The collector top left, the date, then the consumer's address block where a window envelope
/// shows it.
fn letterhead(n: &Notice) -> Vec<Block> {
    vec![
        Block::Rich(vec![Span::strong(format!("{}\n", n.collector_name)), Span::plain(address_lines(&n.collector_address))]),
        Block::Paragraph(long_date(n.sent_on, n.language)),
        Block::Paragraph(format!("{}\n{}", n.consumer_name, address_lines(&n.consumer_address))),
    ]
}

/// Addresses are stored on one line; a letter puts the street above the city. A stored line
/// break is kept as given.
fn address_lines(address: &str) -> String {
    if address.contains('\n') {
        return address.to_string();
    }
    match address.split_once(", ") {
        Some((street, rest)) => format!("{street}\n{rest}"),
        None => address.to_string(),
    }
}

/// The model form's opening, naming the current creditor (1006.34(c)(2)(i), (v); 1006.18(e)).
fn intro(n: &Notice) -> String {
    let (c, cr) = (&n.collector_name, &n.current_creditor);
    match n.language {
        Language::En => format!(
            "{c} is a debt collector. We are trying to collect a debt that you owe to {cr}. We will use any information you give us to help collect the debt."
        ),
        Language::Es => format!(
            "{c} es un cobrador de deudas. Estamos tratando de cobrar una deuda que usted le debe a {cr}. Usaremos cualquier información que nos dé para ayudar a cobrar la deuda."
        ),
    }
}

/// The domain truncates account numbers to "ending 1234" in English; the Spanish notice says it
/// in Spanish.
fn account(n: &Notice) -> String {
    match (n.language, n.account_number.strip_prefix("ending ")) {
        (Language::Es, Some(tail)) => format!("que termina en {tail}"),
        _ => n.account_number.clone(),
    }
}

/// Reg F 1006.34(c)(2)(iii)-(viii): creditor then, account, and the itemization to today.
fn itemization(n: &Notice, w: &Words) -> Vec<Block> {
    let it = &n.itemization;
    let on = long_date(it.on, n.language);
    let money = |minor: i64| format_money(minor, CURRENCY);
    let (creditor, acct) = (&n.creditor_on_itemization_date, account(n));
    let (account_line, lines) = match n.language {
        Language::En => (
            format!("You had an account with {creditor} with account number {acct}."),
            [
                format!("As of {on}, you owed:"),
                format!("Between {on} and today:"),
                "You were charged this amount in interest:".to_string(),
                "You were charged this amount in fees:".to_string(),
                "You paid or were credited this amount toward the debt:".to_string(),
                "Total amount of the debt now:".to_string(),
            ],
        ),
        Language::Es => (
            format!("Usted tenía una cuenta con {creditor} con el número de cuenta {acct}."),
            [
                format!("Al {on}, usted debía:"),
                format!("Entre el {on} y hoy:"),
                "Se le cobró esta cantidad en intereses:".to_string(),
                "Se le cobró esta cantidad en cargos:".to_string(),
                "Usted pagó o se le acreditó esta cantidad a la deuda:".to_string(),
                "Cantidad total de la deuda ahora:".to_string(),
            ],
        ),
    };
    let [then, between, interest, fees, paid, total] = lines;
    vec![
        Block::Rich(vec![Span::strong(w.our_information)]),
        Block::Paragraph(account_line),
        Block::Sums {
            lines: vec![
                (then, money(it.amount_then)),
                (between, String::new()),
                (interest, format!("+ {}", money(it.interest))),
                (fees, format!("+ {}", money(it.fees))),
                (paid, format!("- {}", money(it.payments + it.credits))),
            ],
            total: (total, money(n.current_amount)),
        },
    ]
}

/// A statement as a bulleted line with the period's end in bold and in long form. The domain
/// writes the date as YYYY-MM-DD; the model form prints it as a reader would.
fn with_bold_end(n: &Notice, statement: &str, extra: &str) -> Block {
    let iso = n.validation_period_ends.to_string();
    let ends = long_date(n.validation_period_ends, n.language);
    let mut spans = vec![Span::plain("\u{2022} ")];
    let mut rest = statement;
    while let Some((before, after)) = rest.split_once(iso.as_str()) {
        spans.push(Span::plain(before));
        spans.push(Span::strong(ends.clone()));
        rest = after;
    }
    spans.push(Span::plain(rest));
    if !extra.is_empty() {
        spans.push(Span::plain(format!(" {extra}")));
    }
    Block::Rich(spans)
}

/// Reg F 1006.34(c)(3): the dispute, original-creditor and CFPB statements, in the model form's
/// two sections. `statements` holds them in order: disclosure, dispute, stop collection,
/// original creditor, CFPB, then electronic disputes when accepted.
fn dispute_rights(n: &Notice, w: &Words) -> Vec<Block> {
    let s = |i: usize| n.statements.get(i).map(String::as_str).unwrap_or_default();
    let mut blocks = vec![Block::Heading(w.dispute_heading.into()), with_bold_end(n, s(1), ""), with_bold_end(n, s(2), w.use_the_form)];
    if let Some(method) = &n.electronic_dispute {
        blocks.push(Block::Rich(vec![Span::plain(format!("\u{2022} {} ", s(5))), Span::strong(method.clone())]));
    }
    blocks.push(Block::Heading(w.else_heading.into()));
    blocks.push(with_bold_end(n, s(3), ""));
    blocks.push(Block::Paragraph(format!("\u{2022} {}", s(4))));
    blocks.push(Block::Paragraph(format!("\u{2022} {}", w.payment_options)));
    if n.language == Language::En {
        blocks.push(Block::Paragraph(format!("\u{2022} {SPANISH_OFFER}")));
    }
    blocks
}

/// The tear-off form with the response prompts (1006.34(c)(4)).
fn response_form(n: &Notice, w: &Words) -> Vec<Block> {
    let mut others = vec![w.original_creditor.to_string(), w.enclosed.to_string()];
    if n.language == Language::En {
        others.push(SPANISH_CHECKBOX.to_string());
    }
    vec![
        Block::CutLine,
        Block::Heading(w.respond_heading.into()),
        Block::Rich(vec![Span::plain(w.check_all)]),
        Block::Rich(vec![Span::strong(w.dispute_because)]),
        Block::Checkboxes(w.reasons.iter().map(|r| r.to_string()).collect()),
        Block::Checkboxes(others),
        Block::Rich(vec![
            Span::strong(format!("{}\n", w.mail_to)),
            Span::plain(format!("{}\n{}", n.collector_name, address_lines(&n.collector_address))),
        ]),
        Block::Paragraph(format!("{}\n{}", n.consumer_name, address_lines(&n.consumer_address))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use recoup_domain::account::ItemizationBasis;
    use recoup_domain::validation_notice::{Facts, Itemization, compose};

    pub(crate) fn notice(language: Language, electronic: Option<&str>) -> Notice {
        let itemization = Itemization {
            on: date(2025, 1, 31),
            basis: ItemizationBasis::ChargeOff,
            amount_then: 123_456,
            interest: 7_500,
            fees: 2_500,
            payments: 5_000,
            credits: 1_000,
        };
        compose(&Facts {
            collector_name: "Northgate Services LLC".into(),
            collector_address: "100 Main St, Springfield, IL 62701".into(),
            consumer_name: "Zoë Muñoz".into(),
            consumer_address: "12 Elm St, Austin, TX 78701".into(),
            creditor_on_itemization_date: "Lakeshore Bank".into(),
            account_number: "4111000012345678".into(),
            current_creditor: "Lakeshore Bank".into(),
            itemization,
            current_amount: itemization.current(),
            sent_on: date(2025, 6, 2),
            electronic_dispute: electronic.map(String::from),
            language,
        })
        .expect("a complete notice")
    }

    /// The text of every page, each line as lopdf extracts it.
    fn pdf_text(bytes: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        doc.extract_text(&pages).expect("text")
    }

    /// Extraction splits a line where the font changes; comparing without whitespace keeps the
    /// tests about words, not about where runs break.
    fn squash(s: &str) -> String {
        s.split_whitespace().collect()
    }

    fn contains(text: &str, wanted: &str) -> bool {
        squash(text).contains(&squash(wanted))
    }

    #[test]
    fn the_english_pdf_states_the_itemization_period_end_prompts_and_form() {
        let n = notice(Language::En, None);
        let text = pdf_text(&validation_notice_pdf(&n).unwrap());
        for wanted in [
            "Northgate Services LLC is a debt collector. We are trying to collect a debt that you owe to Lakeshore Bank.",
            "account number ending 5678",
            "As of January 31, 2025, you owed:",
            "$1,234.56",
            "+ $75.00",
            "+ $25.00",
            "- $60.00",
            "Total amount of the debt now:",
            "$1,274.56",
            "Call or write to us by July 9, 2025 to dispute all or part of the debt.",
            "How can you dispute the debt?",
            "What else can you do?",
            "www.cfpb.gov/debt-collection",
            "How do you want to respond?",
            "This is not my debt.",
            "The amount is wrong.",
            "I want you to send me the name and address of the original creditor.",
            "I enclosed this amount: $",
            "Quiero este formulario en español.",
            "Mail this form to:",
            "Zoë Muñoz",
        ] {
            assert!(contains(&text, wanted), "missing {wanted:?} in\n{text}");
        }
        assert!(!text.contains("2025-07-09"), "the end date is printed in long form");
    }

    #[test]
    fn the_spanish_pdf_is_in_spanish_throughout() {
        let n = notice(Language::Es, Some("disputas@northgate.example"));
        let text = pdf_text(&validation_notice_pdf(&n).unwrap());
        for wanted in [
            "Northgate Services LLC es un cobrador de deudas.",
            "número de cuenta que termina en 5678",
            "Al 31 de enero de 2025, usted debía:",
            "$1,234.56",
            "Cantidad total de la deuda ahora:",
            "Llame o escríbanos antes del 9 de julio de 2025",
            "¿Cómo puede disputar la deuda?",
            "¿Qué más puede hacer?",
            "disputas@northgate.example",
            "¿Cómo desea responder?",
            "Esta no es mi deuda.",
            "Envíe este formulario por correo a:",
            "Página 1 de",
        ] {
            assert!(contains(&text, wanted), "missing {wanted:?} in\n{text}");
        }
        for english in [
            "is a debt collector",
            "Our information shows",
            "How can you dispute",
            "What else can you do",
            "How do you want to respond",
            "Mail this form",
            "Total amount",
            "ending 5678",
            "Page 1",
            "Quiero este formulario",
        ] {
            assert!(!contains(&text, english), "{english:?} on the Spanish notice");
        }
    }

    #[test]
    fn the_notice_renders_the_same_bytes_every_time() {
        let n = notice(Language::En, Some("disputes@northgate.example"));
        assert_eq!(validation_notice_pdf(&n).unwrap(), validation_notice_pdf(&n).unwrap());
    }

    #[test]
    fn the_tear_off_form_follows_the_cut_line_with_its_check_boxes() {
        let doc = validation_notice_document(&notice(Language::En, None));
        let cut = doc.blocks.iter().position(|b| *b == Block::CutLine).expect("a cut line");
        let form = &doc.blocks[cut..];
        let boxes: Vec<&String> =
            form.iter().filter_map(|b| if let Block::Checkboxes(items) = b { Some(items) } else { None }).flatten().collect();
        assert_eq!(boxes.len(), 6, "{boxes:?}");
        assert!(matches!(&form[1], Block::Heading(h) if h == "How do you want to respond?"));
        let html = crate::html::render(&doc);
        assert!(html.contains("<hr class=\"cut\">") && html.contains("<strong>July 9, 2025</strong>"), "{html}");
    }

    #[test]
    fn one_line_addresses_break_after_the_street() {
        assert_eq!(address_lines("12 Elm St, Austin, TX 78701"), "12 Elm St\nAustin, TX 78701");
        assert_eq!(address_lines("PO Box 9\nAustin TX"), "PO Box 9\nAustin TX");
        assert_eq!(address_lines("Somewhere"), "Somewhere");
    }

    /// Writes both languages to `target/notice-en.pdf` and `target/notice-es.pdf` to look at.
    #[test]
    #[ignore]
    fn write_sample_notices() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
        std::fs::create_dir_all(&dir).unwrap();
        for (lang, name) in [(Language::En, "en"), (Language::Es, "es")] {
            let bytes = validation_notice_pdf(&notice(lang, Some("disputes@northgate.example"))).unwrap();
            std::fs::write(dir.join(format!("notice-{name}.pdf")), bytes).unwrap();
        }
    }
}
