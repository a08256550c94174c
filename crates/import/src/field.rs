//! The fields of the standard format. A mapping ties a client's columns to these; the row
//! builder reads values by field, never by column, so both formats share one set of rules.
//! [`FieldSet`] is what any kind of file's fields give the shared mapping and header code
//! (placements here, payments in `payments`).

use std::fmt;

/// The fields of one kind of file: what its mapping files name and its header is matched to.
pub trait FieldSet: Copy + Ord + fmt::Debug + fmt::Display + 'static {
    /// The field naming the account: every row needs its own, so no mapping may default it.
    const KEY: Self;

    /// Every field in the standard header's order; a field's `index` is its place here.
    fn all() -> &'static [Self];

    fn name(self) -> &'static str;

    fn index(self) -> usize;

    /// The required fields (or alternatives, "last_name or company_name") missing from a file
    /// or mapping that has the fields `has` says it has.
    fn missing(has: &dyn Fn(Self) -> bool) -> Vec<String>;

    /// Checks a mapping's constant value with the parser the field uses, so a bad default is a
    /// mapping error up front rather than the same reject on every row.
    fn check_default(self, text: &str, date_format: &str) -> Result<(), String>;

    /// Reads a standard column name the way headers are matched: case-insensitive, surrounding
    /// spaces ignored.
    fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::all().iter().copied().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    AccountRef,
    OriginalCreditor,
    CurrentCreditor,
    Product,
    Currency,
    OpenedOn,
    FirstDelinquencyOn,
    ChargedOffOn,
    ItemizationOn,
    ItemizationBasis,
    LastPaymentOn,
    LastPaymentAmount,
    Principal,
    Interest,
    Fees,
    Costs,
    Total,
    Flags,
    Language,
    FirstName,
    LastName,
    CompanyName,
    DateOfBirth,
    NationalId,
    AddressLine1,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    PhoneHome,
    PhoneMobile,
    PhoneWork,
    Email,
    TimeZone,
}

impl Field {
    pub const COUNT: usize = 35;

    /// In the order of the standard header, which is also the order the fingerprint and the
    /// synthetic generator use.
    pub const ALL: [Field; Field::COUNT] = [
        Field::AccountRef,
        Field::OriginalCreditor,
        Field::CurrentCreditor,
        Field::Product,
        Field::Currency,
        Field::OpenedOn,
        Field::FirstDelinquencyOn,
        Field::ChargedOffOn,
        Field::ItemizationOn,
        Field::ItemizationBasis,
        Field::LastPaymentOn,
        Field::LastPaymentAmount,
        Field::Principal,
        Field::Interest,
        Field::Fees,
        Field::Costs,
        Field::Total,
        Field::Flags,
        Field::Language,
        Field::FirstName,
        Field::LastName,
        Field::CompanyName,
        Field::DateOfBirth,
        Field::NationalId,
        Field::AddressLine1,
        Field::AddressLine2,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Country,
        Field::PhoneHome,
        Field::PhoneMobile,
        Field::PhoneWork,
        Field::Email,
        Field::TimeZone,
    ];

    /// The fields that describe a party rather than the account; a JSON Lines `parties` entry
    /// may carry these (plus `role`).
    pub const PARTY: [Field; 16] = [
        Field::Language,
        Field::FirstName,
        Field::LastName,
        Field::CompanyName,
        Field::DateOfBirth,
        Field::NationalId,
        Field::AddressLine1,
        Field::AddressLine2,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Country,
        Field::PhoneHome,
        Field::PhoneMobile,
        Field::PhoneWork,
        Field::Email,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::AccountRef => "account_ref",
            Field::OriginalCreditor => "original_creditor",
            Field::CurrentCreditor => "current_creditor",
            Field::Product => "product",
            Field::Currency => "currency",
            Field::OpenedOn => "opened_on",
            Field::FirstDelinquencyOn => "first_delinquency_on",
            Field::ChargedOffOn => "charged_off_on",
            Field::ItemizationOn => "itemization_on",
            Field::ItemizationBasis => "itemization_basis",
            Field::LastPaymentOn => "last_payment_on",
            Field::LastPaymentAmount => "last_payment_amount",
            Field::Principal => "principal",
            Field::Interest => "interest",
            Field::Fees => "fees",
            Field::Costs => "costs",
            Field::Total => "total",
            Field::Flags => "flags",
            Field::Language => "language",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::CompanyName => "company_name",
            Field::DateOfBirth => "date_of_birth",
            Field::NationalId => "national_id",
            Field::AddressLine1 => "address_line1",
            Field::AddressLine2 => "address_line2",
            Field::City => "city",
            Field::State => "state",
            Field::PostalCode => "postal_code",
            Field::Country => "country",
            Field::PhoneHome => "phone_home",
            Field::PhoneMobile => "phone_mobile",
            Field::PhoneWork => "phone_work",
            Field::Email => "email",
            Field::TimeZone => "time_zone",
        }
    }

    /// Reads a standard column name the way headers are matched: case-insensitive, surrounding
    /// spaces ignored.
    pub fn parse(name: &str) -> Option<Field> {
        let name = name.trim();
        Field::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl FieldSet for Field {
    const KEY: Field = Field::AccountRef;

    fn all() -> &'static [Field] {
        &Field::ALL
    }

    fn name(self) -> &'static str {
        Field::name(self)
    }

    fn index(self) -> usize {
        Field::index(self)
    }

    fn missing(has: &dyn Fn(Field) -> bool) -> Vec<String> {
        let mut missing: Vec<String> =
            [Field::AccountRef, Field::Principal].into_iter().filter(|&f| !has(f)).map(|f| f.to_string()).collect();
        if !has(Field::LastName) && !has(Field::CompanyName) {
            missing.push("last_name or company_name".to_string());
        }
        missing
    }

    fn check_default(self, text: &str, date_format: &str) -> Result<(), String> {
        crate::parse::check_default(self, text, date_format)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_and_names_round_trip() {
        for (i, f) in Field::ALL.into_iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(Field::parse(&format!("  {}  ", f.name().to_uppercase())), Some(f));
        }
        assert_eq!(Field::parse("acct"), None);
    }
}
