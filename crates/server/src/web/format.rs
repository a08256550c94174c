//! How pages show money, days and instants.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub fn money(minor: i64, currency: &str) -> String {
    recoup_domain::money::format_money(minor, currency)
}

pub fn day(d: Date) -> String {
    d.strftime("%b %-d, %Y").to_string()
}

/// An instant in UTC to the minute: staff work across zones, and the contact policy's answers
/// name the debtor's local time themselves.
pub fn instant(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC).strftime("%b %-d, %Y %H:%M UTC").to_string()
}

/// The snake_case names records use, in words.
pub fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// A record's enum as its serialized name, in words ("right_party" -> "right party").
pub fn label(v: &impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => words(&s),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants_read_as_words() {
        assert_eq!(day(jiff::civil::date(2026, 3, 8)), "Mar 8, 2026");
        let t: Timestamp = "2026-11-24T09:05:00Z".parse().unwrap();
        assert_eq!(instant(t), "Nov 24, 2026 09:05 UTC");
        assert_eq!(money(123456, "USD"), "$1,234.56");
        assert_eq!(words("right_party"), "right party");
    }
}
