use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn entry(n: u128, due: &str, appointment: bool, expected: i64, since: Option<Date>) -> Entry {
    Entry {
        task_id: Uuid::from_u128(n),
        account_id: Uuid::from_u128(n + 1000),
        due_at: at(due),
        appointment,
        expected_minor: expected,
        delinquent_since: since,
    }
}

#[test]
fn a_score_is_taken_as_it_is_and_marked_as_scored() {
    let s = Signals { score: Some(730), promises_broken: 3, ..Signals::default() };
    assert_eq!(propensity(&s), Propensity { per_mille: 730, scored: true });
    assert_eq!(propensity(&Signals { score: Some(1400), ..Signals::default() }).per_mille, 1000);
    assert_eq!(propensity(&Signals { score: Some(-5), ..Signals::default() }).per_mille, 0);
}

#[test]
fn the_heuristic_favours_fresh_debt_recent_payers_and_kept_promises() {
    let base = Signals { days_past_due: Some(100), ..Signals::default() };
    let p = |s: Signals| propensity(&s).per_mille;
    let plain = p(base.clone());
    assert!(!propensity(&base).scored);
    assert!(p(Signals { days_past_due: Some(30), ..base.clone() }) > plain);
    assert!(p(Signals { days_past_due: Some(31), ..base.clone() }) < p(Signals { days_past_due: Some(30), ..base.clone() }));
    assert!(p(Signals { days_past_due: Some(400), ..base.clone() }) < plain);
    assert!(p(Signals { days_since_payment: Some(10), ..base.clone() }) > plain);
    assert!(p(Signals { days_since_rpc: Some(30), ..base.clone() }) > plain);
    assert_eq!(p(Signals { days_since_rpc: Some(31), ..base.clone() }), plain);
    assert!(p(Signals { promises_kept: 2, ..base.clone() }) > p(Signals { promises_kept: 1, ..base.clone() }));
    assert!(p(Signals { promises_broken: 1, ..base.clone() }) < plain);
    assert!(p(Signals { plans_broken: 1, ..base.clone() }) < plain);
}

#[test]
fn the_heuristic_stays_a_guess_at_its_extremes() {
    let worst = Signals { days_past_due: Some(2000), promises_broken: 9, plans_broken: 9, ..Signals::default() };
    let best =
        Signals { days_past_due: Some(1), days_since_payment: Some(1), days_since_rpc: Some(1), promises_kept: 9, ..Signals::default() };
    assert_eq!(propensity(&worst).per_mille, 20);
    assert!(propensity(&best).per_mille <= 950);
}

#[test]
fn the_heuristics_reasons_add_up_to_it_largest_first() {
    let s = Signals { days_past_due: Some(400), days_since_payment: Some(20), promises_broken: 1, ..Signals::default() };
    let c = contributions(&s);
    let words: Vec<&str> = c.iter().map(|c| c.why.as_str()).collect();
    assert_eq!(words, ["paid in the last 30 days", "delinquent over a year", "broke 1 promise"]);
    assert_eq!(BASE + c.iter().map(|c| c.points).sum::<i64>(), i64::from(propensity(&s).per_mille));
    assert!(contributions(&Signals::default()).is_empty(), "no signal, no reason");
    let many = Signals { promises_kept: 5, ..Signals::default() };
    assert_eq!(contributions(&many), [Contribution { points: 150, why: "kept 5 promises".into() }], "counted up to three");
}

#[test]
fn expected_recovery_rounds_down_and_ignores_credit_balances() {
    let p = Propensity { per_mille: 333, scored: false };
    assert_eq!(expected_recovery(1_000, p), 333);
    assert_eq!(expected_recovery(1_001, p), 333);
    assert_eq!(expected_recovery(1_004, p), 334);
    assert_eq!(expected_recovery(0, p), 0);
    assert_eq!(expected_recovery(-5_000, p), 0);
    let all = Propensity { per_mille: 1000, scored: true };
    assert_eq!(expected_recovery(i64::MAX, all), i64::MAX);
}

#[test]
fn appointments_due_come_first_soonest_first_then_expected_recovery_then_age() {
    let now = at("2026-11-24T15:00:00Z");
    let mut v = vec![
        entry(1, "2026-11-24T09:00:00Z", false, 50_000, Some(date(2026, 1, 1))),
        entry(2, "2026-11-24T14:30:00Z", true, 100, None),
        entry(3, "2026-11-24T14:00:00Z", true, 10, None),
        entry(4, "2026-11-24T09:00:00Z", false, 90_000, Some(date(2026, 6, 1))),
        entry(5, "2026-11-24T09:00:00Z", false, 50_000, Some(date(2025, 1, 1))),
        entry(6, "2026-11-24T09:00:00Z", false, 50_000, None),
        entry(7, "2026-11-24T15:00:01Z", true, 1_000_000, None),
        entry(8, "2026-11-24T16:00:00Z", false, 9_000_000, None),
    ];
    order(&mut v, now);
    let ids: Vec<u128> = v.iter().map(|e| e.task_id.as_u128()).collect();
    assert_eq!(ids, vec![3, 2, 4, 5, 1, 6, 7, 8]);
}

#[test]
fn a_task_is_due_at_its_instant_and_not_a_second_before() {
    let e = entry(1, "2026-11-24T15:00:00Z", true, 0, None);
    assert_eq!(band(&e, at("2026-11-24T14:59:59Z")), Band::Later);
    assert_eq!(band(&e, at("2026-11-24T15:00:00Z")), Band::Appointment);
    let e = Entry { appointment: false, ..e };
    assert_eq!(band(&e, at("2026-11-24T15:00:00Z")), Band::Due);
}

#[test]
fn agent_settings_are_checked() {
    let a = Agent { user_id: Uuid::nil(), queues: vec!["early".into()], daily_capacity: 80, time_zone: "America/Chicago".into() };
    assert!(a.check().is_ok());
    assert_eq!(Agent { daily_capacity: 0, ..a.clone() }.check().unwrap_err().field, "/daily_capacity");
    assert!(Agent { daily_capacity: Agent::MAX_CAPACITY, ..a.clone() }.check().is_ok());
    assert_eq!(Agent { daily_capacity: Agent::MAX_CAPACITY + 1, ..a.clone() }.check().unwrap_err().field, "/daily_capacity");
    assert_eq!(Agent { queues: vec![], ..a.clone() }.check().unwrap_err().field, "/queues");
    assert_eq!(Agent { queues: vec![" ".into()], ..a.clone() }.check().unwrap_err().field, "/queues");
    assert_eq!(Agent { time_zone: "Mars/Olympus".into(), ..a.clone() }.check().unwrap_err().field, "/time_zone");
}

#[test]
fn an_agents_day_is_their_local_day() {
    let a = Agent { user_id: Uuid::nil(), queues: vec!["q".into()], daily_capacity: 1, time_zone: "America/Chicago".into() };
    // 05:59 UTC is still 23:59 the day before in Chicago (CST, UTC-6).
    assert_eq!(a.day(at("2026-11-24T05:59:00Z")), date(2026, 11, 23));
    assert_eq!(a.day(at("2026-11-24T06:00:00Z")), date(2026, 11, 24));
}

proptest! {
    #[test]
    fn the_order_does_not_depend_on_the_order_given(
        raw in prop::collection::vec((0i64..7200, any::<bool>(), 0i64..5, prop::option::of(0i64..4)), 1..40),
        seed in any::<u64>(),
    ) {
        let now = at("2026-11-24T12:00:00Z");
        let start = at("2026-11-24T11:00:00Z");
        let entries: Vec<Entry> = raw.iter().enumerate().map(|(i, (secs, appt, exp, age))| Entry {
            task_id: Uuid::from_u128(i as u128),
            account_id: Uuid::from_u128(i as u128),
            due_at: start + jiff::SignedDuration::from_secs(*secs),
            appointment: *appt,
            expected_minor: exp * 1000,
            delinquent_since: age.map(|d| date(2026, 1, 1) + jiff::Span::new().days(d)),
        }).collect();
        let mut a = entries.clone();
        let mut b = entries;
        let n = b.len();
        b.rotate_left((seed as usize) % n);
        b.reverse();
        order(&mut a, now);
        order(&mut b, now);
        prop_assert_eq!(&a, &b);
        // Every band is contiguous and in band order.
        let bands: Vec<Band> = a.iter().map(|e| band(e, now)).collect();
        prop_assert!(bands.windows(2).all(|w| w[0] <= w[1]));
    }
}
