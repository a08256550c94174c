//! recoup's outbound channels: the adapters that turn what the server decided to send into
//! something that leaves the building. [`template`] renders message templates and checks what
//! they say against the compliance rules; [`pdf`] renders receipts, settlement letters,
//! remittance statements and the validation notice ([`notice`]) to PDF bytes, and [`html`] the
//! same documents as pages. Sending goes through one [`transport::Transport`] trait: [`smtp`]
//! sends e-mail through any SMTP relay, [`twilio`] sends SMS through Twilio's Messages API (and
//! checks its webhook signatures), and [`transport::OutboxTransport`] stands in when no provider
//! is configured, sending nothing. This crate sits beside the store: it never reads or writes the
//! database, the server hands it everything it needs.

pub mod html;
pub mod notice;
pub mod pdf;
pub mod smtp;
pub mod template;
pub mod transport;
pub mod twilio;
