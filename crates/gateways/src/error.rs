use thiserror::Error;

/// Why a gateway call got no decision. A declined card is not one of these: it is a
/// [`crate::ChargeStatus::Declined`] charge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GatewayError {
    /// The card details cannot be a card (length, check digit, month, CVC); nothing was sent.
    #[error("invalid card: {0}")]
    InvalidCard(String),
    /// The processor could not be reached or failed (network, timeout, 5xx, rate limit).
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    /// The processor refused the request itself (credentials, unknown token, bad parameters).
    #[error("payment gateway rejected the request: {0}")]
    Rejected(String),
    /// The processor answered something we could not understand.
    #[error("unexpected answer from the payment gateway: {0}")]
    Protocol(String),
}

impl GatewayError {
    /// Whether trying the same call again later (with the same idempotency key) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, GatewayError::Unavailable(_))
    }
}
