use super::*;
use crate::strategy::{DEMO, parse};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 0.000_1)
}

#[test]
fn wilson_intervals_match_the_textbook_values() {
    let r = wilson(5, 10);
    assert!(close(r.value, 0.5) && close(r.low, 0.236_6) && close(r.high, 0.763_4), "{r:?}");
    let r = wilson(0, 10);
    assert!(close(r.value, 0.0) && close(r.low, 0.0) && close(r.high, 0.277_5), "{r:?}");
    let r = wilson(10, 10);
    assert!(close(r.low, 0.722_5) && close(r.high, 1.0), "{r:?}");
    assert_eq!(wilson(0, 0).value, None);
}

#[test]
fn an_interval_narrows_as_trials_grow() {
    let small = wilson(30, 100);
    let large = wilson(3_000, 10_000);
    assert!(large.high.unwrap() - large.low.unwrap() < small.high.unwrap() - small.low.unwrap());
}

#[test]
fn a_mean_per_account_counts_accounts_that_paid_nothing() {
    let a = mean_interval("USD", &[100, 200, 300], 3);
    // sd 100, half-width 1.96 x 100 / sqrt(3) = 113.2
    assert_eq!((a.total_minor, a.per_account_minor, a.low_minor, a.high_minor), (600, 200, 87, 313));
    let a = mean_interval("USD", &[300], 3);
    // 300, 0, 0: mean 100, sd 173.2, half-width 1.95996 x 100 = 195.996, rounded down
    assert_eq!((a.per_account_minor, a.low_minor, a.high_minor), (100, -95, 295));
    let one = mean_interval("USD", &[12_345], 1);
    assert_eq!((one.per_account_minor, one.low_minor, one.high_minor), (12_345, 12_345, 12_345));
    let none = mean_interval("USD", &[], 0);
    assert_eq!(none.per_account_minor, 0);
}

#[test]
fn large_amounts_over_many_accounts_do_not_overflow() {
    let values = vec![1_000_000_000_000i64; 1_000];
    let a = mean_interval("USD", &values, 2_000);
    assert_eq!(a.total_minor, 1_000_000_000_000_000);
    assert_eq!(a.per_account_minor, 500_000_000_000);
    assert!(a.low_minor < a.per_account_minor && a.per_account_minor < a.high_minor);
}

#[test]
fn an_arms_result_uses_the_definitions() {
    let t = ArmTally {
        arm: "sms-first".into(),
        accounts: 4,
        collected: [("USD".to_string(), vec![1_000, 3_000])].into(),
        call_attempts: 8,
        conversations: 2,
        promises_kept: 3,
        promises_broken: 1,
        complaints: 1,
    };
    let r = result(&t);
    assert_eq!(r.collected[0].per_account_minor, 1_000);
    assert_eq!((r.rpc_rate.successes, r.rpc_rate.trials), (2, 8));
    assert_eq!((r.promise_kept_rate.successes, r.promise_kept_rate.trials), (3, 4));
    assert_eq!((r.complaint_rate.successes, r.complaint_rate.trials), (1, 4));
}

fn early(body: &str) -> crate::strategy::Segment {
    parse(body).unwrap().segments.into_iter().find(|s| s.name == "early").unwrap()
}

#[test]
fn promoting_a_challenger_gives_the_segment_its_treatment_and_ends_the_test() {
    let body = promote(DEMO, "early-sms-vs-email", "sms-first").unwrap();
    let seg = early(&body);
    assert_eq!(seg.treatment.as_deref(), Some("early-sms"));
    assert!(seg.experiment.is_none());
    assert!(body.contains("# Stages count from placement"), "comments are kept");
    let body = promote(DEMO, "early-sms-vs-email", "champion").unwrap();
    assert_eq!(early(&body).treatment.as_deref(), Some("early-email"));
    assert!(early(&body).experiment.is_none());
}

#[test]
fn promoting_is_refused_for_the_control_an_unknown_arm_or_experiment() {
    assert_eq!(promote(DEMO, "early-sms-vs-email", "control"), Err(PromoteError::Control));
    let e = promote(DEMO, "early-sms-vs-email", "carrier-pigeon").unwrap_err();
    assert!(e.to_string().contains("champion, control, sms-first"), "{e}");
    assert_eq!(promote(DEMO, "nope", "champion"), Err(PromoteError::NoExperiment("nope".into())));
    assert!(matches!(promote("segments = [", "x", "champion"), Err(PromoteError::Syntax(_))));
}
