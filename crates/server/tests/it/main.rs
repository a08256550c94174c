//! The HTTP surface over a real socket, on SQLite and (when `RECOUP_TEST_DATABASE_URL` is set)
//! PostgreSQL.

mod accessibility;
mod api;
mod browser;
mod console;
mod experiments;
mod fixtures;
mod http;
mod matrix;
mod messages;
mod ops;
mod portal;
mod reports;
mod scoring;
mod sensitive;
mod servicing;
mod session;
mod strategy;
mod webhooks;
mod worklists;
mod writes;
