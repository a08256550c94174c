//! The policy's scenario table: one line per scenario, each rule at its edges, then properties.
//! Times are UTC; New York is UTC-4 in summer (EDT) and UTC-5 in winter (EST).

use super::*;
use crate::contact::{Consent, ContactKind};
use jiff::civil::{Date, date};
use proptest::prelude::*;

use uuid::Uuid;

/// A change to the base scenario: a manual collection call from a New York mobile (212) the client
/// gave us, zone known, nothing on the account, the us-federal profile.
#[derive(Clone, Copy)]
enum M {
    Via(Medium),
    Prof(&'static str),
    /// Tenant overrides of the profile, as the configuration's JSON.
    Tune(&'static str),
    Tz(Option<&'static str>),
    Phone(&'static str),
    State(&'static str),
    Type(PhoneType),
    From(Source),
    Consent(Channel, ConsentState),
    Held(HoldKind),
    HoldEnded(HoldKind, Date),
    Flagged(Flag),
    For(Purpose),
    To(Recipient),
    Automated,
    EmployerEmail,
    WorkProhibited,
    FirstParty,
    ConfirmOptOut,
    /// Local hours, from and to, the person named as inconvenient.
    Named(i8, i8),
    /// The person asked to be called, at this instant.
    AskedForCall(&'static str),
    /// History: an outbound call (no conversation), voicemail, busy signal, conversation, inbound
    /// conversation, text, email, letter, and an opt-out confirmation text, at an instant.
    Call(&'static str),
    Vm(&'static str),
    Busy(&'static str),
    Talk(&'static str),
    TalkIn(&'static str),
    Text(&'static str),
    Mail(&'static str),
    Post(&'static str),
    Confirmed(&'static str),
    /// Several outbound calls at once.
    Calls(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum E {
    Allow,
    Defer(&'static str),
    Block(&'static str),
}
use E::{Allow, Block, Defer};
use M::*;

struct Fixture {
    intent: Intent,
    point: ContactPoint,
    state: Option<&'static str>,
    holds: Vec<Hold>,
    flags: Flags,
    history: Vec<Attempt>,
    inconvenient: Vec<LocalHours>,
    call_consent: Option<Timestamp>,
    workplace_prohibited: bool,
    first_party: bool,
    profile: Profile,
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn point() -> ContactPoint {
    ContactPoint {
        id: Uuid::nil(),
        tenant_id: Uuid::nil(),
        party_id: Uuid::nil(),
        kind: ContactKind::Phone,
        value: "+12125550100".into(),
        extension: None,
        phone_type: Some(PhoneType::Mobile),
        address: None,
        time_zone: Some("America/New_York".into()),
        source: Source::Client,
        verification: crate::contact::Verification::Verified,
        consent: Consent::default(),
        employer_provided: false,
    }
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            intent: Intent::collection_call(false),
            point: point(),
            state: None,
            holds: Vec::new(),
            flags: Flags::default(),
            history: Vec::new(),
            inconvenient: Vec::new(),
            call_consent: None,
            workplace_prohibited: false,
            first_party: false,
            profile: Profile::default(),
        }
    }

    fn past(&mut self, at: &str, medium: Medium, outcome: Outcome, inbound: bool) {
        self.history.push(Attempt { at: ts(at), medium, outcome, inbound, opt_out_confirmation: false });
    }

    fn apply(&mut self, m: M) {
        match m {
            Via(medium) => {
                self.intent.medium = medium;
                if medium == Medium::Email {
                    self.point.kind = ContactKind::Email;
                    self.point.value = "wei@example.com".into();
                }
            }
            Tune(json) => self.profile = self.profile.with_overrides(&serde_json::from_str(json).unwrap()).unwrap(),
            Prof(name) => self.profile = super::Profile::named(name).unwrap(),
            Tz(z) => self.point.time_zone = z.map(String::from),
            Phone(p) => self.point.value = p.into(),
            State(s) => self.state = Some(s),
            Type(t) => self.point.phone_type = Some(t),
            From(s) => self.point.source = s,
            Consent(ch, state) => self.point.consent.set(ch, state),
            Held(kind) => self.holds.push(super::Hold { kind, placed_on: date(2026, 1, 1), until: None }),
            HoldEnded(kind, until) => self.holds.push(super::Hold { kind, placed_on: date(2026, 1, 1), until: Some(until) }),
            Flagged(f) => {
                self.flags.0.insert(f);
            }
            For(p) => self.intent.purpose = p,
            To(r) => self.intent.recipient = r,
            Automated => self.intent.automated = true,
            EmployerEmail => self.point.employer_provided = true,
            WorkProhibited => self.workplace_prohibited = true,
            FirstParty => self.first_party = true,
            ConfirmOptOut => self.intent.opt_out_confirmation = true,
            AskedForCall(at) => self.call_consent = Some(ts(at)),
            Named(from, to) => {
                self.inconvenient.push(LocalHours { from: jiff::civil::time(from, 0, 0, 0), to: jiff::civil::time(to, 0, 0, 0) })
            }
            Call(at) => self.past(at, Medium::Call, Outcome::NoConversation, false),
            Vm(at) => self.past(at, Medium::Voicemail, Outcome::NoConversation, false),
            Busy(at) => self.past(at, Medium::Call, Outcome::NeverConnected, false),
            Talk(at) => self.past(at, Medium::Call, Outcome::Conversation, false),
            TalkIn(at) => self.past(at, Medium::Call, Outcome::Conversation, true),
            Text(at) => self.past(at, Medium::Sms, Outcome::NoConversation, false),
            Mail(at) => self.past(at, Medium::Email, Outcome::NoConversation, false),
            Post(at) => self.past(at, Medium::Letter, Outcome::NoConversation, false),
            Confirmed(at) => self.history.push(Attempt {
                at: ts(at),
                medium: Medium::Sms,
                outcome: Outcome::NoConversation,
                inbound: false,
                opt_out_confirmation: true,
            }),
            Calls(ats) => ats.iter().for_each(|at| self.apply(Call(at))),
        }
    }

    fn judge(&self, now: Timestamp) -> Verdict {
        let req = Request {
            intent: self.intent,
            point: &self.point,
            postal_state: self.state,
            holds: &self.holds,
            flags: &self.flags,
            history: &self.history,
            inconvenient: &self.inconvenient,
            call_consent: self.call_consent,
            workplace_prohibited: self.workplace_prohibited,
            first_party: self.first_party,
            now,
        };
        evaluate(&req, &self.profile)
    }
}

fn outcome(v: &Verdict) -> String {
    match v.decision {
        Decision::Allow => "Allow".into(),
        Decision::Defer { until } => format!("Defer({until})"),
        Decision::Block => format!("Block({})", v.reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(",")),
    }
}

fn matches(v: &Verdict, e: E) -> bool {
    match (v.decision, e) {
        (Decision::Allow, Allow) => true,
        (Decision::Defer { until }, Defer(at)) => until == ts(at) && !v.reasons.is_empty(),
        (Decision::Block, Block(code)) => v.has(code),
        _ => false,
    }
}

// Seven weekdays of calls, one a day at 09:00 New York time, June 2..8 2026 (and the week before).
const JUN_2_TO_7: &[&str] = &[
    "2026-06-02T13:00:00Z",
    "2026-06-03T13:00:00Z",
    "2026-06-04T13:00:00Z",
    "2026-06-05T13:00:00Z",
    "2026-06-06T13:00:00Z",
    "2026-06-07T13:00:00Z",
];
const JUN_1_TO_7: &[&str] = &[
    "2026-06-01T13:00:00Z",
    "2026-06-02T13:00:00Z",
    "2026-06-03T13:00:00Z",
    "2026-06-04T13:00:00Z",
    "2026-06-05T13:00:00Z",
    "2026-06-06T13:00:00Z",
    "2026-06-07T13:00:00Z",
];
const JUN_8_SEVEN: &[&str] = &[
    "2026-06-08T12:00:00Z",
    "2026-06-08T12:10:00Z",
    "2026-06-08T12:20:00Z",
    "2026-06-08T12:30:00Z",
    "2026-06-08T12:40:00Z",
    "2026-06-08T12:50:00Z",
    "2026-06-08T13:00:00Z",
];
const MON: &str = "2026-06-08T14:00:00Z"; // Monday 10:00 in New York

type Scenario = (&'static str, &'static str, &'static [M], E);

#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    // Quiet hours (Reg F 1006.6(b)(1)(i)), New York in summer (EDT, UTC-4).
    ("ny 07:59 defers to 08:00", "2026-06-02T11:59:00Z", &[], Defer("2026-06-02T12:00:00Z")),
    ("ny 08:00 allowed", "2026-06-02T12:00:00Z", &[], Allow),
    ("ny 20:59 allowed", "2026-06-03T00:59:00Z", &[], Allow),
    ("ny 21:00 defers to tomorrow 08:00", "2026-06-03T01:00:00Z", &[], Defer("2026-06-03T12:00:00Z")),
    ("ny midnight defers to 08:00", "2026-06-03T04:00:00Z", &[], Defer("2026-06-03T12:00:00Z")),
    ("sms 07:59 defers", "2026-06-02T11:59:00Z", &[Via(Medium::Sms)], Defer("2026-06-02T12:00:00Z")),
    ("email 21:00 defers", "2026-06-03T01:00:00Z", &[Via(Medium::Email)], Defer("2026-06-03T12:00:00Z")),
    ("voicemail 07:59 defers", "2026-06-02T11:59:00Z", &[Via(Medium::Voicemail)], Defer("2026-06-02T12:00:00Z")),
    ("a letter at 03:00 is fine", "2026-06-02T07:00:00Z", &[Via(Medium::Letter)], Allow),
    // Spring forward, 2026-03-08 in New York: 02:00 EST becomes 03:00 EDT.
    ("spring 00:00 EST defers to 08:00 EDT", "2026-03-08T05:00:00Z", &[], Defer("2026-03-08T12:00:00Z")),
    ("spring 07:59 EDT defers", "2026-03-08T11:59:00Z", &[], Defer("2026-03-08T12:00:00Z")),
    ("spring 08:00 EDT allowed", "2026-03-08T12:00:00Z", &[], Allow),
    ("spring 20:59 EDT allowed", "2026-03-09T00:59:00Z", &[], Allow),
    ("spring 21:00 EDT defers", "2026-03-09T01:00:00Z", &[], Defer("2026-03-09T12:00:00Z")),
    ("eve of spring 21:00 EST defers to 08:00 EDT", "2026-03-08T02:00:00Z", &[], Defer("2026-03-08T12:00:00Z")),
    // Fall back, 2026-11-01 in New York: 02:00 EDT becomes 01:00 EST.
    ("fall 00:30 EDT defers to 08:00 EST", "2026-11-01T04:30:00Z", &[], Defer("2026-11-01T13:00:00Z")),
    ("fall second 01:30 (EST) defers", "2026-11-01T06:30:00Z", &[], Defer("2026-11-01T13:00:00Z")),
    ("fall 07:59 EST defers", "2026-11-01T12:59:00Z", &[], Defer("2026-11-01T13:00:00Z")),
    ("fall 08:00 EST allowed", "2026-11-01T13:00:00Z", &[], Allow),
    ("fall 20:59 EST allowed", "2026-11-02T01:59:00Z", &[], Allow),
    ("fall 21:00 EST defers", "2026-11-02T02:00:00Z", &[], Defer("2026-11-02T13:00:00Z")),
    ("eve of fall 21:00 EDT defers to 08:00 EST", "2026-11-01T01:00:00Z", &[], Defer("2026-11-01T13:00:00Z")),
    // Conflicting and unknown zones: every candidate must be inside.
    ("212 with a CA address at 08:00 ET waits for 08:00 PT", "2026-06-02T12:00:00Z", &[Tz(None), State("CA")], Defer("2026-06-02T15:00:00Z")),
    ("212 with a CA address at 08:00 PT allowed", "2026-06-02T15:00:00Z", &[Tz(None), State("CA")], Allow),
    ("212 with a CA address at 20:59 ET allowed", "2026-06-03T00:59:00Z", &[Tz(None), State("CA")], Allow),
    ("212 with a CA address at 21:00 ET waits for 08:00 PT", "2026-06-03T01:00:00Z", &[Tz(None), State("CA")], Defer("2026-06-03T15:00:00Z")),
    ("a known zone does not silence a conflicting address", "2026-06-02T12:00:00Z", &[State("CA")], Defer("2026-06-02T15:00:00Z")),
    ("212 alone: New York", "2026-06-02T12:00:00Z", &[Tz(None)], Allow),
    ("312 alone: Chicago 07:00", "2026-06-02T12:00:00Z", &[Tz(None), Phone("+13125550147")], Defer("2026-06-02T13:00:00Z")),
    ("850 spans Central and Eastern: 07:00 CT", "2026-06-02T12:00:00Z", &[Tz(None), Phone("+18505550100")], Defer("2026-06-02T13:00:00Z")),
    ("850 at 21:00 ET, 20:00 CT", "2026-06-03T01:00:00Z", &[Tz(None), Phone("+18505550100")], Defer("2026-06-03T13:00:00Z")),
    ("TX address spans Central and Mountain", "2026-06-02T13:00:00Z", &[Tz(None), Phone("+12145550100"), State("TX")], Defer("2026-06-02T14:00:00Z")),
    ("unknown everything: every US zone, Guam to Adak", "2026-06-02T12:00:00Z", &[Tz(None), Phone("+442079460958")], Defer("2026-06-02T22:00:00Z")),
    ("unknown everything at 22:00Z allowed", "2026-06-02T22:00:00Z", &[Tz(None), Phone("+442079460958")], Allow),
    ("unknown everything at 01:00Z defers a day", "2026-06-03T01:00:00Z", &[Tz(None), Phone("+442079460958")], Defer("2026-06-03T22:00:00Z")),
    ("uk-fca unknown zone: London 07:59 BST", "2026-06-02T06:59:00Z", &[Prof("uk-fca"), Tz(None), Phone("+447700900123")], Defer("2026-06-02T07:00:00Z")),
    ("uk-fca London 08:00 BST", "2026-06-02T07:00:00Z", &[Prof("uk-fca"), Tz(None), Phone("+447700900123")], Allow),
    // Hours the person named as inconvenient (Reg F 1006.6(b)(1)): a standing block.
    ("named 12-14: at 13:00 wait for 14:00", "2026-06-02T17:00:00Z", &[Named(12, 14)], Defer("2026-06-02T18:00:00Z")),
    ("named 12-14: at 14:00 allowed", "2026-06-02T18:00:00Z", &[Named(12, 14)], Allow),
    ("named 18-10: at 17:30 allowed", "2026-06-02T21:30:00Z", &[Named(18, 10)], Allow),
    ("named 18-10: at 18:00 wait for 10:00", "2026-06-02T22:00:00Z", &[Named(18, 10)], Defer("2026-06-03T14:00:00Z")),
    ("named 8-10 and quiet hours together", "2026-06-02T11:00:00Z", &[Named(8, 10)], Defer("2026-06-02T14:00:00Z")),
    ("named hours in every zone: 12:00 PT", "2026-06-02T19:00:00Z", &[Tz(None), State("CA"), Named(12, 14)], Defer("2026-06-02T21:00:00Z")),
    ("named hours do not hold a letter", "2026-06-02T17:00:00Z", &[Via(Medium::Letter), Named(12, 14)], Allow),
    ("named hours covering the window block", MON, &[Named(8, 21)], Block("no_common_window")),
    // Call frequency (Reg F 1006.14(b)(2)(i)): 7 attempts in 7 consecutive days.
    ("7th call attempt in 7 days allowed", MON, &[Calls(JUN_2_TO_7)], Allow),
    ("8th call attempt in 7 days defers until the oldest falls out", MON, &[Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("7 calls June 1-7: June 1 has left the window", MON, &[Calls(JUN_1_TO_7)], Allow),
    ("7 calls this morning: a week to wait", MON, &[Calls(JUN_8_SEVEN)], Defer("2026-06-15T12:00:00Z")),
    ("a voicemail counts as an attempt", MON, &[Calls(JUN_2_TO_7), Vm("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("the 8th attempt by voicemail defers too", MON, &[Via(Medium::Voicemail), Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("a busy signal does not count", MON, &[Calls(JUN_2_TO_7), Busy("2026-06-08T12:30:00Z")], Allow),
    ("texts do not count toward 7-in-7", MON, &[Calls(JUN_2_TO_7), Text("2026-06-08T12:30:00Z")], Allow),
    ("a letter goes out whatever the calls", MON, &[Via(Medium::Letter), Calls(JUN_8_SEVEN)], Allow),
    // Direct consent to a call (Reg F 1006.14(b)(3)(i)): excluded for 7 days from the consent.
    ("asked to be called: the 8th attempt goes", MON, &[Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z"), AskedForCall("2026-06-08T13:30:00Z")], Allow),
    ("consent over a week old does not help", MON, &[Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z"), AskedForCall("2026-05-25T13:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("calls under consent are not counted later", MON, &[Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z"), AskedForCall("2026-06-01T12:00:00Z")], Allow),
    ("asked to be called back after a conversation", MON, &[Talk("2026-06-06T15:00:00Z"), AskedForCall("2026-06-06T15:10:00Z")], Allow),
    ("call-back consent expired, the conversation week has not", "2026-06-12T14:00:00Z", &[Talk("2026-06-06T15:00:00Z"), AskedForCall("2026-06-05T12:00:00Z")], Defer("2026-06-13T12:00:00Z")),
    ("us-ma work cap has no consent exception", MON, &[Prof("us-ma"), Type(PhoneType::Work), Call("2026-05-15T13:00:00Z"), Call("2026-05-20T13:00:00Z"), AskedForCall("2026-06-08T13:30:00Z")], Defer("2026-06-14T12:00:00Z")),
    // After a telephone conversation (Reg F 1006.14(b)(2)(ii)): day 1 is the conversation day.
    ("conversation day 1: defer to day 8", "2026-06-01T18:00:00Z", &[Talk("2026-06-01T15:00:00Z")], Defer("2026-06-08T12:00:00Z")),
    ("conversation day 7: defer to day 8", "2026-06-07T14:00:00Z", &[Talk("2026-06-01T15:00:00Z")], Defer("2026-06-08T12:00:00Z")),
    ("conversation day 8: allowed", MON, &[Talk("2026-06-01T15:00:00Z")], Allow),
    ("day 7 at 23:59 local is still day 7", "2026-06-08T03:59:00Z", &[Talk("2026-06-01T15:00:00Z")], Defer("2026-06-08T12:00:00Z")),
    ("they called us: it still counts", "2026-06-03T14:00:00Z", &[TalkIn("2026-06-01T15:00:00Z")], Defer("2026-06-08T12:00:00Z")),
    ("a late-evening conversation is on its local day", MON, &[Talk("2026-06-02T03:30:00Z")], Allow),
    ("conflicting zones: day 8 must have come in both", MON, &[Tz(None), State("CA"), Talk("2026-06-02T05:30:00Z")], Defer("2026-06-09T15:00:00Z")),
    ("a text after a conversation is not a call", "2026-06-03T14:00:00Z", &[Via(Medium::Sms), Talk("2026-06-01T15:00:00Z")], Allow),
    ("a letter after a conversation", "2026-06-03T14:00:00Z", &[Via(Medium::Letter), Talk("2026-06-01T15:00:00Z")], Allow),
    // Texts and emails: harassment caps, 1 a day and 3 a week by default (check).
    ("second text today defers to tomorrow", MON, &[Via(Medium::Sms), Text("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("fourth text this week defers", MON, &[Via(Medium::Sms), Text("2026-06-03T13:00:00Z"), Text("2026-06-05T13:00:00Z"), Text("2026-06-07T13:00:00Z")], Defer("2026-06-10T12:00:00Z")),
    ("third text this week allowed", MON, &[Via(Medium::Sms), Text("2026-06-05T13:00:00Z"), Text("2026-06-07T13:00:00Z")], Allow),
    ("second email today defers", MON, &[Via(Medium::Email), Mail("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("an email after a text today", MON, &[Via(Medium::Email), Text("2026-06-08T12:30:00Z")], Allow),
    // Holds (hold::check), each mapped to Block with its rule.
    ("bankruptcy stops everything", MON, &[Held(HoldKind::Bankruptcy)], Block("bankruptcy")),
    ("bankruptcy stops even verification", MON, &[Held(HoldKind::Bankruptcy), For(Purpose::Verification)], Block("bankruptcy")),
    ("a block wins over a deferral", "2026-06-02T07:00:00Z", &[Held(HoldKind::Bankruptcy)], Block("bankruptcy")),
    ("recalled account", MON, &[Held(HoldKind::Recall)], Block("recall")),
    ("cease stops collection", MON, &[Held(HoldKind::Cease)], Block("cease")),
    ("cease stops promise reminders", MON, &[Held(HoldKind::Cease), For(Purpose::PromiseReminder)], Block("cease")),
    ("cease: confirmation that collection ends", MON, &[Held(HoldKind::Cease), Via(Medium::Letter), For(Purpose::CeaseConfirmation)], Allow),
    ("cease: a remedy notice", MON, &[Held(HoldKind::Cease), Via(Medium::Letter), For(Purpose::RemedyNotice)], Allow),
    ("represented: not the consumer", MON, &[Held(HoldKind::AttorneyRepresented)], Block("attorney_represented")),
    ("represented: the attorney", MON, &[Held(HoldKind::AttorneyRepresented), To(Recipient::Attorney)], Allow),
    ("deceased: not the debtor", MON, &[Held(HoldKind::Deceased)], Block("deceased")),
    ("deceased: the estate's representative", MON, &[Held(HoldKind::Deceased), To(Recipient::EstateRepresentative)], Allow),
    ("disputed: no collection", MON, &[Held(HoldKind::Dispute)], Block("dispute")),
    ("disputed: verification goes out", MON, &[Held(HoldKind::Dispute), Via(Medium::Letter), For(Purpose::Verification)], Allow),
    ("hardship pause", MON, &[Held(HoldKind::HardshipPause)], Block("hardship_pause")),
    ("hardship pause over", MON, &[HoldEnded(HoldKind::HardshipPause, date(2026, 6, 7))], Allow),
    ("vulnerable: no dialer", MON, &[Held(HoldKind::Vulnerability), Automated], Block("vulnerability")),
    ("vulnerable: a specialist may call", MON, &[Held(HoldKind::Vulnerability)], Allow),
    ("a bankruptcy flag without its hold still blocks", MON, &[Flagged(crate::account::Flag::Bankruptcy)], Block("bankruptcy")),
    ("an attorney flag still blocks", MON, &[Flagged(crate::account::Flag::AttorneyRepresented)], Block("attorney_represented")),
    ("a time-barred flag does not stop contact", MON, &[Flagged(crate::account::Flag::TimeBarred)], Allow),
    // Consent and opt-outs (47 USC 227(b); Reg F 1006.14(h)).
    ("dialer to a skip-traced mobile without consent", MON, &[Automated, From(Source::SkipTrace)], Block("tcpa_no_consent")),
    ("dialer to a skip-traced mobile with consent", MON, &[Automated, From(Source::SkipTrace), Consent(Channel::Call, ConsentState::Granted)], Allow),
    ("manual dial to a skip-traced mobile", MON, &[From(Source::SkipTrace)], Allow),
    ("dialer to a number the client gave", MON, &[Automated], Allow),
    ("dialer to a skip-traced landline", MON, &[Automated, From(Source::SkipTrace), Type(PhoneType::Home)], Allow),
    ("automated text to a skip-traced number of unknown type", MON, &[Via(Medium::Sms), Automated, From(Source::SkipTrace), Type(PhoneType::Unknown)], Block("tcpa_no_consent")),
    ("prerecorded voicemail, agent-found mobile", MON, &[Via(Medium::Voicemail), Automated, From(Source::Agent)], Block("tcpa_no_consent")),
    ("calls revoked", MON, &[Consent(Channel::Call, ConsentState::Revoked)], Block("channel_opt_out")),
    ("calls revoked: no voicemail either", MON, &[Via(Medium::Voicemail), Consent(Channel::Call, ConsentState::Revoked)], Block("channel_opt_out")),
    ("texts revoked", MON, &[Via(Medium::Sms), Consent(Channel::Sms, ConsentState::Revoked)], Block("channel_opt_out")),
    ("texts revoked: one confirmation", MON, &[Via(Medium::Sms), Automated, Consent(Channel::Sms, ConsentState::Revoked), ConfirmOptOut], Allow),
    ("texts revoked: not a second confirmation", MON, &[Via(Medium::Sms), Consent(Channel::Sms, ConsentState::Revoked), ConfirmOptOut, Confirmed("2026-06-06T13:00:00Z")], Block("channel_opt_out")),
    ("texts revoked, calls still fine", MON, &[Consent(Channel::Sms, ConsentState::Revoked)], Allow),
    ("email opted out", MON, &[Via(Medium::Email), Consent(Channel::Email, ConsentState::Revoked)], Block("channel_opt_out")),
    ("mail opted out", MON, &[Via(Medium::Letter), Consent(Channel::Letter, ConsentState::Revoked)], Block("channel_opt_out")),
    // Workplace (Reg F 1006.22(f)(3); FDCPA 805(a)(3)).
    ("employer-provided email", MON, &[Via(Medium::Email), EmployerEmail], Block("employer_email")),
    ("work phone, employer prohibits", MON, &[Type(PhoneType::Work), WorkProhibited], Block("workplace")),
    ("work phone, no prohibition", MON, &[Type(PhoneType::Work)], Allow),
    ("mobile, employer prohibits work calls", MON, &[WorkProhibited], Allow),
    // Massachusetts: 2 calls in 7 days at home, 2 in 30 at work (check).
    ("us-ma third call in 7 days", MON, &[Prof("us-ma"), Call("2026-06-05T13:00:00Z"), Call("2026-06-07T13:00:00Z")], Defer("2026-06-12T12:00:00Z")),
    ("us-federal third call in 7 days", MON, &[Call("2026-06-05T13:00:00Z"), Call("2026-06-07T13:00:00Z")], Allow),
    ("us-ma second call in 7 days", MON, &[Prof("us-ma"), Call("2026-06-07T13:00:00Z")], Allow),
    ("us-ma work: third call in 30 days", MON, &[Prof("us-ma"), Type(PhoneType::Work), Call("2026-05-15T13:00:00Z"), Call("2026-05-20T13:00:00Z")], Defer("2026-06-14T12:00:00Z")),
    ("us-ma mobile: the same two calls are old", MON, &[Prof("us-ma"), Call("2026-05-15T13:00:00Z"), Call("2026-05-20T13:00:00Z")], Allow),
    // New York City: 3 contacts or attempts in 7 days across channels; electronic needs consent.
    ("us-nyc fourth contact across channels", MON, &[Prof("us-nyc"), Call("2026-06-03T13:00:00Z"), Text("2026-06-04T13:00:00Z"), Mail("2026-06-05T13:00:00Z")], Defer("2026-06-10T12:00:00Z")),
    ("us-federal same four contacts", MON, &[Call("2026-06-03T13:00:00Z"), Text("2026-06-04T13:00:00Z"), Mail("2026-06-05T13:00:00Z")], Allow),
    ("us-nyc letters do not count", MON, &[Prof("us-nyc"), Call("2026-06-03T13:00:00Z"), Post("2026-06-04T13:00:00Z"), Post("2026-06-05T13:00:00Z")], Allow),
    ("us-nyc a letter after three contacts", MON, &[Prof("us-nyc"), Via(Medium::Letter), Call("2026-06-03T13:00:00Z"), Text("2026-06-04T13:00:00Z"), Mail("2026-06-05T13:00:00Z")], Allow),
    ("us-nyc email without consent", MON, &[Prof("us-nyc"), Via(Medium::Email)], Block("electronic_consent")),
    ("us-nyc email with consent", MON, &[Prof("us-nyc"), Via(Medium::Email), Consent(Channel::Email, ConsentState::Granted)], Allow),
    ("us-federal email without recorded consent", MON, &[Via(Medium::Email)], Allow),
    // California: the Rosenthal Act binds first-party creditors.
    ("us-federal first party at 07:00", "2026-06-02T11:00:00Z", &[FirstParty], Allow),
    ("us-ca first party at 07:00", "2026-06-02T11:00:00Z", &[Prof("us-ca"), FirstParty], Defer("2026-06-02T12:00:00Z")),
    ("us-ca first party 8th call", MON, &[Prof("us-ca"), FirstParty, Calls(JUN_2_TO_7), Call("2026-06-08T12:30:00Z")], Defer("2026-06-09T12:00:00Z")),
    ("us-federal first party still honours holds", MON, &[FirstParty, Held(HoldKind::Bankruptcy)], Block("bankruptcy")),
    // A tenant's overrides, field by field, on top of a named profile.
    ("tenant window ends 20:00: 20:30 defers", "2026-06-03T00:30:00Z", &[Tune(r#"{"window_end":"20:00"}"#)], Defer("2026-06-03T12:00:00Z")),
    ("tenant window starts 09:00", "2026-06-02T12:30:00Z", &[Tune(r#"{"window_start":"09:00"}"#)], Defer("2026-06-02T13:00:00Z")),
    ("tenant call cap 3 in 7", MON, &[Tune(r#"{"call_cap":3}"#), Calls(&["2026-06-03T13:00:00Z", "2026-06-05T13:00:00Z", "2026-06-07T13:00:00Z"])], Defer("2026-06-10T12:00:00Z")),
    ("tenant 2 texts a day", MON, &[Via(Medium::Sms), Tune(r#"{"sms_per_day":2}"#), Text("2026-06-08T12:30:00Z")], Allow),
    ("us-ma with a tenant's 3-call cap", MON, &[Prof("us-ma"), Tune(r#"{"call_cap":3}"#), Call("2026-06-05T13:00:00Z"), Call("2026-06-07T13:00:00Z")], Allow),
    ("tenant post-conversation rule off", "2026-06-03T14:00:00Z", &[Tune(r#"{"post_conversation_days":0}"#), Talk("2026-06-01T15:00:00Z")], Allow),
    // UK: no TCPA; opt-outs and holds still bind.
    ("uk-fca dialer to a traced mobile", "2026-06-02T09:00:00Z", &[Prof("uk-fca"), Tz(None), Phone("+447700900123"), Automated, From(Source::SkipTrace)], Allow),
    ("uk-fca calls refused", "2026-06-02T09:00:00Z", &[Prof("uk-fca"), Tz(None), Phone("+447700900123"), Consent(Channel::Call, ConsentState::Revoked)], Block("channel_opt_out")),
    ("uk-fca vulnerable, automated", "2026-06-02T09:00:00Z", &[Prof("uk-fca"), Tz(None), Phone("+447700900123"), Automated, Held(HoldKind::Vulnerability)], Block("vulnerability")),
];

#[test]
fn scenarios() {
    let mut failures = Vec::new();
    for (name, now, mods, expected) in SCENARIOS {
        let mut f = Fixture::new();
        mods.iter().for_each(|m| f.apply(*m));
        let v = f.judge(ts(now));
        if !matches(&v, *expected) {
            failures.push(format!("{name}: expected {expected:?}, got {} {:?}", outcome(&v), v.reasons));
        }
        assert!(v.reasons.iter().all(|r| !r.code.is_empty() && !r.rule.is_empty()), "{name}: every reason names its rule");
    }
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), SCENARIOS.len(), failures.join("\n"));
    assert!(SCENARIOS.len() >= 80);
}

// Properties: random places, histories, media, profiles and instants through 2026 (both DST changes).

const PLACES: &[(Option<&str>, &str, Option<&str>)] = &[
    (Some("America/New_York"), "+12125550100", None),
    (None, "+12125550100", Some("CA")),
    (None, "+18505550100", None),
    (None, "+19155550100", Some("TX")),
    (Some("America/Phoenix"), "+19285550100", None),
    (None, "+18085550100", Some("AK")),
    (None, "+442079460958", None),
];
const MEDIA: [Medium; 5] = [Medium::Call, Medium::Voicemail, Medium::Sms, Medium::Email, Medium::Letter];
const OUTCOMES: [Outcome; 3] = [Outcome::NeverConnected, Outcome::NoConversation, Outcome::Conversation];

fn fixture(place: usize, medium: usize, profile: usize, history: &[Past], now: Timestamp) -> Fixture {
    let mut f = Fixture::new();
    // Some histories come with named hours, from the seconds of the first entry.
    if let Some(&(secs, ..)) = history.first().filter(|h| h.0 % 3 == 0) {
        f.apply(Named((secs % 24) as i8, ((secs / 24) % 24) as i8));
    }
    // And some with a direct consent to call, given when the first entry happened.
    if let Some(&(secs, ..)) = history.first().filter(|h| (h.0 / 7) % 2 == 0) {
        f.call_consent = now.checked_sub(jiff::SignedDuration::from_secs(secs)).ok();
    }
    let (tz, phone, state) = PLACES[place];
    f.apply(Tz(tz));
    f.apply(Phone(phone));
    f.state = state;
    f.apply(Via(MEDIA[medium]));
    f.profile = super::Profile::named(super::Profile::NAMES[profile]).unwrap();
    for &(secs_ago, m, o, inbound) in history {
        let at = now.checked_sub(jiff::SignedDuration::from_secs(secs_ago)).unwrap();
        f.history.push(Attempt { at, medium: MEDIA[m], outcome: OUTCOMES[o], inbound, opt_out_confirmation: false });
    }
    f
}

/// The first instant the fixture may contact, judged at `now`: `now` itself, a deferral's end, or None.
fn allowed_from(v: &Verdict, now: Timestamp) -> Option<Timestamp> {
    match v.decision {
        Decision::Allow => Some(now),
        Decision::Defer { until } => Some(until),
        Decision::Block => None,
    }
}

/// A past contact (seconds before now, medium, outcome, inbound) and a whole case (place, medium,
/// profile, history, now), as indexes into the tables above.
type Past = (i64, usize, usize, bool);
type Case = (usize, usize, usize, Vec<Past>, Timestamp);

fn case() -> impl Strategy<Value = Case> {
    let history = proptest::collection::vec((1i64..10 * 86_400, 0..5usize, 0..3usize, proptest::bool::weighted(0.1)), 0..14);
    let now = (0i64..365 * 86_400).prop_map(|s| ts("2026-01-01T00:00:00Z").checked_add(jiff::SignedDuration::from_secs(s)).unwrap());
    (0..PLACES.len(), 0..5usize, 0..Profile::NAMES.len(), history, now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A Defer's `until` is an instant the same request allows, and no earlier instant is.
    #[test]
    fn a_deferral_ends_at_the_first_allowed_instant((place, medium, profile, history, now) in case(), frac in 0.0f64..1.0) {
        let f = fixture(place, medium, profile, &history, now);
        let v = f.judge(now);
        if let Decision::Defer { until } = v.decision {
            prop_assert!(until > now);
            prop_assert_eq!(f.judge(until).decision, Decision::Allow, "at {}: {:?}", until, f.judge(until).reasons);
            let gap = until.duration_since(now).as_secs();
            let before = until.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap();
            let between = now.checked_add(jiff::SignedDuration::from_secs((gap as f64 * frac) as i64)).unwrap();
            for t in [before, between] {
                prop_assert_ne!(f.judge(t).decision, Decision::Allow, "allowed at {} before {}", t, until);
            }
        }
    }

    /// An allowed call, text or email falls inside the window in every candidate zone.
    #[test]
    fn an_allowed_message_is_inside_every_window((place, medium, profile, history, now) in case()) {
        let f = fixture(place, medium, profile, &history, now);
        if f.judge(now).decision == Decision::Allow && MEDIA[medium] != Medium::Letter {
            let p = &f.profile;
            for z in zones::candidates(&f.point, f.state, &p.fallback_zones) {
                prop_assert!(quiet::inside(&z, &quiet::Daily::Window(p.window_start, p.window_end), now), "{:?} at {}", z.iana_name(), now);
            }
        }
    }

    /// One more past contact never lets the next one out sooner.
    #[test]
    fn more_history_never_allows_sooner((place, medium, profile, history, now) in case(), extra in (1i64..10 * 86_400, 0..5usize, 0..3usize)) {
        let f = fixture(place, medium, profile, &history, now);
        let mut more = history.clone();
        more.push((extra.0, extra.1, extra.2, false));
        let g = fixture(place, medium, profile, &more, now);
        match (allowed_from(&f.judge(now), now), allowed_from(&g.judge(now), now)) {
            (Some(a), Some(b)) => prop_assert!(b >= a, "{} then {}", a, b),
            (None, Some(_)) => prop_assert!(false, "a block became allowed"),
            _ => {}
        }
    }
}

#[test]
fn a_verdict_reads_as_json_and_names_its_rules() {
    let mut f = Fixture::new();
    f.apply(Calls(JUN_8_SEVEN));
    let v = f.judge(ts(MON));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["decision"]["decision"], "defer");
    assert_eq!(json["decision"]["until"], "2026-06-15T12:00:00Z");
    assert_eq!(json["reasons"][0]["code"], "call_cap");
    assert_eq!(json["reasons"][0]["rule"], "Reg F 1006.14(b)(2)(i)");
    f.apply(Prof("uk-fca"));
    assert!(f.judge(ts(MON)).reasons.iter().all(|r| r.rule.starts_with("FCA")), "UK profiles cite UK sources");
}
