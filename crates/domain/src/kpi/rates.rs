//! Rates over counts, each with its numerator and denominator kept so a report can say what it
//! divided: right-party contact (per attempt and per connect, labelled), contact, promise-kept,
//! dispute, complaint and blocked-contact rates.

use serde::Serialize;

/// `numerator / denominator`, `None` with nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub fn new(numerator: u64, denominator: u64) -> Ratio {
        Ratio { numerator, denominator }
    }

    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// "42.9%", or "-" with nothing to divide by.
    pub fn percent(self) -> String {
        super::percent(self.value())
    }
}

/// Call outcomes in a period, as the contact history holds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Outbound call attempts (every dial).
    pub attempts: u64,
    /// Attempts answered by a person (right party, third party, wrong number).
    pub connects: u64,
    /// Conversations with the debtor.
    pub right_party: u64,
}

/// Right-party contact rate = RPCs / call attempts (COMPLIANCE.md).
pub fn rpc_per_attempt(c: CallCounts) -> Ratio {
    Ratio::new(c.right_party, c.attempts)
}

/// Right-party contact rate over connects instead: RPCs / answered calls (labelled as such).
pub fn rpc_per_connect(c: CallCounts) -> Ratio {
    Ratio::new(c.right_party, c.connects)
}

/// Contact rate = connects / attempts.
pub fn contact_rate(c: CallCounts) -> Ratio {
    Ratio::new(c.connects, c.attempts)
}

/// Promise-kept rate = promises paid in full within grace / promises that fell due in the period
/// (COMPLIANCE.md): kept over kept plus broken; promises still pending are not yet due.
pub fn promise_kept(kept: u64, broken: u64) -> Ratio {
    Ratio::new(kept, kept + broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_is_given_over_both_denominators_and_nothing_divides_by_zero() {
        let c = CallCounts { attempts: 70, connects: 21, right_party: 14 };
        assert_eq!(rpc_per_attempt(c).percent(), "20.0%");
        assert_eq!(rpc_per_connect(c).percent(), "66.7%");
        assert_eq!(contact_rate(c).percent(), "30.0%");
        assert_eq!(rpc_per_attempt(CallCounts::default()).value(), None);
        assert_eq!(rpc_per_attempt(CallCounts::default()).percent(), "-");
    }

    #[test]
    fn promise_kept_counts_only_promises_that_fell_due() {
        assert_eq!(promise_kept(3, 1).value(), Some(0.75));
        assert_eq!(promise_kept(0, 0).value(), None);
    }
}
