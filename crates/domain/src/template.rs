//! Message templates' compliance rules, checked on what a consumer would read: a template is
//! rendered against a sample context (by the channels crate, which owns the template engine) and
//! the output is checked here for the disclosure, the opt-out, the validation details and the
//! limits of a limited-content voicemail. Pure: no template engine, no I/O.

use crate::money::format_money;
use crate::validation_notice::{Language, long_date};
use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateChannel {
    Email,
    Sms,
    Letter,
    /// A script left on voicemail, read by an agent or synthesised.
    Voice,
}

impl TemplateChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateChannel::Email => "email",
            TemplateChannel::Sms => "sms",
            TemplateChannel::Letter => "letter",
            TemplateChannel::Voice => "voice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [TemplateChannel::Email, TemplateChannel::Sms, TemplateChannel::Letter, TemplateChannel::Voice]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplatePurpose {
    Collection,
    ValidationNotice,
    PaymentReceipt,
    PromiseReminder,
    PlanConfirmation,
    SettlementOffer,
    OptOutConfirmation,
    Voicemail,
    /// The debtor's own promise, confirmed back to them.
    PromiseConfirmation,
    /// That a dispute was received; it asks for nothing.
    DisputeAcknowledgement,
    /// That the debtor's contact preferences (times, language, channels) were changed.
    PreferencesConfirmation,
}

impl TemplatePurpose {
    pub const ALL: [TemplatePurpose; 11] = [
        TemplatePurpose::Collection,
        TemplatePurpose::ValidationNotice,
        TemplatePurpose::PaymentReceipt,
        TemplatePurpose::PromiseReminder,
        TemplatePurpose::PlanConfirmation,
        TemplatePurpose::SettlementOffer,
        TemplatePurpose::OptOutConfirmation,
        TemplatePurpose::Voicemail,
        TemplatePurpose::PromiseConfirmation,
        TemplatePurpose::DisputeAcknowledgement,
        TemplatePurpose::PreferencesConfirmation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePurpose::Collection => "collection",
            TemplatePurpose::ValidationNotice => "validation_notice",
            TemplatePurpose::PaymentReceipt => "payment_receipt",
            TemplatePurpose::PromiseReminder => "promise_reminder",
            TemplatePurpose::PlanConfirmation => "plan_confirmation",
            TemplatePurpose::SettlementOffer => "settlement_offer",
            TemplatePurpose::OptOutConfirmation => "opt_out_confirmation",
            TemplatePurpose::Voicemail => "voicemail",
            TemplatePurpose::PromiseConfirmation => "promise_confirmation",
            TemplatePurpose::DisputeAcknowledgement => "dispute_acknowledgement",
            TemplatePurpose::PreferencesConfirmation => "preferences_confirmation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A template as written, before it is saved: sources for each part of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub key: String,
    pub channel: TemplateChannel,
    pub language: Language,
    pub purpose: TemplatePurpose,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// This template may go to time-barred debts.
    pub for_time_barred: bool,
}

/// What a template renders to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// A rule a template breaks. `field` is a JSON pointer into the draft ("/text", "/subject",
/// "/html", "/key", "/channel"); `rule` a stable name a client can match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {why}")]
pub struct TemplateFault {
    pub field: &'static str,
    pub rule: &'static str,
    pub why: String,
}

fn fault(field: &'static str, rule: &'static str, why: impl Into<String>) -> TemplateFault {
    TemplateFault { field, rule, why: why.into() }
}

/// The debt-collector disclosure (Reg F 1006.18(e); COMPLIANCE 11): the initial-communication
/// wording, which also says the message is from a debt collector, so one sentence serves every
/// message whether or not it is the first.
pub fn disclosure(lang: Language) -> &'static str {
    match lang {
        Language::En => {
            "This communication is from a debt collector. This is an attempt to collect a debt, and any information obtained will be used for that purpose."
        }
        Language::Es => {
            "Esta comunicación proviene de un cobrador de deudas. Este es un intento de cobrar una deuda y cualquier información obtenida será utilizada para ese propósito."
        }
    }
}

/// The opt-out instruction for texts (Reg F 1006.6(e); TCPA revocation by "STOP", COMPLIANCE 24).
pub fn sms_opt_out(lang: Language) -> &'static str {
    match lang {
        Language::En => "Reply STOP to opt out.",
        Language::Es => "Responda STOP para no recibir más mensajes.",
    }
}

/// The time-barred debt disclosure several states require (e.g. Cal. Civ. Code 1788.14(d); check
/// per state). It names suing only to say there will be none, so the legal-threat check reads
/// past it.
pub fn time_barred_disclosure(lang: Language) -> &'static str {
    match lang {
        Language::En => "The law limits how long you can be sued on a debt. Because of the age of your debt, we will not sue you for it.",
        Language::Es => {
            "La ley limita el tiempo durante el cual se le puede demandar por una deuda. Debido a la antigüedad de su deuda, no lo demandaremos por ella."
        }
    }
}

/// Three concatenated SMS segments of 160 characters: longer texts are split in more parts by
/// carriers, cost more and may arrive out of order.
pub const SMS_MAX_CHARS: usize = 480;

const KEY_MAX: usize = 64;

/// Checks the rendered sample output (what a consumer would read) for the required elements.
/// The sample values looked for come from [`TemplateContext::sample`] in the draft's language.
pub fn check_rendered(d: &TemplateDraft, rendered: &Rendered) -> Vec<TemplateFault> {
    let sample = TemplateContext::sample(d.language);
    let mut out = Vec::new();
    check_key(&mut out, &d.key);
    check_subject(&mut out, d, rendered);
    check_disclosure(&mut out, d, rendered);
    check_opt_out(&mut out, d, rendered, &sample);
    check_sms_length(&mut out, d, rendered);
    check_validation(&mut out, d, rendered, &sample);
    check_voicemail(&mut out, d, rendered, &sample);
    check_time_barred(&mut out, d, rendered);
    out
}

fn check_key(out: &mut Vec<TemplateFault>, key: &str) {
    let ok = (1..=KEY_MAX).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        out.push(fault("/key", "key", format!("a key is 1 to {KEY_MAX} lowercase letters, digits and dashes")));
    }
}

fn check_subject(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered) {
    let empty = r.subject.as_deref().is_none_or(|s| s.trim().is_empty());
    if d.channel == TemplateChannel::Email && empty {
        out.push(fault("/subject", "subject", "an email needs a subject"));
    }
}

/// The bodies a consumer may read: the text, and the HTML's visible text when there is one.
fn bodies(r: &Rendered) -> Vec<(&'static str, String)> {
    let mut out = vec![("/text", r.text.clone())];
    if let Some(html) = &r.html {
        out.push(("/html", visible_text(html)));
    }
    out
}

fn check_disclosure(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered) {
    // Reg F 1006.18(e): every communication but a limited-content message (1006.18(e)(4)) says
    // it is from a debt collector. An opt-out confirmation says only that, per 1006.14(h)
    // and COMPLIANCE 8, so it is not made to carry collection wording either.
    if matches!(d.purpose, TemplatePurpose::Voicemail | TemplatePurpose::OptOutConfirmation) {
        return;
    }
    let wanted = normalise(disclosure(d.language));
    for (field, body) in bodies(r) {
        if !normalise(&body).contains(&wanted) {
            let why = format!("must carry the debt-collector disclosure {:?} (Reg F 1006.18(e))", disclosure(d.language));
            out.push(fault(field, "disclosure", why));
        }
    }
}

fn check_opt_out(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered, sample: &TemplateContext) {
    // Reg F 1006.6(e): every email and text says how to opt out. The confirmation of an opt-out
    // goes to someone who already has.
    if d.purpose == TemplatePurpose::OptOutConfirmation {
        return;
    }
    match d.channel {
        TemplateChannel::Sms if !words(&r.text).contains(&"STOP") => {
            out.push(fault("/text", "opt_out", "a text must say how to opt out with the word STOP (Reg F 1006.6(e))"));
        }
        TemplateChannel::Email => {
            let url = &sample.unsubscribe_url;
            let why = "an email must carry the unsubscribe link {{ unsubscribe_url }} (Reg F 1006.6(e))";
            if !r.text.contains(url.as_str()) {
                out.push(fault("/text", "opt_out", why));
            }
            if r.html.as_deref().is_some_and(|h| !decode_entities(h).contains(url.as_str())) {
                out.push(fault("/html", "opt_out", why));
            }
        }
        _ => {}
    }
}

fn check_sms_length(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered) {
    let len = r.text.chars().count();
    if d.channel == TemplateChannel::Sms && len > SMS_MAX_CHARS {
        let why = format!("a text is at most {SMS_MAX_CHARS} characters (3 segments) rendered; this one is {len}");
        out.push(fault("/text", "sms_length", why));
    }
}

fn check_validation(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered, sample: &TemplateContext) {
    // Reg F 1006.34(a)(1)(iv)(B), 1006.42: a notice given in an email's body states its content;
    // the period's end and the itemized total are the parts a template can leave out.
    if d.purpose != TemplatePurpose::ValidationNotice || d.channel != TemplateChannel::Email {
        return;
    }
    let v = sample.validation.as_ref().expect("the sample has validation details");
    for (field, body) in bodies(r) {
        if !body.contains(&v.period_ends) || !body.contains(&v.total) {
            let why = "a validation notice states the validation period's end {{ validation.period_ends }} and the total {{ validation.total }} (Reg F 1006.34(c))";
            out.push(fault(field, "validation_notice", why));
        }
    }
}

/// Words that would tell a listener the call is about a debt, which a limited-content message
/// may not (Reg F 1006.2(j)).
const DEBT_WORDS: &[&str] = &[
    "debt",
    "debts",
    "collect",
    "collects",
    "collecting",
    "collection",
    "collections",
    "collector",
    "owe",
    "owed",
    "owes",
    "owing",
    "balance",
    "payment",
    "payments",
    "pay",
    "creditor",
    "account",
    "overdue",
    "deuda",
    "deudas",
    "cobrar",
    "cobro",
    "cobranza",
    "cobrador",
    "debe",
    "adeuda",
    "saldo",
    "pago",
    "pagos",
    "pagar",
    "acreedor",
    "cuenta",
];

/// A request to call back, which a limited-content message must contain (Reg F 1006.2(j)(1)(ii)).
const CALLBACK_WORDS: &[&str] = &["call", "return", "contact", "llame", "llámenos", "llamarnos", "comuníquese", "devuelva"];

fn check_voicemail(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered, sample: &TemplateContext) {
    if d.purpose != TemplatePurpose::Voicemail {
        return;
    }
    if d.channel != TemplateChannel::Voice {
        out.push(fault("/channel", "limited_content", "a limited-content message is a voicemail (Reg F 1006.2(j))"));
    }
    // Reg F 1006.2(j): only a salutation, a business name that does not suggest debt collection,
    // a request to reply, names to ask for, a phone number, the time, how to reply, and an
    // opt-out. The disclosure or any word about a debt makes it a full communication.
    let lowered: Vec<String> = words(&r.text).iter().map(|w| w.to_lowercase()).collect();
    if let Some(word) = lowered.iter().find(|w| DEBT_WORDS.contains(&w.as_str())) {
        let why = format!("a limited-content message may not mention a debt; it says {word:?} (Reg F 1006.2(j))");
        out.push(fault("/text", "limited_content", why));
    }
    if !lowered.iter().any(|w| CALLBACK_WORDS.contains(&w.as_str())) || !r.text.contains(&sample.collector.phone) {
        let why = "a limited-content message asks the person to call back at {{ collector.phone }} (Reg F 1006.2(j)(1))";
        out.push(fault("/text", "limited_content", why));
    }
}

fn check_time_barred(out: &mut Vec<TemplateFault>, d: &TemplateDraft, r: &Rendered) {
    // Reg F 1006.26(b): no suit or threat of suit on a time-barred debt.
    if !d.for_time_barred {
        return;
    }
    let parts = [
        ("/subject", r.subject.clone().unwrap_or_default()),
        ("/text", r.text.clone()),
        ("/html", r.html.as_deref().map(visible_text).unwrap_or_default()),
    ];
    for (field, body) in parts {
        if threatens_legal_action(&without_time_barred_disclosure(&body)) {
            let why = "a template for time-barred debts may not mention suing or other legal action (Reg F 1006.26(b))";
            out.push(fault(field, "time_barred", why));
        }
    }
}

/// Whether the template may go to a time-barred debt at send time (Reg F 1006.26(b)): it was
/// written for them and none of its sources mentions legal action.
pub fn may_send_to_time_barred(d: &TemplateDraft) -> bool {
    let sources = [d.subject.as_deref().unwrap_or_default(), &d.text, d.html.as_deref().unwrap_or_default()];
    d.for_time_barred && !sources.iter().any(|s| threatens_legal_action(&without_time_barred_disclosure(s)))
}

/// `text` normalised, with the time-barred disclosures in either language taken out.
fn without_time_barred_disclosure(text: &str) -> String {
    [Language::En, Language::Es].iter().fold(normalise(text), |acc, &lang| acc.replace(&normalise(time_barred_disclosure(lang)), " "))
}

const LEGAL_WORDS: &[&str] = &[
    "sue",
    "sues",
    "sued",
    "suing",
    "lawsuit",
    "lawsuits",
    "court",
    "courts",
    "garnish",
    "garnishes",
    "garnished",
    "garnishing",
    "garnishment",
    "judgment",
    "judgments",
    "judgement",
    "litigation",
    "demanda",
    "demandas",
    "demandar",
    "demandarle",
    "demandaremos",
    "tribunal",
    "tribunales",
    "embargo",
    "embargar",
    "embargaremos",
    "juicio",
];

const LEGAL_PHRASES: &[&[&str]] = &[
    &["legal", "action"],
    &["legal", "proceedings"],
    &["attorney", "will"],
    &["lawyer", "will"],
    &["acción", "legal"],
    &["accion", "legal"],
    &["acciones", "legales"],
    &["proceso", "judicial"],
];

/// Whether `text` mentions suing or another legal remedy, in English or Spanish. Whole words
/// only ("courtesy" is not "court"); a negation still counts, since "we will not sue you yet"
/// reads as a threat to many consumers.
pub fn threatens_legal_action(text: &str) -> bool {
    let lowered: Vec<String> = words(text).iter().map(|w| w.to_lowercase()).collect();
    lowered.iter().any(|w| LEGAL_WORDS.contains(&w.as_str()))
        || LEGAL_PHRASES.iter().any(|phrase| lowered.windows(phrase.len()).any(|win| win.iter().zip(phrase.iter()).all(|(a, b)| a == b)))
}

/// Letters and digits in runs; everything else separates words.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// Lowercased with runs of whitespace as one space, so line wrapping in a template does not
/// hide a sentence.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// What a reader sees of an HTML body: tags dropped (block tags as a space, inline ones as
/// nothing, so `<b>debt</b>,` still reads "debt,"), the common entities decoded.
fn visible_text(html: &str) -> String {
    const INLINE: &[&str] = &["a", "b", "strong", "em", "i", "span", "u", "small"];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if !INLINE.contains(&name.to_ascii_lowercase().as_str()) {
            out.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&#x2f;", "/"), ("&#x2F;", "/"), ("&nbsp;", " ")]
        .iter()
        .fold(s.to_string(), |acc, (entity, c)| acc.replace(entity, c))
        .replace("&amp;", "&")
}

/// What a template can use. Purpose-specific parts are `None` (and absent to the template)
/// unless the message is about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateContext {
    pub debtor: Debtor,
    pub account: AccountView,
    pub collector: Collector,
    /// [`disclosure`] in the template's language.
    pub disclosure: String,
    /// [`sms_opt_out`] in the template's language.
    pub opt_out: String,
    pub unsubscribe_url: String,
    pub portal_url: String,
    pub today: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promise: Option<Promise>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement: Option<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Debtor {
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub reference: String,
    /// Formatted for reading, as [`format_money`] writes it.
    pub balance: String,
    pub balance_minor: i64,
    pub currency: String,
    pub creditor: String,
    pub original_creditor: String,
    pub client: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collector {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub hours: String,
    pub website: String,
}

/// Dates are written out in the template's language, amounts formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub period_ends: String,
    pub itemization_date: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promise {
    pub amount: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub installment: String,
    pub first_due_on: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub amount: String,
    pub receipt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub amount: String,
    pub expires_on: String,
}

impl TemplateContext {
    /// A complete, made-up context for checking templates: every optional part is present.
    pub fn sample(lang: Language) -> TemplateContext {
        let usd = |minor: i64| format_money(minor, "USD");
        let day = |d: Date| long_date(d, lang);
        let hours = match lang {
            Language::En => "Monday to Friday, 8 a.m. to 8 p.m. Central Time",
            Language::Es => "de lunes a viernes, de 8 a.m. a 8 p.m., hora del centro",
        };
        TemplateContext {
            debtor: Debtor { first_name: "Alex".into(), last_name: "Rivera".into(), full_name: "Alex Rivera".into() },
            account: AccountView {
                reference: "NG-100042".into(),
                balance: usd(124_556),
                balance_minor: 124_556,
                currency: "USD".into(),
                creditor: "Lakeshore Bank".into(),
                original_creditor: "Lakeshore Bank".into(),
                client: "Lakeshore Bank".into(),
            },
            collector: Collector {
                name: "Northgate Services LLC".into(),
                phone: "(555) 010-0199".into(),
                address: "100 Main St, Springfield, IL 62701".into(),
                hours: hours.into(),
                website: "https://pay.northgate.example".into(),
            },
            disclosure: disclosure(lang).into(),
            opt_out: sms_opt_out(lang).into(),
            unsubscribe_url: "https://northgate.example/unsubscribe/SAMPLE-TOKEN".into(),
            portal_url: "https://pay.northgate.example/a/SAMPLE".into(),
            today: day(date(2025, 6, 2)),
            validation: Some(Validation {
                period_ends: day(date(2025, 7, 9)),
                itemization_date: day(date(2025, 1, 31)),
                total: usd(124_556),
            }),
            promise: Some(Promise { amount: usd(20_000), due_on: day(date(2025, 6, 13)) }),
            plan: Some(Plan { installment: usd(15_000), first_due_on: day(date(2025, 6, 15)), count: 8 }),
            payment: Some(Payment { amount: usd(20_000), receipt: "R-2025-000123".into() }),
            settlement: Some(Settlement { amount: usd(80_000), expires_on: day(date(2025, 6, 30)) }),
        }
    }

    /// [`sample`](Self::sample) with only the part `purpose` is about, so a template that uses
    /// another purpose's details is caught before it is saved, not when it is sent.
    pub fn sample_for(lang: Language, purpose: TemplatePurpose) -> TemplateContext {
        let mut ctx = Self::sample(lang);
        let keep = |p: TemplatePurpose| purpose == p;
        if !keep(TemplatePurpose::ValidationNotice) {
            ctx.validation = None;
        }
        if !keep(TemplatePurpose::PromiseReminder) && !keep(TemplatePurpose::PromiseConfirmation) {
            ctx.promise = None;
        }
        if !keep(TemplatePurpose::PlanConfirmation) {
            ctx.plan = None;
        }
        if !keep(TemplatePurpose::PaymentReceipt) {
            ctx.payment = None;
        }
        if !keep(TemplatePurpose::SettlementOffer) {
            ctx.settlement = None;
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(channel: TemplateChannel, purpose: TemplatePurpose) -> TemplateDraft {
        TemplateDraft {
            key: "reminder-email".into(),
            channel,
            language: Language::En,
            purpose,
            subject: Some("About your account".into()),
            text: String::new(),
            html: None,
            for_time_barred: false,
        }
    }

    fn rendered(text: &str) -> Rendered {
        Rendered { subject: Some("About your account".into()), text: text.into(), html: None }
    }

    fn rules(d: &TemplateDraft, r: &Rendered) -> Vec<(&'static str, &'static str)> {
        check_rendered(d, r).into_iter().map(|f| (f.field, f.rule)).collect()
    }

    const URL: &str = "https://northgate.example/unsubscribe/SAMPLE-TOKEN";

    fn good_email_text() -> String {
        format!("Hello Alex,\n{}\nUnsubscribe: {URL}", disclosure(Language::En))
    }

    #[test]
    fn channels_and_purposes_round_trip_their_names() {
        for p in TemplatePurpose::ALL {
            assert_eq!(TemplatePurpose::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert_eq!(TemplateChannel::parse("sms"), Some(TemplateChannel::Sms));
        assert_eq!(TemplateChannel::parse("SMS"), None);
        assert_eq!(serde_json::to_value(TemplatePurpose::OptOutConfirmation).unwrap(), "opt_out_confirmation");
    }

    #[test]
    fn a_complete_email_passes() {
        let d = draft(TemplateChannel::Email, TemplatePurpose::Collection);
        assert_eq!(rules(&d, &rendered(&good_email_text())), []);
    }

    #[test]
    fn keys_are_short_lowercase_slugs() {
        let r = rendered(&good_email_text());
        for good in ["a", "reminder-email", "x2", &"k".repeat(64)] {
            let d = TemplateDraft { key: good.into(), ..draft(TemplateChannel::Email, TemplatePurpose::Collection) };
            assert_eq!(rules(&d, &r), [], "{good}");
        }
        for bad in ["", "Reminder", "reminder_email", "reminder email", "é", &"k".repeat(65)] {
            let d = TemplateDraft { key: bad.into(), ..draft(TemplateChannel::Email, TemplatePurpose::Collection) };
            assert_eq!(rules(&d, &r), [("/key", "key")], "{bad:?}");
        }
    }

    #[test]
    fn an_email_needs_a_non_blank_subject() {
        let d = draft(TemplateChannel::Email, TemplatePurpose::Collection);
        let r = Rendered { subject: Some("  ".into()), ..rendered(&good_email_text()) };
        assert_eq!(rules(&d, &r), [("/subject", "subject")]);
        let letter = TemplateDraft { subject: None, ..draft(TemplateChannel::Letter, TemplatePurpose::Collection) };
        let r = Rendered { subject: None, ..rendered(disclosure(Language::En)) };
        assert_eq!(rules(&letter, &r), [], "a letter needs none");
    }

    #[test]
    fn the_disclosure_is_required_in_the_templates_language_wherever_it_is_read() {
        let d = draft(TemplateChannel::Letter, TemplatePurpose::Collection);
        assert_eq!(rules(&d, &rendered("Please call us.")), [("/text", "disclosure")]);
        // Wrapped over lines and in another case it still counts.
        let wrapped = disclosure(Language::En).replace(". ", ".\n   ").to_uppercase();
        assert_eq!(rules(&d, &rendered(&wrapped)), []);
        let es = TemplateDraft { language: Language::Es, ..d.clone() };
        assert_eq!(rules(&es, &rendered(disclosure(Language::En))), [("/text", "disclosure")]);
        assert_eq!(rules(&es, &rendered(disclosure(Language::Es))), []);
        let html = Rendered { html: Some("<p>Hello</p>".into()), ..rendered(disclosure(Language::En)) };
        assert_eq!(rules(&d, &html), [("/html", "disclosure")]);
        let split = Rendered { html: Some(format!("<p>{}</p>", disclosure(Language::En).replace("debt,", "<b>debt</b>,"))), ..html };
        assert_eq!(rules(&d, &split), [], "markup inside the sentence still reads as the sentence");
        let confirm = draft(TemplateChannel::Sms, TemplatePurpose::OptOutConfirmation);
        assert_eq!(rules(&confirm, &rendered("You will get no more texts from us.")), []);
    }

    #[test]
    fn texts_need_stop_and_emails_the_unsubscribe_link() {
        let sms = draft(TemplateChannel::Sms, TemplatePurpose::Collection);
        let base = disclosure(Language::En);
        assert_eq!(rules(&sms, &rendered(&format!("{base} Reply STOP to opt out."))), []);
        assert_eq!(rules(&sms, &rendered(&format!("{base} Reply stop to opt out."))), [("/text", "opt_out")], "STOP as the keyword");
        assert_eq!(rules(&sms, &rendered(&format!("{base} NONSTOP"))), [("/text", "opt_out")]);
        let email = draft(TemplateChannel::Email, TemplatePurpose::Collection);
        assert_eq!(rules(&email, &rendered(base)), [("/text", "opt_out")]);
        let html = format!("<p>{base}</p><a href=\"{URL}\">Unsubscribe</a>");
        assert_eq!(rules(&email, &Rendered { html: Some(html), ..rendered(&good_email_text()) }), []);
        let html = format!("<p>{base}</p>");
        assert_eq!(rules(&email, &Rendered { html: Some(html), ..rendered(&good_email_text()) }), [("/html", "opt_out")]);
    }

    #[test]
    fn a_text_is_at_most_three_segments() {
        let sms = draft(TemplateChannel::Sms, TemplatePurpose::Collection);
        let base = format!("{} Reply STOP to opt out.", disclosure(Language::En));
        let at_limit = format!("{base}{}", "é".repeat(SMS_MAX_CHARS - base.chars().count()));
        assert_eq!(rules(&sms, &rendered(&at_limit)), [], "characters, not bytes");
        let faults = check_rendered(&sms, &rendered(&format!("{at_limit}x")));
        assert_eq!(faults.len(), 1);
        assert!(faults[0].why.contains("481"), "{}", faults[0].why);
    }

    #[test]
    fn a_validation_notice_email_states_the_period_end_and_total() {
        let d = draft(TemplateChannel::Email, TemplatePurpose::ValidationNotice);
        assert_eq!(rules(&d, &rendered(&good_email_text())), [("/text", "validation_notice")]);
        let full = format!("{} Dispute by July 9, 2025. You owe $1,245.56.", good_email_text());
        assert_eq!(rules(&d, &rendered(&full)), []);
        let letter = draft(TemplateChannel::Letter, TemplatePurpose::ValidationNotice);
        assert_eq!(rules(&letter, &rendered(disclosure(Language::En))), [], "the letter is laid out from the notice itself");
    }

    #[test]
    fn a_voicemail_is_limited_content() {
        let vm = TemplateDraft { subject: None, ..draft(TemplateChannel::Voice, TemplatePurpose::Voicemail) };
        let good = "Hello, this is Sam Lee from Northgate Services LLC. Please call us back at (555) 010-0199.";
        assert_eq!(rules(&vm, &rendered(good)), []);
        let with_debt = format!("{good} It is about your account.");
        assert_eq!(rules(&vm, &rendered(&with_debt)), [("/text", "limited_content")]);
        assert_eq!(rules(&vm, &rendered(&format!("{good} {}", disclosure(Language::En)))), [("/text", "limited_content")]);
        assert_eq!(rules(&vm, &rendered("Hello from Northgate Services LLC.")), [("/text", "limited_content")], "no callback");
        assert_eq!(rules(&vm, &rendered("Please call us back soon.")), [("/text", "limited_content")], "no number");
        let sms = TemplateDraft { channel: TemplateChannel::Sms, ..vm };
        assert!(rules(&sms, &rendered(good)).contains(&("/channel", "limited_content")));
    }

    #[test]
    fn legal_threats_are_words_not_substrings() {
        for threat in [
            "We may sue you.",
            "a LAWSUIT may follow",
            "we will take legal action",
            "Legal\n action",
            "wage garnishment",
            "a judgment against you",
            "our attorney will call",
            "presentaremos una demanda",
            "tomaremos acción legal",
            "ante un tribunal",
            "embargo de su salario",
        ] {
            assert!(threatens_legal_action(threat), "{threat}");
        }
        for harmless in ["As a courtesy", "pursue a plan", "we judge nothing", "legal name", "demand", "La cantidad es correcta"] {
            assert!(!threatens_legal_action(harmless), "{harmless}");
        }
    }

    #[test]
    fn legal_wording_is_refused_only_for_time_barred_debts() {
        let letter = draft(TemplateChannel::Letter, TemplatePurpose::Collection);
        let text = format!("{} If you do not pay, we may file a lawsuit.", disclosure(Language::En));
        assert_eq!(rules(&letter, &rendered(&text)), []);
        assert!(!may_send_to_time_barred(&TemplateDraft { text: text.clone(), ..letter.clone() }));
        let barred = TemplateDraft { for_time_barred: true, text: text.clone(), ..letter.clone() };
        assert_eq!(rules(&barred, &rendered(&text)), [("/text", "time_barred")]);
        assert!(!may_send_to_time_barred(&barred));
        let calm = TemplateDraft { text: disclosure(Language::En).into(), ..barred };
        assert!(may_send_to_time_barred(&calm));
        let subject = Rendered { subject: Some("Court date".into()), ..rendered(disclosure(Language::En)) };
        assert_eq!(rules(&calm, &subject), [("/subject", "time_barred")]);
        // The disclosure that there will be no suit is not a threat of one; anything beyond it is.
        let promise = format!("{} {}", disclosure(Language::En), time_barred_disclosure(Language::En).replace(". ", ".\n"));
        assert_eq!(rules(&calm, &rendered(&promise)), []);
        assert!(may_send_to_time_barred(&TemplateDraft { text: promise.clone(), ..calm.clone() }));
        let both = format!("{promise} But our attorney will call.");
        assert_eq!(rules(&calm, &rendered(&both)), [("/text", "time_barred")]);
        let es = format!("{} {}", disclosure(Language::Es), time_barred_disclosure(Language::Es));
        assert_eq!(rules(&TemplateDraft { language: Language::Es, ..calm }, &rendered(&es)), []);
    }

    #[test]
    fn sample_for_keeps_only_the_purposes_details() {
        let ctx = TemplateContext::sample_for(Language::Es, TemplatePurpose::PromiseReminder);
        assert!(ctx.promise.is_some() && ctx.plan.is_none() && ctx.validation.is_none() && ctx.settlement.is_none());
        let json = serde_json::to_value(&ctx).unwrap();
        assert!(json.get("plan").is_none(), "absent, so a strict template engine refuses it");
        assert_eq!(json["account"]["balance"], "$1,245.56");
        assert_eq!(json["today"], "2 de junio de 2025");
    }
}
