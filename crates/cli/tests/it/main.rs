//! End-to-end tests of the `recoup` binary: real files, a real SQLite file, and PostgreSQL when
//! `RECOUP_TEST_DATABASE_URL` is set.

mod audit;
mod bench;
mod import;
mod keys;
mod servicing;
mod strategy;
mod support;
mod users;
