//! recoup's domain: the pure core every other crate builds on. It owns money and the ledger
//! (allocation waterfalls, reversals, credit balances), accounts and their status machine,
//! parties and contact points with consent, the organisation (tenant, client, portfolio,
//! placement), promises to pay and payment-plan schedules, business events and webhook rules,
//! the contact policy (allow, defer or block each contact, with the rule), and the audit chain's
//! hashing. No I/O, no clock, no async: callers pass `now`
//! and ids in, so everything here is testable with plain values and property tests.

pub mod access;
pub mod account;
pub mod accrual;
pub mod audit;
pub mod client_policy;
pub mod contact;
pub mod dispute;
pub mod event;
pub mod experiment;
pub mod geo;
pub mod hex;
pub mod hold;
pub mod invoice;
pub mod kpi;
pub mod ledger;
pub mod limitation;
pub mod message;
pub mod money;
pub mod note;
pub mod org;
pub mod party;
pub mod payment;
pub mod placement;
pub mod plan;
pub mod policy;
pub mod promise;
pub mod remittance;
pub mod scoring;
pub mod settlement;
pub mod strategy;
pub mod template;
pub mod validation_notice;
pub mod webhook;
pub mod worklist;

pub use account::{Account, AccountStatus, Flag, Flags, Stage};
pub use ledger::{Amounts, Component, EntryKind, LedgerEntry, Waterfall};
pub use money::{Currency, Money};
