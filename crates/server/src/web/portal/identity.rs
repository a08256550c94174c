//! Is this the debtor? The portal's identity check and its lockout (COMPLIANCE.md 36: portal
//! identity checks are rate limited with lockout). Pure: the handler brings the party and the
//! failures.

use jiff::civil::Date;
use recoup_domain::contact::ContactKind;
use recoup_domain::placement::PlacedParty;

/// What the person typed: a date of birth and ZIP code, or the last four of their national id.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub date_of_birth: Option<Date>,
    pub zip: String,
    pub last4: String,
}

/// Wrong answers within [`WINDOW_MICROS`] that lock the account's portal door...
pub const MAX_WRONG: usize = 3;
pub const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;
/// ...until this long after the last one.
pub const LOCKOUT_MICROS: i64 = 15 * 60 * 1_000_000;

/// When the wrong answers so far (oldest first, within the window) keep the door shut at `now`,
/// the instant it opens again.
pub fn locked_until(wrong: &[i64], now: i64) -> Option<i64> {
    crate::api::throttle::locked_after(wrong, now, MAX_WRONG, LOCKOUT_MICROS)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether the answers fit the party: the date of birth with the ZIP code of an address on file
/// (first five digits), or the last four digits of the national id. An answer the file cannot
/// check (no date of birth on file) never passes.
pub fn matches(party: &PlacedParty, a: &Answers) -> bool {
    let p = &party.party;
    let last4 = digits(&a.last4);
    if last4.len() == 4 {
        let on_file = p.national_id_last4.clone().or_else(|| p.national_id.as_ref().map(|n| digits(n.expose())));
        if on_file.is_some_and(|n| n.ends_with(&last4) && n.len() >= 4) {
            return true;
        }
    }
    let zip = digits(&a.zip);
    let (Some(dob), true) = (a.date_of_birth, zip.len() >= 5) else { return false };
    let dob_ok = p.date_of_birth.as_ref().is_some_and(|d| *d.expose() == dob);
    let zip_ok = party
        .contact_points
        .iter()
        .filter(|c| c.kind == ContactKind::Address)
        .filter_map(|c| c.address.as_ref())
        .any(|addr| digits(&addr.postal_code).get(..5) == zip.get(..5));
    dob_ok && zip_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use recoup_domain::contact::PostalAddress;
    use recoup_domain::party::{Party, PartyRole, Secret};

    fn party() -> PlacedParty {
        let mut p: Party = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "tenant_id": uuid::Uuid::nil(), "kind": "person",
            "first_name": "Ana", "last_name": "Ruiz"
        }))
        .expect("a party");
        p.date_of_birth = Some(Secret::new(jiff::civil::date(1980, 2, 29)));
        p.national_id_last4 = Some("6789".into());
        let mut home: recoup_domain::contact::ContactPoint = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "tenant_id": uuid::Uuid::nil(), "party_id": uuid::Uuid::nil(),
            "kind": "address", "value": "1 Main St, Austin, TX 78701-1234, US", "extension": null, "phone_type": null,
            "address": null, "time_zone": null, "source": "client", "verification": "unverified",
            "consent": {"call": "unknown", "sms": "unknown", "email": "unknown", "letter": "unknown"}, "employer_provided": false
        }))
        .expect("an address");
        home.address = Some(PostalAddress {
            line1: "1 Main St".into(),
            line2: None,
            city: "Austin".into(),
            region: "TX".into(),
            postal_code: "78701-1234".into(),
            country: "US".into(),
        });
        PlacedParty { role: PartyRole::Primary, party: p, contact_points: vec![home] }
    }

    #[test]
    fn date_of_birth_with_zip_or_the_last_four() {
        let p = party();
        let dob = Some(jiff::civil::date(1980, 2, 29));
        assert!(matches(&p, &Answers { date_of_birth: dob, zip: "78701".into(), last4: String::new() }));
        assert!(matches(&p, &Answers { date_of_birth: dob, zip: " 78701-9999 ".into(), last4: String::new() }), "ZIP+4 compares on five");
        assert!(!matches(&p, &Answers { date_of_birth: dob, zip: "78702".into(), last4: String::new() }), "wrong ZIP");
        let other_day = Some(jiff::civil::date(1980, 3, 1));
        assert!(!matches(&p, &Answers { date_of_birth: other_day, zip: "78701".into(), last4: String::new() }), "wrong birthday");
        assert!(!matches(&p, &Answers { date_of_birth: dob, zip: String::new(), last4: String::new() }), "a birthday alone is not enough");
        assert!(matches(&p, &Answers { last4: "6789".into(), ..Answers::default() }));
        assert!(!matches(&p, &Answers { last4: "6788".into(), ..Answers::default() }));
        assert!(!matches(&p, &Answers { last4: "789".into(), ..Answers::default() }), "three digits are not four");
    }

    #[test]
    fn the_third_wrong_answer_locks_for_fifteen_minutes() {
        const MIN: i64 = 60_000_000;
        assert_eq!(locked_until(&[0, MIN], MIN + 1), None, "two wrong answers do not lock");
        let three = [0, MIN, 2 * MIN];
        assert_eq!(locked_until(&three, 2 * MIN + 1), Some(17 * MIN));
        assert_eq!(locked_until(&three, 17 * MIN - 1), Some(17 * MIN), "still shut a moment before");
        assert_eq!(locked_until(&three, 17 * MIN), None, "open when the lock ends");
    }
}
