//! Holds: whatever stops contact or collection on an account, and exactly what each one stops.
//! The contact policy asks `check` before every contact; servicing asks `takes_payments` before
//! allocating a payment that spans several debts. Each rule names its source.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    Dispute,
    Cease,
    Bankruptcy,
    Deceased,
    AttorneyRepresented,
    HardshipPause,
    Vulnerability,
    Recall,
}

impl HoldKind {
    pub const ALL: [HoldKind; 8] = [
        HoldKind::Dispute,
        HoldKind::Cease,
        HoldKind::Bankruptcy,
        HoldKind::Deceased,
        HoldKind::AttorneyRepresented,
        HoldKind::HardshipPause,
        HoldKind::Vulnerability,
        HoldKind::Recall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::Dispute => "dispute",
            HoldKind::Cease => "cease",
            HoldKind::Bankruptcy => "bankruptcy",
            HoldKind::Deceased => "deceased",
            HoldKind::AttorneyRepresented => "attorney_represented",
            HoldKind::HardshipPause => "hardship_pause",
            HoldKind::Vulnerability => "vulnerability",
            HoldKind::Recall => "recall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        HoldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A hold in force: its kind and, for a hardship pause, the last day it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub kind: HoldKind,
    pub placed_on: Date,
    /// Inclusive; `None` until released.
    pub until: Option<Date>,
}

impl Hold {
    pub fn in_force(&self, on: Date) -> bool {
        self.placed_on <= on && self.until.is_none_or(|u| on <= u)
    }
}

/// Why a contact is being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Asking for payment, in any form.
    Collection,
    /// A reminder of a promise the debtor made.
    PromiseReminder,
    /// The verification (or original creditor's name and address) a dispute asked for.
    Verification,
    /// A receipt for a dispute the debtor opened, asking for nothing.
    DisputeAcknowledgement,
    /// That collection has ended, after a cease request.
    CeaseConfirmation,
    /// A remedy ordinarily invoked, or a specific one intended, after a cease request.
    RemedyNotice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Consumer,
    Attorney,
    /// The estate's representative or surviving spouse.
    EstateRepresentative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact {
    pub purpose: Purpose,
    pub recipient: Recipient,
    /// Sent by the strategy without a person deciding (email, SMS, letters, dialer).
    pub automated: bool,
    pub on: Date,
}

/// A refused contact: which hold, the rule, and why in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    pub hold: HoldKind,
    pub rule: &'static str,
    pub why: &'static str,
}

/// Whether one hold lets a contact through.
fn allows(kind: HoldKind, c: &Contact) -> Result<(), Blocked> {
    let block = |rule, why| Err(Blocked { hold: kind, rule, why });
    match kind {
        // 11 USC 362: the automatic stay stops all collection and contact.
        HoldKind::Bankruptcy => block("11 USC 362", "a bankruptcy stay stops all contact"),
        // The client took the account back: it is no longer ours to work.
        HoldKind::Recall => block("client recall", "the client recalled the account"),
        // Reg F 1006.6(c): after a cease request only the three permitted notices.
        HoldKind::Cease if matches!(c.purpose, Purpose::CeaseConfirmation | Purpose::RemedyNotice) => Ok(()),
        HoldKind::Cease => block("Reg F 1006.6(c)", "the consumer asked us to stop communicating"),
        // Reg F 1006.6(b)(2): a represented consumer is contacted through the attorney only.
        HoldKind::AttorneyRepresented if c.recipient == Recipient::Attorney => Ok(()),
        HoldKind::AttorneyRepresented => block("Reg F 1006.6(b)(2)", "the consumer is represented: contact the attorney"),
        // Reg F 1006.6(a)(4): for a deceased debtor, the estate's representative is the consumer.
        HoldKind::Deceased if c.recipient == Recipient::EstateRepresentative => Ok(()),
        HoldKind::Deceased => block("Reg F 1006.6(a)(4)", "the debtor has died: contact the estate's representative"),
        // Reg F 1006.38: collection stops until verification is sent; sending it is allowed.
        HoldKind::Dispute if c.purpose == Purpose::Verification => Ok(()),
        // Reg F 1006.38(d)(2) stops collection activity until verification; telling the consumer
        // their dispute arrived asks for no payment, so it is not collection activity.
        HoldKind::Dispute if c.purpose == Purpose::DisputeAcknowledgement => Ok(()),
        HoldKind::Dispute => block("Reg F 1006.38", "the debt is disputed and verification has not been sent"),
        // A hardship pause is a forbearance the debtor was promised (FCA CONC 7.3.4).
        HoldKind::HardshipPause if c.purpose == Purpose::Verification => Ok(()),
        HoldKind::HardshipPause => block("FCA CONC 7.3.4", "collection is paused for hardship"),
        // FCA CONC 7 (COMPLIANCE 29): vulnerability pauses automated outreach; a specialist may
        // still contact the person.
        HoldKind::Vulnerability if !c.automated => Ok(()),
        HoldKind::Vulnerability => block("FCA CONC 7 (vulnerability)", "automated outreach is paused for a vulnerable customer"),
    }
}

/// The first hold in force that refuses the contact, or `Ok`.
pub fn check(holds: &[Hold], c: &Contact) -> Result<(), Blocked> {
    holds.iter().filter(|h| h.in_force(c.on)).try_for_each(|h| allows(h.kind, c))
}

/// Whether a payment may be allocated to this debt when the debtor pays several at once: never
/// to a disputed one (Reg F 1006.30(c)), nor to one under a bankruptcy stay or recalled.
pub fn takes_payments(holds: &[Hold], on: Date) -> bool {
    !holds.iter().any(|h| h.in_force(on) && matches!(h.kind, HoldKind::Dispute | HoldKind::Bankruptcy | HoldKind::Recall))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn hold(kind: HoldKind) -> Hold {
        Hold { kind, placed_on: date(2026, 11, 1), until: None }
    }

    fn contact(purpose: Purpose, recipient: Recipient, automated: bool) -> Contact {
        Contact { purpose, recipient, automated, on: date(2026, 11, 23) }
    }

    const COLLECT: Contact =
        Contact { purpose: Purpose::Collection, recipient: Recipient::Consumer, automated: true, on: jiff::civil::date(2026, 11, 23) };

    #[test]
    fn every_hold_blocks_ordinary_collection() {
        for kind in HoldKind::ALL {
            let b = check(&[hold(kind)], &COLLECT).unwrap_err();
            assert_eq!(b.hold, kind);
            assert!(!b.rule.is_empty() && !b.why.is_empty());
        }
        assert_eq!(check(&[], &COLLECT), Ok(()));
    }

    #[test]
    fn what_each_hold_still_lets_through() {
        let cease = [hold(HoldKind::Cease)];
        assert_eq!(check(&cease, &contact(Purpose::CeaseConfirmation, Recipient::Consumer, true)), Ok(()));
        assert_eq!(check(&cease, &contact(Purpose::RemedyNotice, Recipient::Consumer, false)), Ok(()));
        assert!(check(&cease, &contact(Purpose::PromiseReminder, Recipient::Consumer, false)).is_err());
        let attorney = [hold(HoldKind::AttorneyRepresented)];
        assert_eq!(check(&attorney, &contact(Purpose::Collection, Recipient::Attorney, false)), Ok(()));
        let deceased = [hold(HoldKind::Deceased)];
        assert_eq!(check(&deceased, &contact(Purpose::Collection, Recipient::EstateRepresentative, false)), Ok(()));
        assert!(check(&deceased, &contact(Purpose::Collection, Recipient::Consumer, false)).is_err());
        let dispute = [hold(HoldKind::Dispute)];
        assert_eq!(check(&dispute, &contact(Purpose::Verification, Recipient::Consumer, true)), Ok(()));
        assert_eq!(check(&dispute, &contact(Purpose::DisputeAcknowledgement, Recipient::Consumer, true)), Ok(()));
        let ceased_and_disputed = [hold(HoldKind::Dispute), hold(HoldKind::Cease)];
        let ack = contact(Purpose::DisputeAcknowledgement, Recipient::Consumer, true);
        assert_eq!(check(&ceased_and_disputed, &ack).unwrap_err().hold, HoldKind::Cease, "not one of the notices a cease permits");
        let vulnerable = [hold(HoldKind::Vulnerability)];
        assert_eq!(check(&vulnerable, &contact(Purpose::Collection, Recipient::Consumer, false)), Ok(()), "a specialist may call");
        assert!(check(&vulnerable, &contact(Purpose::Collection, Recipient::Consumer, true)).is_err());
        let stay = [hold(HoldKind::Bankruptcy)];
        assert!(check(&stay, &contact(Purpose::Verification, Recipient::Attorney, false)).is_err(), "a stay stops everything");
        // Two holds: both must allow it.
        let both = [hold(HoldKind::AttorneyRepresented), hold(HoldKind::Cease)];
        assert!(check(&both, &contact(Purpose::Collection, Recipient::Attorney, false)).is_err());
    }

    #[test]
    fn a_hardship_pause_ends_after_its_last_day() {
        let pause = [Hold { kind: HoldKind::HardshipPause, placed_on: date(2026, 11, 1), until: Some(date(2026, 11, 30)) }];
        let on = |d| Contact { on: d, ..COLLECT };
        assert!(check(&pause, &on(date(2026, 10, 31))).is_ok(), "not yet placed");
        assert!(check(&pause, &on(date(2026, 11, 1))).is_err());
        assert!(check(&pause, &on(date(2026, 11, 30))).is_err(), "the last day is covered");
        assert!(check(&pause, &on(date(2026, 12, 1))).is_ok());
    }

    #[test]
    fn payments_never_go_to_a_disputed_debt() {
        let on = date(2026, 11, 23);
        assert!(takes_payments(&[], on));
        assert!(!takes_payments(&[hold(HoldKind::Dispute)], on));
        assert!(takes_payments(&[hold(HoldKind::Cease)], on), "a cease request does not refuse money");
        let released = Hold { until: Some(date(2026, 11, 10)), ..hold(HoldKind::Dispute) };
        assert!(takes_payments(&[released], on));
    }
}
