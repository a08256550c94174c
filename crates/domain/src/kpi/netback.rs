//! Netback (COMPLIANCE.md): collected - agency commission - costs, what the client keeps of
//! what was recovered for it. Commission per payment is `remittance::commission` (contingency
//! rate x commissionable collections, half-even per payment); this sums a period.

use crate::remittance::Statement;

/// A client's netback for a period from its remittance statement and the costs it bore
/// (litigation, skip tracing), minor units.
pub fn netback(s: &Statement, costs_minor: i64) -> i64 {
    s.collected_by_agency + s.paid_direct - s.commission - costs_minor
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remittance::{Line, Route, statement};
    use rust_decimal::Decimal;

    #[test]
    fn netback_counts_direct_payments_and_takes_off_commission_and_costs() {
        let lines = [
            Line { amount: 10_000, route: Route::ToAgency, commissionable: true },
            Line { amount: 4_000, route: Route::DirectToClient, commissionable: true },
            Line { amount: 2_000, route: Route::ToAgency, commissionable: false },
        ];
        let s = statement(&lines, Decimal::new(25, 2));
        // Commission 25% of 14,000 = 3,500; costs 1,000: 16,000 - 3,500 - 1,000.
        assert_eq!(netback(&s, 1_000), 11_500);
    }
}
