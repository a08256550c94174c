//! The contact policy: the compliance gate every intended contact passes before it becomes a
//! message, a call task or a recorded block. Given the contact, the account's holds and flags, the
//! contact point (consent, zone), this debt's contact history, `now` and a jurisdiction
//! [`Profile`], it answers Allow, Defer until an instant, or Block, always with reasons naming the
//! rule. It owns quiet hours and hours the person named inconvenient, in every candidate zone
//! (`zones`: known zone, postal state, area code); call frequency (7-in-7, the week after a
//! conversation, the direct-consent exclusion) and text/email caps; consent and opt-outs (TCPA and
//! Reg F); workplace and employer-email limits; and the jurisdiction profiles. Holds themselves are
//! `hold::check`'s business and are only mapped here. Pure: no I/O, no clock; `now` comes in.

mod frequency;
mod profile;
mod quiet;
pub mod zones;

#[cfg(test)]
mod tests;

pub use profile::{Profile, ProfileConfig, ProfileError, Regime};
pub use quiet::LocalHours;

use crate::account::{Flag, Flags};
use crate::contact::{Channel, ConsentState, ContactPoint, PhoneType, Source};
use crate::hold::{self, Hold, HoldKind, Purpose, Recipient};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// How a contact reaches the person. A voicemail is a placed call (Reg F 1006.14(b)(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Call,
    Voicemail,
    Sms,
    Email,
    Letter,
}

impl Medium {
    /// The contact point channel whose consent governs this medium.
    pub fn channel(self) -> Channel {
        match self {
            Medium::Call | Medium::Voicemail => Channel::Call,
            Medium::Sms => Channel::Sms,
            Medium::Email => Channel::Email,
            Medium::Letter => Channel::Letter,
        }
    }

    pub fn is_call(self) -> bool {
        matches!(self, Medium::Call | Medium::Voicemail)
    }
}

/// The contact to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub medium: Medium,
    pub purpose: Purpose,
    pub recipient: Recipient,
    /// Sent or dialed without a person deciding (dialer, prerecorded, strategy-sent message).
    pub automated: bool,
    /// The one confirmation of an opt-out that Reg F 1006.14(h) and 47 CFR 64.1200(a)(10) allow.
    pub opt_out_confirmation: bool,
}

impl Intent {
    /// A collection call to the consumer about the debt; `automated` when a dialer places it
    /// rather than an agent.
    pub fn collection_call(automated: bool) -> Intent {
        Intent {
            medium: Medium::Call,
            purpose: Purpose::Collection,
            recipient: Recipient::Consumer,
            automated,
            opt_out_confirmation: false,
        }
    }
}

/// How a past attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Busy, network error, undeliverable: not counted (Reg F 1006.14(b)(3)).
    NeverConnected,
    /// Placed but no conversation: unanswered, voicemail left, message delivered.
    NoConversation,
    /// A telephone conversation with the person.
    Conversation,
}

/// One past contact about this debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: Timestamp,
    pub medium: Medium,
    pub outcome: Outcome,
    /// The person contacted us: not an attempt of ours, but a conversation still counts.
    pub inbound: bool,
    pub opt_out_confirmation: bool,
}

/// Everything the policy judges from. Borrowed, so callers build it from what they hold.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub intent: Intent,
    pub point: &'a ContactPoint,
    /// The person's mailing state, when the contact point itself has no address.
    pub postal_state: Option<&'a str>,
    pub holds: &'a [Hold],
    pub flags: &'a Flags,
    /// This debt's contacts (a call about two debts belongs to both histories).
    pub history: &'a [Attempt],
    /// Hours the person named as inconvenient, in their local time: a standing block (Reg F 1006.6(b)(1)).
    pub inconvenient: &'a [LocalHours],
    /// When the person last gave direct consent to be called (Reg F 1006.14(b)(3)(i)).
    pub call_consent: Option<Timestamp>,
    /// The employer forbids contact at work, or the person said work is inconvenient.
    pub workplace_prohibited: bool,
    /// The creditor collects its own debt (the FDCPA's timing rules bind it only where the profile says).
    pub first_party: bool,
    pub now: Timestamp,
}

/// Why: a stable code, the rule's source, and words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub rule: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    Allow,
    Defer { until: Timestamp },
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn has(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Judges one intended contact. Permanent refusals (holds, consent, workplace) Block; time and
/// frequency rules Defer to the earliest instant all of them allow.
pub fn evaluate(req: &Request, profile: &Profile) -> Verdict {
    let ctx = Ctx::new(req, profile);
    let mut reasons = ctx.notes();
    let blocks = ctx.blocks();
    if !blocks.is_empty() {
        reasons.extend(blocks);
        return Verdict { decision: Decision::Block, reasons };
    }
    let (decision, timing) = ctx.timing();
    reasons.extend(timing);
    Verdict { decision, reasons }
}

struct Ctx<'a> {
    req: &'a Request<'a>,
    profile: &'a Profile,
    zones: Vec<TimeZone>,
}

/// What a time rule says about one instant.
enum Step {
    Ok,
    Until(Timestamp, Reason),
    Never(Reason),
}

impl<'a> Ctx<'a> {
    fn new(req: &'a Request<'a>, profile: &'a Profile) -> Self {
        let mut zones = zones::candidates(req.point, req.postal_state, &profile.fallback_zones);
        if zones.is_empty() {
            zones.push(TimeZone::UTC);
        }
        Ctx { req, profile, zones }
    }

    fn us_uk(&self, us: &'static str, uk: &'static str) -> &'static str {
        match self.profile.regime {
            Regime::Us => us,
            Regime::Uk => uk,
        }
    }

    fn medium(&self) -> Medium {
        self.req.intent.medium
    }

    fn consent(&self) -> ConsentState {
        self.req.point.consent.get(self.medium().channel())
    }

    /// The one permitted opt-out confirmation, not yet sent on this medium.
    fn confirming_opt_out(&self) -> bool {
        let m = self.medium();
        self.req.intent.opt_out_confirmation
            && !self.req.history.iter().any(|a| a.opt_out_confirmation && a.medium.channel() == m.channel())
    }

    /// Exceptions used, recorded even when the contact goes through.
    fn notes(&self) -> Vec<Reason> {
        if self.confirming_opt_out() && self.consent() == ConsentState::Revoked {
            let rule = self.us_uk("Reg F 1006.14(h); 47 CFR 64.1200(a)(10)", "UK GDPR Art. 21 (check)");
            return vec![Reason { code: "opt_out_confirmation", rule, detail: "the one confirmation of an opt-out".into() }];
        }
        Vec::new()
    }

    /// The consumer's local date now, in the first candidate zone, for holds measured in days.
    fn today(&self) -> Date {
        frequency::local_date(&self.zones[0], self.req.now)
    }

    fn blocks(&self) -> Vec<Reason> {
        let mut out: Vec<Reason> = self.hold_block().into_iter().collect();
        out.extend(self.consent_blocks());
        out.extend(self.workplace_blocks());
        out
    }

    /// Holds, plus account flags read as holds in force (a flag set without its hold must not let
    /// a contact through), judged by `hold::check`.
    fn hold_block(&self) -> Option<Reason> {
        let today = self.today();
        let mut holds = self.req.holds.to_vec();
        holds.extend(self.req.flags.0.iter().filter_map(|f| flag_hold(*f)).map(|kind| Hold { kind, placed_on: today, until: None }));
        let i = &self.req.intent;
        let contact = hold::Contact { purpose: i.purpose, recipient: i.recipient, automated: i.automated, on: today };
        let b = hold::check(&holds, &contact).err()?;
        Some(Reason { code: b.hold.as_str(), rule: b.rule, detail: b.why.to_string() })
    }

    fn consent_blocks(&self) -> Vec<Reason> {
        let mut out = Vec::new();
        let (m, consent, confirming) = (self.medium(), self.consent(), self.confirming_opt_out());
        if consent == ConsentState::Revoked && !confirming {
            // Reg F 1006.14(h): a medium the person asked us not to use is closed; TCPA revocation
            // by any reasonable means (47 CFR 64.1200(a)(10)) closes automated calls and texts too.
            let rule = self.us_uk("Reg F 1006.14(h); 47 CFR 64.1200(a)(10)", "UK GDPR Art. 21 (check)");
            out.push(Reason { code: "channel_opt_out", rule, detail: format!("the person opted out of {}", m.channel().as_str()) });
        }
        if self.profile.tcpa && self.needs_tcpa_consent() && consent != ConsentState::Revoked {
            out.push(Reason {
                code: "tcpa_no_consent",
                rule: "47 USC 227(b)(1)(A)(iii); 47 CFR 64.1200(a)(1)",
                detail: "an automated call or text to a possible mobile needs prior express consent".into(),
            });
        }
        // NYC (COMPLIANCE 26; check): electronic contact needs consent actually given.
        if self.profile.electronic_needs_consent && matches!(m, Medium::Sms | Medium::Email) && consent == ConsentState::Unknown {
            out.push(Reason { code: "electronic_consent", rule: "6 RCNY 5-77 (check)", detail: "texts and emails need consent".into() });
        }
        out
    }

    /// 47 USC 227(b): automated calls and texts to a mobile need prior express consent; a number
    /// the consumer gave the creditor counts (unknown consent from client or debtor sources), a
    /// skip-traced or agent-found one does not. An unknown phone type may be a mobile.
    fn needs_tcpa_consent(&self) -> bool {
        let p = self.req.point;
        let automated = self.req.intent.automated && matches!(self.medium(), Medium::Call | Medium::Voicemail | Medium::Sms);
        let maybe_mobile = matches!(p.phone_type, None | Some(PhoneType::Mobile) | Some(PhoneType::Unknown));
        let given_for_debt = matches!(p.source, Source::Client | Source::Debtor);
        let consented = match self.consent() {
            ConsentState::Granted => true,
            ConsentState::Unknown => given_for_debt,
            ConsentState::Revoked => false,
        };
        automated && maybe_mobile && !consented && !self.confirming_opt_out()
    }

    fn workplace_blocks(&self) -> Vec<Reason> {
        let p = self.req.point;
        let mut out = Vec::new();
        // Reg F 1006.22(f)(3): never email an address known to be employer-provided.
        if self.medium() == Medium::Email && p.employer_provided {
            let rule = self.us_uk("Reg F 1006.22(f)(3)", "FCA CONC 7 (check)");
            out.push(Reason { code: "employer_email", rule, detail: "the address is employer-provided".into() });
        }
        // FDCPA 805(a)(3): no contact at work when the employer prohibits it.
        if self.req.workplace_prohibited && p.phone_type == Some(PhoneType::Work) && self.medium() != Medium::Letter {
            let rule = self.us_uk("FDCPA 805(a)(3); Reg F 1006.6(b)(3)", "FCA CONC 7 (check)");
            out.push(Reason { code: "workplace", rule, detail: "contact at work is prohibited".into() });
        }
        out
    }

    /// Walks forward from `now` to the first instant every time rule allows. Each rule answers
    /// with the earliest instant it allows, so no instant allowed by all is ever skipped.
    fn timing(&self) -> (Decision, Vec<Reason>) {
        let mut reasons: Vec<Reason> = Vec::new();
        let mut t = self.req.now;
        for _ in 0..32 {
            let mut next = t;
            for step in self.time_rules(t) {
                match step {
                    Step::Ok => {}
                    Step::Never(r) => return (Decision::Block, vec![r]),
                    Step::Until(u, r) => {
                        next = next.max(u);
                        if !reasons.iter().any(|x| x.code == r.code) {
                            reasons.push(r);
                        }
                    }
                }
            }
            if next == t {
                let d = if t == self.req.now { Decision::Allow } else { Decision::Defer { until: t } };
                return (d, reasons);
            }
            t = next;
        }
        reasons.push(Reason { code: "no_common_window", rule: self.quiet_rule(), detail: "no instant satisfies every rule".into() });
        (Decision::Block, reasons)
    }

    /// Whether the FDCPA-style timing and frequency rules bind this collector.
    fn timing_applies(&self) -> bool {
        !self.req.first_party || self.profile.covers_first_party
    }

    fn time_rules(&self, t: Timestamp) -> Vec<Step> {
        if !self.timing_applies() {
            return Vec::new();
        }
        let mut steps = vec![self.quiet(t), self.inconvenient(t)];
        steps.extend(self.call_rules(t));
        steps.extend(self.message_rules(t));
        steps
    }

    /// Reg F 1006.14(b)(3)(i): a call made within 7 days of the person's direct consent to it is
    /// left out of the frequency limits.
    fn consented(&self, at: Timestamp) -> bool {
        let week = jiff::SignedDuration::from_hours(7 * 24);
        self.req.call_consent.is_some_and(|c| c <= at && at.duration_since(c) < week)
    }

    /// Calls and voicemails: 7-in-7, the week after a conversation, and a work-number cap.
    fn call_rules(&self, t: Timestamp) -> Vec<Step> {
        let p = self.profile;
        if !self.medium().is_call() {
            return Vec::new();
        }
        let placed = |a: &Attempt| a.medium.is_call() && !a.inbound && a.outcome != Outcome::NeverConnected;
        let mut steps = Vec::new();
        if !self.consented(t) {
            let rule = self.us_uk("Reg F 1006.14(b)(2)(i)", "FCA CONC 7 (check)");
            let counted = |a: &Attempt| placed(a) && !self.consented(a.at);
            steps.push(self.capped(t, &counted, p.call_cap, p.call_window_days, "call_cap", rule));
            steps.push(self.post_conversation(t));
        }
        // 940 CMR 7.04(1)(f) has no consent exception: every placed call counts.
        if let (Some(cap), Some(PhoneType::Work)) = (p.work_call_cap, self.req.point.phone_type) {
            steps.push(self.capped(t, &placed, cap, p.work_call_window_days, "work_call_cap", "940 CMR 7.04(1)(f) (check)"));
        }
        steps
    }

    /// Texts and emails: the harassment caps (COMPLIANCE 3; check); NYC's cap across channels.
    fn message_rules(&self, t: Timestamp) -> Vec<Step> {
        let (p, m) = (self.profile, self.medium());
        let counted = |a: &Attempt| !a.inbound && a.outcome != Outcome::NeverConnected;
        let same = |a: &Attempt| a.medium == m && counted(a);
        let harassment = self.us_uk("FDCPA 806; Reg F 1006.14(a) (check)", "FCA CONC 7 (check)");
        let mut steps = Vec::new();
        match m {
            Medium::Sms => {
                steps.push(self.capped(t, &same, p.sms_per_day, 1, "sms_daily_cap", harassment));
                steps.push(self.capped(t, &same, p.sms_per_week, 7, "sms_weekly_cap", harassment));
            }
            Medium::Email => {
                steps.push(self.capped(t, &same, p.email_per_day, 1, "email_daily_cap", harassment));
                steps.push(self.capped(t, &same, p.email_per_week, 7, "email_weekly_cap", harassment));
            }
            _ => {}
        }
        if let (Some(cap), false) = (p.all_channel_cap, m == Medium::Letter) {
            let f = |a: &Attempt| a.medium != Medium::Letter && counted(a);
            steps.push(self.capped(t, &f, cap, p.all_channel_window_days, "all_channel_cap", "6 RCNY 5-77 (check)"));
        }
        steps
    }

    fn quiet_rule(&self) -> &'static str {
        self.us_uk("FDCPA 805(a)(1); Reg F 1006.6(b)(1)(i)", "FCA CONC 7 (unreasonable hours; check)")
    }

    /// Calls, texts and emails only inside the window in every candidate zone; letters any time.
    fn quiet(&self, t: Timestamp) -> Step {
        let (start, end) = (self.profile.window_start, self.profile.window_end);
        self.daily(t, &quiet::Daily::Window(start, end), "quiet_hours", self.quiet_rule(), format!("outside {start}-{end} local time"))
    }

    /// Reg F 1006.6(b)(1): hours the person named as inconvenient stay closed until they say otherwise.
    fn inconvenient(&self, t: Timestamp) -> Step {
        let rule = self.us_uk("Reg F 1006.6(b)(1)", "FCA CONC 7 (check)");
        self.daily(
            t,
            &quiet::Daily::Except(self.req.inconvenient),
            "inconvenient_time",
            rule,
            "hours the person named as inconvenient".into(),
        )
    }

    /// Defers a call, text or email to the first instant `daily` allows in every candidate zone.
    fn daily(&self, t: Timestamp, daily: &quiet::Daily, code: &'static str, rule: &'static str, what: String) -> Step {
        if self.medium() == Medium::Letter {
            return Step::Ok;
        }
        match quiet::earliest(&self.zones, daily, t) {
            Some(u) if u == t => Step::Ok,
            Some(u) => {
                let names: Vec<&str> = self.zones.iter().map(|z| z.iana_name().unwrap_or("?")).collect();
                Step::Until(u, Reason { code, rule, detail: format!("{what} in {}", names.join(", ")) })
            }
            None => Step::Never(Reason { code: "no_common_window", rule, detail: format!("{what}: no time is convenient in every zone") }),
        }
    }

    /// Local dates, per zone, of the history entries `f` counts.
    fn dates(&self, z: &TimeZone, f: &dyn Fn(&Attempt) -> bool) -> Vec<Date> {
        self.req.history.iter().filter(|a| f(a)).map(|a| frequency::local_date(z, a.at)).collect()
    }

    /// At most `cap` counted contacts per `days` consecutive local days, in every candidate zone.
    fn capped(&self, t: Timestamp, f: &dyn Fn(&Attempt) -> bool, cap: u32, days: u32, code: &'static str, rule: &'static str) -> Step {
        let until = self.zones.iter().filter_map(|z| {
            let open = frequency::cap_until(&self.dates(z, f), frequency::local_date(z, t), cap, days)?;
            frequency::start_of(z, open)
        });
        match until.max() {
            Some(u) if u > t => Step::Until(u, Reason { code, rule, detail: format!("{cap} already in {days} consecutive days") }),
            _ => Step::Ok,
        }
    }

    /// Reg F 1006.14(b)(2)(ii): no call for 7 days after a telephone conversation, whoever called,
    /// the conversation day counting as day 1.
    fn post_conversation(&self, t: Timestamp) -> Step {
        let days = self.profile.post_conversation_days;
        let talks = |a: &Attempt| a.medium.is_call() && a.outcome == Outcome::Conversation;
        let until = self.zones.iter().filter_map(|z| {
            let last = self.dates(z, &talks).into_iter().max()?;
            frequency::start_of(z, frequency::after_conversation(last, frequency::local_date(z, t), days)?)
        });
        match until.max() {
            Some(u) if u > t => {
                let rule = self.us_uk("Reg F 1006.14(b)(2)(ii)", "FCA CONC 7 (check)");
                Step::Until(u, Reason { code: "post_conversation", rule, detail: format!("a conversation within the last {days} days") })
            }
            _ => Step::Ok,
        }
    }
}

/// The hold a flag stands for, where there is one.
fn flag_hold(f: Flag) -> Option<HoldKind> {
    Some(match f {
        Flag::Disputed => HoldKind::Dispute,
        Flag::Cease => HoldKind::Cease,
        Flag::Bankruptcy => HoldKind::Bankruptcy,
        Flag::Deceased => HoldKind::Deceased,
        Flag::AttorneyRepresented => HoldKind::AttorneyRepresented,
        Flag::Vulnerable => HoldKind::Vulnerability,
        Flag::TimeBarred | Flag::Military | Flag::Complaint => return None,
    })
}
