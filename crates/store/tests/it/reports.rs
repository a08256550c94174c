use crate::conformance;
use crate::support::{Harness, actor, org, owed, place_one, placement};
use jiff::civil::date;
use recoup_domain::kpi::Bucket;
use recoup_domain::message::CallResult;
use recoup_domain::policy::{Medium, Outcome};
use recoup_store::reports::{CollectedDay, ContactCount, DoneBy, Move, OwedAt, RecordCount, ReportQuery};
use recoup_store::servicing::RecordKind;
use recoup_store::servicing::contact::{self, ContactAttempt};
use recoup_store::servicing::payment::{self, NewPayment, ReversalReason};

conformance!(
    kept_sums_equal_their_facts_after_every_kind_of_change,
    month_ends_are_kept_once_over_and_reopened_by_a_change_dated_in_them,
    a_portfolio_narrows_every_part,
    placements_sum_what_was_placed_and_collected_net_of_reversals,
    report_data_reads_money_owed_contacts_and_records_for_the_window,
    month_end_balances_follow_each_account_from_bucket_to_bucket
);

/// A payment effective on the 10th of November 2026.
fn pay(amount: i64) -> NewPayment {
    crate::servicing::pay(amount, date(2026, 11, 10))
}

async fn placements_sum_what_was_placed_and_collected_net_of_reversals(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let on = date(2026, 11, 10);
    let first = place_one(s, &o, "R-1", owed(100_000, 5_000, 0)).await;
    place_one(s, &o, "R-2", owed(40_000, 0, 1_000)).await;
    s.service(t, first, payment::post(pay(30_000), on, &a)).await.unwrap();
    let ch = s.service(t, first, payment::post(pay(20_000), on, &a)).await.unwrap();
    let bounced = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
    s.service(t, first, payment::reverse(bounced, ReversalReason::Nsf, on, on, &a)).await.unwrap();
    // An overpayment on a small account: the credit it leaves is still money collected.
    let small = place_one(s, &o, "R-3", owed(1_000, 0, 0)).await;
    s.service(t, small, payment::post(pay(1_500), on, &a)).await.unwrap();

    // A second, later placement of the same client with nothing collected.
    let later = recoup_domain::org::Placement { placed_on: date(2026, 11, 20), ..placement(&o.tenant, &o.client, &o.portfolio) };
    s.begin_placement(&later, &a).await.unwrap();
    let mut row = crate::support::placed(&o, "R-4", owed(7_000, 0, 0), "+15125557955");
    row.account.placement_id = later.id;
    s.write_placed(&later, vec![row], &a).await.unwrap();

    let all = s.placement_summaries(t, None).await.unwrap();
    let got: Vec<_> = all.iter().map(|p| (p.placement.id, p.currency.as_str(), p.accounts, p.placed_minor, p.collected_minor)).collect();
    assert_eq!(got, vec![(later.id, "USD", 1, 7_000, 0), (o.placement.id, "USD", 3, 147_000, 31_500)], "newest first");
    assert_eq!(s.placement_summaries(t, Some(o.client.id)).await.unwrap(), all);
    assert!(s.placement_summaries(t, Some(uuid::Uuid::now_v7())).await.unwrap().is_empty(), "another client's: none");
    assert!(s.placement_summaries(org(s).await.tenant.id, None).await.unwrap().is_empty(), "another tenant's: none");
}

/// A dispute received on `day`: not mine.
fn dispute_on(day: jiff::civil::Date) -> recoup_store::servicing::dispute::NewDispute {
    recoup_store::servicing::dispute::NewDispute {
        id: uuid::Uuid::now_v7(),
        reason: recoup_domain::dispute::Reason::NotMine,
        text: String::new(),
        channel: "phone".into(),
        received_on: day,
        disputed_amount: None,
        validation_notice_sent_on: None,
    }
}

/// A promise of `amount` due `days` after `today`.
fn promise_in(today: jiff::civil::Date, days: i64, amount: i64) -> recoup_store::servicing::promise::NewPromise {
    recoup_store::servicing::promise::NewPromise {
        id: uuid::Uuid::now_v7(),
        items: vec![recoup_domain::promise::PromiseItem { due_on: today.checked_add(jiff::Span::new().days(days)).unwrap(), amount }],
        grace_days: None,
        channel: "phone".into(),
    }
}

/// Two accounts placed; the first pays 300.00, then 200.00 that bounces on `bounced_on`.
async fn two_accounts_one_paying(
    s: &dyn recoup_store::Store,
    o: &crate::support::Org,
    refs: [&str; 2],
    bounced_on: jiff::civil::Date,
) -> (uuid::Uuid, uuid::Uuid) {
    let (t, a) = (o.tenant.id, actor());
    let on = date(2026, 11, 10);
    let first = place_one(s, o, refs[0], owed(100_000, 5_000, 0)).await;
    let second = place_one(s, o, refs[1], owed(40_000, 0, 1_000)).await;
    s.service(t, first, payment::post(pay(30_000), on, &a)).await.unwrap();
    let later = NewPayment { effective_on: date(2026, 11, 12), ..pay(20_000) };
    let ch = s.service(t, first, payment::post(later, on, &a)).await.unwrap();
    let bounced = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
    s.service(t, first, payment::reverse(bounced, ReversalReason::Nsf, bounced_on, bounced_on, &a)).await.unwrap();
    (first, second)
}

/// A contact attempt at `at`; a call's outcome follows its result, as Reg F counts it.
pub fn attempt(medium: Medium, result: Option<CallResult>, inbound: bool, at: &str) -> ContactAttempt {
    ContactAttempt {
        id: uuid::Uuid::now_v7(),
        account_id: uuid::Uuid::nil(),
        contact_point_id: None,
        medium,
        at: at.parse().unwrap(),
        outcome: result.map_or(Outcome::NoConversation, CallResult::outcome),
        result,
        message_id: None,
        inbound,
        by: String::new(),
        note: None,
        queue: None,
    }
}

async fn report_data_reads_money_owed_contacts_and_records_for_the_window(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let on = date(2026, 11, 10);
    let (first, second) = two_accounts_one_paying(s, &o, ["D-1", "D-2"], date(2026, 11, 15)).await;

    let agent = recoup_store::Actor::new("user:agent-1");
    let calls = [
        attempt(Medium::Call, Some(CallResult::RightParty), false, "2026-11-10T15:00:00Z"),
        attempt(Medium::Call, Some(CallResult::NoAnswer), false, "2026-11-10T16:00:00Z"),
        attempt(Medium::Call, Some(CallResult::RightParty), true, "2026-11-11T16:00:00Z"),
        attempt(Medium::Call, Some(CallResult::NoAnswer), false, "2026-10-30T16:00:00Z"),
    ];
    for c in calls {
        s.service(t, first, contact::log(c, None, &agent)).await.unwrap();
    }
    s.service(t, second, contact::log(attempt(Medium::Sms, None, false, "2026-11-12T16:00:00Z"), None, &a)).await.unwrap();
    let today = jiff::Zoned::now().date();
    s.service(t, second, recoup_store::servicing::promise::take(promise_in(today, 9, 5_000), today, &agent)).await.unwrap();
    s.service(t, second, recoup_store::servicing::dispute::open(dispute_on(today), today, &a)).await.unwrap();

    let q = ReportQuery::window(date(2026, 11, 1), today);
    let d = s.report_data(t, &q).await.unwrap();
    assert_eq!(d.placements.len(), 1);
    let mut collected = d.collected.clone();
    collected.sort_by_key(|c| c.on);
    let day = |on, minor| CollectedDay { vintage: "2026-11".into(), on, currency: "USD".into(), minor };
    assert_eq!(collected, vec![day(on, 30_000), day(date(2026, 11, 12), 20_000), day(date(2026, 11, 15), -20_000)]);
    // Both accounts owe, delinquent since the fixture's day: 75,000 + 41,000.
    assert_eq!(d.owed.len(), 1);
    assert_eq!((d.owed[0].since, d.owed[0].accounts, d.owed[0].owed_minor), (Some(date(2023, 4, 1)), 2, 116_000));

    let mut contacts = d.contacts.clone();
    contacts.sort_by(|x, y| (&x.by, &x.medium, &x.result, x.inbound).cmp(&(&y.by, &y.medium, &y.result, y.inbound)));
    let count = |by: &str, medium: &str, result: Option<&str>, inbound, count| ContactCount {
        by: by.into(),
        medium: medium.into(),
        result: result.map(String::from),
        inbound,
        queue: String::new(),
        count,
    };
    assert_eq!(
        contacts,
        vec![
            count(&a.0, "sms", None, false, 1),
            count("user:agent-1", "call", Some("no_answer"), false, 1),
            count("user:agent-1", "call", Some("right_party"), false, 1),
            count("user:agent-1", "call", Some("right_party"), true, 1),
        ],
        "October's call is outside the window"
    );
    assert!(d.records.contains(&RecordCount { kind: "dispute".into(), status: "open".into(), count: 1 }), "{:?}", d.records);

    let mut done = d.done_by.clone();
    done.sort_by(|x, y| x.kind.cmp(&y.kind));
    let by = |by: &str, kind: &str, currency: &str, count, minor| DoneBy {
        by: by.into(),
        kind: kind.into(),
        currency: currency.into(),
        count,
        minor,
    };
    assert_eq!(
        done,
        vec![by(&a.0, "payment", "USD", 1, 30_000), by("user:agent-1", "promise", "", 1, 0)],
        "the bounced payment is not counted"
    );

    let only_other = ReportQuery { client_id: Some(uuid::Uuid::now_v7()), ..q.clone() };
    let none = s.report_data(t, &only_other).await.unwrap();
    assert!(none.collected.is_empty() && none.owed.is_empty() && none.contacts.is_empty() && none.records.is_empty());
    let early = s.report_data(t, &ReportQuery { to: date(2026, 11, 11), ..q }).await.unwrap();
    assert_eq!(early.collected.iter().map(|c| c.minor).sum::<i64>(), 30_000, "money in up to the window's end only");
}

/// Month-end balances by bucket and where each bucket's balance went a month later: one account
/// ages from 1-30 to 61-90 after a part payment, one long-delinquent account is paid off.
async fn month_end_balances_follow_each_account_from_bucket_to_bucket(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let rows = [("M-1", owed(10_000, 0, 0), Some(date(2026, 9, 1))), ("M-2", owed(40_000, 0, 1_000), None)];
    let ids = crate::support::place_on(s, &o, date(2026, 9, 15), &rows).await;
    let (x_id, y_id) = (ids[0], ids[1]);
    let on = |d| NewPayment { effective_on: d, ..pay(0) };
    s.service(t, x_id, payment::post(NewPayment { amount: 4_000, ..on(date(2026, 10, 10)) }, date(2026, 10, 10), &a)).await.unwrap();
    s.service(t, y_id, payment::post(NewPayment { amount: 41_000, ..on(date(2026, 11, 5)) }, date(2026, 11, 5), &a)).await.unwrap();

    let q = ReportQuery::window(date(2026, 10, 1), date(2026, 11, 30));
    let d = s.report_data(t, &q).await.unwrap();
    let at = |on, bucket, owed_minor| OwedAt { on, currency: "USD".into(), bucket, accounts: 1, owed_minor };
    let (sep, oct, nov) = (date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30));
    assert_eq!(
        d.owed_at,
        vec![
            at(sep, Bucket::D1To30, 10_000),
            at(sep, Bucket::Over180, 41_000),
            at(oct, Bucket::D31To60, 6_000),
            at(oct, Bucket::Over180, 41_000),
            at(nov, Bucket::D61To90, 6_000),
        ]
    );
    let mv = |on, from, to, from_minor, to_minor| Move { on, currency: "USD".into(), from, to, accounts: 1, from_minor, to_minor };
    assert_eq!(
        d.moves,
        vec![
            mv(sep, Bucket::D1To30, Some(Bucket::D31To60), 10_000, 6_000),
            mv(sep, Bucket::Over180, Some(Bucket::Over180), 41_000, 41_000),
            mv(oct, Bucket::D31To60, Some(Bucket::D61To90), 6_000, 6_000),
            mv(oct, Bucket::Over180, None, 41_000, 0),
        ]
    );
}

/// Rows where a kept sum and the sum of its facts (migration 0018's views) differ, per sum, for
/// one tenant: every way the sums are kept must agree with what they sum. Ledger sums are
/// compared by day, kind and currency: the placement and queue they are kept under are the
/// account's at posting, which the view, reading the account as it is now, cannot know.
async fn differences(h: &Harness, tenant_id: uuid::Uuid) -> Vec<(&'static str, i64)> {
    let t = h.uuid_literal(tenant_id);
    let sums = [
        ("ledger_days", "ledger_facts", "kind, on_day, currency", "principal, interest, fees, costs, credit", "entries", ""),
        ("placement_sums", "account_facts", "placement_id, currency", "placed", "accounts", ""),
        ("owed_sums", "account_facts", "client_id, portfolio_id, queue, currency, since", "owed", "accounts", " AND owed > 0"),
        (
            "record_days",
            "record_facts",
            "fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue",
            "minor",
            "n",
            "",
        ),
    ];
    let mut out = Vec::new();
    for (table, facts, dims, amounts, count, only) in sums {
        let summed = |counted: &str| {
            let amounts: Vec<String> = amounts.split(", ").map(|a| format!("SUM({a})")).collect();
            format!("{dims}, {counted}, {}", amounts.join(", "))
        };
        let kept = format!(
            "SELECT {} FROM {table} WHERE tenant_id = {t} GROUP BY {dims} HAVING SUM({count}) <> 0",
            summed(&format!("SUM({count})"))
        );
        let derived = format!("SELECT {} FROM {facts} WHERE tenant_id = {t}{only} GROUP BY {dims}", summed("COUNT(*)"));
        let n = h.raw_count(&format!("SELECT COUNT(*) FROM ({kept} EXCEPT {derived}) x")).await
            + h.raw_count(&format!("SELECT COUNT(*) FROM ({derived} EXCEPT {kept}) y")).await;
        out.push((table, n));
    }
    out
}

/// A call task on the account's first phone, due on a weekday afternoon in the debtor's zone.
async fn call_task(s: &dyn recoup_store::Store, t: uuid::Uuid, account_id: uuid::Uuid, queue: &str) -> uuid::Uuid {
    use recoup_store::servicing::task::{self, CallTask, TaskStatus};
    let parties = s.parties_of(t, account_id).await.unwrap();
    let point = parties.iter().flat_map(|p| &p.contact_points).find(|c| c.kind == recoup_domain::contact::ContactKind::Phone).unwrap();
    let at: jiff::Timestamp = "2026-11-18T18:00:00Z".parse().unwrap();
    let new = CallTask::new(account_id, point.id, queue, "first call", at);
    let id = new.id;
    let ch = s.service(t, account_id, task::create(new, task::agent_call(point.clone(), None, at), &actor())).await.unwrap();
    let made: CallTask = recoup_store::servicing::changed(&ch, id).unwrap();
    assert_eq!(made.status, TaskStatus::Open, "the policy allows the call");
    id
}

fn no_differences() -> Vec<(&'static str, i64)> {
    ["ledger_days", "placement_sums", "owed_sums", "record_days"].into_iter().map(|t| (t, 0)).collect()
}

async fn kept_sums_equal_their_facts_after_every_kind_of_change(h: &Harness) {
    use recoup_store::servicing::{dispute, hold, promise};
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let on = date(2026, 11, 10);
    let (first, second) = two_accounts_one_paying(s, &o, ["K-1", "K-2"], date(2026, 11, 15)).await;
    let agent = recoup_store::Actor::new("user:agent-1");
    for c in [
        attempt(Medium::Call, Some(CallResult::RightParty), false, "2026-11-10T15:00:00Z"),
        attempt(Medium::Sms, None, false, "2026-11-10T16:00:00Z"),
        attempt(Medium::Call, Some(CallResult::NoAnswer), true, "2026-11-11T16:00:00Z"),
    ] {
        s.service(t, second, contact::log(c, None, &agent)).await.unwrap();
    }
    let today = jiff::Zoned::now().date();
    s.service(t, second, promise::take(promise_in(today, 5, 5_000), today, &agent)).await.unwrap();
    assert_eq!(differences(h, t).await, no_differences(), "after payments, a reversal, contacts and a promise");

    // Two call tasks in the early queue, one worked by a call: its status changes in place, and
    // the call counts under the task's queue.
    let worked = call_task(s, t, second, "early").await;
    call_task(s, t, second, "early").await;
    let call = attempt(Medium::Call, Some(CallResult::PromiseTaken), false, "2026-11-18T18:00:00Z");
    s.service(t, second, contact::log(call, Some(worked), &agent)).await.unwrap();
    assert_eq!(differences(h, t).await, no_differences(), "after a task opened and one worked");
    let d = s.report_data(t, &ReportQuery::window(date(2026, 11, 1), today)).await.unwrap();
    let mut tasks: Vec<_> = d.tasks.iter().map(|c| (c.queue.as_str(), c.status.as_str(), c.count)).collect();
    tasks.sort();
    assert_eq!(tasks, [("early", "done", 1), ("early", "open", 1)]);
    let from_queue: Vec<_> =
        d.contacts.iter().filter(|c| !c.queue.is_empty()).map(|c| (c.queue.as_str(), c.result.as_deref(), c.count)).collect();
    assert_eq!(from_queue, [("early", Some("promise_taken"), 1)], "only the call that worked a task has a queue");

    // A dispute opened and moved on: its record (and its hold's) changes status in place.
    let opened = dispute_on(today);
    s.service(t, first, dispute::open(opened.clone(), today, &a)).await.unwrap();
    let withdrawn = dispute::DisputeUpdate {
        to: recoup_domain::dispute::DisputeStatus::Withdrawn,
        note: "the debtor recognised the debt".into(),
        adjust_by: None,
        close: false,
    };
    s.service(t, first, dispute::update(opened.id, withdrawn, today, &a)).await.unwrap();
    let cease = hold::NewHold {
        id: uuid::Uuid::now_v7(),
        kind: recoup_domain::hold::HoldKind::Cease,
        reason: "letter".into(),
        details: Default::default(),
        until: None,
    };
    s.service(t, second, hold::add(cease, today, &a)).await.unwrap();
    // Into a queue, then into another portfolio behind the store's back.
    let queued = recoup_store::Assignment { stage: None, queue: Some(Some("late".into())), agent_id: None };
    s.assign(t, second, &queued, &a).await.unwrap();
    let other = recoup_domain::org::Portfolio { id: uuid::Uuid::now_v7(), code: "AUTO".into(), name: "Auto".into(), ..o.portfolio.clone() };
    s.create_portfolio(&other, &a).await.unwrap();
    let moved = format!(
        "UPDATE accounts SET portfolio_id = {} WHERE tenant_id = {} AND id = {}",
        h.uuid_literal(other.id),
        h.uuid_literal(t),
        h.uuid_literal(second)
    );
    h.raw_try(&moved).await.unwrap();
    s.service(t, second, payment::post(pay(1_000), on, &a)).await.unwrap();
    assert_eq!(differences(h, t).await, no_differences(), "after status changes, a queue and a portfolio move");
    let q = ReportQuery { portfolio_id: Some(other.id), ..ReportQuery::window(date(2026, 11, 1), today) };
    let d = s.report_data(t, &q).await.unwrap();
    assert_eq!(d.contacts.iter().map(|c| c.count).sum::<u64>(), 4, "the moved account's contacts moved with it");
    assert_eq!(d.owed.iter().map(|o| (o.queue.as_str(), o.accounts)).collect::<Vec<_>>(), [("late", 1)]);
    assert_eq!(d.queue_collected.iter().map(|c| (c.queue.as_str(), c.minor)).collect::<Vec<_>>(), [("late", 1_000)]);
}

/// A window of months already over is replayed once and kept; a payment dated inside it
/// reopens the month-ends from its day on, and the next look replays them with it.
async fn month_ends_are_kept_once_over_and_reopened_by_a_change_dated_in_them(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let ids = crate::support::place_on(s, &o, date(2026, 8, 15), &[("E-1", owed(10_000, 0, 0), Some(date(2026, 8, 1)))]).await;
    let q = ReportQuery::window(date(2026, 9, 1), date(2026, 10, 31));
    let kept = format!("SELECT COUNT(*) FROM month_end_closes WHERE tenant_id = {}", h.uuid_literal(t));
    let first = s.report_data(t, &q).await.unwrap();
    assert_eq!(h.raw_count(&kept).await, 3, "August, September and October are over and kept");
    let owed_at = |d: &recoup_store::reports::ReportData| d.owed_at.iter().map(|o| (o.on, o.bucket, o.owed_minor)).collect::<Vec<_>>();
    let (aug, sep, oct) = (date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31));
    // Delinquent since the 1st of August: 30, 60 and 91 days past due at the three month-ends.
    assert_eq!(owed_at(&first), [(aug, Bucket::D1To30, 10_000), (sep, Bucket::D31To60, 10_000), (oct, Bucket::D91To120, 10_000)]);
    assert_eq!(s.report_data(t, &q).await.unwrap(), first, "read back from what was kept, the same");
    assert_eq!(s.close_month_ends(t, &[aug, sep, oct]).await.unwrap(), 0, "nothing left to keep");

    // Paid in part on the 20th of September: August stays kept, September on is reopened.
    let late = NewPayment { amount: 4_000, ..crate::servicing::pay(0, date(2026, 9, 20)) };
    s.service(t, ids[0], payment::post(late, date(2026, 9, 20), &a)).await.unwrap();
    assert_eq!(h.raw_count(&kept).await, 1, "only August is still kept");
    let after = s.report_data(t, &q).await.unwrap();
    assert_eq!(owed_at(&after), [(aug, Bucket::D1To30, 10_000), (sep, Bucket::D31To60, 6_000), (oct, Bucket::D91To120, 6_000)]);
    let moves: Vec<_> = after.moves.iter().map(|m| (m.on, m.from, m.to, m.from_minor, m.to_minor)).collect();
    assert_eq!(
        moves,
        [(aug, Bucket::D1To30, Some(Bucket::D31To60), 10_000, 6_000), (sep, Bucket::D31To60, Some(Bucket::D91To120), 6_000, 6_000)]
    );
    assert_eq!(h.raw_count(&kept).await, 3, "kept again");
}

async fn a_portfolio_narrows_every_part(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let on = date(2026, 11, 10);
    let id = place_one(s, &o, "P-1", owed(10_000, 0, 0)).await;
    s.service(t, id, payment::post(pay(2_500), on, &a)).await.unwrap();
    let q = ReportQuery { client_id: Some(o.client.id), ..ReportQuery::window(date(2026, 10, 1), date(2026, 11, 30)) };
    let mine = s.report_data(t, &ReportQuery { portfolio_id: Some(o.portfolio.id), ..q.clone() }).await.unwrap();
    assert_eq!(mine, s.report_data(t, &q).await.unwrap(), "the client's only portfolio: all of it");
    assert_eq!(mine.collected.iter().map(|c| c.minor).sum::<i64>(), 2_500);
    let other = s.report_data(t, &ReportQuery { portfolio_id: Some(uuid::Uuid::now_v7()), ..q }).await.unwrap();
    assert!(other.placements.is_empty() && other.collected.is_empty() && other.owed.is_empty());
    assert!(other.owed_at.is_empty() && other.moves.is_empty() && other.queue_collected.is_empty());
}
