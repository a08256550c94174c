//! One record, whichever format it came from, checked and turned into a `PlacedAccount`. The
//! CSV and JSON Lines readers only lay the record's text out by field; every rule lives here, so
//! the two formats cannot drift apart.

use crate::ImportContext;
use crate::field::Field::{self, *};
use crate::ids::Ids;
use crate::mapping::Mapping;
use crate::parse;
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus, ItemizationBasis, Stage};
use recoup_domain::invoice::{Invoice, InvoiceError};
use recoup_domain::ledger::Amounts;
use recoup_domain::money::Currency;
use recoup_domain::party::PartyRole;
use recoup_domain::placement::PlacedAccount;
use std::borrow::Cow;
use std::collections::HashMap;
use uuid::Uuid;

/// One value as the file gave it, with the column (or JSON path) to name in a report.
#[derive(Debug)]
pub(crate) struct Cell<'a> {
    pub text: Cow<'a, str>,
    pub column: Cow<'a, str>,
}

impl Cell<'_> {
    fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }
}

/// A record's (or a nested party's) values by field.
#[derive(Debug)]
pub(crate) struct Cells<'a> {
    cells: [Option<Cell<'a>>; Field::COUNT],
    /// For a nested JSON object ("parties[0]"), the path its absent fields are reported under;
    /// empty for the record itself, whose absent fields are named by the mapped column.
    path: String,
}

impl<'a> Cells<'a> {
    pub fn new() -> Self {
        Cells::nested(String::new())
    }

    pub fn nested(path: String) -> Self {
        Cells { cells: std::array::from_fn(|_| None), path }
    }

    pub fn set(&mut self, field: Field, text: impl Into<Cow<'a, str>>, column: impl Into<Cow<'a, str>>) {
        self.cells[field.index()] = Some(Cell { text: text.into(), column: column.into() });
    }

    pub fn value(&self, field: Field) -> Option<&str> {
        self.cells[field.index()].as_ref().and_then(Cell::value)
    }

    fn is_top(&self) -> bool {
        self.path.is_empty()
    }
}

/// A co-obligor or guarantor from a JSON Lines `parties` entry.
#[derive(Debug)]
pub(crate) struct PartyRecord<'a> {
    pub role: Option<Cell<'a>>,
    pub cells: Cells<'a>,
}

/// A JSON Lines `invoices` entry.
#[derive(Debug, Default)]
pub(crate) struct InvoiceRecord<'a> {
    pub path: String,
    pub number: Option<Cell<'a>>,
    pub issued_on: Option<Cell<'a>>,
    pub due_on: Option<Cell<'a>>,
    pub amount: Option<Cell<'a>>,
    pub open: Option<Cell<'a>>,
}

#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub line: u64,
    pub cells: Cells<'a>,
    pub parties: Vec<PartyRecord<'a>>,
    pub invoices: Vec<InvoiceRecord<'a>>,
    /// Faults the reader found while laying the record out (field count, JSON types).
    pub faults: Vec<Fault>,
}

impl<'a> Record<'a> {
    pub fn new(line: u64) -> Self {
        Record { line, cells: Cells::new(), parties: Vec::new(), invoices: Vec::new(), faults: Vec::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub column: Option<String>,
    pub reason: String,
}

/// Collects every fault of one record, so the rejects file tells the whole story at once.
pub(crate) struct Check<'m> {
    mapping: &'m Mapping,
    pub ids: &'m mut Ids,
    pub today: Date,
    pub faults: Vec<Fault>,
}

impl<'m> Check<'m> {
    /// The trimmed value, or the mapping's default for a top-level field the file leaves blank.
    pub fn value<'c>(&self, cells: &'c Cells<'_>, f: Field) -> Option<&'c str>
    where
        'm: 'c,
    {
        cells.value(f).or_else(|| if cells.is_top() { self.mapping.default_for(f) } else { None })
    }

    pub fn text(&self, cells: &Cells<'_>, f: Field) -> Option<String> {
        self.value(cells, f).map(str::to_string)
    }

    pub fn column(&self, cells: &Cells<'_>, f: Field) -> String {
        if let Some(c) = &cells.cells[f.index()] {
            return c.column.to_string();
        }
        if cells.is_top() { self.mapping.column(f).unwrap_or(f.name()).to_string() } else { format!("{}.{f}", cells.path) }
    }

    pub fn fault(&mut self, column: String, reason: String) {
        self.faults.push(Fault { column: Some(column), reason });
    }

    pub fn field_fault(&mut self, cells: &Cells<'_>, f: Field, reason: impl Into<String>) {
        let column = self.column(cells, f);
        self.fault(column, reason.into());
    }

    /// `None` when the field is blank (no fault) or refused (fault recorded).
    pub fn parsed<T>(&mut self, cells: &Cells<'_>, f: Field, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let text = self.value(cells, f)?;
        match parse(text) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.field_fault(cells, f, reason);
                None
            }
        }
    }

    pub fn date_format(&self) -> &'m str {
        self.mapping.date_format()
    }

    pub fn date(&mut self, cells: &Cells<'_>, f: Field) -> Option<Date> {
        let fmt = self.mapping.date_format();
        self.parsed(cells, f, |t| parse::date(t, fmt))
    }

    /// A blank amount is 0; a refused one is `None`.
    fn amount_or_zero(&mut self, cells: &Cells<'_>, f: Field, currency: Currency) -> Option<i64> {
        if self.value(cells, f).is_none() {
            return Some(0);
        }
        self.parsed(cells, f, |t| parse::amount(t, currency))
    }
}

pub(crate) fn build(
    rec: Record<'_>,
    mapping: &Mapping,
    ctx: &ImportContext,
    duplicates: &HashMap<String, Vec<u64>>,
    ids: &mut Ids,
) -> Result<PlacedAccount, Vec<Fault>> {
    let mut ck = Check { mapping, ids, today: ctx.today, faults: rec.faults };
    let top = &rec.cells;
    let account_id = ck.ids.next();

    let external_ref = match ck.value(top, AccountRef) {
        Some(r) => {
            if let Some(lines) = duplicates.get(r) {
                let others: Vec<String> = lines.iter().filter(|&&l| l != rec.line).map(u64::to_string).collect();
                let reason = format!(
                    "account number {r} is also on line {}; no row with it is imported until the file has it once",
                    others.join(", ")
                );
                ck.field_fault(top, AccountRef, reason);
            }
            r.to_string()
        }
        None => {
            ck.field_fault(top, AccountRef, "the account number is empty; every row needs one");
            String::new()
        }
    };

    let currency = match ck.value(top, Field::Currency) {
        // Most rows name the client's own currency; skip the ISO table search for them.
        Some(code) if code.eq_ignore_ascii_case(ctx.default_currency.code()) => Some(ctx.default_currency),
        Some(_) => ck.parsed(top, Field::Currency, parse::currency),
        None => Some(ctx.default_currency),
    };
    let opened_on = ck.date(top, OpenedOn);
    let first_delinquency_on = ck.date(top, FirstDelinquencyOn);
    let charged_off_on = ck.date(top, ChargedOffOn);
    let last_payment_on = ck.date(top, LastPaymentOn);
    let itemization_basis = ck.parsed(top, ItemizationBasis, parse::basis);
    // The basis names the event the itemization date is; when the file gives only the event's
    // own date, that is the itemization date, and a fault in it is reported on that column.
    let (itemization_on, itemization_column) = match (ck.value(top, ItemizationOn), itemization_basis) {
        (Some(_), _) => (ck.date(top, ItemizationOn), ItemizationOn),
        (None, Some(ItemizationBasis::ChargeOff)) => (charged_off_on, ChargedOffOn),
        (None, Some(ItemizationBasis::LastPayment)) => (last_payment_on, LastPaymentOn),
        (None, _) => (None, ItemizationOn),
    };

    let mut reported = Amounts::default();
    let mut last_payment_minor = None;
    if let Some(cur) = currency {
        reported = amounts(&mut ck, top, cur).unwrap_or_default();
        last_payment_minor = ck.parsed(top, LastPaymentAmount, |t| parse::amount(t, cur));
    }

    let account = Account {
        id: account_id,
        tenant_id: ctx.tenant_id,
        client_id: ctx.client_id,
        portfolio_id: ctx.portfolio_id,
        placement_id: ctx.placement_id,
        external_ref,
        currency: currency.unwrap_or(ctx.default_currency),
        original_creditor: ck.text(top, OriginalCreditor).unwrap_or_else(|| ctx.creditor_name.clone()),
        current_creditor: ck.text(top, CurrentCreditor).unwrap_or_else(|| ctx.creditor_name.clone()),
        product: ck.text(top, Product),
        opened_on,
        first_delinquency_on,
        charged_off_on,
        itemization_on,
        itemization_basis,
        last_payment_on,
        last_payment_minor,
        status: AccountStatus::Active,
        stage: Stage::Early,
        flags: ck.parsed(top, Flags, parse::flags).unwrap_or_default(),
        queue: None,
        agent_id: None,
        score: None,
    };
    if let Err(fault) = account.check_dates(ctx.today) {
        let field = match fault.field {
            "opened_on" => OpenedOn,
            "first_delinquency_on" => FirstDelinquencyOn,
            "charged_off_on" => ChargedOffOn,
            "last_payment_on" => LastPaymentOn,
            _ => itemization_column,
        };
        ck.field_fault(top, field, fault.reason);
    }

    let mut parties = Vec::with_capacity(1 + rec.parties.len());
    parties.extend(crate::party::build(&mut ck, top, PartyRole::Primary, ctx));
    for p in &rec.parties {
        let role_column = format!("{}.role", p.cells.path);
        let role = match p.role.as_ref().and_then(Cell::value) {
            None => {
                ck.fault(role_column, "role is required (co_obligor or guarantor)".to_string());
                None
            }
            Some(text) => match parse::role(text) {
                Ok(PartyRole::Primary) => {
                    ck.fault(role_column, "the primary party is given by the record's own fields; use co_obligor or guarantor".into());
                    None
                }
                Ok(role) => Some(role),
                Err(reason) => {
                    ck.fault(role_column, reason);
                    None
                }
            },
        };
        if let Some(party) = crate::party::build(&mut ck, &p.cells, role.unwrap_or(PartyRole::CoObligor), ctx) {
            parties.push(party);
        }
    }

    let mut invoices = Vec::with_capacity(rec.invoices.len());
    for inv in &rec.invoices {
        if let Some(i) = invoice(&mut ck, inv, currency, account_id, ctx.tenant_id) {
            if invoices.iter().any(|o: &Invoice| o.number == i.number) {
                ck.fault(format!("{}.number", inv.path), format!("invoice {} is listed twice", i.number));
            }
            invoices.push(i);
        }
    }

    if !ck.faults.is_empty() {
        return Err(ck.faults);
    }
    let fingerprint = crate::fingerprint::of(&account, &reported, &parties, &invoices);
    Ok(PlacedAccount { line: rec.line, account, parties, reported, invoices, fingerprint })
}

/// The reported balance. `None` when a component is refused, so the cross-checks below do not
/// pile a second, derived fault onto the real one.
fn amounts(ck: &mut Check<'_>, top: &Cells<'_>, cur: Currency) -> Option<Amounts> {
    let principal = if ck.value(top, Principal).is_none() {
        ck.field_fault(top, Principal, "the principal is empty; every row needs one (0 is allowed)");
        None
    } else {
        ck.parsed(top, Principal, |t| parse::amount(t, cur))
    };
    let interest = ck.amount_or_zero(top, Interest, cur);
    let fees = ck.amount_or_zero(top, Fees, cur);
    let costs = ck.amount_or_zero(top, Costs, cur);
    let total = ck.parsed(top, Total, |t| parse::amount(t, cur));
    let a = Amounts { principal: principal?, interest: interest?, fees: fees?, costs: costs?, credit: 0 };
    let Some(sum) = [a.interest, a.fees, a.costs].into_iter().try_fold(a.principal, i64::checked_add) else {
        ck.field_fault(top, Principal, "principal + interest + fees + costs is too large");
        return None;
    };
    if sum == 0 {
        ck.field_fault(top, Principal, "nothing is owed: principal + interest + fees + costs is 0");
    }
    if let Some(total) = total
        && total != sum
    {
        ck.field_fault(
            top,
            Total,
            format!("the total {} is not principal + interest + fees + costs = {}", cur.format_minor(total), cur.format_minor(sum)),
        );
    }
    Some(a)
}

fn invoice(ck: &mut Check<'_>, inv: &InvoiceRecord<'_>, currency: Option<Currency>, account_id: Uuid, tenant_id: Uuid) -> Option<Invoice> {
    let before = ck.faults.len();
    let mapping: &Mapping = ck.mapping;
    let fmt = mapping.date_format();
    let number = invoice_field(ck, inv, &inv.number, "number", |t| Ok(t.to_string()));
    let issued_on = invoice_field(ck, inv, &inv.issued_on, "issued_on", |t| parse::date(t, fmt));
    let due_on = invoice_field(ck, inv, &inv.due_on, "due_on", |t| parse::date(t, fmt));
    let cur = currency?;
    let amount_minor = invoice_field(ck, inv, &inv.amount, "amount", |t| parse::amount(t, cur));
    let open_minor = match inv.open.as_ref().and_then(Cell::value) {
        Some(_) => invoice_field(ck, inv, &inv.open, "open", |t| parse::amount(t, cur)),
        None => amount_minor,
    };
    if let Some(d) = issued_on.filter(|d| *d > ck.today) {
        ck.fault(invoice_column(inv, &inv.issued_on, "issued_on"), format!("{d} is in the future"));
    }
    if ck.faults.len() > before {
        return None;
    }
    let invoice = Invoice {
        id: ck.ids.next(),
        tenant_id,
        account_id,
        number: number?,
        issued_on: issued_on?,
        due_on: due_on?,
        amount_minor: amount_minor?,
        open_minor: open_minor?,
    };
    match invoice.check() {
        Ok(()) => Some(invoice),
        Err(e) => {
            let (cell, key) = match e {
                InvoiceError::DueBeforeIssue(_) => (&inv.due_on, "due_on"),
                InvoiceError::OpenOutOfRange(_) => (&inv.open, "open"),
            };
            ck.fault(invoice_column(inv, cell, key), e.to_string());
            None
        }
    }
}

fn invoice_column(inv: &InvoiceRecord<'_>, cell: &Option<Cell<'_>>, key: &str) -> String {
    match cell {
        Some(c) => c.column.to_string(),
        None => format!("{}.{key}", inv.path),
    }
}

/// A required invoice value: `None` when absent or refused, with the fault recorded.
fn invoice_field<T>(
    ck: &mut Check<'_>,
    inv: &InvoiceRecord<'_>,
    cell: &Option<Cell<'_>>,
    key: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    let Some(text) = cell.as_ref().and_then(Cell::value) else {
        ck.fault(invoice_column(inv, cell, key), format!("the invoice's {key} is required"));
        return None;
    };
    parse(text).map_err(|reason| ck.fault(invoice_column(inv, cell, key), reason)).ok()
}
