use crate::conformance;
use crate::support::{Harness, actor, org, org_with, owed, place_one};
use jiff::civil::date;
use recoup_domain::account::AccountStatus;
use recoup_domain::ledger::{self, Amounts, Component, EntryKind, LedgerError, Waterfall};
use recoup_store::{Posting, StoreError};

conformance!(
    placed_balance_is_a_charge_entry,
    payments_follow_the_client_waterfall,
    reversal_restores_exactly_and_only_once,
    overpayment_is_credit,
    refused_postings_change_nothing,
    balance_always_equals_the_ledger,
    status_changes_follow_the_machine,
);

async fn placed_balance_is_a_charge_entry(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "A-1", owed(241_050 - 34_808, 27_808, 7_000)).await;
    let entries = s.ledger(o.tenant.id, id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, EntryKind::Charge);
    assert_eq!(entries[0].effective_on, o.placement.placed_on);
    let b = s.balance(o.tenant.id, id).await.unwrap();
    assert_eq!(b.owed(), 241_050);
}

async fn payments_follow_the_client_waterfall(h: &Harness) {
    let s = h.store.as_ref();
    let default = org(s).await;
    let id = place_one(s, &default, "W-1", owed(10_000, 2_000, 500)).await;
    let e = s.post(default.tenant.id, id, Posting::Payment { amount_minor: 1_000 }, date(2026, 11, 20), "card", &actor()).await.unwrap();
    assert_eq!(e.delta, Amounts { fees: -500, interest: -500, ..Default::default() });
    assert_eq!(s.balance(default.tenant.id, id).await.unwrap(), owed(10_000, 1_500, 0));
    let (account, balance) = s.account_with_balance(default.tenant.id, id).await.unwrap().unwrap();
    assert_eq!((account.id, balance), (id, owed(10_000, 1_500, 0)), "the same balance in the same read as the account");
    assert_eq!(s.account_with_balance(org(s).await.tenant.id, id).await.unwrap(), None, "not from another tenant");

    let principal_first = Waterfall::try_from(vec![Component::Principal, Component::Interest, Component::Fees, Component::Costs]).unwrap();
    let o = org_with(s, principal_first).await;
    let id = place_one(s, &o, "W-2", owed(10_000, 2_000, 500)).await;
    let e = s.post(o.tenant.id, id, Posting::Payment { amount_minor: 10_100 }, date(2026, 11, 20), "check", &actor()).await.unwrap();
    assert_eq!(e.delta, Amounts { principal: -10_000, interest: -100, ..Default::default() });
}

async fn reversal_restores_exactly_and_only_once(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "R-1", owed(50_000, 3_000, 2_500)).await;
    let before = s.balance(o.tenant.id, id).await.unwrap();
    let pay = s.post(o.tenant.id, id, Posting::Payment { amount_minor: 7_777 }, date(2026, 11, 20), "ach", &actor()).await.unwrap();
    // Something else happens between the payment and its reversal.
    s.post(o.tenant.id, id, Posting::Fee { fees_minor: 1_500, costs_minor: 0 }, date(2026, 11, 21), "late fee", &actor()).await.unwrap();
    let rev = s.post(o.tenant.id, id, Posting::Reversal { payment_id: pay.id }, date(2026, 11, 22), "NSF", &actor()).await.unwrap();
    assert_eq!(rev.delta, pay.delta.negated());
    assert_eq!(rev.reverses, Some(pay.id));
    let after = s.balance(o.tenant.id, id).await.unwrap();
    assert_eq!(after, before.checked_add(&Amounts::only(Component::Fees, 1_500)).unwrap());
    let again = s.post(o.tenant.id, id, Posting::Reversal { payment_id: pay.id }, date(2026, 11, 22), "NSF", &actor()).await;
    assert!(matches!(again, Err(StoreError::Ledger(LedgerError::AlreadyReversed(_)))), "{again:?}");
}

async fn overpayment_is_credit(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "O-1", owed(1_000, 0, 0)).await;
    s.post(o.tenant.id, id, Posting::Payment { amount_minor: 1_250 }, date(2026, 11, 20), "", &actor()).await.unwrap();
    let b = s.balance(o.tenant.id, id).await.unwrap();
    assert_eq!(b, Amounts { credit: 250, ..Default::default() });
    assert_eq!(b.net(), -250);
}

async fn refused_postings_change_nothing(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "N-1", owed(1_000, 0, 0)).await;
    let audit_before = s.audit_entries(o.tenant.id, 0, 10_000).await.unwrap().len();
    let bad = s
        .post(o.tenant.id, id, Posting::Adjustment { delta: Amounts::only(Component::Principal, -1_001) }, date(2026, 11, 20), "", &actor())
        .await;
    assert!(matches!(bad, Err(StoreError::Ledger(LedgerError::WouldGoNegative("principal")))));
    let bad = s.post(o.tenant.id, id, Posting::Payment { amount_minor: 0 }, date(2026, 11, 20), "", &actor()).await;
    assert!(matches!(bad, Err(StoreError::Ledger(LedgerError::NotPositive(0)))));
    assert_eq!(s.ledger(o.tenant.id, id).await.unwrap().len(), 1);
    assert_eq!(s.balance(o.tenant.id, id).await.unwrap(), owed(1_000, 0, 0));
    assert_eq!(s.audit_entries(o.tenant.id, 0, 10_000).await.unwrap().len(), audit_before);
}

async fn balance_always_equals_the_ledger(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "B-1", owed(90_000, 4_000, 1_000)).await;
    let t = o.tenant.id;
    let d = date(2026, 11, 20);
    let mut payments = Vec::new();
    for (i, amount) in [1_234, 5_000, 333, 77_000, 20_000].into_iter().enumerate() {
        payments.push(s.post(t, id, Posting::Payment { amount_minor: amount }, d, "", &actor()).await.unwrap());
        if i % 2 == 0 {
            s.post(t, id, Posting::Interest { amount_minor: 150 }, d, "", &actor()).await.unwrap();
        }
        let entries = s.ledger(t, id).await.unwrap();
        assert_eq!(ledger::balance(&entries).unwrap(), s.balance(t, id).await.unwrap());
    }
    s.post(t, id, Posting::Reversal { payment_id: payments[1].id }, d, "chargeback", &actor()).await.unwrap();
    s.post(t, id, Posting::WriteOffAll, d, "settled", &actor()).await.unwrap();
    let entries = s.ledger(t, id).await.unwrap();
    let b = s.balance(t, id).await.unwrap();
    assert_eq!(ledger::balance(&entries).unwrap(), b);
    assert_eq!(b.owed(), 0);
}

async fn status_changes_follow_the_machine(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "S-1", owed(1_000, 0, 0)).await;
    let t = o.tenant.id;
    let a = s.change_status(t, id, AccountStatus::Closed, "uncollectible", &actor()).await.unwrap();
    assert_eq!(a.status, AccountStatus::Closed);
    let bad = s.change_status(t, id, AccountStatus::Settled, "", &actor()).await;
    assert!(matches!(bad, Err(StoreError::Transition(_))));
    assert_eq!(s.account(t, id).await.unwrap().unwrap().status, AccountStatus::Closed);
    s.change_status(t, id, AccountStatus::Active, "estate found", &actor()).await.unwrap();
    let last = s.audit_entries(t, 0, 10_000).await.unwrap().pop().unwrap();
    assert_eq!(last.event.action, "account.status_changed");
    assert!(last.event.data.contains("\"from\":\"closed\"") && last.event.data.contains("estate found"), "{}", last.event.data);
}
