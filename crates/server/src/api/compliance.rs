//! The compliance report: every contact-policy decision in a period, counted by day, portfolio,
//! medium, decision and rule, so a regulator's question ("how many calls did you block for the
//! 7-in-7 rule in March, and in which portfolio") has a number behind it.

use super::access::{Action, allow};
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use recoup_store::servicing::contact::ContactDecision;
use recoup_store::servicing::{Kept, RecordKind, RecordQuery};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day (UTC), inclusive.
    #[param(value_type = String)]
    pub from: Date,
    /// Last day (UTC), inclusive.
    #[param(value_type = String)]
    pub to: Date,
    pub portfolio_id: Option<Uuid>,
    /// json (default) or csv.
    pub format: Option<String>,
}

/// One line: how many decisions of this kind, for this rule, that day in that portfolio. An
/// allowed contact has no rule unless an exception was used (`rule` empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct ComplianceRow {
    #[schema(value_type = String)]
    pub day: Date,
    pub portfolio_id: Option<Uuid>,
    pub medium: String,
    pub decision: String,
    pub code: String,
    pub rule: String,
    pub count: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    #[schema(value_type = String)]
    pub from: Date,
    #[schema(value_type = String)]
    pub to: Date,
    pub decisions: u64,
    pub allowed: u64,
    pub deferred: u64,
    pub blocked: u64,
    pub rows: Vec<ComplianceRow>,
}

/// Counts decisions by (day, portfolio, medium, decision, reason code, rule). A decision with
/// several reasons counts once under each, and once in the totals.
pub fn tally(decisions: &[ContactDecision], from: Date, to: Date) -> ComplianceReport {
    // Keyed by the row with its count at zero: rows sort by day, portfolio, medium, decision, rule.
    let mut rows: BTreeMap<ComplianceRow, u64> = BTreeMap::new();
    let mut totals = [0u64; 3];
    for d in decisions {
        let slot = match d.decision.as_str() {
            "allow" => 0,
            "defer" => 1,
            _ => 2,
        };
        totals[slot] += 1;
        let base = ComplianceRow {
            day: recoup_store::servicing::contact::utc_day(d.at),
            portfolio_id: d.portfolio_id,
            medium: serde_json::to_value(d.medium).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            decision: d.decision.clone(),
            code: String::new(),
            rule: String::new(),
            count: 0,
        };
        if d.reasons.is_empty() {
            *rows.entry(base.clone()).or_default() += 1;
        }
        for r in &d.reasons {
            *rows.entry(ComplianceRow { code: r.code.clone(), rule: r.rule.clone(), ..base.clone() }).or_default() += 1;
        }
    }
    ComplianceReport {
        from,
        to,
        decisions: totals.iter().sum(),
        allowed: totals[0],
        deferred: totals[1],
        blocked: totals[2],
        rows: rows.into_iter().map(|(row, count)| ComplianceRow { count, ..row }).collect(),
    }
}

/// Contact-policy decisions in a period by day, portfolio, medium, decision and rule, as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/reports/compliance", tag = "communications", params(ReportQuery),
    responses(
        (status = 200, body = ComplianceReport),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn report(State(state): State<AppState>, p: Principal, Query(q): Query<ReportQuery>) -> Result<Response, Problem> {
    allow(&p, Action::ReadComplianceReport)?;
    if q.to < q.from {
        return Err(recoup_store::StoreError::invalid("/to", "the period ends before it starts").into());
    }
    let mut query = RecordQuery::of(RecordKind::ContactDecision);
    (query.on_from, query.on_to, query.limit) = (Some(q.from), Some(q.to), 5_000);
    let mut decisions = Vec::new();
    loop {
        let page = state.store.records(p.tenant_id, &query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.id);
        for r in &page {
            let d = ContactDecision::from_record(r)?;
            if q.portfolio_id.is_none_or(|want| d.portfolio_id == Some(want)) {
                decisions.push(d);
            }
        }
    }
    let report = tally(&decisions, q.from, q.to);
    if q.format.as_deref() == Some("csv") {
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&report)).into_response());
    }
    Ok(Json(report).into_response())
}

fn to_csv(r: &ComplianceReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["day", "portfolio_id", "medium", "decision", "code", "rule", "count"]);
    for row in &r.rows {
        let portfolio = row.portfolio_id.map(|p| p.to_string()).unwrap_or_default();
        let _ = w.write_record([
            row.day.to_string(),
            portfolio,
            row.medium.clone(),
            row.decision.clone(),
            row.code.clone(),
            row.rule.clone(),
            row.count.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use recoup_domain::policy::Medium;
    use recoup_store::servicing::contact::KeptReason;

    fn decision(at: &str, decision: &str, codes: &[&str], portfolio: Uuid) -> ContactDecision {
        ContactDecision {
            id: Uuid::now_v7(),
            account_id: Uuid::nil(),
            portfolio_id: Some(portfolio),
            contact_point_id: Uuid::nil(),
            medium: Medium::Call,
            at: at.parse::<Timestamp>().unwrap(),
            decision: decision.into(),
            until: None,
            reasons: codes.iter().map(|c| KeptReason { code: (*c).into(), rule: format!("rule of {c}"), detail: String::new() }).collect(),
            profile: "us-federal".into(),
            asked_by: "t".into(),
        }
    }

    #[test]
    fn decisions_are_counted_by_day_portfolio_decision_and_rule() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ds = vec![
            decision("2026-03-02T15:00:00Z", "block", &["call_cap"], a),
            decision("2026-03-02T16:00:00Z", "block", &["call_cap"], a),
            decision("2026-03-02T16:00:00Z", "block", &["call_cap"], b),
            decision("2026-03-02T23:59:59Z", "defer", &["quiet_hours", "call_cap"], a),
            decision("2026-03-03T00:00:00Z", "allow", &[], a),
        ];
        let r = tally(&ds, "2026-03-01".parse().unwrap(), "2026-03-31".parse().unwrap());
        assert_eq!((r.decisions, r.allowed, r.deferred, r.blocked), (5, 1, 1, 3));
        let find = |day: &str, p: Uuid, d: &str, code: &str| {
            r.rows
                .iter()
                .find(|x| x.day.to_string() == day && x.portfolio_id == Some(p) && x.decision == d && x.code == code)
                .map(|x| x.count)
        };
        assert_eq!(find("2026-03-02", a, "block", "call_cap"), Some(2));
        assert_eq!(find("2026-03-02", b, "block", "call_cap"), Some(1));
        assert_eq!(find("2026-03-02", a, "defer", "quiet_hours"), Some(1), "each reason of a deferral counts");
        assert_eq!(find("2026-03-02", a, "defer", "call_cap"), Some(1));
        assert_eq!(find("2026-03-03", a, "allow", ""), Some(1), "the UTC day boundary");
        assert!(to_csv(&r).lines().nth(1).unwrap().starts_with("2026-03-02,"));
    }
}
