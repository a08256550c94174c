//! The ledger: immutable money movements on one account, and the balances derived from them.
//!
//! Each entry records the signed change it made to every balance component, so a balance is just
//! the sum of the entries, and a reversal is the exact negation of what its payment changed, even
//! when the waterfall or the balance has moved on since.

use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A part of what is owed. The credit balance (money held for the debtor) is kept apart and is
/// never folded into a component, so no component ever goes negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Principal,
    Interest,
    Fees,
    Costs,
}

impl Component {
    pub const ALL: [Component; 4] = [Component::Principal, Component::Interest, Component::Fees, Component::Costs];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Principal => "principal",
            Component::Interest => "interest",
            Component::Fees => "fees",
            Component::Costs => "costs",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Component::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Minor units per component plus the credit balance. Used both for a balance (all fields
/// non-negative) and for the signed change one ledger entry makes.
/// Minor units (cents for USD) per component.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Amounts {
    pub principal: i64,
    pub interest: i64,
    pub fees: i64,
    pub costs: i64,
    pub credit: i64,
}

impl Amounts {
    pub fn get(&self, c: Component) -> i64 {
        match c {
            Component::Principal => self.principal,
            Component::Interest => self.interest,
            Component::Fees => self.fees,
            Component::Costs => self.costs,
        }
    }

    fn get_mut(&mut self, c: Component) -> &mut i64 {
        match c {
            Component::Principal => &mut self.principal,
            Component::Interest => &mut self.interest,
            Component::Fees => &mut self.fees,
            Component::Costs => &mut self.costs,
        }
    }

    pub fn only(c: Component, minor: i64) -> Self {
        let mut a = Amounts::default();
        *a.get_mut(c) = minor;
        a
    }

    /// What is owed across the components, before any credit.
    pub fn owed(&self) -> i64 {
        self.principal + self.interest + self.fees + self.costs
    }

    /// Owed less credit: what the debtor would have to pay to clear the account (negative when the
    /// account is in credit).
    pub fn net(&self) -> i64 {
        self.owed() - self.credit
    }

    pub fn negated(&self) -> Self {
        Amounts { principal: -self.principal, interest: -self.interest, fees: -self.fees, costs: -self.costs, credit: -self.credit }
    }

    pub fn checked_add(&self, d: &Amounts) -> Option<Amounts> {
        Some(Amounts {
            principal: self.principal.checked_add(d.principal)?,
            interest: self.interest.checked_add(d.interest)?,
            fees: self.fees.checked_add(d.fees)?,
            costs: self.costs.checked_add(d.costs)?,
            credit: self.credit.checked_add(d.credit)?,
        })
    }

    fn fields(&self) -> [i64; 5] {
        [self.principal, self.interest, self.fees, self.costs, self.credit]
    }

    pub fn is_zero(&self) -> bool {
        self.fields().iter().all(|v| *v == 0)
    }

    fn all_non_negative(&self) -> bool {
        self.fields().iter().all(|v| *v >= 0)
    }

    fn all_non_positive(&self) -> bool {
        self.fields().iter().all(|v| *v <= 0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Amounts owed coming onto the account (the placed balance, a new charge).
    Charge,
    Interest,
    Fee,
    Payment,
    /// Undoes a payment (NSF, chargeback) exactly.
    Reversal,
    /// A correction either way, with a reason in the memo.
    Adjustment,
    /// Owed amounts removed for good (settlement remainder, uncollectible).
    WriteOff,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Charge => "charge",
            EntryKind::Interest => "interest",
            EntryKind::Fee => "fee",
            EntryKind::Payment => "payment",
            EntryKind::Reversal => "reversal",
            EntryKind::Adjustment => "adjustment",
            EntryKind::WriteOff => "write_off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use EntryKind::*;
        [Charge, Interest, Fee, Payment, Reversal, Adjustment, WriteOff].into_iter().find(|k| k.as_str() == s)
    }
}

/// One immutable money movement on an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: EntryKind,
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    /// The civil date the movement takes effect (a payment's value date).
    pub effective_on: jiff::civil::Date,
    /// The signed change this entry made to each component and to the credit balance.
    pub delta: Amounts,
    /// For a reversal, the payment it undoes.
    pub reverses: Option<Uuid>,
    pub memo: String,
}

impl LedgerEntry {
    /// The money that came in with a payment (or went back out with a reversal, negative).
    pub fn received(&self) -> Money {
        Money::new(self.delta.credit - self.delta.owed(), self.currency)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount must be positive, got {0}")]
    NotPositive(i64),
    #[error("a {kind} entry cannot change balances that way: {delta:?}")]
    WrongShape { kind: &'static str, delta: Amounts },
    #[error("the entry would leave {0} negative")]
    WouldGoNegative(&'static str),
    #[error("only a payment can be reversed, entry {0} is not one")]
    NotReversible(Uuid),
    #[error("payment {0} is already reversed")]
    AlreadyReversed(Uuid),
    #[error("amounts overflow")]
    Overflow,
    #[error("currency {entry} does not match the account's {account}")]
    Currency { entry: Currency, account: Currency },
    #[error("waterfall must name each of principal, interest, fees and costs exactly once")]
    BadWaterfall,
}

/// The order in which a payment pays down components; configurable per client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Component>", into = "Vec<Component>")]
pub struct Waterfall([Component; 4]);

impl Default for Waterfall {
    /// Fees first, then costs, interest and principal last: paying principal last keeps
    /// the debt's interest-bearing base intact the longest, the common contract term.
    fn default() -> Self {
        Waterfall([Component::Fees, Component::Costs, Component::Interest, Component::Principal])
    }
}

impl TryFrom<Vec<Component>> for Waterfall {
    type Error = LedgerError;
    fn try_from(v: Vec<Component>) -> Result<Self, LedgerError> {
        let arr: [Component; 4] = v.try_into().map_err(|_| LedgerError::BadWaterfall)?;
        let distinct = Component::ALL.iter().all(|c| arr.contains(c));
        if !distinct {
            return Err(LedgerError::BadWaterfall);
        }
        Ok(Waterfall(arr))
    }
}

impl From<Waterfall> for Vec<Component> {
    fn from(w: Waterfall) -> Self {
        w.0.to_vec()
    }
}

impl Waterfall {
    pub fn order(&self) -> &[Component; 4] {
        &self.0
    }

    /// Splits a payment over the balance in waterfall order. No component is paid beyond what it
    /// owes; whatever is left becomes credit.
    pub fn allocate(&self, balance: &Amounts, amount: i64) -> Result<Amounts, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NotPositive(amount));
        }
        let mut left = amount;
        let mut delta = Amounts::default();
        for c in self.0 {
            let take = left.min(balance.get(c).max(0));
            *delta.get_mut(c) = -take;
            left -= take;
        }
        delta.credit = left;
        Ok(delta)
    }
}

/// The balance an account's entries add up to.
pub fn balance<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>) -> Result<Amounts, LedgerError> {
    entries.into_iter().try_fold(Amounts::default(), |acc, e| acc.checked_add(&e.delta).ok_or(LedgerError::Overflow))
}

/// Checks that an entry has the shape its kind allows and that applying it to `balance` leaves
/// every component and the credit non-negative. Returns the new balance.
pub fn apply(balance: &Amounts, kind: EntryKind, delta: &Amounts) -> Result<Amounts, LedgerError> {
    let shape_ok = match kind {
        EntryKind::Charge => delta.all_non_negative() && delta.credit == 0 && delta.owed() > 0,
        EntryKind::Interest => *delta == Amounts::only(Component::Interest, delta.interest) && delta.interest > 0,
        EntryKind::Fee => {
            delta.principal == 0 && delta.interest == 0 && delta.credit == 0 && delta.fees >= 0 && delta.costs >= 0 && delta.owed() > 0
        }
        EntryKind::Payment => {
            delta.principal <= 0 && delta.interest <= 0 && delta.fees <= 0 && delta.costs <= 0 && delta.credit >= 0 && !delta.is_zero()
        }
        EntryKind::Reversal => {
            delta.principal >= 0 && delta.interest >= 0 && delta.fees >= 0 && delta.costs >= 0 && delta.credit <= 0 && !delta.is_zero()
        }
        EntryKind::Adjustment => !delta.is_zero(),
        EntryKind::WriteOff => delta.all_non_positive() && delta.credit == 0 && delta.owed() < 0,
    };
    if !shape_ok {
        return Err(LedgerError::WrongShape { kind: kind.as_str(), delta: *delta });
    }
    let next = balance.checked_add(delta).ok_or(LedgerError::Overflow)?;
    for (name, v) in ["principal", "interest", "fees", "costs", "credit"].into_iter().zip(next.fields()) {
        if v < 0 {
            return Err(LedgerError::WouldGoNegative(name));
        }
    }
    Ok(next)
}

/// The delta of a payment of `amount` against `balance`.
pub fn payment(balance: &Amounts, amount: i64, waterfall: &Waterfall) -> Result<Amounts, LedgerError> {
    let delta = waterfall.allocate(balance, amount)?;
    apply(balance, EntryKind::Payment, &delta)?;
    Ok(delta)
}

/// The delta that undoes `payment` exactly. `entries` are the account's entries so far, to refuse
/// reversing a payment twice or a payment whose credit has since been refunded.
pub fn reversal(balance: &Amounts, payment: &LedgerEntry, entries: &[LedgerEntry]) -> Result<Amounts, LedgerError> {
    if payment.kind != EntryKind::Payment {
        return Err(LedgerError::NotReversible(payment.id));
    }
    if entries.iter().any(|e| e.reverses == Some(payment.id)) {
        return Err(LedgerError::AlreadyReversed(payment.id));
    }
    let delta = payment.delta.negated();
    apply(balance, EntryKind::Reversal, &delta)?;
    Ok(delta)
}

/// The delta that writes off everything still owed (for example the rest after a settlement).
pub fn write_off_all(balance: &Amounts) -> Result<Amounts, LedgerError> {
    let delta = Amounts { credit: 0, ..balance.negated() };
    apply(balance, EntryKind::WriteOff, &delta)?;
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bal(p: i64, i: i64, f: i64, c: i64) -> Amounts {
        Amounts { principal: p, interest: i, fees: f, costs: c, credit: 0 }
    }

    fn entry(kind: EntryKind, delta: Amounts) -> LedgerEntry {
        LedgerEntry {
            id: Uuid::now_v7(),
            account_id: Uuid::nil(),
            kind,
            currency: Currency::USD,
            effective_on: jiff::civil::date(2026, 1, 1),
            delta,
            reverses: None,
            memo: String::new(),
        }
    }

    #[test]
    fn default_waterfall_pays_fees_then_interest_then_principal() {
        let b = bal(10_000, 500, 300, 0);
        let d = Waterfall::default().allocate(&b, 600).unwrap();
        assert_eq!(d, Amounts { fees: -300, interest: -300, ..Default::default() });
        let d = Waterfall::default().allocate(&b, 1_000).unwrap();
        assert_eq!(d, Amounts { fees: -300, interest: -500, principal: -200, ..Default::default() });
    }

    #[test]
    fn client_waterfall_is_respected() {
        let w = Waterfall::try_from(vec![Component::Principal, Component::Interest, Component::Fees, Component::Costs]).unwrap();
        let d = w.allocate(&bal(100, 50, 50, 0), 120).unwrap();
        assert_eq!(d, Amounts { principal: -100, interest: -20, ..Default::default() });
        assert_eq!(
            Waterfall::try_from(vec![Component::Principal, Component::Principal, Component::Fees, Component::Costs]),
            Err(LedgerError::BadWaterfall)
        );
        assert_eq!(Waterfall::try_from(vec![Component::Principal]), Err(LedgerError::BadWaterfall));
    }

    #[test]
    fn overpayment_becomes_credit_never_a_negative_component() {
        let b = bal(100, 0, 20, 0);
        let d = payment(&b, 150, &Waterfall::default()).unwrap();
        assert_eq!(d, Amounts { principal: -100, fees: -20, credit: 30, ..Default::default() });
        let after = apply(&b, EntryKind::Payment, &d).unwrap();
        assert_eq!(after, Amounts { credit: 30, ..Default::default() });
        assert_eq!(after.net(), -30);
    }

    #[test]
    fn shapes_are_enforced_per_kind() {
        let b = bal(100, 0, 0, 0);
        assert!(apply(&b, EntryKind::Payment, &Amounts { principal: 10, ..Default::default() }).is_err());
        assert!(apply(&b, EntryKind::Interest, &Amounts::only(Component::Fees, 10)).is_err());
        assert!(apply(&b, EntryKind::Charge, &Amounts::default()).is_err());
        assert_eq!(
            apply(&b, EntryKind::Adjustment, &Amounts::only(Component::Principal, -101)),
            Err(LedgerError::WouldGoNegative("principal"))
        );
        assert_eq!(write_off_all(&bal(5, 6, 7, 8)).unwrap(), bal(-5, -6, -7, -8));
        assert!(write_off_all(&Amounts::default()).is_err(), "nothing to write off");
    }

    #[test]
    fn a_payment_reverses_once_and_only_a_payment() {
        let b = bal(1_000, 100, 0, 0);
        let p = entry(EntryKind::Payment, payment(&b, 300, &Waterfall::default()).unwrap());
        let after = apply(&b, p.kind, &p.delta).unwrap();
        let r = reversal(&after, &p, std::slice::from_ref(&p)).unwrap();
        assert_eq!(apply(&after, EntryKind::Reversal, &r).unwrap(), b);
        let mut rev = entry(EntryKind::Reversal, r);
        rev.reverses = Some(p.id);
        assert_eq!(reversal(&after, &p, &[p.clone(), rev]), Err(LedgerError::AlreadyReversed(p.id)));
        let charge = entry(EntryKind::Charge, bal(1, 0, 0, 0));
        assert_eq!(reversal(&after, &charge, &[]), Err(LedgerError::NotReversible(charge.id)));
    }

    #[test]
    fn reversal_refused_when_its_credit_was_refunded() {
        let b = bal(100, 0, 0, 0);
        let p = entry(EntryKind::Payment, payment(&b, 150, &Waterfall::default()).unwrap());
        let after = apply(&b, p.kind, &p.delta).unwrap();
        let refunded = apply(&after, EntryKind::Adjustment, &Amounts { credit: -50, ..Default::default() }).unwrap();
        assert_eq!(reversal(&refunded, &p, &[]), Err(LedgerError::WouldGoNegative("credit")));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Charge(Component, i64),
        Pay(i64),
        ReverseNth(usize),
        WriteOff,
    }

    fn op() -> impl Strategy<Value = Op> {
        let comp = prop::sample::select(Component::ALL.to_vec());
        prop_oneof![
            (comp, 1i64..1_000_000).prop_map(|(c, a)| Op::Charge(c, a)),
            (1i64..2_000_000).prop_map(Op::Pay),
            (0usize..50).prop_map(Op::ReverseNth),
            Just(Op::WriteOff),
        ]
    }

    fn waterfall() -> impl Strategy<Value = Waterfall> {
        Just(Component::ALL.to_vec()).prop_shuffle().prop_map(|v| Waterfall::try_from(v).unwrap())
    }

    proptest! {
        #[test]
        fn balance_always_equals_the_sum_of_entries(ops in prop::collection::vec(op(), 1..60), w in waterfall()) {
            let mut entries: Vec<LedgerEntry> = Vec::new();
            let mut running = Amounts::default();
            for op in ops {
                let attempt = match op {
                    Op::Charge(c, a) => Ok((EntryKind::Charge, Amounts::only(c, a), None)),
                    Op::Pay(a) => payment(&running, a, &w).map(|d| (EntryKind::Payment, d, None)),
                    Op::ReverseNth(n) => {
                        let payments: Vec<&LedgerEntry> = entries.iter().filter(|e| e.kind == EntryKind::Payment).collect();
                        match payments.get(n) {
                            Some(p) => reversal(&running, p, &entries).map(|d| (EntryKind::Reversal, d, Some(p.id))),
                            None => continue,
                        }
                    }
                    Op::WriteOff => write_off_all(&running).map(|d| (EntryKind::WriteOff, d, None)),
                };
                let Ok((kind, delta, reverses)) = attempt else { continue };
                running = apply(&running, kind, &delta).unwrap();
                let mut e = entry(kind, delta);
                e.reverses = reverses;
                entries.push(e);
                prop_assert_eq!(balance(&entries).unwrap(), running);
                prop_assert!(running.all_non_negative());
            }
        }

        #[test]
        fn allocation_never_overpays_a_component(p in 0i64..1_000_000, i in 0i64..100_000, f in 0i64..10_000, c in 0i64..10_000,
                                                 amount in 1i64..2_000_000, w in waterfall()) {
            let b = bal(p, i, f, c);
            let d = w.allocate(&b, amount).unwrap();
            for comp in Component::ALL {
                prop_assert!(d.get(comp) <= 0);
                prop_assert!(-d.get(comp) <= b.get(comp));
            }
            prop_assert_eq!(d.credit - d.owed(), amount, "every cent is allocated somewhere");
            prop_assert!(d.credit == 0 || d.owed() == -b.owed(), "credit only once everything is paid");
            // Waterfall order: a later component is touched only when all earlier ones are paid off.
            let order = w.order();
            for (k, comp) in order.iter().enumerate() {
                if d.get(*comp) != 0 {
                    for earlier in &order[..k] {
                        prop_assert_eq!(-d.get(*earlier), b.get(*earlier));
                    }
                }
            }
        }

        #[test]
        fn payment_then_reversal_is_the_identity(p in 0i64..1_000_000, i in 0i64..100_000, f in 0i64..10_000, c in 0i64..10_000,
                                                 credit in 0i64..10_000, amount in 1i64..2_000_000, w in waterfall()) {
            let before = Amounts { credit, ..bal(p, i, f, c) };
            let pay = entry(EntryKind::Payment, payment(&before, amount, &w).unwrap());
            let after = apply(&before, EntryKind::Payment, &pay.delta).unwrap();
            let rev = reversal(&after, &pay, std::slice::from_ref(&pay)).unwrap();
            prop_assert_eq!(apply(&after, EntryKind::Reversal, &rev).unwrap(), before);
            prop_assert_eq!(pay.received().minor, amount);
        }
    }
}
