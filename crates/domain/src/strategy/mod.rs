//! Collection strategies: which accounts get which treatment, and when.
//!
//! A strategy is a TOML file a collections manager can read. Ordered **segments** take each
//! active account by the first condition it meets; each segment names a **treatment**, a list of
//! **steps** (an e-mail on day 0, a text three days after it, a call task a week later...), and
//! may run an **experiment**: challenger treatments and a control group on stable shares of its
//! accounts. A treatment stops when the debtor pays, promises or disputes; a segment can hand its
//! accounts on to another once its treatment is done (`then`). The file is checked as a whole
//! when it is saved, every mistake with its line. [`plan::evaluate`] then decides, for one
//! account on one day, what to do next; it is pure, and the daily run feeds it.

pub mod expr;
pub mod facts;
pub mod plan;

pub use expr::Expr;
pub use facts::{Facts, Field};
pub use plan::{Decision, Position, Step as PlannedStep, evaluate};

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Email,
    Sms,
    Letter,
    /// A call task in a queue, for an agent.
    Call,
    /// Moves the account to a queue (a specialist team, a supervisor).
    Escalate,
    /// A task for a person to decide on suit; never for a time-barred debt.
    LegalReview,
    Close,
    /// Proposes returning the account to the client.
    Recall,
}

impl Action {
    pub const ALL: [Action; 8] =
        [Action::Email, Action::Sms, Action::Letter, Action::Call, Action::Escalate, Action::LegalReview, Action::Close, Action::Recall];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Email => "email",
            Action::Sms => "sms",
            Action::Letter => "letter",
            Action::Call => "call",
            Action::Escalate => "escalate",
            Action::LegalReview => "legal_review",
            Action::Close => "close",
            Action::Recall => "recall",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// A message from a template.
    pub fn is_message(self) -> bool {
        matches!(self, Action::Email | Action::Sms | Action::Letter)
    }

    fn needs_queue(self) -> bool {
        matches!(self, Action::Call | Action::Escalate | Action::LegalReview)
    }
}

/// What a treatment stops on, counted from the day the account entered its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopOn {
    Payment,
    Promise,
    Dispute,
}

impl StopOn {
    pub fn as_str(self) -> &'static str {
        match self {
            StopOn::Payment => "payment",
            StopOn::Promise => "promise",
            StopOn::Dispute => "dispute",
        }
    }
}

/// The day a step's offset counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The day the account entered the segment.
    Entry,
    /// The day the treatment's previous step ran (entry, for the first).
    Previous,
    PlacedOn,
    ChargedOffOn,
    FirstDelinquencyOn,
    LastPaymentOn,
}

impl Anchor {
    const NAMES: [(&'static str, Anchor); 6] = [
        ("entry", Anchor::Entry),
        ("previous", Anchor::Previous),
        ("placed_on", Anchor::PlacedOn),
        ("charged_off_on", Anchor::ChargedOffOn),
        ("first_delinquency_on", Anchor::FirstDelinquencyOn),
        ("last_payment_on", Anchor::LastPaymentOn),
    ];

    fn parse(s: &str) -> Option<Anchor> {
        Anchor::NAMES.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub day: i64,
    pub from: Anchor,
    pub action: Action,
    pub template: Option<String>,
    pub queue: Option<String>,
    pub when: Option<Expr>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    pub name: String,
    pub stop_on: Vec<StopOn>,
    pub steps: Vec<Step>,
}

/// A share of a segment's accounts, in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub treatment: Option<String>,
    pub percent: u32,
}

/// Champion/challenger: the segment's own treatment is the champion and takes what the
/// challengers and the control group leave; the control group gets no treatment at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub control_percent: u32,
    pub challengers: Vec<Arm>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    /// None: every account that reaches this segment.
    pub when: Option<Expr>,
    pub treatment: Option<String>,
    pub then: Option<String>,
    pub experiment: Option<Experiment>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub name: String,
    pub description: Option<String>,
    pub segments: Vec<Segment>,
    pub treatments: BTreeMap<String, Treatment>,
}

/// A mistake in a strategy file, where it stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct StrategyError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The strategy the demo ships: early, mid and late stages, a hardship path, a pre-legal
/// review, and an SMS-versus-e-mail challenger with a 10% control group.
pub const DEMO: &str = include_str!("demo.toml");

/// The name of the arm an account in no experiment, or in an experiment's champion share, is in.
pub const CHAMPION: &str = "champion";
/// The held-out share of an experiment.
pub const CONTROL: &str = "control";

impl Strategy {
    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }

    /// Every template a step names, with its line, for the caller to check against the store.
    pub fn template_refs(&self) -> Vec<(&str, Action, usize)> {
        let steps = self.treatments.values().flat_map(|t| &t.steps);
        steps.filter_map(|s| s.template.as_deref().map(|t| (t, s.action, s.line))).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: String,
    description: Option<String>,
    #[serde(default)]
    segments: Vec<RawSegment>,
    #[serde(default)]
    treatments: BTreeMap<String, Spanned<RawTreatment>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    name: Spanned<String>,
    when: Option<Spanned<String>>,
    treatment: Option<Spanned<String>>,
    then: Option<Spanned<String>>,
    experiment: Option<RawExperiment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    name: Spanned<String>,
    control: Option<Spanned<u32>>,
    #[serde(default)]
    challengers: Vec<RawArm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArm {
    name: Spanned<String>,
    treatment: Option<Spanned<String>>,
    percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTreatment {
    #[serde(default)]
    stop_on: Vec<Spanned<String>>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    day: Option<Spanned<i64>>,
    from: Option<Spanned<String>>,
    action: Spanned<String>,
    template: Option<Spanned<String>>,
    queue: Option<Spanned<String>>,
    when: Option<Spanned<String>>,
}

/// Turns byte offsets into lines and columns, both from 1.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn at(&self, offset: usize) -> (usize, usize) {
        let before = &self.0[..offset.min(self.0.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

/// Collects every mistake rather than stopping at the first.
struct Check<'a> {
    lines: Lines<'a>,
    errors: Vec<StrategyError>,
}

impl Check<'_> {
    fn error(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = self.lines.at(offset);
        self.errors.push(StrategyError { line, column, message: message.into() });
    }

    fn line(&self, offset: usize) -> usize {
        self.lines.at(offset).0
    }

    /// A condition, its errors placed inside the quoted string on its own line.
    fn condition(&mut self, src: &Spanned<String>) -> Option<Expr> {
        match expr::parse(src.get_ref()) {
            Ok(e) => Some(e),
            Err(e) => {
                // The span starts at the opening quote; a single-line string's text follows it.
                // (Escapes inside the string would shift it; conditions rarely have any.)
                let quote = if self.lines.0[src.span().start..].starts_with("\"\"\"") { 3 } else { 1 };
                self.error(src.span().start + quote + e.offset, e.message);
                None
            }
        }
    }
}

/// Parses and checks a strategy file; on failure, every mistake found, in file order.
pub fn parse(text: &str) -> Result<Strategy, Vec<StrategyError>> {
    let mut check = Check { lines: Lines(text), errors: Vec::new() };
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            check.error(at, e.message().trim().to_string());
            return Err(check.errors);
        }
    };
    let treatments = treatments(&mut check, &raw.treatments);
    let segments = segments(&mut check, &raw.segments, &treatments);
    if check.errors.is_empty() {
        return Ok(Strategy { name: raw.name, description: raw.description, segments, treatments });
    }
    check.errors.sort_by_key(|e| (e.line, e.column));
    Err(check.errors)
}

fn treatments(check: &mut Check, raw: &BTreeMap<String, Spanned<RawTreatment>>) -> BTreeMap<String, Treatment> {
    let mut out = BTreeMap::new();
    for (name, t) in raw {
        let start = t.span().start;
        let mut stop_on = Vec::new();
        for s in &t.get_ref().stop_on {
            match s.get_ref().as_str() {
                "payment" => stop_on.push(StopOn::Payment),
                "promise" => stop_on.push(StopOn::Promise),
                "dispute" => stop_on.push(StopOn::Dispute),
                other => {
                    check.error(s.span().start, format!("cannot stop on \"{other}\"; a treatment stops on payment, promise or dispute"))
                }
            }
        }
        if t.get_ref().steps.is_empty() {
            check.error(start, format!("treatment \"{name}\" has no steps"));
        }
        let steps = t.get_ref().steps.iter().filter_map(|s| step(check, s)).collect();
        out.insert(name.clone(), Treatment { name: name.clone(), stop_on, steps });
    }
    out
}

fn step(check: &mut Check, raw: &Spanned<RawStep>) -> Option<Step> {
    let s = raw.get_ref();
    let line = check.line(raw.span().start);
    let Some(action) = Action::parse(s.action.get_ref()) else {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        check.error(s.action.span().start, format!("\"{}\" is not an action; the actions are: {}", s.action.get_ref(), names.join(", ")));
        return None;
    };
    let from = match &s.from {
        None => Anchor::Entry,
        Some(f) => match Anchor::parse(f.get_ref()) {
            Some(a) => a,
            None => {
                let names: Vec<&str> = Anchor::NAMES.iter().map(|(n, _)| *n).collect();
                check.error(f.span().start, format!("a step counts its days from one of: {}", names.join(", ")));
                return None;
            }
        },
    };
    let day = s.day.as_ref().map_or(0, |d| *d.get_ref());
    if let Some(d) = &s.day
        && day < 0
        && matches!(from, Anchor::Entry | Anchor::Previous)
    {
        check.error(d.span().start, "a step cannot come before the day it counts from");
    }
    if action.is_message() && s.template.is_none() {
        check.error(s.action.span().start, format!("a {} step needs a template", action.as_str()));
    }
    if !action.is_message()
        && let Some(t) = &s.template
    {
        check.error(t.span().start, format!("a {} step sends no message and takes no template", action.as_str()));
    }
    if action.needs_queue() && s.queue.is_none() {
        check.error(s.action.span().start, format!("a {} step needs the queue its task goes to", action.as_str()));
    }
    let when = s.when.as_ref().and_then(|w| check.condition(w));
    if s.when.is_some() && when.is_none() {
        return None;
    }
    Some(Step {
        day,
        from,
        action,
        template: s.template.as_ref().map(|t| t.get_ref().clone()),
        queue: s.queue.as_ref().map(|q| q.get_ref().clone()),
        when,
        line,
    })
}

fn segments(check: &mut Check, raw: &[RawSegment], treatments: &BTreeMap<String, Treatment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    if raw.is_empty() {
        check.error(0, "a strategy needs at least one segment");
    }
    let known = |check: &mut Check, t: &Option<Spanned<String>>| {
        if let Some(t) = t
            && !treatments.contains_key(t.get_ref())
        {
            check.error(t.span().start, format!("there is no treatment \"{}\"", t.get_ref()));
        }
    };
    for s in raw {
        let at = s.name.span().start;
        if out.iter().any(|o| o.name == *s.name.get_ref()) {
            check.error(at, format!("a second segment named \"{}\"", s.name.get_ref()));
        }
        known(check, &s.treatment);
        let when = s.when.as_ref().and_then(|w| check.condition(w));
        let experiment = s.experiment.as_ref().map(|e| experiment(check, e, &known));
        out.push(Segment {
            name: s.name.get_ref().clone(),
            when,
            treatment: s.treatment.as_ref().map(|t| t.get_ref().clone()),
            then: s.then.as_ref().map(|t| t.get_ref().clone()),
            experiment,
            line: check.line(at),
        });
    }
    for (s, r) in out.iter().zip(raw) {
        if let Some(then) = &r.then
            && !out.iter().any(|o| o.name == *then.get_ref())
        {
            check.error(then.span().start, format!("there is no segment \"{}\" to hand on to", then.get_ref()));
        }
        if let Some(cycle) = cycle_from(&out, &s.name) {
            check.error(r.name.span().start, format!("segments hand accounts on in a circle: {}", cycle.join(" -> ")));
        }
    }
    out
}

fn experiment(check: &mut Check, e: &RawExperiment, known: &dyn Fn(&mut Check, &Option<Spanned<String>>)) -> Experiment {
    let control = e.control.as_ref().map_or(0, |c| *c.get_ref());
    let mut total = control;
    let mut challengers = Vec::new();
    for a in &e.challengers {
        known(check, &a.treatment);
        if [CHAMPION, CONTROL].contains(&a.name.get_ref().as_str()) {
            check.error(a.name.span().start, format!("\"{}\" is the name of a built-in share", a.name.get_ref()));
        }
        total += *a.percent.get_ref();
        challengers.push(Arm {
            name: a.name.get_ref().clone(),
            treatment: a.treatment.as_ref().map(|t| t.get_ref().clone()),
            percent: *a.percent.get_ref(),
        });
    }
    if total > 100 {
        check.error(e.name.span().start, format!("the control group and challengers take {total}% of the segment, more than 100%"));
    }
    Experiment { name: e.name.get_ref().clone(), control_percent: control, challengers }
}

/// The `then` chain from `start`, when it comes back to a segment it passed.
fn cycle_from(segments: &[Segment], start: &str) -> Option<Vec<String>> {
    let mut seen = vec![start.to_string()];
    let mut at = start;
    while let Some(next) = segments.iter().find(|s| s.name == at).and_then(|s| s.then.as_deref()) {
        seen.push(next.to_string());
        if next == start {
            return Some(seen);
        }
        if seen[..seen.len() - 1].iter().any(|s| s == next) {
            return None; // a circle further on, reported from its own segments
        }
        at = next;
    }
    None
}

#[cfg(test)]
mod tests;
