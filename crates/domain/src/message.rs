//! Messages and calls as the contact history sees them: the outbox state machine every e-mail,
//! text and letter moves through; how a logged call ended and what that means for the contact
//! policy's counting; and what an inbound text asks for (STOP, START, HELP or words for an agent).

use crate::policy::Outcome;
use serde::{Deserialize, Serialize};

/// Where a message is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its time (deferred by the policy) or for the sender.
    Queued,
    /// Handed to the provider (or the outbox, or the print batch).
    Sent,
    Delivered,
    /// Could not be sent: retries ran out or the provider refused it for good.
    Failed,
    /// The recipient's server or carrier rejected it.
    Bounced,
    /// The contact policy refused it; the decision holds the reasons.
    Blocked,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a message cannot go from {from:?} to {to:?}")]
pub struct BadTransition {
    pub from: MessageStatus,
    pub to: MessageStatus,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 7] = [
        MessageStatus::Queued,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Failed,
        MessageStatus::Bounced,
        MessageStatus::Blocked,
        MessageStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
            MessageStatus::Bounced => "bounced",
            MessageStatus::Blocked => "blocked",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Checks a move. Provider callbacks arrive out of order, so a late "sent" after "delivered"
    /// is refused here and the caller ignores it; a carrier may still report a bounce or failure
    /// after it first said delivered.
    pub fn transition(self, to: MessageStatus) -> Result<MessageStatus, BadTransition> {
        use MessageStatus::*;
        let ok = matches!(
            (self, to),
            (Queued, Sent | Failed | Bounced | Blocked | Cancelled) | (Sent, Delivered | Failed | Bounced) | (Delivered, Bounced | Failed)
        );
        if ok { Ok(to) } else { Err(BadTransition { from: self, to }) }
    }
}

/// How a logged call ended, as the agent or dialer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    RightParty,
    ThirdParty,
    WrongNumber,
    NoAnswer,
    Voicemail,
    /// Busy signal, network error, number not in service: the call never connected.
    NotConnected,
    /// The person answered and refused to talk or to pay.
    Refused,
    PromiseTaken,
}

impl CallResult {
    pub const ALL: [CallResult; 8] = [
        CallResult::RightParty,
        CallResult::ThirdParty,
        CallResult::WrongNumber,
        CallResult::NoAnswer,
        CallResult::Voicemail,
        CallResult::NotConnected,
        CallResult::Refused,
        CallResult::PromiseTaken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::RightParty => "right_party",
            CallResult::ThirdParty => "third_party",
            CallResult::WrongNumber => "wrong_number",
            CallResult::NoAnswer => "no_answer",
            CallResult::Voicemail => "voicemail",
            CallResult::NotConnected => "not_connected",
            CallResult::Refused => "refused",
            CallResult::PromiseTaken => "promise_taken",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What the call counts as for the frequency rules.
    pub fn outcome(self) -> Outcome {
        match self {
            // Reg F 1006.14(b)(3): a call that never connects is not "placed"; every call that
            // reaches the line is, answered or not, voicemail included.
            CallResult::NotConnected => Outcome::NeverConnected,
            CallResult::ThirdParty | CallResult::WrongNumber | CallResult::NoAnswer | CallResult::Voicemail => Outcome::NoConversation,
            // Reg F 1006.14(b)(2)(ii): a telephone conversation with the person starts the
            // seven-day pause, whatever was said in it.
            CallResult::RightParty | CallResult::Refused | CallResult::PromiseTaken => Outcome::Conversation,
        }
    }

    /// A right-party contact: a conversation with the debtor (DESIGN glossary).
    pub fn is_rpc(self) -> bool {
        self.outcome() == Outcome::Conversation
    }

    /// A person answered: the debtor or someone else (a connect, for the contact rate).
    pub fn is_connect(self) -> bool {
        self.is_rpc() || matches!(self, CallResult::ThirdParty | CallResult::WrongNumber)
    }
}

/// What an inbound text asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Inbound {
    /// Stop texting this number.
    OptOut,
    /// Texts may start again.
    OptIn,
    Help,
    /// Anything else: words for an agent to read.
    Reply,
}

/// Reads an inbound text the way carriers and the CTIA guidelines do: the whole message, trimmed
/// and case-folded, is one keyword. Any of the opt-out words revokes consent (47 CFR
/// 64.1200(a)(10): revocation "by any reasonable means"), so a keyword followed by punctuation
/// still counts; longer free text goes to an agent, who must also treat a clear request to stop
/// as one.
pub fn read_inbound(body: &str) -> Inbound {
    let word: String = body.trim().trim_end_matches(['.', '!']).to_uppercase().split_whitespace().collect::<Vec<_>>().join(" ");
    match word.as_str() {
        "STOP" | "STOPALL" | "QUIT" | "END" | "REVOKE" | "OPT OUT" | "OPTOUT" | "CANCEL" | "UNSUBSCRIBE" | "ALTO" | "PARAR" => {
            Inbound::OptOut
        }
        "START" | "UNSTOP" | "YES" => Inbound::OptIn,
        "HELP" | "INFO" | "AYUDA" => Inbound::Help,
        _ => Inbound::Reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;

    #[test]
    fn the_outbox_moves_only_forward() {
        assert_eq!(Queued.transition(Sent), Ok(Sent));
        assert_eq!(Sent.transition(Delivered), Ok(Delivered));
        assert_eq!(Delivered.transition(Bounced), Ok(Bounced));
        assert_eq!(Queued.transition(Blocked), Ok(Blocked));
        assert!(Delivered.transition(Sent).is_err(), "a late 'sent' callback after delivery");
        assert!(Blocked.transition(Sent).is_err(), "a blocked message never leaves");
        assert!(Failed.transition(Delivered).is_err());
        assert!(Sent.transition(Queued).is_err());
        for s in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
            assert!(s.transition(s).is_err(), "{s:?} to itself is not a move");
        }
    }

    #[test]
    fn call_results_count_as_the_rules_say() {
        assert_eq!(CallResult::NotConnected.outcome(), Outcome::NeverConnected);
        assert_eq!(CallResult::Voicemail.outcome(), Outcome::NoConversation);
        assert_eq!(CallResult::WrongNumber.outcome(), Outcome::NoConversation);
        assert_eq!(CallResult::ThirdParty.outcome(), Outcome::NoConversation, "a third party is not the person");
        assert_eq!(CallResult::Refused.outcome(), Outcome::Conversation);
        assert!(CallResult::PromiseTaken.is_rpc() && CallResult::RightParty.is_rpc());
        assert!(!CallResult::Voicemail.is_rpc() && !CallResult::ThirdParty.is_rpc());
        for c in CallResult::ALL {
            assert_eq!(CallResult::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn every_opt_out_word_is_understood_and_free_text_goes_to_an_agent() {
        for w in ["STOP", "stop", " Stop. ", "QUIT", "END", "REVOKE", "OPT OUT", "opt  out", "CANCEL", "UNSUBSCRIBE", "STOPALL", "Alto"] {
            assert_eq!(read_inbound(w), Inbound::OptOut, "{w:?}");
        }
        assert_eq!(read_inbound("START"), Inbound::OptIn);
        assert_eq!(read_inbound("help"), Inbound::Help);
        assert_eq!(read_inbound("I can pay $50 on Friday"), Inbound::Reply);
        assert_eq!(read_inbound("please stop calling my work"), Inbound::Reply, "free text is read by a person");
        assert_eq!(read_inbound(""), Inbound::Reply);
    }
}
