use crate::GatewayError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A card as the payer typed it. It only travels to [`crate::PaymentGateway::tokenize`]; it is
/// neither `Clone` nor `Serialize` so it does not end up copied into a store or a log by accident.
pub struct CardDetails {
    /// The primary account number, digits only.
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
    pub holder: Option<String>,
}

impl CardDetails {
    /// The last four characters of the number (all of them when it is shorter).
    pub fn last4(&self) -> String {
        let tail: Vec<char> = self.number.chars().rev().take(4).collect();
        tail.into_iter().rev().collect()
    }

    /// Whether the number is all digits and its Luhn check digit is right.
    pub fn luhn_ok(&self) -> bool {
        luhn_ok(&self.number)
    }

    /// Refuses what cannot be a card before anything is sent to a processor. Expiry in the past is
    /// left to the processor: it knows today's date in the card's terms, and we pass no clock here.
    pub fn validate(&self) -> Result<(), GatewayError> {
        let digits = self.number.len();
        if !(12..=19).contains(&digits) || !self.number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GatewayError::InvalidCard("the card number must be 12 to 19 digits".into()));
        }
        if !self.luhn_ok() {
            return Err(GatewayError::InvalidCard("the card number's check digit is wrong".into()));
        }
        if !(1..=12).contains(&self.exp_month) {
            return Err(GatewayError::InvalidCard("the expiry month must be 1 to 12".into()));
        }
        if !(3..=4).contains(&self.cvc.len()) || !self.cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GatewayError::InvalidCard("the CVC must be 3 or 4 digits".into()));
        }
        Ok(())
    }
}

impl fmt::Debug for CardDetails {
    // Debug output reaches logs and panic messages: only what a receipt may show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardDetails")
            .field("number", &format_args!("****{}", self.last4()))
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &format_args!("***"))
            .field("holder", &self.holder)
            .finish()
    }
}

/// What recoup keeps of a card: the processor's reusable token and what a payer needs to
/// recognise the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardToken {
    pub token: String,
    /// Lowercase brand as processors name it: "visa", "mastercard", "amex", "discover", "unknown".
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
}

/// The brand a card number's issuer prefix belongs to.
pub fn card_brand(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => "visa",
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
        (_, Some(34 | 37), _) => "amex",
        (_, Some(65), _) | (_, _, Some(6011)) => "discover",
        _ => "unknown",
    }
}

fn luhn_ok(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str) -> CardDetails {
        CardDetails { number: number.into(), exp_month: 12, exp_year: 2030, cvc: "123".into(), holder: Some("Ada Lovelace".into()) }
    }

    #[test]
    fn luhn_accepts_known_numbers_and_catches_one_wrong_digit() {
        for n in ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "79927398713"] {
            assert!(card(n).luhn_ok(), "{n}");
        }
        for n in ["4242424242424241", "79927398710", "", "4242 4242 4242 4242", "abcd"] {
            assert!(!card(n).luhn_ok(), "{n:?}");
        }
    }

    #[test]
    fn brands_follow_the_issuer_prefix() {
        let cases = [
            ("4242424242424242", "visa"),
            ("5105105105105100", "mastercard"),
            ("5555555555554444", "mastercard"),
            ("2223003122003222", "mastercard"),
            ("2720990000000007", "mastercard"),
            ("2721000000000000", "unknown"),
            ("378282246310005", "amex"),
            ("341111111111111", "amex"),
            ("6011111111111117", "discover"),
            ("6500000000000002", "discover"),
            ("5000000000000009", "unknown"),
            ("35", "unknown"),
            ("", "unknown"),
        ];
        for (n, brand) in cases {
            assert_eq!(card_brand(n), brand, "{n}");
        }
    }

    #[test]
    fn validation_checks_length_digits_month_and_cvc() {
        assert_eq!(card("4242424242424242").validate(), Ok(()));
        let bad = |c: CardDetails| matches!(c.validate(), Err(GatewayError::InvalidCard(_)));
        assert!(bad(card("4242424242424241")));
        assert!(bad(card("42424242")));
        assert!(bad(card("4242-4242-4242-4242")));
        assert!(bad(CardDetails { exp_month: 13, ..card("4242424242424242") }));
        assert!(bad(CardDetails { exp_month: 0, ..card("4242424242424242") }));
        assert!(bad(CardDetails { cvc: "12".into(), ..card("4242424242424242") }));
        assert!(bad(CardDetails { cvc: "12a".into(), ..card("4242424242424242") }));
    }

    #[test]
    fn debug_shows_only_the_last_four_digits() {
        let c = card("4000000000009995");
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("4000000000009995"), "{shown}");
        assert!(!shown.contains("123"), "{shown}");
        assert!(shown.contains("****9995"), "{shown}");
        assert_eq!(c.last4(), "9995");
        assert_eq!(card("12").last4(), "12");
    }
}
