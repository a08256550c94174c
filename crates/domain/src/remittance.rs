//! Agency remittance: the commission earned on each payment and what is owed to the client for a
//! period. Commission = contingency rate x commissionable collections (COMPLIANCE, netback),
//! rounded half-even per payment so a statement is the sum of its lines to the cent. A reversal
//! takes back exactly the commission its payment earned.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How a collected amount reached the creditor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Paid to the agency, which remits it.
    ToAgency,
    /// Paid to the client directly and reported; the agency invoices its commission.
    DirectToClient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Minor units; negative for a reversal.
    pub amount: i64,
    pub route: Route,
    /// Whether the contract makes it commissionable (direct payments usually are).
    pub commissionable: bool,
}

/// Commission on one line, rounded half-even; a reversal's is the exact negative of its payment's.
pub fn commission(line: &Line, rate: Decimal) -> i64 {
    if !line.commissionable {
        return 0;
    }
    let c = (Decimal::from(line.amount.abs()) * rate).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    c.to_i64().unwrap_or(0) * line.amount.signum()
}

/// A client's statement for a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Statement {
    /// Collected by the agency, reversals netted.
    pub collected_by_agency: i64,
    /// Reported as paid to the client directly.
    pub paid_direct: i64,
    pub commission: i64,
    /// What the agency owes the client (negative: the client owes the agency, when direct
    /// payments' commission exceeds what the agency holds).
    pub net_due_to_client: i64,
}

pub fn statement(lines: &[Line], rate: Decimal) -> Statement {
    let mut s = Statement::default();
    for l in lines {
        match l.route {
            Route::ToAgency => s.collected_by_agency += l.amount,
            Route::DirectToClient => s.paid_direct += l.amount,
        }
        s.commission += commission(l, rate);
    }
    s.net_due_to_client = s.collected_by_agency - s.commission;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(amount: i64, route: Route) -> Line {
        Line { amount, route, commissionable: true }
    }

    #[test]
    fn a_month_of_lines() {
        let rate = Decimal::new(25, 2);
        let lines = [
            line(10_000, Route::ToAgency),
            line(5_002, Route::ToAgency),  // 1,250.5 -> 1,250 (to even)
            line(-5_002, Route::ToAgency), // its NSF reversal takes back exactly 1,250
            line(20_000, Route::DirectToClient),
            Line { amount: 3_000, route: Route::ToAgency, commissionable: false },
        ];
        assert_eq!(commission(&lines[1], rate), 1_250);
        assert_eq!(commission(&lines[2], rate), -1_250);
        let s = statement(&lines, rate);
        assert_eq!(s, Statement { collected_by_agency: 13_000, paid_direct: 20_000, commission: 7_500, net_due_to_client: 5_500 });
    }

    proptest! {
        #[test]
        fn a_payment_and_its_reversal_earn_nothing(amount in 1i64..10_000_000, bp in 0i64..=10_000) {
            let rate = Decimal::new(bp, 4);
            let lines = [line(amount, Route::ToAgency), line(-amount, Route::ToAgency)];
            prop_assert_eq!(statement(&lines, rate), Statement::default());
        }

        #[test]
        fn commission_never_exceeds_what_was_collected(amount in 0i64..10_000_000, bp in 0i64..=10_000) {
            let c = commission(&line(amount, Route::ToAgency), Decimal::new(bp, 4));
            prop_assert!(c >= 0 && c <= amount);
        }
    }
}
