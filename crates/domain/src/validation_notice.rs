//! The validation notice's content (Reg F 1006.34): what it must say, computed and checked before
//! any letter is laid out. The itemization must add up to the cent (amount on the itemization
//! date, plus interest and fees since, less payments and credits since, is the current amount),
//! the validation period ends 30 days after assumed receipt (business days, federal holidays
//! out), and a notice missing any required field is refused, never sent incomplete.

use crate::account::ItemizationBasis;
use crate::dispute;
use crate::ledger::{EntryKind, LedgerEntry};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The itemization table (Reg F 1006.34(c)(2)(vi)-(viii)), minor units, all non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Itemization {
    #[schema(value_type = String)]
    pub on: Date,
    pub basis: ItemizationBasis,
    /// What was owed on the itemization date.
    pub amount_then: i64,
    pub interest: i64,
    pub fees: i64,
    pub payments: i64,
    pub credits: i64,
}

impl Itemization {
    /// Reg F 1006.34(c)(2)(viii): the amount then, plus interest and fees, less payments and credits.
    pub fn current(&self) -> i64 {
        self.amount_then + self.interest + self.fees - self.payments - self.credits
    }
}

/// A fact the notice cannot be given without, or one that contradicts another.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {why}")]
pub struct Fault {
    pub field: &'static str,
    pub why: String,
}

fn fault(field: &'static str, why: impl Into<String>) -> Fault {
    Fault { field, why: why.into() }
}

/// The itemization from the ledger: `amount_then` as the client gave it for `on`, and every
/// entry dated after `on` sorted into interest, fees, payments and credits. A new charge after
/// the itemization date, or an increase that is neither interest nor a fee, cannot be itemized.
pub fn itemize(amount_then: i64, on: Date, basis: ItemizationBasis, entries: &[LedgerEntry]) -> Result<Itemization, Fault> {
    let mut it = Itemization { on, basis, amount_then, interest: 0, fees: 0, payments: 0, credits: 0 };
    for e in entries.iter().filter(|e| e.effective_on > on) {
        let owed = e.delta.owed();
        match e.kind {
            EntryKind::Interest => it.interest += e.delta.interest,
            EntryKind::Fee => it.fees += e.delta.fees + e.delta.costs,
            // What a payment paid off, not any overpayment credit it left.
            EntryKind::Payment | EntryKind::Reversal => it.payments -= owed,
            EntryKind::WriteOff => it.credits -= owed,
            EntryKind::Adjustment if owed <= 0 => it.credits -= owed,
            EntryKind::Adjustment | EntryKind::Charge => {
                return Err(fault("itemization", format!("an increase of {owed} on {} is neither interest nor a fee", e.effective_on)));
            }
        }
    }
    Ok(it)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    En,
    Es,
}

/// A date as a consumer reads it in `lang`: "July 9, 2025" or "9 de julio de 2025".
pub fn long_date(d: Date, lang: Language) -> String {
    const EN: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    const ES: [&str; 12] =
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
    let month = usize::try_from(d.month() - 1).expect("months are 1 to 12");
    match lang {
        Language::En => format!("{} {}, {}", EN[month], d.day(), d.year()),
        Language::Es => format!("{} de {} de {}", d.day(), ES[month], d.year()),
    }
}

/// Everything the notice states, as gathered from the tenant, the account and its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub collector_name: String,
    pub collector_address: String,
    pub consumer_name: String,
    pub consumer_address: String,
    /// The creditor on the itemization date (1006.34(c)(2)(iii)).
    pub creditor_on_itemization_date: String,
    pub account_number: String,
    pub current_creditor: String,
    pub itemization: Itemization,
    /// The balance now, minor units: the itemization must reach it exactly.
    pub current_amount: i64,
    pub sent_on: Date,
    /// How disputes may be sent electronically, if the collector accepts them so.
    pub electronic_dispute: Option<String>,
    pub language: Language,
}

/// The notice's content, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    pub collector_name: String,
    pub collector_address: String,
    pub consumer_name: String,
    pub consumer_address: String,
    pub creditor_on_itemization_date: String,
    /// Truncated to the last four characters (1006.34(c)(2)(iv) allows it).
    pub account_number: String,
    pub current_creditor: String,
    pub itemization: Itemization,
    pub current_amount: i64,
    #[schema(value_type = String)]
    pub sent_on: Date,
    /// The last day to dispute or ask for the original creditor (1006.34(b)(5)).
    #[schema(value_type = String)]
    pub validation_period_ends: Date,
    pub electronic_dispute: Option<String>,
    pub language: Language,
    /// The required statements, in order, in the notice's language.
    pub statements: Vec<String>,
}

fn required(out: &mut Vec<Fault>, field: &'static str, value: &str) {
    if value.trim().is_empty() {
        out.push(fault(field, "required in a validation notice (Reg F 1006.34(c))"));
    }
}

fn truncated(account_number: &str) -> String {
    let chars: Vec<char> = account_number.trim().chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    if chars.len() > 4 { format!("ending {tail}") } else { tail }
}

/// Checks the facts and composes the notice; every missing or contradictory fact is named.
pub fn compose(f: &Facts) -> Result<Notice, Vec<Fault>> {
    let mut faults = Vec::new();
    required(&mut faults, "collector_name", &f.collector_name);
    required(&mut faults, "collector_address", &f.collector_address);
    required(&mut faults, "consumer_name", &f.consumer_name);
    required(&mut faults, "consumer_address", &f.consumer_address);
    required(&mut faults, "creditor_on_itemization_date", &f.creditor_on_itemization_date);
    required(&mut faults, "account_number", &f.account_number);
    required(&mut faults, "current_creditor", &f.current_creditor);
    let it = &f.itemization;
    if [it.amount_then, it.interest, it.fees, it.payments, it.credits].iter().any(|v| *v < 0) {
        faults.push(fault("itemization", "every itemized amount is zero or more"));
    }
    if it.current() != f.current_amount {
        faults.push(fault(
            "itemization",
            format!("adds up to {}, but the current amount is {} (Reg F 1006.34(c)(2)(viii))", it.current(), f.current_amount),
        ));
    }
    if it.on > f.sent_on {
        faults.push(fault("itemization", "the itemization date cannot be after the notice is sent"));
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let ends = dispute::validation_period_end(f.sent_on);
    Ok(Notice {
        collector_name: f.collector_name.trim().into(),
        collector_address: f.collector_address.trim().into(),
        consumer_name: f.consumer_name.trim().into(),
        consumer_address: f.consumer_address.trim().into(),
        creditor_on_itemization_date: f.creditor_on_itemization_date.trim().into(),
        account_number: truncated(&f.account_number),
        current_creditor: f.current_creditor.trim().into(),
        itemization: *it,
        current_amount: f.current_amount,
        sent_on: f.sent_on,
        validation_period_ends: ends,
        electronic_dispute: f.electronic_dispute.clone().filter(|e| !e.trim().is_empty()),
        language: f.language,
        statements: statements(f.language, &f.collector_name, ends, f.electronic_dispute.is_some()),
    })
}

/// The statements 1006.34(c)(1) and (c)(3) require, worded after the CFPB model notice.
fn statements(lang: Language, collector: &str, ends: Date, electronic: bool) -> Vec<String> {
    let mut out = match lang {
        Language::En => vec![
            format!(
                "{collector} is a debt collector. We are trying to collect a debt that you owe. We will use any information you give us to help collect the debt."
            ),
            format!(
                "Call or write to us by {ends} to dispute all or part of the debt. If you do not, we will assume that our information is correct."
            ),
            format!(
                "If you write to us by {ends}, we must stop collection on any amount you dispute until we send you information that shows you owe the debt."
            ),
            format!(
                "You may request the name and address of the original creditor, if different from the current creditor. If you write by {ends}, we must stop collection until we send you that information."
            ),
            "Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.".to_string(),
        ],
        Language::Es => vec![
            format!(
                "{collector} es un cobrador de deudas. Estamos tratando de cobrar una deuda que usted debe. Usaremos cualquier información que nos dé para ayudar a cobrar la deuda."
            ),
            format!(
                "Llame o escríbanos antes del {ends} para disputar toda o parte de la deuda. Si no lo hace, asumiremos que nuestra información es correcta."
            ),
            format!(
                "Si nos escribe antes del {ends}, debemos dejar de cobrar cualquier cantidad que usted dispute hasta que le enviemos información que demuestre que usted debe la deuda."
            ),
            format!(
                "Puede solicitar el nombre y la dirección del acreedor original, si es diferente del acreedor actual. Si escribe antes del {ends}, debemos dejar de cobrar hasta que le enviemos esa información."
            ),
            "Visite www.cfpb.gov/debt-collection para obtener más información sobre sus derechos según la ley federal.".to_string(),
        ],
    };
    if electronic {
        out.push(match lang {
            Language::En => "You may also dispute electronically, as shown on this notice.".to_string(),
            Language::Es => "También puede disputar electrónicamente, como se indica en este aviso.".to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Amounts;
    use crate::money::Currency;
    use jiff::civil::date;
    use uuid::Uuid;

    fn entry(kind: EntryKind, on: Date, delta: Amounts) -> LedgerEntry {
        LedgerEntry {
            id: Uuid::now_v7(),
            account_id: Uuid::nil(),
            kind,
            currency: Currency::USD,
            effective_on: on,
            delta,
            reverses: None,
            memo: String::new(),
        }
    }

    fn facts(it: Itemization, current: i64) -> Facts {
        Facts {
            collector_name: "Recoup Recovery LLC".into(),
            collector_address: "100 Main St, Springfield, IL 62701".into(),
            consumer_name: "Zoë Muñoz".into(),
            consumer_address: "12 Elm St, Austin, TX 78701".into(),
            creditor_on_itemization_date: "Lakeshore Bank".into(),
            account_number: "4111000012345678".into(),
            current_creditor: "Lakeshore Bank".into(),
            itemization: it,
            current_amount: current,
            sent_on: date(2025, 6, 2),
            electronic_dispute: None,
            language: Language::En,
        }
    }

    fn owed(principal: i64, interest: i64, fees: i64) -> Amounts {
        Amounts { principal, interest, fees, ..Default::default() }
    }

    #[test]
    fn the_ledger_since_the_itemization_date_sorts_into_the_five_lines() {
        let on = date(2025, 1, 31);
        let entries = [
            entry(EntryKind::Charge, date(2025, 1, 31), owed(100_000, 0, 0)),
            entry(EntryKind::Interest, date(2025, 2, 28), owed(0, 1_250, 0)),
            entry(EntryKind::Fee, date(2025, 3, 1), Amounts { fees: 2_500, costs: 500, ..Default::default() }),
            entry(EntryKind::Payment, date(2025, 3, 15), owed(-5_000, -1_250, -3_000)),
            entry(EntryKind::Reversal, date(2025, 3, 20), owed(1_000, 0, 0)),
            entry(EntryKind::Adjustment, date(2025, 4, 1), owed(-700, 0, 0)),
        ];
        let it = itemize(100_000, on, ItemizationBasis::ChargeOff, &entries).unwrap();
        assert_eq!((it.interest, it.fees, it.payments, it.credits), (1_250, 3_000, 8_250, 700));
        assert_eq!(it.current(), 100_000 + 1_250 + 3_000 - 8_250 - 700);
        let later = [entry(EntryKind::Charge, date(2025, 2, 1), owed(10, 0, 0))];
        assert_eq!(itemize(100_000, on, ItemizationBasis::ChargeOff, &later).unwrap_err().field, "itemization");
    }

    #[test]
    fn a_complete_notice_states_the_period_end_with_holidays_out() {
        let it = Itemization {
            on: date(2025, 1, 31),
            basis: ItemizationBasis::ChargeOff,
            amount_then: 100_000,
            interest: 1_250,
            fees: 0,
            payments: 5_000,
            credits: 0,
        };
        let n = compose(&facts(it, 96_250)).unwrap();
        // COMPLIANCE 14: sent Mon 2 Jun 2025 -> assumed receipt Mon 9 Jun -> ends Wed 9 Jul.
        assert_eq!(n.validation_period_ends, date(2025, 7, 9));
        assert_eq!(n.account_number, "ending 5678");
        assert!(n.statements[1].contains("2025-07-09"));
        assert!(n.statements.iter().any(|s| s.contains("www.cfpb.gov/debt-collection")));
        // Sent Tue 1 Jul 2025: Jul 4 (Friday) is a holiday, so receipt is Wed 9 Jul, the end Fri 8 Aug.
        let july = compose(&Facts { sent_on: date(2025, 7, 1), ..facts(it, 96_250) }).unwrap();
        assert_eq!(july.validation_period_ends, date(2025, 8, 8));
        let es =
            compose(&Facts { language: Language::Es, electronic_dispute: Some("disputas@recoup.example".into()), ..facts(it, 96_250) })
                .unwrap();
        assert!(es.statements[0].starts_with("Recoup Recovery LLC es un cobrador de deudas"));
        assert_eq!(es.statements.len(), 6, "the electronic dispute method is stated when accepted");
    }

    #[test]
    fn long_dates_read_naturally_in_each_language() {
        assert_eq!(long_date(date(2025, 7, 9), Language::En), "July 9, 2025");
        assert_eq!(long_date(date(2025, 12, 31), Language::Es), "31 de diciembre de 2025");
        assert_eq!(long_date(date(2026, 1, 1), Language::Es), "1 de enero de 2026");
    }

    #[test]
    fn a_notice_missing_a_fact_or_not_adding_up_is_refused_naming_each() {
        let it = Itemization {
            on: date(2025, 1, 31),
            basis: ItemizationBasis::LastStatement,
            amount_then: 100_000,
            interest: 0,
            fees: 0,
            payments: 0,
            credits: 0,
        };
        let bad = Facts { consumer_address: " ".into(), collector_address: String::new(), ..facts(it, 100_001) };
        let faults = compose(&bad).unwrap_err();
        let fields: Vec<_> = faults.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["collector_address", "consumer_address", "itemization"]);
        assert!(faults[2].why.contains("adds up to 100000, but the current amount is 100001"), "{}", faults[2].why);
        assert!(compose(&facts(it, 100_000)).is_ok(), "to the cent is enough");
        let future = Itemization { on: date(2025, 6, 3), ..it };
        assert_eq!(compose(&facts(future, 100_000)).unwrap_err()[0].field, "itemization");
    }
}
