use super::plan::{Note, arm_of};
use super::*;
use crate::account::Flag;
use jiff::civil::Date;
use uuid::Uuid;

fn day(d: i8) -> Date {
    Date::constant(2026, 11, d)
}

fn errors(text: &str) -> Vec<StrategyError> {
    parse(text).expect_err("a mistake")
}

const SMALL: &str = r#"
name = "small"

[[segments]]
name = "early"
when = "days_past_due <= 30"
treatment = "nudge"
then = "follow-up"

[[segments]]
name = "follow-up"
when = "days_past_due > 30"
treatment = "calls"

[treatments.nudge]
stop_on = ["payment", "promise"]
steps = [
  { day = 0, action = "email", template = "reminder-email" },
  { day = 3, from = "previous", action = "sms", template = "reminder-sms", when = "can_sms" },
  { day = 7, action = "letter", template = "final-notice-letter" },
]

[treatments.calls]
steps = [
  { day = 0, action = "call", queue = "mid" },
  { day = 10, action = "legal_review", queue = "legal" },
]
"#;

fn facts(today: Date) -> Facts {
    let mut f = Facts::blank(Uuid::from_u128(7), today, 120_000);
    f.first_delinquency_on = Some(day(1));
    f
}

#[test]
fn the_demo_strategy_is_valid_and_names_its_templates() {
    let s = parse(DEMO).unwrap();
    assert_eq!(s.segments.len(), 7);
    let refs = s.template_refs();
    assert!(refs.iter().any(|(t, a, _)| *t == "reminder-sms" && *a == Action::Sms));
    let e = s.segment("early").unwrap().experiment.as_ref().unwrap();
    assert_eq!((e.control_percent, e.challengers[0].percent), (10, 45));
}

#[test]
fn a_treatment_runs_its_steps_on_their_days_once_each() {
    let s = parse(SMALL).unwrap();
    let d = evaluate(&s, &facts(day(10)), None);
    assert_eq!(d.note, Note::Act);
    assert_eq!(d.step.as_ref().unwrap().action, Action::Email);
    let p = d.position.unwrap();
    assert_eq!((p.segment.as_str(), p.entered_on, p.next_step), ("early", day(10), 1));

    assert_eq!(evaluate(&s, &facts(day(10)), Some(&p)).note, Note::AlreadyRun, "the same day twice does nothing new");
    // The text is due three days after the e-mail; on day 12 it waits.
    let d = evaluate(&s, &facts(day(12)), Some(&p));
    assert_eq!(d.note, Note::Waiting { until: day(13) });
    let p = d.position.unwrap();
    // On day 13 it is due but its condition fails (no text consent): passed over; the letter
    // counts from entry (day 17), so it waits again.
    let d = evaluate(&s, &facts(day(13)), Some(&p));
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.note, Note::Waiting { until: day(17) });
    let d = evaluate(&s, &facts(day(17)), d.position.as_ref());
    assert_eq!(d.step.as_ref().unwrap().action, Action::Letter);
}

#[test]
fn a_finished_treatment_hands_on_and_the_data_can_take_the_account_back() {
    let s = parse(SMALL).unwrap();
    let mut p = evaluate(&s, &facts(day(10)), None).position.unwrap();
    for d in [13, 17] {
        p = evaluate(&s, &facts(day(d)), Some(&p)).position.unwrap();
    }
    // Day 18: the nudge is done; `then` hands the account on to follow-up, which calls today
    // although the account is only 17 days past due.
    let d = evaluate(&s, &facts(day(18)), Some(&p));
    let step = d.step.unwrap();
    assert_eq!((step.action, step.queue.as_deref()), (Action::Call, Some("mid")));
    let p = d.position.unwrap();
    assert_eq!((p.segment.as_str(), p.origin.as_str()), ("follow-up", "early"));
    // A new delinquency date puts it in a different segment by its data: a fresh start there.
    let mut f = facts(day(19));
    f.first_delinquency_on = Some(Date::constant(2026, 10, 1));
    let d = evaluate(&s, &f, Some(&p));
    let p = d.position.unwrap();
    assert_eq!((p.segment.as_str(), p.origin.as_str(), p.entered_on, p.next_step), ("follow-up", "follow-up", day(19), 1));
}

#[test]
fn a_payment_or_promise_since_entry_stops_the_treatment() {
    let s = parse(SMALL).unwrap();
    let p = evaluate(&s, &facts(day(10)), None).position.unwrap();
    let mut f = facts(day(17));
    f.last_payment_on = Some(day(9));
    assert_eq!(evaluate(&s, &f, Some(&p)).note, Note::Act, "a payment before entry does not stop it");
    f.last_promise_on = Some(day(15));
    let d = evaluate(&s, &f, Some(&p));
    assert_eq!(d.note, Note::Stopped { on: "promise".into() });
    assert!(d.step.is_none());
    let later = evaluate(&s, &facts(day(18)), d.position.as_ref());
    assert!(matches!(later.note, Note::Stopped { .. }), "stays stopped while in the segment");
}

#[test]
fn a_time_barred_debt_never_reaches_a_legal_step() {
    let s = parse(SMALL).unwrap();
    let mut f = facts(day(20));
    f.first_delinquency_on = Some(Date::constant(2026, 9, 1));
    let p = evaluate(&s, &f, None).position.unwrap();
    f.today = day(30);
    f.flags.0.insert(Flag::TimeBarred);
    let d = evaluate(&s, &f, Some(&p));
    assert!(d.step.is_none());
    assert!(d.skipped[0].why.contains("1006.26(b)"), "{:?}", d.skipped);
    f.flags = Default::default();
    f.today = day(30);
    assert_eq!(evaluate(&s, &f, Some(&p)).step.unwrap().action, Action::LegalReview);
}

#[test]
fn inactive_accounts_and_accounts_in_no_segment_get_nothing() {
    let s = parse(SMALL).unwrap();
    let mut f = facts(day(10));
    f.first_delinquency_on = None;
    assert_eq!(evaluate(&s, &f, None).note, Note::NoSegment);
    let mut f = facts(day(10));
    f.status = crate::account::AccountStatus::PaidInFull;
    assert_eq!(evaluate(&s, &f, None).note, Note::Inactive);
}

#[test]
fn experiment_arms_are_stable_and_near_their_shares() {
    let s = parse(DEMO).unwrap();
    let early = s.segment("early").unwrap();
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for i in 0..20_000u128 {
        let id = Uuid::from_u128(i * 7919 + 13);
        let arm = arm_of(early, id);
        assert_eq!(arm, arm_of(early, id));
        *counts.entry(arm).or_default() += 1;
    }
    let share = |k: &str| f64::from(counts[k]) / 20_000.0;
    assert!((share("control") - 0.10).abs() < 0.01, "{counts:?}");
    assert!((share("sms-first") - 0.45).abs() < 0.015, "{counts:?}");
    assert!((share("champion") - 0.45).abs() < 0.015, "{counts:?}");
    // The control group is treated with nothing.
    let control = (0..).map(Uuid::from_u128).find(|id| arm_of(early, *id) == "control").unwrap();
    let mut f = Facts::blank(control, day(10), 10_000);
    f.placed_on = Some(day(1));
    let d = evaluate(&s, &f, None);
    assert_eq!(d.position.unwrap().segment, "early");
    assert_eq!(d.note, Note::NoTreatment);
}

#[test]
fn mistakes_are_refused_with_their_lines() {
    let syntax = errors("name = \"x\"\n[[segments]\nname = \"a\"\n");
    assert_eq!(syntax[0].line, 2, "{syntax:?}");

    let unknown = errors("name = \"x\"\n[[segments]]\nname = \"a\"\ncolour = \"red\"\n");
    assert_eq!(unknown[0].line, 4, "{unknown:?}");
    assert!(unknown[0].message.contains("colour"), "{unknown:?}");

    let text = SMALL.replace("when = \"days_past_due > 30\"", "when = \"balance > 2026-01-01\"");
    let e = &errors(&text)[0];
    assert_eq!((e.line, e.column), (12, 19), "{e:?}");
    assert!(e.message.contains("cannot compare `balance`"), "{e:?}");

    let text = SMALL.replace(", template = \"reminder-sms\"", "");
    let e = &errors(&text)[0];
    assert!(e.message.contains("a sms step needs a template"), "{e:?}");
    assert_eq!(e.line, 19);

    let text = SMALL.replace("name = \"follow-up\"\nwhen", "name = \"follow-up\"\nthen = \"early\"\nwhen");
    let e = &errors(&text)[0];
    assert!(e.message.contains("circle: early -> follow-up -> early"), "{e:?}");

    let over = DEMO.replace("control = 10", "control = 60");
    let e = errors(&over);
    assert!(e[0].message.contains("105%"), "{e:?}");

    let text = SMALL.replace("treatment = \"calls\"", "treatment = \"cals\"");
    assert!(errors(&text)[0].message.contains("no treatment \"cals\""));
    let text = SMALL.replace("action = \"call\"", "action = \"fax\"");
    assert!(errors(&text)[0].message.contains("not an action"));
}

#[test]
fn every_mistake_is_reported_not_just_the_first() {
    let text = SMALL.replace("days_past_due <= 30", "days_pst_due <= 30").replace("queue = \"mid\"", "queue = \"mid\", template = \"x\"");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].line < e[1].line);
}
