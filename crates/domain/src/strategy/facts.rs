//! What a strategy's conditions can ask about an account: the fields, their types, and the
//! values of one account on one day. The run builds [`Facts`] from the store; the condition
//! language checks names and types against [`Field`] when a strategy is saved.

use crate::account::{AccountStatus, Flag, Flags, Stage};
use jiff::civil::Date;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A value's type in the condition language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Number,
    Money,
    Date,
    Text,
    Bool,
    Flags,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Number => "a number",
            Type::Money => "an amount of money",
            Type::Date => "a date",
            Type::Text => "text",
            Type::Bool => "true or false",
            Type::Flags => "a set of flags",
        }
    }
}

/// A value in a condition or read from an account.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(i64),
    /// In major units (dollars, not cents), so a condition reads `balance > 500.00`.
    Money(Decimal),
    Date(Date),
    Text(String),
    Bool(bool),
}

macro_rules! fields {
    ($($variant:ident => $name:literal, $ty:ident, $doc:literal;)*) => {
        /// The fields a condition can name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field { $($variant),* }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name),* }
            }

            pub fn ty(self) -> Type {
                match self { $(Field::$variant => Type::$ty),* }
            }

            /// What the field means, for the strategy editor's help.
            pub fn help(self) -> &'static str {
                match self { $(Field::$variant => $doc),* }
            }

            pub fn parse(name: &str) -> Option<Field> {
                match name { $($name => Some(Field::$variant),)* _ => None }
            }
        }
    };
}

fields! {
    DaysPastDue => "days_past_due", Number, "days since the first delinquency (unknown when the client gave no date)";
    DaysSincePlacement => "days_since_placement", Number, "days since the account was placed with us";
    DaysSinceChargeOff => "days_since_charge_off", Number, "days since charge-off";
    DaysSinceLastPayment => "days_since_last_payment", Number, "days since the last payment (unknown when none)";
    DaysSinceLastContact => "days_since_last_contact", Number, "days since the last contact attempt by any channel";
    DaysSinceLastRpc => "days_since_last_rpc", Number, "days since the last right-party contact (a conversation with the debtor)";
    DaysInSegment => "days_in_segment", Number, "days since the account entered its current segment";
    Balance => "balance", Money, "the current balance, all components, less any credit";
    OriginalBalance => "original_balance", Money, "the balance the client placed";
    Score => "score", Number, "the propensity-to-pay score, 0 to 1000 (unknown until scored)";
    Status => "status", Text, "active, paid_in_full, settled, closed or recalled";
    StageField => "stage", Text, "early, late or legal";
    FlagsField => "flags", Flags, "the account's flags: disputed, cease, bankruptcy, deceased, attorney_represented, vulnerable, time_barred, military, complaint";
    Product => "product", Text, "the product the client named (card, auto, medical, ...)";
    Client => "client", Text, "the client's code";
    Portfolio => "portfolio", Text, "the portfolio's code";
    State => "state", Text, "the primary party's mailing state or region (two letters in the US)";
    Language => "language", Text, "the primary party's preferred language (en, es, ...)";
    PromisesMade => "promises_made", Number, "promises to pay ever made on the account";
    PromisesKept => "promises_kept", Number, "promises kept";
    PromisesBroken => "promises_broken", Number, "promises broken";
    ActivePromise => "active_promise", Bool, "a promise to pay is pending";
    ActivePlan => "active_plan", Bool, "a payment plan is running";
    PlansBroken => "plans_broken", Number, "payment plans that defaulted";
    OpenDispute => "open_dispute", Bool, "a dispute is open";
    CanEmail => "can_email", Bool, "the primary party has an e-mail address whose e-mail consent is not revoked (the contact policy still judges each message)";
    CanSms => "can_sms", Bool, "the primary party has a phone whose text consent is not revoked";
    CanCall => "can_call", Bool, "the primary party has a phone whose call consent is not revoked";
    CanMail => "can_mail", Bool, "the primary party has a postal address";
    TimeBarred => "time_barred", Bool, "the statute of limitations has run (flagged, or judged from the client's limitation table)";
}

/// One account's values on one day, as the run read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub account_id: Uuid,
    pub client_id: Uuid,
    pub today: Date,
    /// The currency's minor-unit exponent, to read minor amounts as money.
    pub exponent: u8,
    pub balance_minor: i64,
    pub original_balance_minor: i64,
    pub status: AccountStatus,
    pub stage: Stage,
    pub flags: Flags,
    pub product: Option<String>,
    pub client: String,
    pub portfolio: String,
    pub state: Option<String>,
    pub language: Option<String>,
    pub score: Option<i32>,
    pub first_delinquency_on: Option<Date>,
    pub placed_on: Option<Date>,
    pub charged_off_on: Option<Date>,
    pub last_payment_on: Option<Date>,
    pub last_contact_on: Option<Date>,
    pub last_rpc_on: Option<Date>,
    pub last_promise_on: Option<Date>,
    pub last_dispute_on: Option<Date>,
    pub promises_made: u32,
    pub promises_kept: u32,
    pub promises_broken: u32,
    pub plans_broken: u32,
    pub active_promise: bool,
    pub active_plan: bool,
    pub open_dispute: bool,
    pub can_email: bool,
    pub can_sms: bool,
    pub can_call: bool,
    pub can_mail: bool,
    pub time_barred: bool,
    /// Set by the evaluation once the segment is known.
    pub segment_entered_on: Option<Date>,
}

impl Facts {
    /// An active account with nothing known but its balance, for tests and samples.
    pub fn blank(account_id: Uuid, today: Date, balance_minor: i64) -> Facts {
        Facts {
            account_id,
            client_id: Uuid::nil(),
            today,
            exponent: 2,
            balance_minor,
            original_balance_minor: balance_minor,
            status: AccountStatus::Active,
            stage: Stage::Early,
            flags: Flags::default(),
            product: None,
            client: String::new(),
            portfolio: String::new(),
            state: None,
            language: None,
            score: None,
            first_delinquency_on: None,
            placed_on: None,
            charged_off_on: None,
            last_payment_on: None,
            last_contact_on: None,
            last_rpc_on: None,
            last_promise_on: None,
            last_dispute_on: None,
            promises_made: 0,
            promises_kept: 0,
            promises_broken: 0,
            plans_broken: 0,
            active_promise: false,
            active_plan: false,
            open_dispute: false,
            can_email: false,
            can_sms: false,
            can_call: false,
            can_mail: false,
            time_barred: false,
            segment_entered_on: None,
        }
    }

    fn days_since(&self, d: Option<Date>) -> Option<Value> {
        let d = d?;
        let days = (self.today - d).get_days() as i64;
        Some(Value::Number(days.max(0)))
    }

    fn money(&self, minor: i64) -> Value {
        Value::Money(Decimal::new(minor, u32::from(self.exponent)))
    }

    /// The field's value, or None when it is unknown (a condition on an unknown value is false).
    pub fn get(&self, field: Field) -> Option<Value> {
        let text = |s: &Option<String>| s.as_ref().map(|s| Value::Text(s.clone()));
        Some(match field {
            Field::DaysPastDue => return self.days_since(self.first_delinquency_on),
            Field::DaysSincePlacement => return self.days_since(self.placed_on),
            Field::DaysSinceChargeOff => return self.days_since(self.charged_off_on),
            Field::DaysSinceLastPayment => return self.days_since(self.last_payment_on),
            Field::DaysSinceLastContact => return self.days_since(self.last_contact_on),
            Field::DaysSinceLastRpc => return self.days_since(self.last_rpc_on),
            Field::DaysInSegment => return self.days_since(self.segment_entered_on),
            Field::Balance => self.money(self.balance_minor),
            Field::OriginalBalance => self.money(self.original_balance_minor),
            Field::Score => Value::Number(i64::from(self.score?)),
            Field::Status => Value::Text(self.status.as_str().into()),
            Field::StageField => Value::Text(self.stage.as_str().into()),
            Field::FlagsField => return None, // asked through `has`, never compared
            Field::Product => return text(&self.product),
            Field::Client => Value::Text(self.client.clone()),
            Field::Portfolio => Value::Text(self.portfolio.clone()),
            Field::State => return text(&self.state),
            Field::Language => return text(&self.language),
            Field::PromisesMade => Value::Number(i64::from(self.promises_made)),
            Field::PromisesKept => Value::Number(i64::from(self.promises_kept)),
            Field::PromisesBroken => Value::Number(i64::from(self.promises_broken)),
            Field::PlansBroken => Value::Number(i64::from(self.plans_broken)),
            Field::ActivePromise => Value::Bool(self.active_promise),
            Field::ActivePlan => Value::Bool(self.active_plan),
            Field::OpenDispute => Value::Bool(self.open_dispute),
            Field::CanEmail => Value::Bool(self.can_email),
            Field::CanSms => Value::Bool(self.can_sms),
            Field::CanCall => Value::Bool(self.can_call),
            Field::CanMail => Value::Bool(self.can_mail),
            Field::TimeBarred => Value::Bool(self.time_barred || self.flags.contains(Flag::TimeBarred)),
        })
    }

    pub fn has_flag(&self, flag: Flag) -> bool {
        self.flags.contains(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_unique_name_that_parses_back() {
        let mut names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        for f in Field::ALL {
            assert_eq!(Field::parse(f.name()), Some(*f));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }

    #[test]
    fn money_reads_in_major_units_and_days_count_from_today() {
        let today = Date::constant(2026, 11, 24);
        let mut f = Facts::blank(Uuid::nil(), today, 123_456);
        assert_eq!(f.get(Field::Balance), Some(Value::Money(Decimal::new(123_456, 2))));
        assert_eq!(f.get(Field::DaysPastDue), None, "unknown without a delinquency date");
        f.first_delinquency_on = Some(Date::constant(2026, 10, 25));
        assert_eq!(f.get(Field::DaysPastDue), Some(Value::Number(30)));
    }
}
