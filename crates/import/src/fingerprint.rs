//! The digest that tells the store whether a re-placed account changed. It is taken over the
//! normalized values (E.164 phones, minor units, ISO dates), not the file's text, so the same
//! content re-exported with "$1,200.00" instead of "1200" or a different column order is still
//! "unchanged"; and never over ids, which are fresh on every read.

use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::invoice::Invoice;
use recoup_domain::ledger::Amounts;
use recoup_domain::placement::PlacedParty;
use sha2::{Digest, Sha256};

/// Every value goes in as presence, length and bytes, so no two different sequences of values
/// can encode the same (a name "a" + "bc" is not "ab" + "c").
struct Canonical(Sha256);

impl Canonical {
    fn bytes(&mut self, b: &[u8]) {
        self.0.update([1u8]);
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.0.update([0u8]),
        }
    }

    fn date(&mut self, d: Option<Date>) {
        match d {
            Some(d) => self.bytes(&[(d.year() >> 8) as u8, d.year() as u8, d.month() as u8, d.day() as u8]),
            None => self.0.update([0u8]),
        }
    }

    fn int(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }
}

pub(crate) fn of(a: &Account, reported: &Amounts, parties: &[PlacedParty], invoices: &[Invoice]) -> [u8; 32] {
    let mut h = Canonical(Sha256::new());
    h.str("recoup placement v2");
    h.str(&a.external_ref);
    h.str(a.currency.code());
    h.str(&a.original_creditor);
    h.str(&a.current_creditor);
    h.opt(a.product.as_deref());
    for d in [a.opened_on, a.first_delinquency_on, a.charged_off_on, a.itemization_on, a.last_payment_on] {
        h.date(d);
    }
    h.opt(a.itemization_basis.map(|b| b.as_str()));
    match a.last_payment_minor {
        Some(v) => h.int(v),
        None => h.0.update([0u8]),
    }
    h.str(&a.flags.to_text());
    for v in [reported.principal, reported.interest, reported.fees, reported.costs, reported.credit] {
        h.int(v);
    }
    h.int(parties.len() as i64);
    for p in parties {
        let party = &p.party;
        h.str(p.role.as_str());
        h.str(party.kind.as_str());
        for s in [&party.first_name, &party.last_name, &party.company_name, &party.national_id_last4, &party.language] {
            h.opt(s.as_deref());
        }
        // The full id and the birth date count as content (a corrected SSN is an update). The
        // store keys this digest before keeping it, so it cannot be brute-forced back to them.
        h.opt(party.national_id.as_ref().map(|s| s.expose().as_str()));
        h.date(party.date_of_birth.as_ref().map(|d| *d.expose()));
        h.int(p.contact_points.len() as i64);
        for c in &p.contact_points {
            h.str(c.kind.as_str());
            h.str(&c.value);
            h.opt(c.extension.as_deref());
            h.opt(c.phone_type.map(|t| t.as_str()));
            // An address's value is its one-line form, so `value` already covers its parts.
            h.opt(c.time_zone.as_deref());
        }
    }
    h.int(invoices.len() as i64);
    for i in invoices {
        h.str(&i.number);
        h.date(Some(i.issued_on));
        h.date(Some(i.due_on));
        h.int(i.amount_minor);
        h.int(i.open_minor);
    }
    h.0.finalize().into()
}
