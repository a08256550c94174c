//! The store's conformance suite: every test runs against SQLite, and against PostgreSQL when
//! `RECOUP_TEST_DATABASE_URL` is set, so both backends are held to one behaviour.

mod support;

mod access;
mod audit;
mod ledger;
mod listing;
mod messages;
mod models;
mod org;
mod outbox;
mod placement;
mod reports;
mod sealed;
mod servicing;
mod strategy;
