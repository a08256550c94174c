//! Who may do what: the roles of DESIGN.md and the credentials that carry them. The checks
//! themselves live in one place in the server; this module only names things.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sets up the tenant: users, clients, portfolios, strategies, channels, policies.
    Admin,
    /// Watches queues, approves settlements over an agent's limit, tunes strategies.
    Supervisor,
    /// Works accounts.
    Agent,
    /// A creditor's user: sees only its own client's portfolios and accounts.
    Client,
    /// Reads everything, changes nothing.
    Auditor,
    /// A billing, ERP or loan system using the API.
    Integrator,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Admin, Role::Supervisor, Role::Agent, Role::Client, Role::Auditor, Role::Integrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Client => "client",
            Role::Auditor => "auditor",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// An API key as stored: never the secret itself, only its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub role: Role,
    /// For a client-role key, the only client whose data it may see.
    pub client_id: Option<Uuid>,
    /// The public part of the key, shown in lists and used to find it.
    pub prefix: String,
    /// UTC microseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A person who signs in to the console (or the API with a session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Lower-cased; unique across tenants, since a sign-in names no tenant.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// For a client user, the only client whose data it may see.
    pub client_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: i64,
}

/// A signed-in browser. Only the digest of its cookie's token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: [u8; 32],
    pub tenant_id: Uuid,
    /// The user; for a debtor's portal session, the party.
    pub user_id: Uuid,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Set for a debtor's portal session: the account they verified their identity for. Such a
    /// session is never a staff member's.
    pub account_id: Option<Uuid>,
}
