//! recoup's outbound channels: the adapters that turn what the server decided to send into
//! something that leaves the building. Today that is [`pdf`], which renders receipts, settlement
//! letters, remittance statements and the validation notice ([`notice`]) to PDF bytes, [`html`], the same documents as pages, and [`template`], message templates rendered and checked against the compliance rules; SMTP email, an HTTP SMS provider and printed
//! letters follow here. This crate sits beside the store: it never reads or writes the database,
//! the server hands it everything it needs.

pub mod html;
pub mod notice;
pub mod pdf;
pub mod template;
