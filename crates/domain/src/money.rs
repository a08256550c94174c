//! Money in integer minor units with an ISO 4217 currency. There is no float anywhere on this path:
//! amounts are parsed from text digit by digit and added with checked arithmetic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency: its alphabetic code and the number of digits after the decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Active ISO 4217 codes with their minor-unit exponents (ISO 4217 list one, 2024 edition).
/// Funds codes and precious metals are left out on purpose: nobody owes a debt in XAU.
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency {0:?} (expected an ISO 4217 code such as USD)")]
    UnknownCurrency(String),
    #[error("{0:?} is not an amount")]
    NotAnAmount(String),
    #[error("{0:?} has more decimals than {1} allows")]
    TooPrecise(String, Currency),
    #[error("amount {0:?} is too large")]
    Overflow(String),
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl Currency {
    pub const USD: Currency = Currency { code: *b"USD", exponent: 2 };

    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        // Compared in place rather than upper-cased into a new string: every account read parses its currency.
        let wanted = code.trim();
        ISO_4217
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(wanted))
            .map(|(c, e)| Currency { code: c.as_bytes().try_into().expect("3 letters"), exponent: *e })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).expect("ASCII code")
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Parses a human amount in this currency into minor units. Accepts what client files contain:
    /// a leading currency sign, thousands separators, a leading minus or accounting parentheses.
    /// Refuses more decimals than the currency has rather than rounding: a file that says
    /// 10.005 dollars is wrong, and guessing would move money.
    pub fn parse_minor(&self, text: &str) -> Result<i64, MoneyError> {
        let bad = || MoneyError::NotAnAmount(text.to_string());
        let mut s = text.trim();
        let mut negative = false;
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            s = inner.trim();
        }
        if let Some(rest) = s.strip_prefix('-') {
            negative = !negative;
            s = rest.trim_start();
        }
        let s = s.trim_start_matches(['$', '£', '€', '¥']).trim();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        // Before the precision check, so "12.3.4" is called what it is, not too precise.
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > self.exponent as usize && frac.trim_end_matches('0').len() > self.exponent as usize {
            return Err(MoneyError::TooPrecise(text.to_string(), *self));
        }
        let mut minor: i64 = 0;
        let overflow = || MoneyError::Overflow(text.to_string());
        for (i, part) in whole.split(',').enumerate() {
            // Thousands groups after the first must be exactly three digits: "1,2345" is a typo.
            if i > 0 && part.len() != 3 {
                return Err(bad());
            }
            for b in part.bytes() {
                if !b.is_ascii_digit() {
                    return Err(bad());
                }
                minor = minor.checked_mul(10).and_then(|m| m.checked_add(i64::from(b - b'0'))).ok_or_else(overflow)?;
            }
        }
        let frac_digits = frac.as_bytes();
        for i in 0..self.exponent as usize {
            let d = frac_digits.get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor.checked_mul(10).and_then(|m| m.checked_add(d)).ok_or_else(overflow)?;
        }
        Ok(if negative { -minor } else { minor })
    }

    /// Formats minor units as a plain decimal string ("2410.50", "-3.07", "1200" for JPY).
    pub fn format_minor(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        if self.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(u32::from(self.exponent));
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = self.exponent as usize)
    }
}

/// Formats minor units for a reader: thousands grouped, the sign before the symbol ("$1,234.56",
/// "-$5.00", "€12.00"), and the ISO code where no symbol is unambiguous ("CAD 12.00"). An unknown
/// code is shown as given with two decimals rather than failing a letter. Integer arithmetic only.
pub fn format_money(minor: i64, currency: &str) -> String {
    let code = currency.trim().to_ascii_uppercase();
    let exponent = Currency::from_code(&code).map_or(2, |c| c.exponent());
    let sign = if minor < 0 { "-" } else { "" };
    let amount = grouped(minor.unsigned_abs(), exponent);
    match symbol(&code) {
        Some(symbol) => format!("{sign}{symbol}{amount}"),
        None => format!("{sign}{code} {amount}"),
    }
}

/// Only currencies whose symbol nobody else uses alone; "$" means US dollars on a US letter.
fn symbol(code: &str) -> Option<&'static str> {
    match code {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        _ => None,
    }
}

fn grouped(abs: u64, exponent: u8) -> String {
    let scale = 10u64.pow(u32::from(exponent));
    let whole = (abs / scale).to_string();
    // The first group takes the digits left over by the threes after it.
    let head = match whole.len() % 3 {
        0 => 3.min(whole.len()),
        n => n,
    };
    let mut out = whole[..head].to_string();
    for group in whole.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).expect("ASCII digits"));
    }
    if exponent > 0 {
        out.push_str(&format!(".{:0width$}", abs % scale, width = usize::from(exponent)));
    }
    out
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::from_code(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

/// An amount of one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let minor = self.minor.checked_add(other.minor).ok_or_else(|| MoneyError::Overflow(format!("{self} + {other}")))?;
        Ok(Money { minor, currency: self.currency })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.format_minor(self.minor), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Result<i64, MoneyError> {
        Currency::USD.parse_minor(s)
    }

    #[test]
    fn format_money_groups_thousands_and_puts_the_sign_first() {
        assert_eq!(format_money(123_456, "USD"), "$1,234.56");
        assert_eq!(format_money(-500, "usd"), "-$5.00");
        assert_eq!(format_money(0, "USD"), "$0.00");
        assert_eq!(format_money(7, "USD"), "$0.07");
        assert_eq!(format_money(100_000_000, "USD"), "$1,000,000.00");
        assert_eq!(format_money(1_200, "EUR"), "€12.00");
        assert_eq!(format_money(1_200, "CAD"), "CAD 12.00");
        assert_eq!(format_money(1_234_567, "JPY"), "JPY 1,234,567");
        assert_eq!(format_money(1_234, "KWD"), "KWD 1.234");
        assert_eq!(format_money(i64::MIN, "USD"), "-$92,233,720,368,547,758.08");
        assert_eq!(format_money(150, "XYZ"), "XYZ 1.50", "an unknown code still prints");
    }

    #[test]
    fn parses_what_client_files_contain() {
        assert_eq!(usd("$2,410.50"), Ok(241050));
        assert_eq!(usd("2,062.42"), Ok(206242));
        assert_eq!(usd("70"), Ok(7000));
        assert_eq!(usd("70.5"), Ok(7050));
        assert_eq!(usd(".07"), Ok(7));
        assert_eq!(usd("-12.30"), Ok(-1230));
        assert_eq!(usd("(12.30)"), Ok(-1230));
        assert_eq!(usd("1,000,000.00"), Ok(100_000_000));
        assert_eq!(usd("12.300"), Ok(1230), "trailing zeros past the exponent lose nothing");
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in ["", "$", "abc", "12.3.4", "1,23.00", "12,3456", "1 000", "N/A", "12.x"] {
            assert!(usd(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(usd("10.005"), Err(MoneyError::TooPrecise(..))));
        assert!(matches!(usd("12.3.4"), Err(MoneyError::NotAnAmount(..))), "a second point is a typo, not precision");
        assert!(matches!(usd("99999999999999999999"), Err(MoneyError::Overflow(_))));
    }

    #[test]
    fn exponents_follow_iso_4217() {
        let jpy = Currency::from_code("jpy").unwrap();
        assert_eq!(jpy.parse_minor("1,200"), Ok(1200));
        assert!(jpy.parse_minor("1.5").is_err());
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(kwd.parse_minor("1.005"), Ok(1005));
        assert_eq!(kwd.format_minor(-1005), "-1.005");
        assert_eq!(Currency::USD.format_minor(7), "0.07");
        assert_eq!(Currency::USD.format_minor(123_450), "1234.50", "as a person types it: no grouping, no symbol");
        assert_eq!(jpy.format_minor(700), "700");
        assert!(matches!(Currency::from_code("XYZ"), Err(MoneyError::UnknownCurrency(_))));
    }

    #[test]
    fn money_refuses_to_mix_currencies() {
        let eur = Currency::from_code("EUR").unwrap();
        assert!(Money::new(1, Currency::USD).checked_add(Money::new(1, eur)).is_err());
        assert_eq!(Money::new(1, Currency::USD).checked_add(Money::new(2, Currency::USD)).unwrap().minor, 3);
    }
}
