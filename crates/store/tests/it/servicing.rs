use crate::conformance;
use crate::support::{Harness, Org, actor, org, owed, place_one};
use jiff::civil::{Date, date};
use recoup_domain::access::Role;
use recoup_domain::account::{AccountStatus, Flag};
use recoup_domain::dispute::{DisputeStatus, Reason};
use recoup_domain::hold::HoldKind;
use recoup_domain::ledger::{Amounts, EntryKind};
use recoup_domain::money::Currency;
use recoup_domain::plan::{Frequency, Sizing};
use recoup_domain::promise::{PromiseItem, PromiseStatus};
use recoup_domain::settlement::Offer;
use recoup_store::servicing::dispute::{self, Dispute, DisputeUpdate, NewDispute};
use recoup_store::servicing::hold::{self, HoldDetails, HoldRecord, HoldStatus, NewHold};
use recoup_store::servicing::payment::{self, Method, NewPayment, Payment, PaymentStatus, ReversalReason};
use recoup_store::servicing::plan::{self, Plan, PlanStatus, PlanTerms};
use recoup_store::servicing::promise::{self, NewPromise, Promise};
use recoup_store::servicing::settlement::{self, NewSettlement, Requester, Settlement, SettlementStatus};
use recoup_store::servicing::{Changes, Kept, Op, RecordKind, RecordQuery, changed, daily, remittance};
use recoup_store::{Store, StoreError};
use uuid::Uuid;

conformance!(
    the_scripted_scenario_adds_up_to_the_cent,
    bad_payments_are_refused_and_change_nothing,
    a_reversal_reopens_a_kept_promise,
    settlement_approval_follows_limits_and_never_self,
    a_dispute_holds_until_verification_is_sent,
    holds_set_flags_and_a_recall_stops_payments,
    a_hardship_pause_ends_on_its_day,
    the_clients_policy_sets_plan_interest_commission_and_limits,
    several_accounts_in_one_transaction_land_together_or_not_at_all,
    interest_and_fees_post_once_a_month_as_the_clients_policy_allows,
);

fn entries(file: &recoup_store::servicing::AccountFile, kind: EntryKind) -> Vec<(Date, i64)> {
    file.ledger.iter().filter(|e| e.kind == kind).map(|e| (e.effective_on, e.delta.interest + e.delta.fees)).collect()
}

/// FDCPA 1692f(1): only what the contract allows, so nothing without a policy; then once a month,
/// never twice, and never under a bankruptcy stay (11 USC 362(a)).
async fn interest_and_fees_post_once_a_month_as_the_clients_policy_allows(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let a = actor();
    let id = place_one(s, &o, "ACC-1", owed(100_000, 0, 0)).await;
    let stayed = place_one(s, &o, "ACC-2", owed(100_000, 0, 0)).await;
    let hold = NewHold {
        id: Uuid::now_v7(),
        kind: HoldKind::Bankruptcy,
        reason: "chapter 7".into(),
        details: HoldDetails { chapter: Some(7), case_number: Some("26-10001".into()), ..Default::default() },
        until: None,
    };
    run(s, &o, stayed, hold::add(hold, date(2026, 11, 10), &a)).await.unwrap();

    // No policy: nothing, whatever the day.
    assert_eq!(daily(s, t, date(2026, 11, 30), &a).await.unwrap().accrued, 0);
    let mut policy = s.client_policy(t, o.client.id).await.unwrap();
    policy.accrual =
        recoup_domain::accrual::Accrual { interest_apr: Some("0.0365".parse().unwrap()), monthly_fee_minor: Some(500), posting_day: 1 };
    s.set_client_policy(t, o.client.id, &policy, &a).await.unwrap();

    // Set on the 30th, it posts at once: 28 days since the 2 November placement, and the fee.
    assert_eq!(daily(s, t, date(2026, 11, 30), &a).await.unwrap().accrued, 1);
    let file = s.account_file(t, id).await.unwrap().unwrap();
    // 1,000.00 x 3.65% x 28 / 365 = 2.80
    assert_eq!(entries(&file, EntryKind::Interest), vec![(date(2026, 11, 30), 280)]);
    assert_eq!(entries(&file, EntryKind::Fee), vec![(date(2026, 11, 30), 500)]);
    assert_eq!((file.balance.interest, file.balance.fees), (280, 500));

    // The same day again, through the sweep or straight on the account: nothing more.
    assert_eq!(daily(s, t, date(2026, 11, 30), &a).await.unwrap().accrued, 0);
    let again = run(s, &o, id, recoup_store::servicing::accrual::accrue(date(2026, 11, 30), &a)).await.unwrap();
    assert!(again.entries.is_empty());
    // The next month: one day's interest, a new fee.
    assert_eq!(daily(s, t, date(2026, 12, 1), &a).await.unwrap().accrued, 1);
    let file = s.account_file(t, id).await.unwrap().unwrap();
    assert_eq!(entries(&file, EntryKind::Interest), vec![(date(2026, 11, 30), 280), (date(2026, 12, 1), 10)]);
    assert_eq!(entries(&file, EntryKind::Fee).len(), 2);

    let stayed = s.account_file(t, stayed).await.unwrap().unwrap();
    assert!(entries(&stayed, EntryKind::Interest).is_empty() && entries(&stayed, EntryKind::Fee).is_empty());
    let audit = s.audit_entries(t, 0, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.event.action == "ledger.interest_accrued").count(), 2);
    assert_eq!(audit.iter().filter(|e| e.event.action == "ledger.fee_charged").count(), 2);
}

async fn run(s: &dyn Store, o: &Org, account: Uuid, op: Op) -> Result<Changes, StoreError> {
    s.service(o.tenant.id, account, op).await
}

/// An ACH payment in dollars on `on`, taken by an agent for the agency.
pub fn pay(amount: i64, on: Date) -> NewPayment {
    NewPayment::by_agent(amount, Currency::USD, on, Method::Ach)
}

async fn only<T: Kept>(s: &dyn Store, o: &Org, account: Uuid) -> T {
    let file = s.account_file(o.tenant.id, account).await.unwrap().unwrap();
    let mut all = file.all::<T>().unwrap();
    assert_eq!(all.len(), 1, "one {}", T::KIND.as_str());
    all.remove(0)
}

async fn status(s: &dyn Store, o: &Org, account: Uuid) -> AccountStatus {
    s.account(o.tenant.id, account).await.unwrap().unwrap().status
}

/// import -> promise -> broken -> plan -> two installments -> NSF reversal -> settlement ->
/// written off -> remittance statement, every figure checked.
async fn the_scripted_scenario_adds_up_to_the_cent(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let id = place_one(s, &o, "SCN-1", owed(90_000, 8_000, 2_000)).await;
    let a = actor();

    // A promise of $200.00 for Nov 30, two days' grace: nothing paid, broken on Dec 3.
    let items = vec![PromiseItem { due_on: date(2026, 11, 30), amount: 20_000 }];
    let pid = Uuid::now_v7();
    run(s, &o, id, promise::take(NewPromise { id: pid, items, grace_days: Some(2), channel: "agent".into() }, date(2026, 11, 23), &a))
        .await
        .unwrap();
    let report = daily(s, t, date(2026, 12, 2), &a).await.unwrap();
    assert_eq!(report.changed, 0, "Dec 2 is the last day of grace");
    assert_eq!(only::<Promise>(s, &o, id).await.status, PromiseStatus::Pending);
    let report = daily(s, t, date(2026, 12, 3), &a).await.unwrap();
    assert_eq!((report.accounts, report.changed), (1, 1));
    assert_eq!(only::<Promise>(s, &o, id).await.status, PromiseStatus::Broken);

    // A plan: four monthly installments of $250.00 from Jan 3.
    let terms = PlanTerms {
        frequency: Frequency::Monthly,
        sizing: Sizing::Count(4),
        down_payment: 0,
        first_due_on: date(2027, 1, 3),
        apr: Default::default(),
        fee_per_installment: 0,
    };
    let plan_id = Uuid::now_v7();
    run(s, &o, id, plan::create(plan_id, terms, "agent".into(), date(2026, 12, 3), &a)).await.unwrap();
    let p = only::<Plan>(s, &o, id).await;
    assert_eq!(p.installments.iter().map(|i| i.amount).collect::<Vec<_>>(), vec![25_000; 4]);

    // Two installments paid; the first pays fees, then interest, then principal.
    let ch = run(s, &o, id, payment::post(pay(25_000, date(2027, 1, 3)), date(2027, 1, 3), &a)).await.unwrap();
    let first = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
    let p1: Payment = changed(&ch, first).unwrap();
    assert_eq!(p1.allocation, Amounts { principal: -15_000, interest: -8_000, fees: -2_000, ..Default::default() });
    assert_eq!((p1.commission, p1.receipt_no.as_str()), (6_250, "LSB-SCN-1-001"));
    let ch = run(s, &o, id, payment::post(pay(25_000, date(2027, 2, 3)), date(2027, 2, 3), &a)).await.unwrap();
    let second = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
    assert_eq!(s.balance(t, id).await.unwrap(), owed(50_000, 0, 0));
    assert_eq!(only::<Plan>(s, &o, id).await.met, 2);

    // The second comes back NSF: the balance returns exactly, the plan misses it.
    run(s, &o, id, payment::reverse(second, ReversalReason::Nsf, date(2027, 2, 6), date(2027, 2, 6), &a)).await.unwrap();
    assert_eq!(s.balance(t, id).await.unwrap(), owed(75_000, 0, 0));
    let again = run(s, &o, id, payment::reverse(second, ReversalReason::Nsf, date(2027, 2, 6), date(2027, 2, 6), &a)).await;
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    daily(s, t, date(2027, 2, 9), &a).await.unwrap();
    assert_eq!(only::<Plan>(s, &o, id).await.status, PlanStatus::AtRisk, "one miss: at risk");
    daily(s, t, date(2027, 3, 9), &a).await.unwrap();
    assert_eq!(only::<Plan>(s, &o, id).await.status, PlanStatus::Broken, "two misses break it");

    // A 60 % settlement (40 % off) is beyond an agent's 30 %: a supervisor approves it.
    let (agent, supervisor) = (Uuid::now_v7(), Uuid::now_v7());
    let sid = Uuid::now_v7();
    let offer = NewSettlement {
        id: sid,
        offer: Offer::Percent("0.6".parse().unwrap()),
        expires_on: date(2027, 4, 9),
        installments: Vec::new(),
        requested_by: Requester { id: agent, role: Role::Agent },
    };
    run(s, &o, id, settlement::offer(offer, date(2027, 3, 10), &a)).await.unwrap();
    let st = only::<Settlement>(s, &o, id).await;
    assert_eq!((st.amount, st.status), (45_000, SettlementStatus::PendingApproval));
    let sup = Requester { id: supervisor, role: Role::Supervisor };
    run(s, &o, id, settlement::decide(sid, true, sup, Some("hardship documented".into()), &a)).await.unwrap();

    // Paying it writes the rest off and settles the account.
    run(s, &o, id, payment::post(pay(45_000, date(2027, 3, 15)), date(2027, 3, 15), &a)).await.unwrap();
    let st = only::<Settlement>(s, &o, id).await;
    assert_eq!((st.status, st.paid), (SettlementStatus::Completed, 45_000));
    assert_eq!(s.balance(t, id).await.unwrap(), Amounts::default());
    let ledger = s.ledger(t, id).await.unwrap();
    let write_off = ledger.iter().find(|e| e.kind == EntryKind::WriteOff).unwrap();
    assert_eq!(write_off.delta, Amounts { principal: -30_000, ..Default::default() });
    assert_eq!(status(s, &o, id).await, AccountStatus::Settled);

    // The quarter's statement: 95,000 collected less the 25,000 reversal; 25 % commission.
    let st = remittance::statement(s, t, o.client.id, date(2027, 1, 1), date(2027, 3, 31)).await.unwrap();
    assert_eq!(st.lines.len(), 4);
    assert_eq!(st.totals.collected_by_agency, 70_000);
    assert_eq!(st.totals.commission, 17_500);
    assert_eq!(st.totals.net_due_to_client, 52_500);
    assert_eq!(st.reversals, 25_000);
    let csv = remittance::to_csv(&st, Currency::USD);
    assert!(csv.contains(",NET due to client,,,,,525.00,"), "{csv}");
    let p1_line = csv.lines().find(|l| l.contains("LSB-SCN-1-001")).unwrap();
    assert!(p1_line.ends_with(",payment,to_agency,ach,250.00,62.50"), "{p1_line}");

    // Every money change is in the chain, and the chain holds.
    assert!(recoup_store::verify_audit(s, t).await.unwrap().is_ok());
    let _ = first;
}

async fn bad_payments_are_refused_and_change_nothing(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "BAD-1", owed(10_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let audit_before = s.audit_entries(o.tenant.id, 0, 10_000).await.unwrap().len();
    let zero = run(s, &o, id, payment::post(pay(0, today), today, &a)).await;
    assert!(matches!(&zero, Err(StoreError::Invalid { field, .. }) if field == "/amount"), "{zero:?}");
    let euro =
        run(s, &o, id, payment::post(NewPayment { currency: Currency::from_code("EUR").unwrap(), ..pay(100, today) }, today, &a)).await;
    assert!(matches!(&euro, Err(StoreError::Invalid { field, .. }) if field == "/currency"), "{euro:?}");
    let unknown = run(s, &o, id, payment::reverse(Uuid::now_v7(), ReversalReason::Nsf, today, today, &a)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    let past = vec![PromiseItem { due_on: date(2026, 11, 22), amount: 100 }];
    let p =
        run(s, &o, id, promise::take(NewPromise { id: Uuid::now_v7(), items: past, grace_days: None, channel: "api".into() }, today, &a))
            .await;
    assert!(matches!(&p, Err(StoreError::Invalid { field, .. }) if field == "/items/0/due_on"), "{p:?}");
    let terms = PlanTerms {
        frequency: Frequency::Weekly,
        sizing: Sizing::Installment(10),
        down_payment: 0,
        first_due_on: date(2026, 11, 30),
        apr: Default::default(),
        fee_per_installment: 0,
    };
    let pl = run(s, &o, id, plan::create(Uuid::now_v7(), terms, "api".into(), today, &a)).await;
    assert!(matches!(&pl, Err(StoreError::Invalid { field, .. }) if field == "/installment"), "{pl:?}");
    let low = NewSettlement {
        id: Uuid::now_v7(),
        offer: Offer::Amount(1_000),
        expires_on: date(2026, 12, 23),
        installments: Vec::new(),
        requested_by: Requester { id: Uuid::now_v7(), role: Role::Admin },
    };
    let st = run(s, &o, id, settlement::offer(low, today, &a)).await;
    assert!(matches!(&st, Err(StoreError::Invalid { field, .. }) if field == "/offer"), "below the 30 % floor: {st:?}");
    assert_eq!(s.audit_entries(o.tenant.id, 0, 10_000).await.unwrap().len(), audit_before, "nothing was written");
    assert_eq!(s.balance(o.tenant.id, id).await.unwrap(), owed(10_000, 0, 0));

    // A settlement caps what one payment may be; a closed account takes none.
    let ok = NewSettlement {
        id: Uuid::now_v7(),
        offer: Offer::Amount(8_000),
        expires_on: date(2026, 12, 23),
        installments: Vec::new(),
        requested_by: Requester { id: Uuid::now_v7(), role: Role::Agent },
    };
    run(s, &o, id, settlement::offer(ok, today, &a)).await.unwrap();
    let over = run(s, &o, id, payment::post(pay(8_001, today), today, &a)).await;
    assert!(matches!(&over, Err(StoreError::Invalid { field, .. }) if field == "/amount"), "{over:?}");
    run(s, &o, id, payment::post(pay(8_000, today), today, &a)).await.unwrap();
    assert_eq!(status(s, &o, id).await, AccountStatus::Settled);
    let closed = run(s, &o, id, payment::post(pay(100, today), today, &a)).await;
    assert!(matches!(closed, Err(StoreError::Refused(_))), "{closed:?}");
}

async fn a_reversal_reopens_a_kept_promise(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "KEPT-1", owed(50_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let items = vec![PromiseItem { due_on: date(2026, 11, 27), amount: 10_000 }];
    run(s, &o, id, promise::take(NewPromise { id: Uuid::now_v7(), items, grace_days: Some(0), channel: "portal".into() }, today, &a))
        .await
        .unwrap();
    let ch = run(s, &o, id, payment::post(pay(10_000, date(2026, 11, 25)), date(2026, 11, 25), &a)).await.unwrap();
    assert_eq!(only::<Promise>(s, &o, id).await.status, PromiseStatus::Kept, "kept the moment it is paid");
    assert!(ch.events.iter().any(|e| e.event_type.as_str() == "promise.kept"));
    let paid = only::<Payment>(s, &o, id).await.id;
    run(s, &o, id, payment::reverse(paid, ReversalReason::Chargeback, date(2026, 11, 26), date(2026, 11, 26), &a)).await.unwrap();
    assert_eq!(only::<Promise>(s, &o, id).await.status, PromiseStatus::Pending, "reopened before its date");
    assert_eq!(only::<Payment>(s, &o, id).await.status, PaymentStatus::Reversed);
    daily(s, o.tenant.id, date(2026, 11, 28), &a).await.unwrap();
    assert_eq!(only::<Promise>(s, &o, id).await.status, PromiseStatus::Broken);
}

async fn settlement_approval_follows_limits_and_never_self(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "APP-1", owed(100_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let supervisor = Uuid::now_v7();
    let sid = Uuid::now_v7();
    // A supervisor asks for 55 % off: beyond its own 50 %, so an admin must approve.
    let offer = NewSettlement {
        id: sid,
        offer: Offer::Percent("0.45".parse().unwrap()),
        expires_on: date(2026, 12, 20),
        installments: vec![
            PromiseItem { due_on: date(2026, 11, 30), amount: 20_000 },
            PromiseItem { due_on: date(2026, 12, 15), amount: 25_000 },
        ],
        requested_by: Requester { id: supervisor, role: Role::Supervisor },
    };
    run(s, &o, id, settlement::offer(offer, today, &a)).await.unwrap();
    let st = only::<Settlement>(s, &o, id).await;
    assert_eq!((st.amount, st.status), (45_000, SettlementStatus::PendingApproval));
    let own = run(s, &o, id, settlement::decide(sid, true, Requester { id: supervisor, role: Role::Admin }, None, &a)).await;
    assert!(matches!(own, Err(StoreError::NotAllowed(_))), "never one's own: {own:?}");
    let peer = Requester { id: Uuid::now_v7(), role: Role::Supervisor };
    let low = run(s, &o, id, settlement::decide(sid, true, peer, None, &a)).await;
    assert!(matches!(low, Err(StoreError::NotAllowed(_))), "55 % is beyond a supervisor's 50 %: {low:?}");
    let admin = Requester { id: Uuid::now_v7(), role: Role::Admin };
    run(s, &o, id, settlement::decide(sid, true, admin, None, &a)).await.unwrap();
    assert_eq!(only::<Settlement>(s, &o, id).await.status, SettlementStatus::Active);
    // Not paid by expiry: it lapses and the account stays open.
    daily(s, o.tenant.id, date(2026, 12, 21), &a).await.unwrap();
    assert_eq!(only::<Settlement>(s, &o, id).await.status, SettlementStatus::Expired);
    assert_eq!(status(s, &o, id).await, AccountStatus::Active);
}

async fn a_dispute_holds_until_verification_is_sent(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "DSP-1", owed(40_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let did = Uuid::now_v7();
    let n = NewDispute {
        id: did,
        reason: Reason::WrongAmount,
        text: "I paid part of this in June".into(),
        channel: "portal".into(),
        received_on: date(2026, 11, 20),
        disputed_amount: Some(5_000),
        validation_notice_sent_on: Some(date(2026, 10, 1)),
    };
    run(s, &o, id, dispute::open(n, today, &a)).await.unwrap();
    let d = only::<Dispute>(s, &o, id).await;
    // Notice Oct 1 -> assumed received Oct 6 -> period ends 30 days later, Nov 5: Nov 20 is after.
    assert_eq!((d.status, d.within_validation_period, d.sla_due_on), (DisputeStatus::Open, Some(false), date(2026, 12, 20)));
    assert!(s.account(o.tenant.id, id).await.unwrap().unwrap().flags.contains(Flag::Disputed));
    let h1 = only::<HoldRecord>(s, &o, id).await;
    assert_eq!((h1.kind, h1.status, h1.dispute_id), (HoldKind::Dispute, HoldStatus::Active, Some(did)));
    let direct = run(s, &o, id, hold::release(h1.id, "done".into(), today, &a)).await;
    assert!(matches!(direct, Err(StoreError::Refused(_))), "a dispute's hold moves with the dispute: {direct:?}");

    let mut aging = RecordQuery::of(RecordKind::Dispute);
    aging.statuses = vec!["open".into()];
    assert_eq!(s.records(o.tenant.id, &aging).await.unwrap().len(), 1);

    let bad = run(
        s,
        &o,
        id,
        dispute::update(did, DisputeUpdate { to: DisputeStatus::Open, note: "x".into(), adjust_by: None, close: false }, today, &a),
    )
    .await;
    assert!(matches!(bad, Err(StoreError::Refused(_))), "{bad:?}");
    let sent = DisputeUpdate { to: DisputeStatus::VerificationSent, note: "statement copies mailed".into(), adjust_by: None, close: false };
    run(s, &o, id, dispute::update(did, sent, date(2026, 11, 25), &a)).await.unwrap();
    assert_eq!(only::<HoldRecord>(s, &o, id).await.status, HoldStatus::Released);
    assert!(!s.account(o.tenant.id, id).await.unwrap().unwrap().flags.contains(Flag::Disputed));
    assert!(s.records(o.tenant.id, &aging).await.unwrap().is_empty());
    // Later upheld in part: the principal comes down by the disputed amount.
    let upheld = DisputeUpdate { to: DisputeStatus::Upheld, note: "June payment found".into(), adjust_by: Some(5_000), close: false };
    run(s, &o, id, dispute::update(did, upheld, date(2026, 12, 1), &a)).await.unwrap();
    assert_eq!(s.balance(o.tenant.id, id).await.unwrap(), owed(35_000, 0, 0));
}

async fn holds_set_flags_and_a_recall_stops_payments(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "HLD-1", owed(40_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let new = |kind, details: HoldDetails| NewHold { id: Uuid::now_v7(), kind, reason: "debtor called".into(), details, until: None };
    let bare = run(s, &o, id, hold::add(new(HoldKind::Bankruptcy, HoldDetails::default()), today, &a)).await;
    assert!(matches!(&bare, Err(StoreError::Invalid { field, .. }) if field == "/details/chapter"), "{bare:?}");
    let ch13 = HoldDetails { chapter: Some(13), case_number: Some("26-10442".into()), filed_on: Some(date(2026, 11, 2)), contact: None };
    run(s, &o, id, hold::add(new(HoldKind::Bankruptcy, ch13.clone()), today, &a)).await.unwrap();
    assert!(s.account(o.tenant.id, id).await.unwrap().unwrap().flags.contains(Flag::Bankruptcy));
    let twice = run(s, &o, id, hold::add(new(HoldKind::Bankruptcy, ch13), today, &a)).await;
    assert!(matches!(twice, Err(StoreError::Refused(_))), "{twice:?}");
    let stayed = run(s, &o, id, payment::post(pay(100, today), today, &a)).await;
    assert!(matches!(stayed, Err(StoreError::Refused(_))), "the stay stops collection: {stayed:?}");

    let other = place_one(s, &o, "HLD-2", owed(40_000, 0, 0)).await;
    let recall = new(HoldKind::Recall, HoldDetails::default());
    let recall_id = recall.id;
    run(s, &o, other, hold::add(recall, today, &a)).await.unwrap();
    assert_eq!(status(s, &o, other).await, AccountStatus::Recalled);
    let refused = run(s, &o, other, payment::post(pay(100, today), today, &a)).await;
    assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
    run(s, &o, other, hold::release(recall_id, "client returned the account".into(), today, &a)).await.unwrap();
    assert_eq!(status(s, &o, other).await, AccountStatus::Active);
    let audited =
        s.search_audit(o.tenant.id, &recoup_store::AuditQuery { entity_id: Some(other), ..Default::default() }, 0, 100).await.unwrap();
    let released = audited.iter().find(|e| e.event.action == "hold.released").unwrap();
    assert!(released.event.data.contains("client returned the account"), "who and why are kept: {}", released.event.data);
}

async fn a_hardship_pause_ends_on_its_day(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "HSP-1", owed(40_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let pause = NewHold {
        id: Uuid::now_v7(),
        kind: HoldKind::HardshipPause,
        reason: "lost job".into(),
        details: HoldDetails::default(),
        until: Some(date(2026, 12, 31)),
    };
    run(s, &o, id, hold::add(pause, today, &a)).await.unwrap();
    daily(s, o.tenant.id, date(2026, 12, 31), &a).await.unwrap();
    assert_eq!(only::<HoldRecord>(s, &o, id).await.status, HoldStatus::Active, "Dec 31 is still covered");
    daily(s, o.tenant.id, date(2027, 1, 1), &a).await.unwrap();
    assert_eq!(only::<HoldRecord>(s, &o, id).await.status, HoldStatus::Released);
}

async fn the_clients_policy_sets_plan_interest_commission_and_limits(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let id = place_one(s, &o, "POL-1", owed(120_000, 0, 0)).await;
    let a = actor();
    let today = date(2026, 11, 23);
    let terms = PlanTerms {
        frequency: Frequency::Monthly,
        sizing: Sizing::Count(12),
        down_payment: 0,
        first_due_on: date(2026, 12, 23),
        apr: "0.10".parse().unwrap(),
        fee_per_installment: 0,
    };
    let refused = run(s, &o, id, plan::create(Uuid::now_v7(), terms.clone(), "agent".into(), today, &a)).await;
    assert!(matches!(&refused, Err(StoreError::Invalid { field, .. }) if field == "/apr"), "no interest by default: {refused:?}");

    let mut policy = recoup_domain::client_policy::ClientPolicy::default();
    policy.plans.interest_allowed = true;
    policy.plans.max_apr = "0.12".parse().unwrap();
    policy.settlements.agent = "0.40".parse().unwrap();
    policy.portfolio_commission.insert(o.portfolio.id, "0.30".parse().unwrap());
    let mut bad = policy.clone();
    bad.settlements.floor = "1.5".parse().unwrap();
    let e = s.set_client_policy(t, o.client.id, &bad, &a).await;
    assert!(matches!(&e, Err(StoreError::Invalid { field, .. }) if field == "/settlements/floor"), "{e:?}");
    s.set_client_policy(t, o.client.id, &policy, &a).await.unwrap();
    assert_eq!(s.client_policy(t, o.client.id).await.unwrap(), policy);

    // Interest is charged as each installment falls due, never before.
    let plan_id = Uuid::now_v7();
    run(s, &o, id, plan::create(plan_id, terms, "agent".into(), today, &a)).await.unwrap();
    let p = only::<Plan>(s, &o, id).await;
    let first = p.installments[0].clone();
    assert!(first.interest > 0, "{first:?}");
    assert_eq!(p.installments.iter().map(|i| i.principal).sum::<i64>(), 120_000, "principal adds up exactly");
    daily(s, t, date(2026, 12, 22), &a).await.unwrap();
    assert_eq!(s.balance(t, id).await.unwrap().interest, 0);
    run(s, &o, id, payment::post(pay(first.amount, date(2026, 12, 23)), date(2026, 12, 23), &a)).await.unwrap();
    let ledger = s.ledger(t, id).await.unwrap();
    let charged: Vec<_> = ledger.iter().filter(|e| e.kind == EntryKind::Interest).collect();
    assert_eq!(charged.len(), 1);
    assert_eq!(charged[0].delta.interest, first.interest);
    assert_eq!(s.balance(t, id).await.unwrap(), owed(120_000 - first.principal, 0, 0), "the installment paid its interest and principal");
    let paid = only::<Payment>(s, &o, id).await;
    let expected = (rust_decimal::Decimal::from(first.amount) * rust_decimal::Decimal::new(30, 2))
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven);
    assert_eq!(rust_decimal::Decimal::from(paid.commission), expected, "the portfolio's 30 %, not the client's 25 %");

    // 35 % off is inside this client's agent limit of 40 %.
    let other = place_one(s, &o, "POL-2", owed(10_000, 0, 0)).await;
    let offer = NewSettlement {
        id: Uuid::now_v7(),
        offer: Offer::Percent("0.65".parse().unwrap()),
        expires_on: date(2026, 12, 20),
        installments: Vec::new(),
        requested_by: Requester { id: Uuid::now_v7(), role: Role::Agent },
    };
    run(s, &o, other, settlement::offer(offer, today, &a)).await.unwrap();
    assert_eq!(only::<Settlement>(s, &o, other).await.status, SettlementStatus::Active);
    let changes = s.search_audit(t, &recoup_store::AuditQuery { entity_id: Some(o.client.id), ..Default::default() }, 0, 10).await.unwrap();
    assert!(changes.iter().any(|e| e.event.action == "client.policy_changed"));
}

async fn several_accounts_in_one_transaction_land_together_or_not_at_all(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    let (a, b) = (place_one(s, &o, "MANY-1", owed(10_000, 0, 0)).await, place_one(s, &o, "MANY-2", owed(10_000, 0, 0)).await);
    let who = actor();
    let today = date(2026, 11, 23);
    let split = |amount| NewPayment { split: true, ..pay(amount, today) };
    let n = NewDispute {
        id: Uuid::now_v7(),
        reason: Reason::NotMine,
        text: String::new(),
        channel: "agent".into(),
        received_on: today,
        disputed_amount: None,
        validation_notice_sent_on: None,
    };
    run(s, &o, b, dispute::open(n, today, &who)).await.unwrap();
    // The disputed debt's part is refused after the first part was decided: neither lands.
    let e = s.service_many(t, vec![(a, payment::post(split(1_000), today, &who)), (b, payment::post(split(500), today, &who))]).await;
    assert!(matches!(e, Err(StoreError::Refused(_))), "{e:?}");
    assert_eq!(s.balance(t, a).await.unwrap(), owed(10_000, 0, 0), "the first part did not land alone");
    // A payment to the disputed debt alone is the debtor's own choice and is taken.
    run(s, &o, b, payment::post(pay(500, today), today, &who)).await.unwrap();
    let both = s
        .service_many(t, vec![(b, payment::post(pay(100, today), today, &who)), (a, payment::post(split(1_000), today, &who))])
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both[1].balance, Some(owed(9_000, 0, 0)), "results come back in the order asked");
    let twice =
        s.service_many(t, vec![(a, payment::post(pay(1, today), today, &who)), (a, payment::post(pay(1, today), today, &who))]).await;
    assert!(matches!(twice, Err(StoreError::Invalid { .. })), "{twice:?}");
}
