//! Disputes and the validation period they are judged against. A dispute received inside the
//! period stops collection of the debt until verification is sent (Reg F 1006.38); one received
//! later is still worked, but without that guarantee. The period's arithmetic follows Reg F
//! 1006.34(b)(5) with US federal holidays computed, not listed.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NotMine,
    WrongAmount,
    AlreadyPaid,
    IdentityTheft,
    Bankruptcy,
    TimeBarred,
    RequestOriginalCreditor,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// Collection of the disputed debt is on hold.
    Open,
    /// Verification was sent; collection may resume.
    VerificationSent,
    /// The debtor was right: the debt is adjusted or closed.
    Upheld,
    /// Withdrawn by the debtor.
    Withdrawn,
}

impl DisputeStatus {
    /// The moves a dispute may make; every other is refused.
    pub fn may_become(self, next: DisputeStatus) -> bool {
        use DisputeStatus::*;
        matches!((self, next), (Open, VerificationSent | Upheld | Withdrawn) | (VerificationSent, Upheld))
    }

    /// Whether collection of the disputed debt is held.
    pub fn holds(self) -> bool {
        self == DisputeStatus::Open
    }
}

/// The `n`-th `weekday` of a month (n from 1), or the last one when `n` is 0.
fn nth_weekday(year: i16, month: i8, weekday: Weekday, n: i8) -> Date {
    if n == 0 {
        let last = jiff::civil::date(year, month, 1).last_of_month();
        return last.nth_weekday(-1, weekday).unwrap_or(last);
    }
    jiff::civil::date(year, month, 1).nth_weekday_of_month(n, weekday).unwrap_or(jiff::civil::date(year, month, 1))
}

/// A fixed-date holiday moves to Friday when it falls on Saturday and to Monday on Sunday (5 USC
/// 6103(b)).
fn observed(d: Date) -> Date {
    match d.weekday() {
        Weekday::Saturday => d.yesterday().unwrap_or(d),
        Weekday::Sunday => d.tomorrow().unwrap_or(d),
        _ => d,
    }
}

/// The legal public holidays of 5 USC 6103(a), as observed.
pub fn federal_holidays(year: i16) -> Vec<Date> {
    let d = jiff::civil::date;
    vec![
        observed(d(year, 1, 1)),
        nth_weekday(year, 1, Weekday::Monday, 3),
        nth_weekday(year, 2, Weekday::Monday, 3),
        nth_weekday(year, 5, Weekday::Monday, 0),
        observed(d(year, 6, 19)),
        observed(d(year, 7, 4)),
        nth_weekday(year, 9, Weekday::Monday, 1),
        nth_weekday(year, 10, Weekday::Monday, 2),
        observed(d(year, 11, 11)),
        nth_weekday(year, 11, Weekday::Thursday, 4),
        observed(d(year, 12, 25)),
    ]
}

fn is_business_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !federal_holidays(d.year()).contains(&d)
        // New Year's Day of next year can be observed on Dec 31 of this one.
        && !federal_holidays(d.year() + 1).contains(&d)
}

/// When a notice sent on `sent_on` may be assumed received: five days later, not counting
/// Saturdays, Sundays and federal holidays (Reg F 1006.34(b)(5)).
pub fn assumed_receipt(sent_on: Date) -> Date {
    let mut d = sent_on;
    let mut counted = 0;
    while counted < 5 {
        d = d.tomorrow().unwrap_or(d);
        if is_business_day(d) {
            counted += 1;
        }
    }
    d
}

/// The last day of the validation period: 30 days after receipt (Reg F 1006.34(b)(5)).
pub fn validation_period_end(sent_on: Date) -> Date {
    let receipt = assumed_receipt(sent_on);
    receipt.checked_add(30.days()).unwrap_or(receipt)
}

/// Whether a dispute received on `received_on` came inside the period of a notice sent on
/// `sent_on` (the last day included).
pub fn within_validation_period(sent_on: Date, received_on: Date) -> bool {
    received_on <= validation_period_end(sent_on)
}

/// Days a dispute has been open, for the aging list and its SLA.
pub fn age_days(opened_on: Date, today: Date) -> i32 {
    (today - opened_on).get_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_compliance_example() {
        // COMPLIANCE 14: sent Mon 2 Jun 2025 -> assumed receipt Mon 9 Jun -> period ends Wed 9 Jul.
        assert_eq!(assumed_receipt(date(2025, 6, 2)), date(2025, 6, 9));
        assert_eq!(validation_period_end(date(2025, 6, 2)), date(2025, 7, 9));
        assert!(within_validation_period(date(2025, 6, 2), date(2025, 7, 9)));
        assert!(!within_validation_period(date(2025, 6, 2), date(2025, 7, 10)));
    }

    #[test]
    fn holidays_and_weekends_are_skipped() {
        // Thanksgiving 2026 is Thu 26 Nov: sent Mon 23 -> Tue 24, Wed 25, (Thu off), Fri 27, Mon 30, Tue 1 Dec.
        assert_eq!(assumed_receipt(date(2026, 11, 23)), date(2026, 12, 1));
        // Juneteenth 2027 falls on a Saturday and is observed Friday 18 June.
        assert!(federal_holidays(2027).contains(&date(2027, 6, 18)));
        // New Year's Day 2028 is a Saturday: observed Friday 31 Dec 2027, a non-business day.
        assert!(!is_business_day(date(2027, 12, 31)));
        let h = federal_holidays(2026);
        for expected in [date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 26)]
        {
            assert!(h.contains(&expected), "{expected}");
        }
        assert!(h.contains(&date(2026, 7, 3)), "July 4 2026 is a Saturday, observed Friday 3");
    }

    #[test]
    fn dispute_moves() {
        use DisputeStatus::*;
        assert!(Open.may_become(VerificationSent) && Open.may_become(Upheld) && Open.may_become(Withdrawn));
        assert!(VerificationSent.may_become(Upheld));
        assert!(!VerificationSent.may_become(Open) && !Upheld.may_become(Open) && !Withdrawn.may_become(VerificationSent));
        assert!(Open.holds() && !VerificationSent.holds());
        assert_eq!(age_days(date(2026, 11, 1), date(2026, 11, 23)), 22);
    }
}
