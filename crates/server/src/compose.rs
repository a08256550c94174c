//! What a message about an account says: the template context built from the account's file
//! (the debtor, the balance, the collector, and the promise, plan, payment or settlement the
//! message is about), and the validation notice's facts from its ledger.

use jiff::civil::Date;
use recoup_domain::account::ItemizationBasis;
use recoup_domain::client_policy::Collector;
use recoup_domain::ledger::{Amounts, EntryKind, LedgerEntry};
use recoup_domain::money::format_money;
use recoup_domain::party::PartyRole;
use recoup_domain::placement::PlacedParty;
use recoup_domain::template::{self as tpl, TemplateContext, TemplatePurpose};
use recoup_domain::validation_notice::{self as vn, Facts, Language, Notice, long_date};
use recoup_store::StoreError;
use recoup_store::servicing::AccountFile;
use recoup_store::servicing::payment::Payment;
use recoup_store::servicing::plan::{Plan, PlanStatus};
use recoup_store::servicing::promise::Promise;
use recoup_store::servicing::settlement::{Settlement, SettlementStatus};

/// The language for a debtor: the party's, when it is one recoup writes in.
pub fn language_of(parties: &[PlacedParty]) -> Language {
    let lang = primary(parties).and_then(|p| p.party.language.clone()).unwrap_or_default();
    if lang.to_ascii_lowercase().starts_with("es") { Language::Es } else { Language::En }
}

pub fn language_code(l: Language) -> &'static str {
    match l {
        Language::En => "en",
        Language::Es => "es",
    }
}

pub fn parse_language(s: &str) -> Option<Language> {
    match s {
        "en" => Some(Language::En),
        "es" => Some(Language::Es),
        _ => None,
    }
}

pub fn primary(parties: &[PlacedParty]) -> Option<&PlacedParty> {
    parties.iter().find(|p| p.role == PartyRole::Primary).or_else(|| parties.first())
}

/// Links a message carries.
pub struct Links {
    pub unsubscribe_url: String,
    pub portal_url: String,
}

/// The context for a message of `purpose` about this account, on `today`. A purpose whose
/// subject is missing (a promise reminder with no pending promise) is refused.
pub fn context(
    file: &AccountFile,
    parties: &[PlacedParty],
    purpose: TemplatePurpose,
    lang: Language,
    today: Date,
    links: Links,
) -> Result<TemplateContext, StoreError> {
    let a = &file.account;
    let cur = a.currency.code();
    let money = |minor: i64| format_money(minor, cur);
    let day = |d: Date| long_date(d, lang);
    let party = primary(parties).map(|p| &p.party);
    let c = &file.policy.collector;
    let mut ctx = TemplateContext {
        debtor: tpl::Debtor {
            first_name: party.and_then(|p| p.first_name.clone()).unwrap_or_default(),
            last_name: party.and_then(|p| p.last_name.clone()).unwrap_or_default(),
            full_name: party.map(|p| p.display_name()).unwrap_or_default(),
        },
        account: tpl::AccountView {
            reference: a.external_ref.clone(),
            balance: money(file.balance.owed()),
            balance_minor: file.balance.owed(),
            currency: cur.to_string(),
            creditor: a.current_creditor.clone(),
            original_creditor: a.original_creditor.clone(),
            client: file.client.name.clone(),
        },
        collector: tpl::Collector {
            name: c.name.clone(),
            phone: c.phone.clone(),
            address: c.address.clone(),
            hours: c.hours.clone(),
            website: c.website.clone(),
        },
        disclosure: tpl::disclosure(lang).into(),
        opt_out: tpl::sms_opt_out(lang).into(),
        unsubscribe_url: links.unsubscribe_url,
        portal_url: links.portal_url,
        today: day(today),
        validation: None,
        promise: None,
        plan: None,
        payment: None,
        settlement: None,
    };
    let missing = |what: &str| StoreError::Refused(format!("the account has no {what} for this message to be about"));
    match purpose {
        TemplatePurpose::ValidationNotice => {
            let n = notice(file, parties, c, lang, today).map_err(|f| StoreError::Refused(faults_text(&f)))?;
            ctx.validation = Some(tpl::Validation {
                period_ends: day(n.validation_period_ends),
                itemization_date: day(n.itemization.on),
                total: money(n.current_amount),
            });
        }
        TemplatePurpose::PromiseReminder | TemplatePurpose::PromiseConfirmation => {
            let p = file
                .all::<Promise>()?
                .into_iter()
                .rev()
                .find(|p| p.status.as_str() == "pending")
                .ok_or_else(|| missing("pending promise"))?;
            let item = p
                .items
                .iter()
                .zip(&p.item_status)
                .find(|(_, s)| s.as_str() == "pending")
                .map(|(i, _)| i)
                .or(p.items.first())
                .ok_or_else(|| missing("promise"))?;
            ctx.promise = Some(tpl::Promise { amount: money(item.amount), due_on: day(item.due_on) });
        }
        TemplatePurpose::PlanConfirmation => {
            let p = file.all::<Plan>()?.into_iter().rev().find(|p| p.status == PlanStatus::Active).ok_or_else(|| missing("active plan"))?;
            let first = p.installments.iter().find(|i| i.amount > 0).ok_or_else(|| missing("plan installment"))?;
            let count = u32::try_from(p.installments.iter().filter(|i| i.number > 0).count()).unwrap_or(u32::MAX);
            ctx.plan = Some(tpl::Plan { installment: money(first.amount), first_due_on: day(first.due_on), count });
        }
        TemplatePurpose::PaymentReceipt => {
            let p = file.all::<Payment>()?.into_iter().next_back().ok_or_else(|| missing("payment"))?;
            ctx.payment = Some(tpl::Payment { amount: money(p.amount), receipt: p.receipt_no.clone() });
        }
        TemplatePurpose::SettlementOffer => {
            let s = file
                .all::<Settlement>()?
                .into_iter()
                .rev()
                .find(|s| s.status == SettlementStatus::Active)
                .ok_or_else(|| missing("active settlement offer"))?;
            ctx.settlement = Some(tpl::Settlement { amount: money(s.amount), expires_on: day(s.expires_on) });
        }
        _ => {}
    }
    Ok(ctx)
}

fn faults_text(f: &[vn::Fault]) -> String {
    let parts: Vec<String> = f.iter().map(|f| f.to_string()).collect();
    format!("the validation notice cannot be given: {}", parts.join("; "))
}

/// Reads the ledger into the itemization. The placement brings the balance in as one charge on
/// the day it was placed, by component; the client's file does not carry the amount on the
/// itemization date, so the principal placed stands for it and the interest and fees placed
/// count as accrued since (said in the note). Entries after the placement itemize as
/// they are.
fn itemization(file: &AccountFile) -> Result<vn::Itemization, vn::Fault> {
    let a = &file.account;
    let on = a.itemization_on.ok_or(vn::Fault { field: "itemization_date", why: "the account has no itemization date".into() })?;
    let basis = a.itemization_basis.unwrap_or(ItemizationBasis::ChargeOff);
    let mut amount_then = 0;
    let mut entries: Vec<LedgerEntry> = Vec::new();
    for e in &file.ledger {
        match e.kind {
            EntryKind::Charge if e.effective_on <= on => amount_then += e.delta.owed(),
            EntryKind::Charge => {
                amount_then += e.delta.principal;
                entries.push(part(e, EntryKind::Interest, Amounts { interest: e.delta.interest, ..Amounts::default() }));
                entries.push(part(e, EntryKind::Fee, Amounts { fees: e.delta.fees, costs: e.delta.costs, ..Amounts::default() }));
            }
            _ => entries.push(e.clone()),
        }
    }
    vn::itemize(amount_then, on, basis, &entries)
}

fn part(e: &LedgerEntry, kind: EntryKind, delta: Amounts) -> LedgerEntry {
    LedgerEntry { kind, delta, ..e.clone() }
}

/// The validation notice for the account, sent on `today`, or every fact it lacks.
pub fn notice(file: &AccountFile, parties: &[PlacedParty], c: &Collector, lang: Language, today: Date) -> Result<Notice, Vec<vn::Fault>> {
    let it = itemization(file).map_err(|f| vec![f])?;
    let party = primary(parties);
    let address = party.and_then(|p| p.contact_points.iter().find_map(|cp| cp.address.as_ref()));
    let a = &file.account;
    let facts = Facts {
        collector_name: c.name.clone(),
        collector_address: c.address.clone(),
        consumer_name: party.map(|p| p.party.display_name()).unwrap_or_default(),
        consumer_address: address.map(|ad| ad.one_line()).unwrap_or_default(),
        creditor_on_itemization_date: a.original_creditor.clone(),
        account_number: a.external_ref.clone(),
        current_creditor: a.current_creditor.clone(),
        itemization: it,
        current_amount: file.balance.owed(),
        sent_on: today,
        electronic_dispute: c.electronic_dispute.clone(),
        language: lang,
    };
    vn::compose(&facts)
}
