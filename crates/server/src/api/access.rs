//! The one place that says which role may do what (deny by default): handlers name the action,
//! this answers.

use super::auth::Principal;
use super::problem::Problem;
use recoup_domain::access::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadAccounts,
    ReadClients,
    VerifyAudit,
    ChangeAccountStatus,
    ManageWebhooks,
    ReadAudit,
    ReadNotes,
    AddNotes,
    ChangeConsent,
    UploadPlacements,
    ManageClients,
    AssignAccounts,
}

fn roles(action: Action) -> &'static [Role] {
    match action {
        // A client user reads only its client's accounts: the handler filters by `sees_client`.
        Action::ReadAccounts | Action::ReadClients => {
            &[Role::Admin, Role::Supervisor, Role::Agent, Role::Client, Role::Auditor, Role::Integrator]
        }
        Action::VerifyAudit => &[Role::Admin, Role::Auditor],
        // A client system may recall or close its accounts through an integration key.
        Action::ChangeAccountStatus => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // Subscriptions send the tenant's data to an outside address: only who sets up the
        // tenant's integrations may point them.
        Action::ManageWebhooks => &[Role::Admin, Role::Integrator],
        Action::ReadAudit => &[Role::Admin, Role::Supervisor, Role::Auditor],
        // Notes are the collection team's working record; a client reads its accounts' history
        // through statements, not agents' notes.
        Action::ReadNotes => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor, Role::Integrator],
        Action::AddNotes => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // A debtor's revocation often reaches the creditor first, so its system may record it.
        Action::ChangeConsent => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // A client's own system may place its accounts; the handler keeps it to its client.
        Action::UploadPlacements => &[Role::Admin, Role::Supervisor, Role::Integrator, Role::Client],
        Action::ManageClients => &[Role::Admin],
        // Who works which account is the supervisors' call.
        Action::AssignAccounts => &[Role::Admin, Role::Supervisor],
    }
}

pub fn allow(p: &Principal, action: Action) -> Result<(), Problem> {
    if roles(action).contains(&p.role) {
        return Ok(());
    }
    tracing::warn!(tenant = %p.tenant_id, subject = %p.subject, role = p.role.as_str(), ?action, "access denied");
    Err(Problem::forbidden(format!("the {} role may not do this", p.role.as_str())))
}
