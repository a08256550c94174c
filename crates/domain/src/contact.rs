//! Contact points (phones, e-mail addresses, postal addresses) with their time zone, source,
//! verification and consent per channel; and the normalization that makes them comparable.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Phone,
    Email,
    Address,
}

impl ContactKind {
    /// The channels a point of this kind carries: a phone both calls and texts.
    pub fn channels(self) -> &'static [Channel] {
        match self {
            ContactKind::Phone => &[Channel::Call, Channel::Sms],
            ContactKind::Email => &[Channel::Email],
            ContactKind::Address => &[Channel::Letter],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
            ContactKind::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ContactKind::Phone, ContactKind::Email, ContactKind::Address].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhoneType {
    Mobile,
    Home,
    Work,
    Unknown,
}

impl PhoneType {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneType::Mobile => "mobile",
            PhoneType::Home => "home",
            PhoneType::Work => "work",
            PhoneType::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PhoneType::Mobile, PhoneType::Home, PhoneType::Work, PhoneType::Unknown].into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a contact point came from; TCPA consent depends on it (a number the consumer gave the
/// creditor counts as consent, a skip-traced one does not: 47 CFR 64.1200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Client,
    Debtor,
    SkipTrace,
    Agent,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Client => "client",
            Source::Debtor => "debtor",
            Source::SkipTrace => "skip_trace",
            Source::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Source::Client, Source::Debtor, Source::SkipTrace, Source::Agent].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Unverified,
    Verified,
    Invalid,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Verified => "verified",
            Verification::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Verification::Unverified, Verification::Verified, Verification::Invalid].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Call,
    Sms,
    Email,
    Letter,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Call, Channel::Sms, Channel::Email, Channel::Letter];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Letter => "letter",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Nothing recorded either way: the contact policy decides from the source and the law.
    #[default]
    Unknown,
    Granted,
    Revoked,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Unknown => "unknown",
            ConsentState::Granted => "granted",
            ConsentState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ConsentState::Unknown, ConsentState::Granted, ConsentState::Revoked].into_iter().find(|k| k.as_str() == s)
    }
}

/// Consent per channel for one contact point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub call: ConsentState,
    pub sms: ConsentState,
    pub email: ConsentState,
    pub letter: ConsentState,
}

impl Consent {
    pub fn get(&self, ch: Channel) -> ConsentState {
        match ch {
            Channel::Call => self.call,
            Channel::Sms => self.sms,
            Channel::Email => self.email,
            Channel::Letter => self.letter,
        }
    }

    pub fn set(&mut self, ch: Channel, state: ConsentState) {
        match ch {
            Channel::Call => self.call = state,
            Channel::Sms => self.sms = state,
            Channel::Email => self.email = state,
            Channel::Letter => self.letter = state,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostalAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// State, province or county code ("TX").
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl PostalAddress {
    pub fn one_line(&self) -> String {
        let mut s = self.line1.clone();
        if let Some(l2) = &self.line2 {
            s.push_str(", ");
            s.push_str(l2);
        }
        format!("{s}, {}, {} {}, {}", self.city, self.region, self.postal_code, self.country)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactPoint {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub party_id: Uuid,
    pub kind: ContactKind,
    /// E.164 for a phone, lower-cased domain for an e-mail, the one-line form for an address.
    pub value: String,
    pub extension: Option<String>,
    pub phone_type: Option<PhoneType>,
    pub address: Option<PostalAddress>,
    /// IANA zone name, when known. Unknown means the contact policy must consider every zone the
    /// address or area code could be in.
    pub time_zone: Option<String>,
    pub source: Source,
    pub verification: Verification,
    pub consent: Consent,
    /// An employer-provided e-mail may never be used (Reg F 1006.22(f)(3)).
    pub employer_provided: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("phone {0:?} has too few digits")]
    PhoneTooShort(String),
    #[error("phone {0:?} has too many digits")]
    PhoneTooLong(String),
    #[error("phone {0:?} is not a valid North American number (area code and exchange cannot start with 0 or 1)")]
    PhoneNotNanp(String),
    #[error("phone {0:?} contains characters that are not part of a phone number")]
    PhoneBadChars(String),
    #[error("e-mail {0:?} is malformed")]
    EmailMalformed(String),
    #[error("time zone {0:?} is not an IANA zone name")]
    UnknownTimeZone(String),
}

/// A phone number in E.164, with any extension split off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: String,
    pub extension: Option<String>,
}

/// Normalizes a phone to E.164. Numbers without a country code are read as North American
/// (NANP), which is what US client files hold. Extensions ("x123", "ext. 45") are kept apart.
pub fn normalize_phone(raw: &str) -> Result<Phone, ContactError> {
    let text = raw.trim();
    let lower = text.to_ascii_lowercase();
    let (number, extension) = match ["ext.", "ext", "x", "#"].iter().find_map(|m| lower.find(m).map(|i| (i, m.len()))) {
        Some((i, len)) => {
            let ext: String = lower[i + len..].chars().filter(|c| !c.is_whitespace()).collect();
            if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ContactError::PhoneBadChars(raw.to_string()));
            }
            (&text[..i], Some(ext))
        }
        None => (text, None),
    };
    let international = number.trim_start().starts_with('+');
    let mut digits = String::with_capacity(16);
    for c in number.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            '+' if digits.is_empty() => {}
            _ => return Err(ContactError::PhoneBadChars(raw.to_string())),
        }
    }
    if international {
        // E.164: country code plus subscriber number, at most 15 digits.
        return match digits.len() {
            0..=7 => Err(ContactError::PhoneTooShort(raw.to_string())),
            8..=15 if digits.starts_with('1') => nanp(&digits[1..], raw).map(|e164| Phone { e164, extension }),
            8..=15 => Ok(Phone { e164: format!("+{digits}"), extension }),
            _ => Err(ContactError::PhoneTooLong(raw.to_string())),
        };
    }
    let national = match digits.len() {
        0..=9 => return Err(ContactError::PhoneTooShort(raw.to_string())),
        10 => &digits[..],
        11 if digits.starts_with('1') => &digits[1..],
        _ => return Err(ContactError::PhoneTooLong(raw.to_string())),
    };
    nanp(national, raw).map(|e164| Phone { e164, extension })
}

fn nanp(national: &str, raw: &str) -> Result<String, ContactError> {
    match national.len() {
        0..=9 => return Err(ContactError::PhoneTooShort(raw.to_string())),
        10 => {}
        _ => return Err(ContactError::PhoneTooLong(raw.to_string())),
    }
    let b = national.as_bytes();
    if b[0] < b'2' || b[3] < b'2' {
        return Err(ContactError::PhoneNotNanp(raw.to_string()));
    }
    Ok(format!("+1{national}"))
}

/// Checks an e-mail address's shape and lower-cases its domain (the local part is case-sensitive
/// in principle, so it is kept as given). Deliverability is the SMTP channel's business.
pub fn normalize_email(raw: &str) -> Result<String, ContactError> {
    let bad = || ContactError::EmailMalformed(raw.to_string());
    let s = raw.trim();
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if !local_ok || !domain_ok {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// Checks that a name is an IANA time zone known to the bundled database.
pub fn check_time_zone(name: &str) -> Result<String, ContactError> {
    let name = name.trim();
    jiff::tz::TimeZone::get(name).map(|_| name.to_string()).map_err(|_| ContactError::UnknownTimeZone(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> String {
        normalize_phone(s).unwrap().e164
    }

    #[test]
    fn phones_in_every_style_become_e164() {
        assert_eq!(e164("(512) 555-7955"), "+15125557955");
        assert_eq!(e164("415.555.9497"), "+14155559497");
        assert_eq!(e164("1-808-555-5389"), "+18085555389");
        assert_eq!(e164("+1 617 555 8012"), "+16175558012");
        assert_eq!(e164("+44 20 7946 0958"), "+442079460958");
        let p = normalize_phone("(312) 555-0147 x204").unwrap();
        assert_eq!((p.e164.as_str(), p.extension.as_deref()), ("+13125550147", Some("204")));
        assert_eq!(normalize_phone("312-555-0147 ext. 9").unwrap().extension.as_deref(), Some("9"));
    }

    #[test]
    fn bad_phones_say_why() {
        assert!(matches!(normalize_phone("555-7955"), Err(ContactError::PhoneTooShort(_))));
        assert!(matches!(normalize_phone("(512) 555-79551"), Err(ContactError::PhoneTooLong(_))));
        assert!(matches!(normalize_phone("(012) 555-7955"), Err(ContactError::PhoneNotNanp(_))));
        assert!(matches!(normalize_phone("(512) 155-7955"), Err(ContactError::PhoneNotNanp(_))));
        assert!(matches!(normalize_phone("call me"), Err(ContactError::PhoneBadChars(_))));
        assert!(matches!(normalize_phone("512 555 7955 x"), Err(ContactError::PhoneBadChars(_))));
    }

    #[test]
    fn emails_are_checked_and_domains_lowercased() {
        assert_eq!(normalize_email(" Wei.Hernandez@Example.COM ").unwrap(), "Wei.Hernandez@example.com");
        assert_eq!(normalize_email("a+b@mail.example.co.uk").unwrap(), "a+b@mail.example.co.uk");
        for bad in ["", "no-at-sign", "a@b", "a@@b.com", "a b@c.com", ".a@b.com", "a..b@c.com", "a@-b.com", "a@b.c0m", "a@b..com"] {
            assert!(normalize_email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert_eq!(check_time_zone("America/Chicago").unwrap(), "America/Chicago");
        assert!(check_time_zone("America/Springfield").is_err());
        assert!(check_time_zone("CST6CDT7").is_err());
    }
}
