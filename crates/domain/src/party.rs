//! Parties: the people and companies tied to an account, and in which role.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A value that must never appear in logs, errors or Debug output (a national id, a date of
/// birth). It has no `Serialize`, so only code that calls [`Secret::expose`] can show it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself: each call site is a place where the secret leaves its wrapper.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A national id as a client sends it, normalized: all nine digits, or only the last four.
#[derive(Clone, PartialEq, Eq)]
pub enum NationalId {
    Full(Secret<String>),
    Last4(String),
}

impl std::fmt::Debug for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NationalId::Full(_) => f.write_str("NationalId::Full(<redacted>)"),
            NationalId::Last4(l) => write!(f, "NationalId::Last4({l:?})"),
        }
    }
}

/// Why a national id was refused. It never repeats the value: the words end up in rejects files,
/// logs and problem documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalIdError {
    pub digits: usize,
    pub other: bool,
}

impl std::fmt::Display for NationalIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a national id has 9 digits (dashes and spaces allowed) or only the last 4; this one has {} digit(s)", self.digits)?;
        if self.other {
            f.write_str(" and other characters")?;
        }
        Ok(())
    }
}

impl std::error::Error for NationalIdError {}

impl NationalId {
    /// Reads "123-45-6789", "123 45 6789", "123456789" or "6789".
    pub fn parse(text: &str) -> Result<NationalId, NationalIdError> {
        let digits: String = text.trim().chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        let all_digits = digits.bytes().all(|b| b.is_ascii_digit());
        let n = digits.bytes().filter(u8::is_ascii_digit).count();
        match (all_digits, digits.len()) {
            (true, 9) => Ok(NationalId::Full(Secret(digits))),
            (true, 4) => Ok(NationalId::Last4(digits)),
            _ => Err(NationalIdError { digits: n, other: !all_digits }),
        }
    }

    pub fn last4(&self) -> &str {
        match self {
            NationalId::Full(d) => &d.0[5..],
            NationalId::Last4(l) => l,
        }
    }

    pub fn full(&self) -> Option<&Secret<String>> {
        match self {
            NationalId::Full(d) => Some(d),
            NationalId::Last4(_) => None,
        }
    }
}

/// "123-45-6789" from nine digits; anything else as it is.
pub fn format_national_id(digits: &str) -> String {
    if digits.len() == 9 && digits.is_ascii() {
        return format!("{}-{}-{}", &digits[..3], &digits[3..5], &digits[5..]);
    }
    digits.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Primary,
    CoObligor,
    Guarantor,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Primary => "primary",
            PartyRole::CoObligor => "co_obligor",
            PartyRole::Guarantor => "guarantor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PartyRole::Primary, PartyRole::CoObligor, PartyRole::Guarantor].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Person,
    Company,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PartyKind::Person, PartyKind::Company].into_iter().find(|r| r.as_str() == s)
    }
}

/// A party's identifying details. The national id and date of birth are [`Secret`]: their Debug
/// output is redacted and serde skips them, so neither reaches a log, an error or a response by
/// accident; a view that may show them says so explicitly (the API's masking policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: PartyKind,
    /// For a person, given and family names; for a company, its legal name in `company_name`.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    /// Kept encrypted at rest; shown only to roles that may see it.
    #[serde(skip)]
    pub date_of_birth: Option<Secret<Date>>,
    /// The full national id (US SSN), nine digits with no dashes, when the client sent all of it.
    /// Kept encrypted at rest, with a keyed hash for exact-match lookup.
    #[serde(skip)]
    pub national_id: Option<Secret<String>>,
    /// The last four digits, kept in plain text: enough to show which id is on file and to run
    /// the portal's identity check, useless to a thief.
    pub national_id_last4: Option<String>,
    /// BCP 47 language the party prefers ("en", "es").
    pub language: Option<String>,
}

impl Party {
    pub fn display_name(&self) -> String {
        match self.kind {
            PartyKind::Company => self.company_name.clone().unwrap_or_default(),
            PartyKind::Person => {
                [self.first_name.as_deref(), self.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_ids_are_normalized_and_never_echoed() {
        let full = NationalId::parse(" 987-65-4320 ").unwrap();
        assert_eq!(full.full().map(|s| s.expose().as_str()), Some("987654320"));
        assert_eq!(full.last4(), "4320");
        assert_eq!(NationalId::parse("987 65 4320").unwrap(), full);
        assert_eq!(NationalId::parse("4320").unwrap(), NationalId::Last4("4320".into()));
        let e = NationalId::parse("987-65-432").unwrap_err();
        assert_eq!(e, NationalIdError { digits: 8, other: false });
        assert!(!e.to_string().contains("987"), "{e}");
        assert!(NationalId::parse("98x-65-4320").unwrap_err().other);
        assert_eq!(format_national_id("987654320"), "987-65-4320");
    }

    #[test]
    fn debug_output_has_no_secret() {
        let party = Party {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            kind: PartyKind::Person,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            company_name: None,
            date_of_birth: Some(Secret::new(jiff::civil::date(1952, 8, 21))),
            national_id: Some(Secret::new("987654320".into())),
            national_id_last4: Some("4320".into()),
            language: None,
        };
        let shown = format!("{party:?} {party:#?} {:?}", NationalId::parse("987-65-4320").unwrap());
        for secret in ["987654320", "98765", "1952", "08-21"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("4320"), "the last four stay visible");
        let json = serde_json::to_string(&party).unwrap();
        assert!(!json.contains("987654320") && !json.contains("1952") && !json.contains("date_of_birth"), "{json}");
    }
}
