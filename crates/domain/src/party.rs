//! Parties: the people and companies tied to an account, and in which role.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Primary,
    CoObligor,
    Guarantor,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Primary => "primary",
            PartyRole::CoObligor => "co_obligor",
            PartyRole::Guarantor => "guarantor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PartyRole::Primary, PartyRole::CoObligor, PartyRole::Guarantor].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Person,
    Company,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PartyKind::Person, PartyKind::Company].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: PartyKind,
    /// For a person, given and family names; for a company, its legal name in `company_name`.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub date_of_birth: Option<Date>,
    /// Only the last four digits of a national id are kept until encrypted storage exists: enough
    /// to run the portal's identity check and match a caller, useless to a thief.
    pub national_id_last4: Option<String>,
    /// BCP 47 language the party prefers ("en", "es").
    pub language: Option<String>,
}

impl Party {
    pub fn display_name(&self) -> String {
        match self.kind {
            PartyKind::Company => self.company_name.clone().unwrap_or_default(),
            PartyKind::Person => {
                [self.first_name.as_deref(), self.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
            }
        }
    }
}
