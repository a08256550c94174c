//! The templates a new tenant starts with, in English and Spanish. Each passes [`super::validate`]
//! (a test checks), so a tenant editing one starts from something that is already compliant.

use recoup_domain::template::{TemplateChannel, TemplateDraft, TemplatePurpose};
use recoup_domain::validation_notice::Language;

use Language::{En, Es};
use TemplatePurpose as P;

/// Every starter template, English and Spanish, keyed by what it is for (`reminder-email`,
/// `reminder-sms`, ...); a key and a language name one template.
pub fn starter_set() -> Vec<TemplateDraft> {
    [En, Es].into_iter().flat_map(set).collect()
}

fn set(lang: Language) -> Vec<TemplateDraft> {
    let t = |en: &'static str, es: &'static str| if lang == En { en } else { es };
    vec![
        email(
            "reminder-email",
            lang,
            P::Collection,
            t("Your {{ account.client }} account {{ account.reference }}", "Su cuenta de {{ account.client }} {{ account.reference }}"),
            &[
                t(
                    "We are writing about your {{ account.creditor }} account, reference {{ account.reference }}. Our records show a balance of {{ account.balance }}.",
                    "Le escribimos acerca de su cuenta de {{ account.creditor }}, referencia {{ account.reference }}. Según nuestros registros, el saldo es de {{ account.balance }}.",
                ),
                t(
                    "You can pay online at {{ portal_url }}, set up a payment plan, or call us to talk about options that fit your budget. If you think this balance is wrong, please tell us.",
                    "Puede pagar en línea en {{ portal_url }}, establecer un plan de pagos o llamarnos para hablar de opciones que se ajusten a su presupuesto. Si cree que este saldo no es correcto, díganoslo.",
                ),
            ],
        ),
        sms(
            "reminder-sms",
            lang,
            P::Collection,
            t(
                "{{ collector.name }}: {{ debtor.first_name }}, your {{ account.client }} account {{ account.reference }} has a balance of {{ account.balance }}. See options at {{ portal_url }} or call {{ collector.phone }}. {{ disclosure }} {{ opt_out }}",
                "{{ collector.name }}: {{ debtor.first_name }}, su cuenta de {{ account.client }} {{ account.reference }} tiene un saldo de {{ account.balance }}. Vea opciones en {{ portal_url }} o llame al {{ collector.phone }}. {{ disclosure }} {{ opt_out }}",
            ),
        ),
        email(
            "first-contact-email",
            lang,
            P::Collection,
            t("{{ collector.name }}: your {{ account.client }} account", "{{ collector.name }}: su cuenta de {{ account.client }}"),
            &[
                t(
                    "{{ account.client }} has placed your account, reference {{ account.reference }}, with {{ collector.name }}. Our records show a balance of {{ account.balance }}.",
                    "{{ account.client }} ha asignado su cuenta, referencia {{ account.reference }}, a {{ collector.name }}. Según nuestros registros, el saldo es de {{ account.balance }}.",
                ),
                t(
                    "We are sending you a notice that explains the balance and your rights, including how to dispute it. You can review the account, ask questions or dispute it at {{ portal_url }}, or call us at {{ collector.phone }}.",
                    "Le enviaremos un aviso que explica el saldo y sus derechos, incluida la forma de disputarlo. Puede revisar la cuenta, hacer preguntas o disputarla en {{ portal_url }}, o llamarnos al {{ collector.phone }}.",
                ),
            ],
        ),
        email(
            "promise-reminder-email",
            lang,
            P::PromiseReminder,
            t("Reminder: your payment of {{ promise.amount }} is due {{ promise.due_on }}", "Recordatorio: su pago de {{ promise.amount }} vence el {{ promise.due_on }}"),
            &[
                t(
                    "Thank you for arranging to pay {{ promise.amount }} on account {{ account.reference }}. This is a reminder that the payment is due on {{ promise.due_on }}.",
                    "Gracias por acordar un pago de {{ promise.amount }} en la cuenta {{ account.reference }}. Le recordamos que el pago vence el {{ promise.due_on }}.",
                ),
                t(
                    "You can pay at {{ portal_url }}. If you need to change the date or the amount, please call us before the due date.",
                    "Puede pagar en {{ portal_url }}. Si necesita cambiar la fecha o la cantidad, llámenos antes de la fecha de vencimiento.",
                ),
            ],
        ),
        sms(
            "promise-reminder-sms",
            lang,
            P::PromiseReminder,
            t(
                "{{ collector.name }}: reminder, your payment of {{ promise.amount }} on account {{ account.reference }} is due {{ promise.due_on }}. Pay at {{ portal_url }} or call {{ collector.phone }}. {{ disclosure }} {{ opt_out }}",
                "{{ collector.name }}: le recordamos que su pago de {{ promise.amount }} en la cuenta {{ account.reference }} vence el {{ promise.due_on }}. Pague en {{ portal_url }} o llame al {{ collector.phone }}. {{ disclosure }} {{ opt_out }}",
            ),
        ),
        email(
            "payment-receipt-email",
            lang,
            P::PaymentReceipt,
            t("Receipt {{ payment.receipt }}: thank you for your payment", "Recibo {{ payment.receipt }}: gracias por su pago"),
            &[
                t(
                    "We received your payment of {{ payment.amount }} on account {{ account.reference }}. Your receipt number is {{ payment.receipt }}.",
                    "Recibimos su pago de {{ payment.amount }} en la cuenta {{ account.reference }}. Su número de recibo es {{ payment.receipt }}.",
                ),
                t(
                    "Your remaining balance is {{ account.balance }}. Please keep this email for your records.",
                    "Su saldo pendiente es de {{ account.balance }}. Conserve este correo para sus registros.",
                ),
            ],
        ),
        email(
            "plan-confirmation-email",
            lang,
            P::PlanConfirmation,
            t("Your payment plan for account {{ account.reference }}", "Su plan de pagos para la cuenta {{ account.reference }}"),
            &[
                t(
                    "This confirms your payment plan: {{ plan.count }} payments of {{ plan.installment }}, the first due on {{ plan.first_due_on }}.",
                    "Le confirmamos su plan de pagos: {{ plan.count }} pagos de {{ plan.installment }}, el primero con vencimiento el {{ plan.first_due_on }}.",
                ),
                t(
                    "You can see the schedule and pay at {{ portal_url }}. If a payment date stops working for you, call us before it is due and we will look at the plan with you.",
                    "Puede ver el calendario y pagar en {{ portal_url }}. Si una fecha de pago deja de convenirle, llámenos antes del vencimiento y revisaremos el plan con usted.",
                ),
            ],
        ),
        email(
            "promise-confirmation-email",
            lang,
            P::PromiseConfirmation,
            t("We have your promise to pay {{ promise.amount }} by {{ promise.due_on }}", "Tenemos su compromiso de pagar {{ promise.amount }} a más tardar el {{ promise.due_on }}"),
            &[
                t(
                    "Thank you. This confirms that you arranged to pay {{ promise.amount }} on account {{ account.reference }} by {{ promise.due_on }}.",
                    "Gracias. Le confirmamos que acordó pagar {{ promise.amount }} en la cuenta {{ account.reference }} a más tardar el {{ promise.due_on }}.",
                ),
                t(
                    "You can pay at {{ portal_url }}. If the date or the amount stops working for you, call us before it is due.",
                    "Puede pagar en {{ portal_url }}. Si la fecha o la cantidad dejan de convenirle, llámenos antes del vencimiento.",
                ),
            ],
        ),
        email(
            "dispute-acknowledgement-email",
            lang,
            P::DisputeAcknowledgement,
            t("We received your dispute about account {{ account.reference }}", "Recibimos su disputa sobre la cuenta {{ account.reference }}"),
            &[
                t(
                    "We received your dispute about your {{ account.client }} account {{ account.reference }} on {{ today }}. We have stopped collecting this debt while we look into it.",
                    "Recibimos su disputa sobre su cuenta de {{ account.client }} {{ account.reference }} el {{ today }}. Hemos dejado de cobrar esta deuda mientras la revisamos.",
                ),
                t(
                    "We will write to you with what we find. You can add documents at {{ portal_url }} or call us at {{ collector.phone }}.",
                    "Le escribiremos con lo que encontremos. Puede añadir documentos en {{ portal_url }} o llamarnos al {{ collector.phone }}.",
                ),
            ],
        ),
        email(
            "preferences-confirmation-email",
            lang,
            P::PreferencesConfirmation,
            t("We updated how we contact you about account {{ account.reference }}", "Actualizamos cómo nos comunicamos con usted sobre la cuenta {{ account.reference }}"),
            &[
                t(
                    "This confirms that on {{ today }} you changed how and when we may contact you about your {{ account.client }} account {{ account.reference }}. We will follow your choices from now on.",
                    "Le confirmamos que el {{ today }} cambió cómo y cuándo podemos comunicarnos con usted sobre su cuenta de {{ account.client }} {{ account.reference }}. Seguiremos sus preferencias a partir de ahora.",
                ),
                t(
                    "You can see or change them at any time at {{ portal_url }}.",
                    "Puede verlas o cambiarlas en cualquier momento en {{ portal_url }}.",
                ),
            ],
        ),
        email("settlement-offer-email", lang, P::SettlementOffer, t("An offer to settle your {{ account.client }} account", "Una oferta para liquidar su cuenta de {{ account.client }}"), &settlement_body(lang)),
        letter("settlement-offer-letter", lang, P::SettlementOffer, &settlement_body(lang).join("\n\n"), false),
        letter(
            "final-notice-letter",
            lang,
            P::Collection,
            t(
                "This is our final notice about your {{ account.client }} account {{ account.reference }}, which has a balance of {{ account.balance }}. We have written to you before and have not been able to agree on a way to resolve it.\n\nPlease call us at {{ collector.phone }} or visit {{ portal_url }} to pay or to set up a plan. If the account is not resolved, {{ account.client }} may consider other remedies, which can include legal action. No decision about legal action has been made.",
                "Este es nuestro último aviso sobre su cuenta de {{ account.client }} {{ account.reference }}, que tiene un saldo de {{ account.balance }}. Le hemos escrito antes y no hemos podido acordar una forma de resolverla.\n\nLlámenos al {{ collector.phone }} o visite {{ portal_url }} para pagar o establecer un plan. Si la cuenta no se resuelve, {{ account.client }} podría considerar otros recursos, que pueden incluir una acción legal. No se ha tomado ninguna decisión sobre una acción legal.",
            ),
            false,
        ),
        letter(
            "time-barred-letter",
            lang,
            P::Collection,
            t(
                "We are writing about your {{ account.original_creditor }} account {{ account.reference }}, which has a balance of {{ account.balance }}.\n\nThe law limits how long you can be sued on a debt. Because of the age of your debt, we will not sue you for it.\n\nIf you would like to resolve this account, we can offer a payment plan or a reduced amount. Call us at {{ collector.phone }} or visit {{ portal_url }}.",
                "Le escribimos acerca de su cuenta de {{ account.original_creditor }} {{ account.reference }}, que tiene un saldo de {{ account.balance }}.\n\nLa ley limita el tiempo durante el cual se le puede demandar por una deuda. Debido a la antigüedad de su deuda, no lo demandaremos por ella.\n\nSi desea resolver esta cuenta, podemos ofrecerle un plan de pagos o una cantidad reducida. Llámenos al {{ collector.phone }} o visite {{ portal_url }}.",
            ),
            true,
        ),
        sms(
            "opt-out-confirmation-sms",
            lang,
            P::OptOutConfirmation,
            t(
                "{{ collector.name }}: you will get no more text messages from us at this number. Reply START to receive them again.",
                "{{ collector.name }}: no recibirá más mensajes de texto nuestros en este número. Responda START para volver a recibirlos.",
            ),
        ),
        TemplateDraft {
            text: t(
                "Hello, this is a message from {{ collector.name }}. Please call us back at {{ collector.phone }}, {{ collector.hours }}. Thank you.",
                "Hola, este es un mensaje de {{ collector.name }}. Por favor, llámenos al {{ collector.phone }}, {{ collector.hours }}. Gracias.",
            )
            .into(),
            ..draft("voicemail", TemplateChannel::Voice, lang, P::Voicemail)
        },
    ]
}

fn settlement_body(lang: Language) -> [&'static str; 2] {
    match lang {
        En => [
            "{{ account.client }} has authorized us to accept {{ settlement.amount }} to settle your account {{ account.reference }}, which has a balance of {{ account.balance }}.",
            "To accept, pay {{ settlement.amount }} by {{ settlement.expires_on }} at {{ portal_url }} or call us at {{ collector.phone }}. If you cannot pay that amount at once, ask us about a plan. We are not obliged to renew this offer.",
        ],
        Es => [
            "{{ account.client }} nos ha autorizado a aceptar {{ settlement.amount }} para liquidar su cuenta {{ account.reference }}, que tiene un saldo de {{ account.balance }}.",
            "Para aceptar, pague {{ settlement.amount }} a más tardar el {{ settlement.expires_on }} en {{ portal_url }} o llámenos al {{ collector.phone }}. Si no puede pagar esa cantidad de una vez, pregúntenos por un plan. No estamos obligados a renovar esta oferta.",
        ],
    }
}

fn draft(key: &str, channel: TemplateChannel, language: Language, purpose: TemplatePurpose) -> TemplateDraft {
    TemplateDraft { key: key.into(), channel, language, purpose, subject: None, text: String::new(), html: None, for_time_barred: false }
}

/// An email with the greeting, sign-off, disclosure and unsubscribe link around `paragraphs`,
/// as text and as HTML from the same words.
fn email(key: &str, lang: Language, purpose: TemplatePurpose, subject: &str, paragraphs: &[&str]) -> TemplateDraft {
    let (hello, unsubscribe, link) = match lang {
        En => ("Hello {{ debtor.first_name }},", "To stop receiving emails from us, unsubscribe here:", "Unsubscribe"),
        Es => (
            "Hola, {{ debtor.first_name }}:",
            "Para dejar de recibir nuestros correos electrónicos, cancele su suscripción aquí:",
            "Cancelar suscripción",
        ),
    };
    let sign_off = "{{ collector.name }}\n{{ collector.phone }}, {{ collector.hours }}\n{{ collector.website }}";
    let mut text = [hello, &paragraphs.join("\n\n"), sign_off, "{{ disclosure }}"].join("\n\n");
    text.push_str(&format!("\n\n{unsubscribe} {{{{ unsubscribe_url }}}}"));
    let body: String =
        [hello].iter().chain(paragraphs).chain([&sign_off]).map(|p| format!("<p>{}</p>\n", p.replace('\n', "<br>"))).collect();
    let html = format!(
        "{body}<p><small>{{{{ disclosure }}}}</small></p>\n<p><small>{unsubscribe} <a href=\"{{{{ unsubscribe_url }}}}\">{link}</a></small></p>\n"
    );
    TemplateDraft { subject: Some(subject.into()), text, html: Some(html), ..draft(key, TemplateChannel::Email, lang, purpose) }
}

fn sms(key: &str, lang: Language, purpose: TemplatePurpose, text: &str) -> TemplateDraft {
    TemplateDraft { text: text.into(), ..draft(key, TemplateChannel::Sms, lang, purpose) }
}

/// A letter: date, addressee, reference, `body`, signature and the disclosure.
fn letter(key: &str, lang: Language, purpose: TemplatePurpose, body: &str, for_time_barred: bool) -> TemplateDraft {
    let (re, dear, regards) = match lang {
        En => ("Re: account {{ account.reference }}, {{ account.client }}", "Dear {{ debtor.full_name }},", "Sincerely,"),
        Es => ("Asunto: cuenta {{ account.reference }}, {{ account.client }}", "Estimado/a {{ debtor.full_name }}:", "Atentamente,"),
    };
    let text = format!(
        "{{{{ today }}}}\n\n{{{{ debtor.full_name }}}}\n\n{re}\n\n{dear}\n\n{body}\n\n{regards}\n\n{{{{ collector.name }}}}\n{{{{ collector.address }}}}\n{{{{ collector.phone }}}}, {{{{ collector.hours }}}}\n\n{{{{ disclosure }}}}\n"
    );
    TemplateDraft { text, for_time_barred, ..draft(key, TemplateChannel::Letter, lang, purpose) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::validate;
    use std::collections::HashSet;

    #[test]
    fn every_starter_template_passes_validation() {
        for d in starter_set() {
            if let Err(errors) = validate(&d) {
                panic!("{} ({:?}): {errors:?}", d.key, d.language);
            }
        }
    }

    #[test]
    fn the_set_is_complete_in_both_languages_with_unique_keys() {
        let set = starter_set();
        let keys: HashSet<String> = set.iter().map(|d| format!("{}/{:?}", d.key, d.language)).collect();
        assert_eq!(keys.len(), set.len(), "a key and a language name one template");
        for key in [
            "reminder-email",
            "reminder-sms",
            "first-contact-email",
            "promise-reminder-email",
            "promise-reminder-sms",
            "payment-receipt-email",
            "plan-confirmation-email",
            "promise-confirmation-email",
            "dispute-acknowledgement-email",
            "preferences-confirmation-email",
            "settlement-offer-email",
            "settlement-offer-letter",
            "final-notice-letter",
            "time-barred-letter",
            "opt-out-confirmation-sms",
            "voicemail",
        ] {
            assert!(keys.contains(&format!("{key}/En")) && keys.contains(&format!("{key}/Es")), "{key}");
        }
        let barred: Vec<&str> = set.iter().filter(|d| d.for_time_barred).map(|d| d.key.as_str()).collect();
        assert_eq!(barred, ["time-barred-letter", "time-barred-letter"]);
        assert!(set.iter().filter(|d| d.key == "time-barred-letter").all(recoup_domain::template::may_send_to_time_barred));
    }

    #[test]
    fn spanish_emails_render_spanish_sample_values() {
        let d = starter_set().into_iter().find(|d| d.key == "promise-reminder-email" && d.language == Es).unwrap();
        let out = validate(&d).unwrap();
        assert_eq!(out.subject.as_deref(), Some("Recordatorio: su pago de $200.00 vence el 13 de junio de 2025"));
        assert!(out.html.unwrap().contains("Hola, Alex:"));
    }
}
