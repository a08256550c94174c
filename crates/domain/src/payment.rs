//! How a payment was made. The store records it with each payment; payment files name it per
//! row, so the word list lives here, once, for both.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Card,
    /// Bank debit (ACH).
    Ach,
    Check,
    Cash,
    Transfer,
}

impl Method {
    pub const ALL: [Method; 5] = [Method::Card, Method::Ach, Method::Check, Method::Cash, Method::Transfer];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::Ach => "ach",
            Method::Check => "check",
            Method::Cash => "cash",
            Method::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}
