use crate::GatewayError;

/// One charge of a tokenized card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// A token from [`crate::PaymentGateway::tokenize`] of the same gateway.
    pub token: String,
    /// Amount in the currency's minor units (cents for USD); must be positive.
    pub amount_minor: i64,
    /// ISO 4217 alphabetic code, e.g. "USD".
    pub currency: String,
    /// The same key on a retry returns the first call's charge instead of charging again.
    pub idempotency_key: String,
    /// Shown on the processor's dashboard; not on the payer's statement.
    pub description: String,
}

impl ChargeRequest {
    /// Refuses requests no processor could accept, before anything is sent.
    pub fn validate(&self) -> Result<(), GatewayError> {
        if self.amount_minor <= 0 {
            return Err(GatewayError::Rejected("the amount must be positive".into()));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(GatewayError::Rejected("the currency must be a 3-letter ISO 4217 code".into()));
        }
        if self.idempotency_key.is_empty() {
            // Without a key a retry after a timeout could charge the payer twice.
            return Err(GatewayError::Rejected("an idempotency key is required".into()));
        }
        Ok(())
    }
}

/// A processor's answer to a charge: it went through, or the card was declined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The processor's id. Empty only for a decline the processor recorded no charge for.
    pub id: String,
    pub status: ChargeStatus,
    pub amount_minor: i64,
    /// ISO 4217 code in upper case, whatever case the processor uses.
    pub currency: String,
}

impl Charge {
    pub fn succeeded(&self) -> bool {
        self.status == ChargeStatus::Succeeded
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStatus {
    Succeeded,
    /// The card's issuer or the processor said no; `message` can be shown to the payer.
    Declined {
        code: DeclineCode,
        message: String,
    },
}

/// Why a card was declined, in terms a collector acts on (ask for another card, retry later...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclineCode {
    Declined,
    InsufficientFunds,
    ExpiredCard,
    IncorrectCvc,
    ProcessingError,
    /// A code of the processor's that none of the above covers, kept verbatim.
    Other(String),
}

impl DeclineCode {
    pub fn as_str(&self) -> &str {
        match self {
            DeclineCode::Declined => "declined",
            DeclineCode::InsufficientFunds => "insufficient_funds",
            DeclineCode::ExpiredCard => "expired_card",
            DeclineCode::IncorrectCvc => "incorrect_cvc",
            DeclineCode::ProcessingError => "processing_error",
            DeclineCode::Other(code) => code,
        }
    }

    /// The inverse of [`DeclineCode::as_str`], so a stored code reads back as the same variant.
    pub fn parse(code: &str) -> DeclineCode {
        match code {
            "declined" => DeclineCode::Declined,
            "insufficient_funds" => DeclineCode::InsufficientFunds,
            "expired_card" => DeclineCode::ExpiredCard,
            "incorrect_cvc" => DeclineCode::IncorrectCvc,
            "processing_error" => DeclineCode::ProcessingError,
            other => DeclineCode::Other(other.to_string()),
        }
    }
}

/// A processor's answer to a refund; `status` is the processor's word ("succeeded", "pending"...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decline_codes_read_back_as_written() {
        let all = [
            DeclineCode::Declined,
            DeclineCode::InsufficientFunds,
            DeclineCode::ExpiredCard,
            DeclineCode::IncorrectCvc,
            DeclineCode::ProcessingError,
            DeclineCode::Other("lost_card".into()),
        ];
        for code in all {
            assert_eq!(DeclineCode::parse(code.as_str()), code);
        }
    }

    #[test]
    fn requests_need_a_positive_amount_a_currency_code_and_a_key() {
        let ok = ChargeRequest {
            token: "tok".into(),
            amount_minor: 1,
            currency: "EUR".into(),
            idempotency_key: "k".into(),
            description: String::new(),
        };
        assert_eq!(ok.validate(), Ok(()));
        let rejected = |r: ChargeRequest| matches!(r.validate(), Err(GatewayError::Rejected(_)));
        assert!(rejected(ChargeRequest { amount_minor: 0, ..ok.clone() }));
        assert!(rejected(ChargeRequest { amount_minor: -5, ..ok.clone() }));
        assert!(rejected(ChargeRequest { currency: "EURO".into(), ..ok.clone() }));
        assert!(rejected(ChargeRequest { currency: "E1R".into(), ..ok.clone() }));
        assert!(rejected(ChargeRequest { idempotency_key: String::new(), ..ok }));
    }
}
