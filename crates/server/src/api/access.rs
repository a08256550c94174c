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
    /// See a party's full national id; other roles see the last four digits.
    SeeNationalId,
    /// See a party's date of birth (agents verify the right party with it).
    SeeDateOfBirth,
    /// Find accounts by a full national id: a match tells the caller whose id it is.
    FindByNationalId,
    QuotePlans,
    /// Promises, plans and payments taken on a call or from a client's system.
    ServiceAccounts,
    ReversePayments,
    OfferSettlements,
    ApproveSettlements,
    HandleDisputes,
    ManageHolds,
    /// Promises, plans, payments, settlements, disputes and holds of visible accounts.
    ReadServicing,
    ReadRemittance,
    /// Report a payment made to the client directly.
    ReportDirectPayments,
    RunServicing,
    ReadTemplates,
    ManageTemplates,
    /// Queue an e-mail, text or letter, or a call task.
    SendMessages,
    /// Messages, call tasks and the policy's decisions.
    ReadMessages,
    /// The day's print batch of letters.
    PrintLetters,
    ReadComplianceReport,
    /// KPIs and reports: recoveries, aging, contact rates, netback.
    ReadReports,
    ReadStrategies,
    /// Save and activate strategy versions.
    ManageStrategies,
    /// Run a strategy day, or a dry run of one.
    RunStrategies,
    /// Queues' and agents' worklists, and agents' settings.
    ReadWorklists,
    /// Set agents' queues and capacity; work for another agent.
    ManageAgents,
    /// Be handed accounts from a worklist, skip or release them.
    WorkAccounts,
    /// Add, disable and enable the people who sign in.
    ManageUsers,
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
        // Who may sign in, and with what role, is the tenant's admins' to decide.
        Action::ManageUsers => &[Role::Admin],
        // Who works which account is the supervisors' call.
        Action::AssignAccounts => &[Role::Admin, Role::Supervisor],
        // Offering terms is the collection team's (and later the portal's) conversation.
        Action::QuotePlans => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // Taking a promise, a plan or a payment is the collection team's work, and an integrated
        // system's (a payment processor's or a client's IVR).
        Action::ServiceAccounts => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // A returned payment comes from the bank or processor: its system or a supervisor posts it.
        Action::ReversePayments => &[Role::Admin, Role::Supervisor, Role::Integrator],
        Action::OfferSettlements => &[Role::Admin, Role::Supervisor, Role::Agent],
        // Who may approve how deep a discount is the settlement policy's; these roles may ask.
        Action::ApproveSettlements => &[Role::Admin, Role::Supervisor],
        // Disputes arrive by every door: the debtor's call, the client's system.
        Action::HandleDisputes => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // A bankruptcy notice or an attorney letter may reach the client first.
        Action::ManageHolds => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        Action::ReadServicing => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor, Role::Integrator, Role::Client],
        Action::ReadRemittance => &[Role::Admin, Role::Supervisor, Role::Auditor, Role::Client],
        Action::ReportDirectPayments => &[Role::Admin, Role::Supervisor, Role::Integrator, Role::Client],
        Action::RunServicing => &[Role::Admin],
        // Agents preview what they send; what a message says is the tenant's admins' to decide
        // (DESIGN: admins set up templates), because every word carries legal weight.
        Action::ReadTemplates => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor],
        Action::ManageTemplates => &[Role::Admin],
        Action::SendMessages => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
        // A client sees recoveries, not the collection team's contact history.
        Action::ReadMessages => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor, Role::Integrator],
        Action::PrintLetters => &[Role::Admin, Role::Supervisor],
        Action::ReadComplianceReport => &[Role::Admin, Role::Supervisor, Role::Auditor],
        // A client's staff see their own portfolio's figures (the query is narrowed to them).
        Action::ReadReports => &[Role::Admin, Role::Supervisor, Role::Auditor, Role::Client],
        // Supervisors tune strategies (DESIGN: roles); auditors see what decided each contact.
        Action::ReadStrategies => &[Role::Admin, Role::Supervisor, Role::Auditor],
        Action::ManageStrategies | Action::RunStrategies => &[Role::Admin, Role::Supervisor],
        // Auditors see how work was ordered and handed out; supervisors run the floor.
        Action::ReadWorklists => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor],
        Action::ManageAgents => &[Role::Admin, Role::Supervisor],
        Action::WorkAccounts => &[Role::Admin, Role::Supervisor, Role::Agent],
        // The full id is needed to set up and reconcile (admin) and by the systems that sent it
        // (integrator); everyone else works with the last four digits.
        Action::SeeNationalId | Action::FindByNationalId => &[Role::Admin, Role::Integrator],
        // Right-party verification on a call needs the date of birth; a client's staff and
        // auditors do not.
        Action::SeeDateOfBirth => &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator],
    }
}

/// Whether the caller may do `action`; for decisions that narrow a response (masking), which
/// are not failures and are not logged.
pub fn may(p: &Principal, action: Action) -> bool {
    roles(action).contains(&p.role)
}

pub fn allow(p: &Principal, action: Action) -> Result<(), Problem> {
    if may(p, action) {
        return Ok(());
    }
    tracing::warn!(tenant = %p.tenant_id, subject = %p.subject, role = p.role.as_str(), ?action, "access denied");
    Err(Problem::forbidden(format!("the {} role may not do this", p.role.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_fields_by_role() {
        use Role::*;
        let sees = |action| {
            [Admin, Supervisor, Agent, Client, Auditor, Integrator].into_iter().filter(|r| roles(action).contains(r)).collect::<Vec<_>>()
        };
        assert_eq!(sees(Action::SeeNationalId), [Admin, Integrator]);
        assert_eq!(sees(Action::FindByNationalId), [Admin, Integrator]);
        assert_eq!(sees(Action::SeeDateOfBirth), [Admin, Supervisor, Agent, Integrator]);
    }
}
