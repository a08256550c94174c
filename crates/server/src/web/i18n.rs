//! The portal's words in English and Spanish. Templates ask `tr.t("key")`; a test reads every
//! portal template and checks that each key it uses has both languages.

use axum::http::HeaderMap;

/// The languages recoup writes to debtors in: the same as its letters and messages.
pub use recoup_domain::validation_notice::Language as Lang;

/// The cookie that keeps a visitor's language choice.
pub const LANG_COOKIE: &str = "recoup_lang";

pub fn code(l: Lang) -> &'static str {
    crate::compose::language_code(l)
}

/// "es", "es-MX", "en-US,en;q=0.8": the language a tag starts with, if recoup writes it.
pub fn parse(s: &str) -> Option<Lang> {
    crate::compose::parse_language(&s.trim().get(..2)?.to_ascii_lowercase())
}

pub fn other(l: Lang) -> Lang {
    match l {
        Lang::En => Lang::Es,
        Lang::Es => Lang::En,
    }
}

/// The language asked for (`?lang=`), else the one chosen before (cookie), else the browser's
/// first preference, else English.
pub fn of(asked: Option<&str>, headers: &HeaderMap) -> Lang {
    asked
        .and_then(parse)
        .or_else(|| crate::api::auth::cookie_value(headers, LANG_COOKIE).and_then(parse))
        .or_else(|| headers.get("accept-language").and_then(|v| v.to_str().ok()).and_then(parse))
        .unwrap_or(Lang::En)
}

/// A page's translator.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        let table = match self.0 {
            Lang::En => EN,
            Lang::Es => ES,
        };
        table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or("?")
    }
}

const EN: &[(&str, &str)] = &[
    ("portal", "Account portal"),
    ("find.title", "Find your account"),
    ("find.intro", "Enter the reference number from our letter or message, then answer one question so we know it is you."),
    ("link.intro", "To protect your account, please confirm it is you."),
    ("link.expired", "This link has expired. You can still find your account with its reference number."),
    ("link.invalid", "This link is not valid. You can find your account with its reference number."),
    ("field.reference", "Reference number"),
    ("field.dob", "Date of birth"),
    ("field.zip", "ZIP code"),
    ("or", "or"),
    ("field.last4", "Last four digits of your Social Security number"),
    ("continue", "Continue"),
    ("wrong", "Those answers do not match our records. Please check them and try again."),
    ("locked", "Too many answers did not match. For your security, please wait before trying again. Minutes left:"),
    ("account.title", "Your account"),
    ("reference", "Reference"),
    ("owed_to", "Owed to"),
    ("balance", "Balance"),
    ("principal", "Principal"),
    ("interest", "Interest"),
    ("fees", "Fees"),
    ("costs", "Costs"),
    ("pay.title", "Make a payment"),
    ("pay.intro", "Pay all or part of the balance by card."),
    ("field.amount", "Amount"),
    ("field.card", "Card number"),
    ("field.exp", "Expiry (MM/YY)"),
    ("field.cvc", "Security code (CVC)"),
    ("field.holder", "Name on card"),
    ("pay.button", "Pay now"),
    ("done.payment", "Thank you. Your payment was received. Your receipt is below."),
    ("done.plan", "Your payment plan is set up. Every payment and its date are listed below."),
    ("receipt", "Receipt"),
    ("plans.title", "Choose a payment plan"),
    ("plans.intro", "Pay over time with no interest. You can see every payment before you choose."),
    ("plans.monthly", "monthly payments of"),
    ("plans.bi_weekly", "payments every two weeks of"),
    ("plans.weekly", "weekly payments of"),
    ("plans.first", "First payment on"),
    ("plans.every", "See every payment"),
    ("plans.choose", "Choose this plan"),
    ("plan.yours", "Your payment plan"),
    ("plan.pay_next", "Pay the next installment"),
    ("col.number", "Payment"),
    ("col.due", "Due"),
    ("col.amount", "Amount"),
    ("col.status", "Status"),
    ("col.date", "Date"),
    ("status.paid", "paid"),
    ("status.open", "to pay"),
    ("history", "Payment history"),
    ("none", "None yet."),
    ("sign_out", "Sign out"),
    ("problem", "Please check the form:"),
    ("error.amount", "Enter an amount such as 50.00, no more than the balance."),
    ("error.card", "The card was not accepted:"),
    ("prefs.title", "How we contact you"),
    ("prefs.intro", "You can stop any way we contact you. We will still send what the law requires by another way."),
    ("channel.call", "Phone calls"),
    ("channel.sms", "Text messages"),
    ("channel.email", "E-mail"),
    ("channel.letter", "Letters"),
    ("prefs.on", "on"),
    ("prefs.off", "stopped"),
    ("prefs.stop", "Stop"),
    ("prefs.allow", "Allow again"),
    ("done.stopped", "Done. We will not contact you that way any more."),
    ("done.allowed", "Done. We may contact you that way again."),
    ("promise.title", "Promise to pay"),
    ("promise.intro", "Tell us when you can pay. We will remind you before the day."),
    ("field.on", "On"),
    ("promise.button", "Make this promise"),
    ("done.promise", "Thank you. We have your promise and will remind you before the day."),
    ("dispute.title", "Dispute this debt"),
    (
        "dispute.intro",
        "If you think this debt is not yours or the amount is wrong, tell us. We will stop collecting it until we have answered you.",
    ),
    ("field.reason", "Reason"),
    ("reason.not_mine", "It is not my debt"),
    ("reason.wrong_amount", "The amount is wrong"),
    ("reason.already_paid", "I already paid it"),
    ("reason.identity_theft", "Identity theft"),
    ("reason.other", "Something else"),
    ("field.details", "Tell us more (optional)"),
    ("dispute.button", "Send my dispute"),
    ("done.dispute", "We received your dispute. We will not collect this debt until we have answered you."),
    ("documents.title", "Documents"),
    ("documents.notice", "Validation notice (PDF): the debt, its amount and your rights"),
    ("error.date", "Enter a date."),
    ("error.reason", "Choose a reason."),
    ("settle.title", "An offer to settle"),
    ("settle.pay", "Pay"),
    ("settle.by", "by"),
    ("settle.rest", "and the rest of the balance is forgiven. The amount to pay is filled in below."),
    ("times.title", "Times that are not good for you"),
    ("times.intro", "We will not call or text you between these times, in your own time zone. Leave both empty to clear them."),
    ("times.from", "From"),
    ("times.to", "To"),
    ("times.work", "Do not contact me at work: my employer does not allow it"),
    ("times.save", "Save"),
    ("done.times", "Saved. We will respect these times from now on."),
    ("error.times", "Enter both times, such as 09:00 and 17:00."),
    ("language.title", "Language"),
    ("language.label", "Write to me in"),
    ("done.language", "Saved. We will write to you in this language."),
    ("error.language", "Choose English or Spanish."),
    (
        "documents.send",
        "Send us documents (proof of payment, a letter): PDF, photo or text, up to 10 MB each. With an open dispute, they go with it.",
    ),
    ("documents.button", "Send"),
    ("done.documents", "Thank you. We received your documents."),
    ("error.file", "Choose a file to send."),
];

const ES: &[(&str, &str)] = &[
    ("portal", "Portal de cuentas"),
    ("find.title", "Encuentre su cuenta"),
    ("find.intro", "Escriba el número de referencia de nuestra carta o mensaje y conteste una pregunta para confirmar que es usted."),
    ("link.intro", "Para proteger su cuenta, confirme que es usted."),
    ("link.expired", "Este enlace ha vencido. Puede encontrar su cuenta con su número de referencia."),
    ("link.invalid", "Este enlace no es válido. Puede encontrar su cuenta con su número de referencia."),
    ("field.reference", "Número de referencia"),
    ("field.dob", "Fecha de nacimiento"),
    ("field.zip", "Código postal"),
    ("or", "o"),
    ("field.last4", "Últimos cuatro dígitos de su número de Seguro Social"),
    ("continue", "Continuar"),
    ("wrong", "Esas respuestas no coinciden con nuestros registros. Revíselas e inténtelo de nuevo."),
    ("locked", "Demasiadas respuestas no coincidieron. Por su seguridad, espere antes de intentarlo de nuevo. Minutos restantes:"),
    ("account.title", "Su cuenta"),
    ("reference", "Referencia"),
    ("owed_to", "Adeudado a"),
    ("balance", "Saldo"),
    ("principal", "Capital"),
    ("interest", "Intereses"),
    ("fees", "Cargos"),
    ("costs", "Costos"),
    ("pay.title", "Hacer un pago"),
    ("pay.intro", "Pague todo o parte del saldo con tarjeta."),
    ("field.amount", "Cantidad"),
    ("field.card", "Número de tarjeta"),
    ("field.exp", "Vencimiento (MM/AA)"),
    ("field.cvc", "Código de seguridad (CVC)"),
    ("field.holder", "Nombre en la tarjeta"),
    ("pay.button", "Pagar ahora"),
    ("done.payment", "Gracias. Recibimos su pago. Su recibo está abajo."),
    ("done.plan", "Su plan de pagos está listo. Abajo aparecen todos los pagos y sus fechas."),
    ("receipt", "Recibo"),
    ("plans.title", "Elija un plan de pagos"),
    ("plans.intro", "Pague a plazos sin intereses. Puede ver cada pago antes de elegir."),
    ("plans.monthly", "pagos mensuales de"),
    ("plans.bi_weekly", "pagos cada dos semanas de"),
    ("plans.weekly", "pagos semanales de"),
    ("plans.first", "Primer pago el"),
    ("plans.every", "Ver todos los pagos"),
    ("plans.choose", "Elegir este plan"),
    ("plan.yours", "Su plan de pagos"),
    ("plan.pay_next", "Pagar la próxima cuota"),
    ("col.number", "Pago"),
    ("col.due", "Vence"),
    ("col.amount", "Cantidad"),
    ("col.status", "Estado"),
    ("col.date", "Fecha"),
    ("status.paid", "pagado"),
    ("status.open", "por pagar"),
    ("history", "Historial de pagos"),
    ("none", "Ninguno todavía."),
    ("sign_out", "Salir"),
    ("problem", "Revise el formulario:"),
    ("error.amount", "Escriba una cantidad como 50.00, no mayor que el saldo."),
    ("error.card", "La tarjeta no fue aceptada:"),
    ("prefs.title", "Cómo nos comunicamos con usted"),
    ("prefs.intro", "Puede detener cualquier forma de contacto. Le enviaremos lo que exige la ley por otro medio."),
    ("channel.call", "Llamadas"),
    ("channel.sms", "Mensajes de texto"),
    ("channel.email", "Correo electrónico"),
    ("channel.letter", "Cartas"),
    ("prefs.on", "activo"),
    ("prefs.off", "detenido"),
    ("prefs.stop", "Detener"),
    ("prefs.allow", "Permitir de nuevo"),
    ("done.stopped", "Listo. No nos comunicaremos con usted por ese medio."),
    ("done.allowed", "Listo. Podremos comunicarnos con usted por ese medio otra vez."),
    ("promise.title", "Promesa de pago"),
    ("promise.intro", "Díganos cuándo puede pagar. Le recordaremos antes del día."),
    ("field.on", "El"),
    ("promise.button", "Hacer esta promesa"),
    ("done.promise", "Gracias. Registramos su promesa y le recordaremos antes del día."),
    ("dispute.title", "Disputar esta deuda"),
    (
        "dispute.intro",
        "Si cree que esta deuda no es suya o que la cantidad no es correcta, díganoslo. Dejaremos de cobrarla hasta responderle.",
    ),
    ("field.reason", "Motivo"),
    ("reason.not_mine", "No es mi deuda"),
    ("reason.wrong_amount", "La cantidad no es correcta"),
    ("reason.already_paid", "Ya la pagué"),
    ("reason.identity_theft", "Robo de identidad"),
    ("reason.other", "Otro motivo"),
    ("field.details", "Cuéntenos más (opcional)"),
    ("dispute.button", "Enviar mi disputa"),
    ("done.dispute", "Recibimos su disputa. No cobraremos esta deuda hasta responderle."),
    ("documents.title", "Documentos"),
    ("documents.notice", "Aviso de validación (PDF): la deuda, su cantidad y sus derechos"),
    ("error.date", "Escriba una fecha."),
    ("error.reason", "Elija un motivo."),
    ("settle.title", "Una oferta para saldar"),
    ("settle.pay", "Pague"),
    ("settle.by", "a más tardar el"),
    ("settle.rest", "y se le perdona el resto del saldo. La cantidad a pagar ya aparece abajo."),
    ("times.title", "Horarios que no le convienen"),
    (
        "times.intro",
        "No le llamaremos ni le enviaremos mensajes entre estas horas, en su propia zona horaria. Deje ambas vacías para borrarlas.",
    ),
    ("times.from", "Desde"),
    ("times.to", "Hasta"),
    ("times.work", "No me contacten en el trabajo: mi empleador no lo permite"),
    ("times.save", "Guardar"),
    ("done.times", "Guardado. Respetaremos estos horarios desde ahora."),
    ("error.times", "Escriba ambas horas, como 09:00 y 17:00."),
    ("language.title", "Idioma"),
    ("language.label", "Escríbanme en"),
    ("done.language", "Guardado. Le escribiremos en este idioma."),
    ("error.language", "Elija inglés o español."),
    (
        "documents.send",
        "Envíenos documentos (comprobante de pago, una carta): PDF, foto o texto, hasta 10 MB cada uno. Si tiene una disputa abierta, se añaden a ella.",
    ),
    ("documents.button", "Enviar"),
    ("done.documents", "Gracias. Recibimos sus documentos."),
    ("error.file", "Elija un archivo para enviar."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_words() {
        let keys = |t: &[(&'static str, &'static str)]| t.iter().map(|(k, _)| *k).collect::<Vec<&'static str>>();
        assert_eq!(keys(EN), keys(ES));
    }

    #[test]
    fn every_word_a_portal_template_asks_for_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/portal");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("tr.t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert_ne!(Tr(Lang::En).t(key), "?", "no English for {key}");
                assert_ne!(Tr(Lang::Es).t(key), "?", "no Spanish for {key}");
                checked += 1;
            }
        }
        assert!(checked > 20, "the portal templates use the table ({checked} keys)");
    }

    #[test]
    fn the_language_comes_from_the_question_then_the_cookie_then_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(of(None, &h), Lang::En);
        h.insert("accept-language", "es-MX,es;q=0.9".parse().unwrap());
        assert_eq!(of(None, &h), Lang::Es);
        h.insert("cookie", "recoup_lang=en".parse().unwrap());
        assert_eq!(of(None, &h), Lang::En);
        assert_eq!(of(Some("es"), &h), Lang::Es);
        assert_eq!(of(Some("fr"), &h), Lang::En, "a language recoup does not write falls through");
    }
}
