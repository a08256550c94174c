//! A party and its contact points from one record's (or one nested object's) fields.

use crate::ImportContext;
use crate::field::Field::{self, *};
use crate::parse;
use crate::row::{Cells, Check};
use recoup_domain::contact::{
    Consent, ContactKind, ContactPoint, PhoneType, PostalAddress, Source, Verification, normalize_email, normalize_phone,
};
use recoup_domain::geo;
use recoup_domain::party::{Party, PartyKind, PartyRole};
use recoup_domain::placement::PlacedParty;

/// `None` when any of the party's fields is refused (the faults are in `ck`).
pub(crate) fn build(ck: &mut Check<'_>, cells: &Cells<'_>, role: PartyRole, ctx: &ImportContext) -> Option<PlacedParty> {
    let before = ck.faults.len();
    let company_name = ck.text(cells, CompanyName);
    let last_name = ck.text(cells, LastName);
    let kind = if company_name.is_some() {
        PartyKind::Company
    } else {
        if last_name.is_none() {
            ck.field_fault(cells, LastName, "a person needs a last name (for a company, fill company_name)");
        }
        PartyKind::Person
    };
    let (fmt, today) = (ck.date_format(), ck.today);
    let date_of_birth = ck.parsed(cells, DateOfBirth, |t| parse::date_of_birth(t, fmt, today));
    let national_id = ck.parsed(cells, NationalId, parse::national_id);
    let party = Party {
        id: ck.ids.next(),
        tenant_id: ctx.tenant_id,
        kind,
        first_name: ck.text(cells, FirstName),
        last_name,
        company_name,
        date_of_birth,
        national_id_last4: national_id.as_ref().map(|n| n.last4().to_string()),
        national_id: national_id.as_ref().and_then(|n| n.full().cloned()),
        language: ck.parsed(cells, Language, parse::language),
    };
    let contact_points = contact_points(ck, cells, &party, ctx);
    if ck.faults.len() > before {
        return None;
    }
    Some(PlacedParty { role, party, contact_points })
}

fn contact_points(ck: &mut Check<'_>, cells: &Cells<'_>, party: &Party, ctx: &ImportContext) -> Vec<ContactPoint> {
    let new = |id, kind, value: String| ContactPoint {
        id,
        tenant_id: ctx.tenant_id,
        party_id: party.id,
        kind,
        value,
        extension: None,
        phone_type: None,
        address: None,
        time_zone: None,
        source: Source::Client,
        verification: Verification::Unverified,
        consent: Consent::default(),
        employer_provided: false,
    };
    let mut out = Vec::with_capacity(4);

    let country = match ck.value(cells, Country) {
        Some(_) => ck.parsed(cells, Country, parse::country),
        None => Some("US".to_string()),
    };
    let us = country.as_deref() == Some("US");
    let state = ck.value(cells, State).map(|s| if us { s.to_ascii_uppercase() } else { s.to_string() });
    if us
        && let Some(s) = &state
        && geo::us_state_zones(s).is_none()
    {
        ck.field_fault(cells, State, format!("{s:?} is not a US state or territory code"));
    }
    // Quiet hours are judged in the debtor's zone: an explicit zone wins; otherwise a state that
    // lies in one zone gives it; a split state (TX, FL, IN...) leaves it unknown on purpose.
    let time_zone = match ck.value(cells, TimeZone) {
        Some(_) => ck.parsed(cells, TimeZone, parse::time_zone),
        None if us => state.as_deref().and_then(geo::us_state_single_zone).map(str::to_string),
        None => None,
    };

    if let Some(address) = address(ck, cells, country.as_deref(), state.as_deref()) {
        out.push(ContactPoint {
            address: Some(address.clone()),
            time_zone: time_zone.clone(),
            ..new(ck.ids.next(), ContactKind::Address, address.one_line())
        });
    }
    for (field, phone_type) in [(PhoneHome, PhoneType::Home), (PhoneMobile, PhoneType::Mobile), (PhoneWork, PhoneType::Work)] {
        let Some(phone) = ck.parsed(cells, field, |t| normalize_phone(t).map_err(|e| e.to_string())) else {
            continue;
        };
        // The same number in two columns is one line to call, and one place to keep its consent.
        if out.iter().any(|c| c.kind == ContactKind::Phone && c.value == phone.e164 && c.extension == phone.extension) {
            continue;
        }
        out.push(ContactPoint {
            extension: phone.extension,
            phone_type: Some(phone_type),
            time_zone: time_zone.clone(),
            ..new(ck.ids.next(), ContactKind::Phone, phone.e164)
        });
    }
    if let Some(email) = ck.parsed(cells, Email, |t| normalize_email(t).map_err(|e| e.to_string())) {
        // Quiet hours apply to e-mail and texts as much as to calls (Reg F 1006.6(b)(1)).
        out.push(ContactPoint { time_zone: time_zone.clone(), ..new(ck.ids.next(), ContactKind::Email, email) });
    }
    out
}

fn address(ck: &mut Check<'_>, cells: &Cells<'_>, country: Option<&str>, state: Option<&str>) -> Option<PostalAddress> {
    let Some(line1) = ck.text(cells, AddressLine1) else {
        if let Some(f) = [AddressLine2, City, PostalCode].into_iter().find(|f| ck.value(cells, *f).is_some()) {
            ck.field_fault(cells, AddressLine1, format!("the address has a {} but no first line", f.name().replace('_', " ")));
        }
        return None;
    };
    let country = country?;
    let us = country == "US";
    let required = |ck: &mut Check<'_>, f: Field, what: &str| {
        let v = ck.text(cells, f);
        if v.is_none() {
            ck.field_fault(cells, f, format!("the address has no {what}"));
        }
        v
    };
    let city = required(ck, City, "city");
    let postal_code = required(ck, PostalCode, "postal code");
    if us && state.is_none() {
        ck.field_fault(cells, State, "a US address needs a state");
    }
    if us
        && let Some(zip) = &postal_code
        && !is_zip(zip)
    {
        ck.field_fault(cells, PostalCode, format!("{zip:?} is not a US ZIP code (5 digits, or ZIP+4 as 12345-6789)"));
    }
    Some(PostalAddress {
        line1,
        line2: ck.text(cells, AddressLine2),
        city: city?,
        region: state.unwrap_or_default().to_string(),
        postal_code: postal_code?,
        country: country.to_string(),
    })
}

fn is_zip(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => b[5] == b'-' && digits(&b[..5]) && digits(&b[6..]),
        _ => false,
    }
}
