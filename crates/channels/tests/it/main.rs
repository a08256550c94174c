//! Integration tests, one binary for the crate so CI links once.

mod pdf;
mod smtp;
mod twilio;
