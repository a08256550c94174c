//! Reading one value of one field. Each parser says in words why a value is refused, because the
//! words go into the rejects file that a person at the client reads and fixes.

use crate::field::Field;
use crate::mapping::ISO_DATE;
use jiff::civil::Date;
use recoup_domain::account::{Flag, Flags, ItemizationBasis};
use recoup_domain::money::Currency;
use recoup_domain::party::{NationalId, PartyRole, Secret};

pub(crate) fn date(text: &str, fmt: &str) -> Result<Date, String> {
    if fmt == ISO_DATE
        && let Some(d) = iso_date(text)
    {
        return d;
    }
    Date::strptime(fmt, text).map_err(|e| {
        let e = e.to_string();
        // jiff explains an impossible day ("02/30") in a way worth passing on; for text that is
        // not shaped like a date at all, the expected shape says more than the parser's state.
        if e.contains("day") && e.contains("range") {
            format!("{text:?} is not a real date ({e})")
        } else {
            format!("{text:?} is not a date in the form {}", human_format(fmt))
        }
    })
}

/// The standard format's dates, read without the general parser: a million-row file has
/// several million of them.
fn iso_date(text: &str) -> Option<Result<Date, String>> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i16> {
        b[r].iter().try_fold(0i16, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i16::from(c - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Some(Date::new(y, m as i8, d as i8).map_err(|e| format!("{text:?} is not a real date ({e})")))
}

/// "%m/%d/%Y" as a person writes it: "MM/DD/YYYY".
pub(crate) fn human_format(fmt: &str) -> String {
    fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%y", "YY").replace("%e", "D").replace("%b", "Mon")
}

/// A non-negative amount in minor units of `currency`.
pub(crate) fn amount(text: &str, currency: Currency) -> Result<i64, String> {
    let minor = currency.parse_minor(text).map_err(|e| e.to_string())?;
    if minor < 0 {
        return Err(format!("{:?} is negative; amounts owed are 0 or more", text.trim()));
    }
    Ok(minor)
}

pub(crate) fn currency(text: &str) -> Result<Currency, String> {
    Currency::from_code(text).map_err(|e| e.to_string())
}

pub(crate) fn basis(text: &str) -> Result<ItemizationBasis, String> {
    let word = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    ItemizationBasis::parse(&word).ok_or_else(|| {
        format!("{text:?} is not an itemization basis (expected last_statement, charge_off, last_payment, transaction or judgment)")
    })
}

pub(crate) fn flags(text: &str) -> Result<Flags, String> {
    Flags::parse(text).map_err(|word| {
        let known: Vec<&str> = Flag::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown flag {word:?} (expected any of {})", known.join(", "))
    })
}

/// All nine digits (kept encrypted) or only the last four. The whole value is checked, so a
/// phone number pasted into the wrong column is caught; the reason never repeats the value.
pub(crate) fn national_id(text: &str) -> Result<NationalId, String> {
    NationalId::parse(text).map_err(|e| e.to_string())
}

/// A date of birth: the reason names the expected form but never repeats the value.
pub(crate) fn date_of_birth(text: &str, fmt: &str, today: Date) -> Result<Secret<Date>, String> {
    let d = date(text, fmt).map_err(|_| format!("the date of birth is not a real date in the form {}", human_format(fmt)))?;
    if d > today {
        return Err("the date of birth is in the future".to_string());
    }
    Ok(Secret::new(d))
}

/// A BCP 47 tag in its common shape ("en", "es-MX"); the primary language is lower-cased.
pub(crate) fn language(text: &str) -> Result<String, String> {
    let t = text.trim().replace('_', "-");
    let mut parts = t.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !ok {
        return Err(format!("{text:?} is not a language tag (expected e.g. en or es-MX)"));
    }
    Ok(match t.split_once('-') {
        Some((p, rest)) => format!("{}-{rest}", p.to_ascii_lowercase()),
        None => t.to_ascii_lowercase(),
    })
}

pub(crate) fn country(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("USA") {
        return Ok("US".to_string());
    }
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(t.to_ascii_uppercase());
    }
    Err(format!("{text:?} is not a two-letter ISO 3166 country code (e.g. US)"))
}

pub(crate) fn time_zone(text: &str) -> Result<String, String> {
    recoup_domain::contact::check_time_zone(text).map_err(|e| e.to_string())
}

pub(crate) fn role(text: &str) -> Result<PartyRole, String> {
    let word = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    PartyRole::parse(&word).ok_or_else(|| format!("{text:?} is not a party role (expected co_obligor or guarantor)"))
}

/// Checks a mapping's constant value with the parser its field uses, so a bad default is a
/// mapping error up front rather than the same reject on every row.
pub(crate) fn check_default(field: Field, text: &str, date_format: &str) -> Result<(), String> {
    use Field::*;
    match field {
        Currency => currency(text).map(drop),
        ItemizationBasis => basis(text).map(drop),
        Flags => flags(text).map(drop),
        Language => language(text).map(drop),
        Country => country(text).map(drop),
        TimeZone => time_zone(text).map(drop),
        NationalId => national_id(text).map(drop),
        OpenedOn | FirstDelinquencyOn | ChargedOffOn | ItemizationOn | LastPaymentOn | DateOfBirth => date(text, date_format).map(drop),
        // Three decimals is the most any currency has; the row's own currency decides for real.
        LastPaymentAmount | Principal | Interest | Fees | Costs | Total => amount(text, crate::parse::currency("KWD")?).map(drop),
        PhoneHome | PhoneMobile | PhoneWork => recoup_domain::contact::normalize_phone(text).map(drop).map_err(|e| e.to_string()),
        Email => recoup_domain::contact::normalize_email(text).map(drop).map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert_eq!(date("2024-02-29", ISO_DATE), Ok(jiff::civil::date(2024, 2, 29)));
        assert!(date("2023-02-29", ISO_DATE).unwrap_err().contains("not a real date"));
        assert_eq!(date("02/28/2023", "%m/%d/%Y"), Ok(jiff::civil::date(2023, 2, 28)));
        assert!(date("02/30/2023", "%m/%d/%Y").unwrap_err().contains("not a real date"));
        assert!(date("2023-02-28", "%m/%d/%Y").unwrap_err().contains("MM/DD/YYYY"));
        assert!(date("2023-02-28x", ISO_DATE).is_err());
        assert!(date("soon", ISO_DATE).is_err());
    }

    #[test]
    fn small_values_are_normalized() {
        assert_eq!(national_id("987-65-4322").unwrap().last4(), "4322");
        assert_eq!(national_id("987-65-4322").unwrap().full().map(|s| s.expose().clone()), Some("987654322".to_string()));
        assert_eq!(national_id("4322").unwrap(), NationalId::Last4("4322".into()));
        assert!(!national_id("987-65-432").unwrap_err().contains("987"));
        assert!(national_id("98x-65-4322").is_err());
        let today = jiff::civil::date(2026, 11, 2);
        assert_eq!(date_of_birth("1952-08-21", ISO_DATE, today).unwrap().expose(), &jiff::civil::date(1952, 8, 21));
        for bad in ["2027-01-01", "1952-02-30"] {
            let e = date_of_birth(bad, ISO_DATE, today).unwrap_err();
            assert!(!e.contains(&bad[..4]), "{e}");
        }
        assert_eq!(language("ES_mx").unwrap(), "es-mx");
        assert!(language("english!").is_err());
        assert_eq!(country("usa").unwrap(), "US");
        assert!(country("U.S.").is_err());
        assert_eq!(basis("Charge-Off").unwrap(), ItemizationBasis::ChargeOff);
        assert_eq!(role("co-obligor").unwrap(), PartyRole::CoObligor);
        assert!(flags("disputed,sleepy").unwrap_err().contains("sleepy"));
        assert!(amount("-1.00", Currency::USD).unwrap_err().contains("negative"));
        assert_eq!(amount("$2,410.50", Currency::USD), Ok(241050));
    }
}
