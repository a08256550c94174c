//! Message templates rendered with minijinja: strict about undefined variables, HTML-escaped in
//! the HTML body only (a subject, a text or an SMS is not HTML, and `&amp;` in a text message is
//! a bug). [`validate`] renders a draft against the sample context and applies the domain's
//! compliance rules to what came out, so a template is checked as the consumer would read it.

mod starter;

pub use starter::starter_set;

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use recoup_domain::template::{Rendered, TemplateContext, TemplateDraft, TemplateFault, check_rendered};

/// Why a template cannot be used: the part it is in, the line when the template engine knows
/// it, a stable rule name, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}{}: {why}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct TemplateError {
    /// "/subject", "/text", "/html", "/key" or "/channel".
    pub field: &'static str,
    pub line: Option<usize>,
    /// "syntax", "undefined", "render", or a [`TemplateFault`] rule.
    pub rule: &'static str,
    pub why: String,
}

impl From<TemplateFault> for TemplateError {
    fn from(f: TemplateFault) -> Self {
        TemplateError { field: f.field, line: None, rule: f.rule, why: f.why }
    }
}

/// Renders every part of `d` with `ctx`; the first part that fails is the error.
pub fn render(d: &TemplateDraft, ctx: &TemplateContext) -> Result<Rendered, TemplateError> {
    let (rendered, mut errors) = render_all(d, ctx);
    match errors.is_empty() {
        true => Ok(rendered),
        false => Err(errors.remove(0)),
    }
}

/// Parses and renders `d` against the sample context for its language and purpose, then checks
/// the output against the compliance rules. Every problem found is returned, each naming its
/// part; rule checks run only once every part renders, since they read the output.
pub fn validate(d: &TemplateDraft) -> Result<Rendered, Vec<TemplateError>> {
    let (rendered, errors) = render_all(d, &TemplateContext::sample_for(d.language, d.purpose));
    if !errors.is_empty() {
        return Err(errors);
    }
    let faults = check_rendered(d, &rendered);
    match faults.is_empty() {
        true => Ok(rendered),
        false => Err(faults.into_iter().map(TemplateError::from).collect()),
    }
}

fn render_all(d: &TemplateDraft, ctx: &TemplateContext) -> (Rendered, Vec<TemplateError>) {
    let env = environment();
    let ctx = Value::from(Serde(ctx));
    let mut errors = Vec::new();
    let mut part = |field: &'static str, source: &str| match render_part(&env, field, source, &ctx) {
        Ok(out) => out,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let subject = d.subject.as_deref().map(|s| part("/subject", s));
    let text = part("/text", &d.text);
    let html = d.html.as_deref().map(|h| part("/html", h));
    (Rendered { subject, text, html }, errors)
}

/// The template name is the part's name, which is what turns escaping on for "html" alone.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| if name == "html" { AutoEscape::Html } else { AutoEscape::None });
    env
}

fn render_part(env: &Environment<'_>, field: &'static str, source: &str, ctx: &Value) -> Result<String, TemplateError> {
    let name = field.trim_start_matches('/');
    env.render_named_str(name, source, ctx).map_err(|e| template_error(field, source, &e))
}

fn template_error(field: &'static str, source: &str, e: &minijinja::Error) -> TemplateError {
    let snippet = e.range().and_then(|r| source.get(r)).map(str::trim).filter(|s| !s.is_empty());
    let detail = e.detail().map_or_else(|| e.kind().to_string(), str::to_string);
    let (rule, why) = match e.kind() {
        ErrorKind::SyntaxError => ("syntax", format!("syntax error: {detail}")),
        ErrorKind::UndefinedError => match snippet {
            Some(expr) => ("undefined", format!("unknown variable `{{{{ {expr} }}}}`")),
            None => ("undefined", format!("unknown variable: {detail}")),
        },
        _ => (
            "render",
            match snippet {
                Some(expr) => format!("{detail} in `{expr}`"),
                None => detail,
            },
        ),
    };
    TemplateError { field, line: e.line(), rule, why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recoup_domain::template::{TemplateChannel, TemplatePurpose, disclosure};
    use recoup_domain::validation_notice::Language;

    fn email(text: &str, html: Option<&str>) -> TemplateDraft {
        TemplateDraft {
            key: "reminder-email".into(),
            channel: TemplateChannel::Email,
            language: Language::En,
            purpose: TemplatePurpose::Collection,
            subject: Some("Your {{ account.client }} account".into()),
            text: text.into(),
            html: html.map(String::from),
            for_time_barred: false,
        }
    }

    const TEXT: &str =
        "Hello {{ debtor.first_name }},\n\nYour balance is {{ account.balance }}.\n\n{{ disclosure }}\nUnsubscribe: {{ unsubscribe_url }}";
    const HTML: &str = "<p>Hello {{ debtor.full_name }},</p><p>{{ disclosure }}</p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>";

    #[test]
    fn a_good_email_renders_every_part() {
        let out = validate(&email(TEXT, Some(HTML))).unwrap();
        assert_eq!(out.subject.as_deref(), Some("Your Lakeshore Bank account"));
        assert!(out.text.starts_with("Hello Alex,\n\nYour balance is $1,245.56."), "{}", out.text);
        assert!(out.html.unwrap().contains("<p>Hello Alex Rivera,</p>"));
    }

    #[test]
    fn an_unknown_variable_is_refused_with_its_part_and_line() {
        let text = format!("{TEXT}\n\nDear {{{{ debtor.middle_name }}}}");
        let errors = validate(&email(&text, None)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!((e.field, e.line, e.rule), ("/text", Some(8), "undefined"));
        assert!(e.why.contains("debtor.middle_name"), "{}", e.why);
        let subject = TemplateDraft { subject: Some("{{ nope }}".into()), ..email(TEXT, None) };
        let e = &validate(&subject).unwrap_err()[0];
        assert_eq!((e.field, e.line, e.rule), ("/subject", Some(1), "undefined"));
        assert!(e.to_string().starts_with("/subject line 1: unknown variable"), "{e}");
    }

    #[test]
    fn another_purposes_details_are_unknown() {
        let text = format!("{TEXT}\nPay {{{{ settlement.amount }}}} by {{{{ settlement.expires_on }}}}.");
        let e = &validate(&email(&text, None)).unwrap_err()[0];
        assert_eq!((e.field, e.rule), ("/text", "undefined"));
        let offer = TemplateDraft { purpose: TemplatePurpose::SettlementOffer, ..email(&text, None) };
        assert!(validate(&offer).is_ok());
    }

    #[test]
    fn a_syntax_error_is_refused_with_its_line() {
        let html = "<p>{{ disclosure }}</p>\n<p>{% if debtor.first_name %}Hi</p>\n<a href=\"{{ unsubscribe_url }}\">x</a>";
        let errors = validate(&email(TEXT, Some(html))).unwrap_err();
        let e = &errors[0];
        assert_eq!((e.field, e.rule), ("/html", "syntax"), "{errors:?}");
        assert!(e.line.is_some(), "{e}");
        let broken = validate(&email("{{ debtor.first_name ", None)).unwrap_err();
        assert_eq!((broken[0].field, broken[0].line, broken[0].rule), ("/text", Some(1), "syntax"));
    }

    #[test]
    fn only_the_html_body_is_escaped() {
        let ctx = TemplateContext {
            debtor: recoup_domain::template::Debtor {
                first_name: "<b>O'Brien & Co</b>".into(),
                last_name: String::new(),
                full_name: "<b>O'Brien & Co</b>".into(),
            },
            ..TemplateContext::sample(Language::En)
        };
        let d = TemplateDraft { subject: Some("For {{ debtor.full_name }}".into()), ..email(TEXT, Some(HTML)) };
        let out = render(&d, &ctx).unwrap();
        assert!(out.text.contains("Hello <b>O'Brien & Co</b>,"), "{}", out.text);
        assert_eq!(out.subject.as_deref(), Some("For <b>O'Brien & Co</b>"));
        let html = out.html.unwrap();
        assert!(html.contains("Hello &lt;b&gt;O&#x27;Brien &amp; Co&lt;&#x2f;b&gt;,"), "{html}");
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn missing_disclosure_stop_or_unsubscribe_is_refused() {
        let rules = |d: &TemplateDraft| validate(d).unwrap_err().into_iter().map(|e| (e.field, e.rule)).collect::<Vec<_>>();
        let no_disclosure = email("Hello. Unsubscribe: {{ unsubscribe_url }}", None);
        assert_eq!(rules(&no_disclosure), [("/text", "disclosure")]);
        let no_link = email("{{ disclosure }}", Some("<p>{{ disclosure }}</p>"));
        assert_eq!(rules(&no_link), [("/text", "opt_out"), ("/html", "opt_out")]);
        let sms =
            TemplateDraft { channel: TemplateChannel::Sms, subject: None, ..email("{{ disclosure }} Call {{ collector.phone }}.", None) };
        assert_eq!(rules(&sms), [("/text", "opt_out")]);
        let with_stop = TemplateDraft { text: "{{ disclosure }} {{ opt_out }}".into(), ..sms };
        assert!(validate(&with_stop).is_ok());
        let literal = disclosure(Language::En);
        assert!(validate(&email(&format!("{literal}\n{{{{ unsubscribe_url }}}}"), None)).is_ok(), "written out in full counts too");
    }

    #[test]
    fn legal_threats_are_refused_only_for_time_barred_debts() {
        let text = format!("{TEXT}\nIf this is not resolved, our client may file a lawsuit.");
        assert!(validate(&email(&text, None)).is_ok());
        let barred = TemplateDraft { for_time_barred: true, ..email(&text, None) };
        let errors = validate(&barred).unwrap_err();
        assert_eq!(errors.iter().map(|e| (e.field, e.rule)).collect::<Vec<_>>(), [("/text", "time_barred")]);
    }
}
