//! Documents recoup produces for debtors and clients: payment receipts, settlement letters and
//! remittance statements, as self-contained HTML pages (print to PDF from any browser). Every
//! value that came from outside is escaped.

use recoup_domain::account::Account;
use recoup_domain::org::Client;
use recoup_store::servicing::payment::Payment;
use recoup_store::servicing::remittance::RemittanceStatement;
use recoup_store::servicing::settlement::Settlement;
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;color:#222}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}}\
         td.n,th.n{{text-align:right}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}

fn creditor(account: &Account, client: Option<&Client>) -> String {
    escape(client.map(|c| c.name.as_str()).unwrap_or(account.current_creditor.as_str()))
}

/// The receipt for one payment, numbered as recorded.
pub fn receipt(p: &Payment, account: &Account, client: Option<&Client>) -> String {
    let c = p.currency;
    let card = p.card.as_ref().map(|k| format!("{} ending {}", escape(&k.brand), escape(&k.last4))).unwrap_or_default();
    let mut body = format!(
        "<p>Receipt <strong>{no}</strong></p><table>\
         <tr><th>Account</th><td>{acct}</td></tr><tr><th>Creditor</th><td>{cred}</td></tr>\
         <tr><th>Date</th><td>{date}</td></tr><tr><th>Amount</th><td>{amount} {cur}</td></tr>\
         <tr><th>Method</th><td>{method} {card}</td></tr>",
        no = escape(&p.receipt_no),
        acct = escape(&account.external_ref),
        cred = creditor(account, client),
        date = p.effective_on,
        amount = c.format_minor(p.amount),
        cur = c.code(),
        method = p.method.as_str(),
    );
    if let Some(r) = &p.reference {
        let _ = write!(body, "<tr><th>Reference</th><td>{}</td></tr>", escape(r));
    }
    let status = if p.status == recoup_store::servicing::payment::PaymentStatus::Reversed { "reversed" } else { "posted" };
    let _ = write!(body, "<tr><th>Status</th><td>{status}</td></tr></table>");
    page("Payment receipt", &body)
}

/// The letter confirming a settlement: the balance, what settles it and by when, and (once
/// completed) that the rest is forgiven.
pub fn settlement_letter(s: &Settlement, account: &Account, client: Option<&Client>, debtor: &str) -> String {
    let c = account.currency;
    let plan = if s.installments.is_empty() {
        format!("<p>Pay {} {} by {}.</p>", c.format_minor(s.amount), c.code(), s.expires_on)
    } else {
        let rows: String = s
            .installments
            .iter()
            .map(|i| format!("<tr><td>{}</td><td class=\"n\">{}</td></tr>", i.due_on, c.format_minor(i.amount)))
            .collect();
        format!("<p>Pay in these installments:</p><table><tr><th>Due</th><th class=\"n\">Amount ({})</th></tr>{rows}</table>", c.code())
    };
    let outcome = match s.completed_on {
        Some(day) => format!(
            "<p><strong>Settled in full on {day}.</strong> The remaining {} {} has been forgiven and nothing more is owed on this account.</p>",
            c.format_minor(s.owed - s.amount),
            c.code()
        ),
        None => "<p>When the settlement amount is paid, the rest of the balance will be forgiven and the account closed as settled.</p>"
            .to_string(),
    };
    let body = format!(
        "<p>{debtor},</p><p>Re: account {acct} with {cred}.</p>\
         <p>The balance on {offered} was {owed} {cur}. We agree to accept {amount} {cur} in full settlement.</p>{plan}{outcome}\
         <p>This offer expires on {expires}.</p><p>Reference {id}</p>",
        debtor = escape(debtor),
        acct = escape(&account.external_ref),
        cred = creditor(account, client),
        offered = s.offered_on,
        owed = c.format_minor(s.owed),
        amount = c.format_minor(s.amount),
        cur = c.code(),
        expires = s.expires_on,
        id = s.id,
    );
    page("Settlement agreement", &body)
}

/// A client's remittance statement for a period.
pub fn statement(st: &RemittanceStatement, client: &Client) -> String {
    let c = client.default_currency;
    let rows: String = st
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                l.effective_on,
                escape(&l.receipt_no),
                l.kind,
                c.format_minor(l.amount),
                c.format_minor(l.commission)
            )
        })
        .collect();
    let t = &st.totals;
    let body = format!(
        "<p>{name}, {from} to {to} ({cur})</p><table><tr><th>Date</th><th>Receipt</th><th>Kind</th><th class=\"n\">Amount</th>\
         <th class=\"n\">Commission</th></tr>{rows}</table><table>\
         <tr><th>Collected by the agency</th><td class=\"n\">{agency}</td></tr>\
         <tr><th>Paid directly to the client</th><td class=\"n\">{direct}</td></tr>\
         <tr><th>Reversals included</th><td class=\"n\">{rev}</td></tr>\
         <tr><th>Commission</th><td class=\"n\">{comm}</td></tr>\
         <tr><th>Net due to the client</th><td class=\"n\"><strong>{net}</strong></td></tr></table>",
        name = escape(&client.name),
        from = st.from,
        to = st.to,
        cur = c.code(),
        agency = c.format_minor(t.collected_by_agency),
        direct = c.format_minor(t.paid_direct),
        rev = c.format_minor(-st.reversals),
        comm = c.format_minor(t.commission),
        net = c.format_minor(t.net_due_to_client),
    );
    page("Remittance statement", &body)
}
