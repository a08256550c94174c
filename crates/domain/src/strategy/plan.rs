//! One account, one day: which segment it is in, which arm of the segment's experiment, and
//! which step of its treatment comes next. The account's [`Position`] carries the answer from
//! one day to the next, so a step is never taken twice and a treatment resumes where it was.

use super::facts::Facts;
use super::{Action, Anchor, CHAMPION, CONTROL, Segment, StopOn, Strategy, Treatment};
use crate::account::AccountStatus;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Where an account stands in the strategy, kept between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub segment: String,
    /// The segment the account's data chose; differs from `segment` after a `then` hand-on.
    pub origin: String,
    pub arm: String,
    pub entered_on: Date,
    /// The index of the next step of the treatment.
    pub next_step: usize,
    pub last_step_on: Option<Date>,
    /// Why the treatment stopped early, if it did.
    pub stopped: Option<String>,
    pub last_run_on: Date,
}

/// A step to take today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub treatment: String,
    pub index: usize,
    pub action: Action,
    pub template: Option<String>,
    pub queue: Option<String>,
}

/// What the evaluation decided, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Note {
    /// Already evaluated today: nothing new.
    AlreadyRun,
    /// No segment's condition holds.
    NoSegment,
    /// Not an active account.
    Inactive,
    /// The control group of an experiment, or a segment without a treatment.
    NoTreatment,
    Stopped {
        on: String,
    },
    Waiting {
        until: Date,
    },
    Finished,
    Act,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub index: usize,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub position: Option<Position>,
    pub step: Option<Step>,
    /// Steps passed over today: their condition was false, their date unknown, or the law
    /// forbids them for this account.
    pub skipped: Vec<Skip>,
    pub note: Note,
}

impl Decision {
    fn without(position: Option<Position>, note: Note) -> Decision {
        Decision { position, step: None, skipped: Vec::new(), note }
    }
}

/// The experiment arm of an account: a stable hash of the account and the experiment, so the
/// same account stays in the same arm every day and a new experiment reshuffles independently.
pub fn arm_of(segment: &Segment, account_id: Uuid) -> String {
    let Some(e) = &segment.experiment else { return CHAMPION.into() };
    let bucket = bucket(account_id, &e.name);
    let mut edge = e.control_percent * 100;
    if bucket < edge {
        return CONTROL.into();
    }
    for a in &e.challengers {
        edge += a.percent * 100;
        if bucket < edge {
            return a.name.clone();
        }
    }
    CHAMPION.into()
}

/// 0..10,000, uniform.
fn bucket(account_id: Uuid, experiment: &str) -> u32 {
    let digest = Sha256::new().chain_update(account_id.as_bytes()).chain_update(experiment.as_bytes()).finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    (n % 10_000) as u32
}

fn treatment_of<'a>(strategy: &'a Strategy, segment: &Segment, arm: &str) -> Option<&'a Treatment> {
    let name = match segment.experiment.as_ref().and_then(|e| e.challengers.iter().find(|a| a.name == arm)) {
        Some(a) => a.treatment.as_deref(),
        None if arm == CONTROL => None,
        None => segment.treatment.as_deref(),
    };
    name.and_then(|n| strategy.treatments.get(n))
}

fn enter(segment: &Segment, origin: &str, facts: &Facts) -> Position {
    Position {
        segment: segment.name.clone(),
        origin: origin.to_string(),
        arm: arm_of(segment, facts.account_id),
        entered_on: facts.today,
        next_step: 0,
        last_step_on: None,
        stopped: None,
        last_run_on: facts.today,
    }
}

/// Decides today's step for one account. `previous` is its position after the last run.
pub fn evaluate(strategy: &Strategy, facts: &Facts, previous: Option<&Position>) -> Decision {
    if let Some(p) = previous
        && p.last_run_on >= facts.today
    {
        return Decision::without(Some(p.clone()), Note::AlreadyRun);
    }
    if facts.status != AccountStatus::Active {
        return Decision::without(None, Note::Inactive);
    }
    let Some(chosen) = strategy.segments.iter().find(|s| s.when.as_ref().is_none_or(|w| w.eval(facts))) else {
        return Decision::without(None, Note::NoSegment);
    };
    // The data still chooses the same segment: carry on where the account was (perhaps in a
    // segment it was handed on to). Otherwise it starts the chosen segment afresh.
    let mut position = match previous {
        Some(p) if p.origin == chosen.name => Position { last_run_on: facts.today, ..p.clone() },
        _ => enter(chosen, &chosen.name, facts),
    };
    let mut skipped = Vec::new();
    // Each hand-on moves to a later segment in a chain that validation proved has no circle.
    for _ in 0..=strategy.segments.len() {
        // `days_in_segment` counts from the entry this position records.
        let facts = &Facts { segment_entered_on: Some(position.entered_on), ..facts.clone() };
        let segment = strategy.segment(&position.segment).expect("positions name segments of their strategy");
        let Some(treatment) = treatment_of(strategy, segment, &position.arm) else {
            return Decision { position: Some(position), step: None, skipped, note: Note::NoTreatment };
        };
        if let Some(on) = &position.stopped {
            let note = Note::Stopped { on: on.clone() };
            return Decision { position: Some(position), step: None, skipped, note };
        }
        if let Some(on) = stop(treatment, facts, position.entered_on) {
            position.stopped = Some(on.as_str().to_string());
            let note = Note::Stopped { on: on.as_str().to_string() };
            return Decision { position: Some(position), step: None, skipped, note };
        }
        match next_step(treatment, facts, &mut position, &mut skipped) {
            Some(Ok(step)) => return Decision { position: Some(position), step: Some(step), skipped, note: Note::Act },
            Some(Err(until)) => return Decision { position: Some(position), step: None, skipped, note: Note::Waiting { until } },
            None => {}
        }
        let Some(then) = segment.then.as_deref().and_then(|n| strategy.segment(n)) else {
            return Decision { position: Some(position), step: None, skipped, note: Note::Finished };
        };
        position = enter(then, &position.origin, facts);
    }
    Decision { position: Some(position), step: None, skipped, note: Note::Finished }
}

/// A stop condition met since the account entered the segment.
fn stop(treatment: &Treatment, facts: &Facts, since: Date) -> Option<StopOn> {
    treatment.stop_on.iter().copied().find(|on| {
        let last = match on {
            StopOn::Payment => facts.last_payment_on,
            StopOn::Promise => facts.last_promise_on,
            StopOn::Dispute => return facts.open_dispute || facts.last_dispute_on.is_some_and(|d| d >= since),
        };
        last.is_some_and(|d| d >= since)
    })
}

/// The step due today, Err(the day the next one is due), or None when the treatment is done.
/// Steps whose condition fails, whose anchor date is unknown, or that the law forbids are
/// passed over.
fn next_step(treatment: &Treatment, facts: &Facts, position: &mut Position, skipped: &mut Vec<Skip>) -> Option<Result<Step, Date>> {
    while let Some(step) = treatment.steps.get(position.next_step) {
        let index = position.next_step;
        let anchor = match step.from {
            Anchor::Entry => Some(position.entered_on),
            Anchor::Previous => Some(position.last_step_on.unwrap_or(position.entered_on)),
            Anchor::PlacedOn => facts.placed_on,
            Anchor::ChargedOffOn => facts.charged_off_on,
            Anchor::FirstDelinquencyOn => facts.first_delinquency_on,
            Anchor::LastPaymentOn => facts.last_payment_on,
        };
        let Some(due) = anchor.and_then(|a| a.checked_add(jiff::Span::new().days(step.day)).ok()) else {
            skipped.push(Skip { index, why: "the date this step counts from is unknown".into() });
            position.next_step += 1;
            continue;
        };
        if due > facts.today {
            return Some(Err(due));
        }
        let why = if step.when.as_ref().is_some_and(|w| !w.eval(facts)) {
            Some("its condition does not hold".to_string())
        } else if step.action == Action::LegalReview && facts.get(super::Field::TimeBarred) == Some(super::facts::Value::Bool(true)) {
            // Reg F 1006.26(b): no suit or threat of suit on a time-barred debt.
            Some("the debt is time-barred: no legal action (Reg F 1006.26(b))".to_string())
        } else {
            None
        };
        position.next_step += 1;
        if let Some(why) = why {
            skipped.push(Skip { index, why });
            continue;
        }
        position.last_step_on = Some(facts.today);
        return Some(Ok(Step {
            treatment: treatment.name.clone(),
            index,
            action: step.action,
            template: step.template.clone(),
            queue: step.queue.clone(),
        }));
    }
    None
}
