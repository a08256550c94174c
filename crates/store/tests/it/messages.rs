use crate::conformance;
use crate::support::{Harness, actor, org, place_one};
use jiff::Timestamp;
use recoup_domain::contact::{Channel, ConsentState, ContactKind, ContactPoint};
use recoup_domain::hold::{Purpose, Recipient};
use recoup_domain::ledger::Amounts;
use recoup_domain::message::MessageStatus;
use recoup_domain::policy::{Intent, Medium};
use recoup_store::servicing::contact::{Check, ContactAttempt};
use recoup_store::servicing::message::{self, Message, Release};
use recoup_store::{JobEnd, JobKind, NewTemplate};
use uuid::Uuid;

conformance!(
    templates_are_versioned_per_key_and_language,
    a_message_is_queued_with_its_job_judged_again_and_sent_once,
    a_message_to_a_revoked_channel_is_blocked_and_gets_no_job,
    a_message_queued_twice_under_one_id_is_made_once_and_a_job_asked_for_twice_is_one,
    contact_points_are_found_by_their_number,
    accounts_are_found_by_a_part_of_a_name,
    a_partys_language_is_changed_and_audited,
);

fn new_template(tenant_id: Uuid, language: &str, text: &str) -> NewTemplate {
    NewTemplate {
        tenant_id,
        key: "reminder-sms".into(),
        language: language.into(),
        channel: "sms".into(),
        purpose: "collection".into(),
        body: serde_json::json!({ "text": text }),
    }
}

async fn templates_are_versioned_per_key_and_language(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let t = o.tenant.id;
    assert_eq!(s.save_template(&new_template(t, "en", "one"), &actor()).await.unwrap().version, 1);
    assert_eq!(s.save_template(&new_template(t, "en", "two"), &actor()).await.unwrap().version, 2);
    assert_eq!(s.save_template(&new_template(t, "es", "uno"), &actor()).await.unwrap().version, 1, "versions are per language");
    let latest = s.template(t, "reminder-sms", "en", None).await.unwrap().unwrap();
    assert_eq!((latest.version, latest.body["text"].as_str()), (2, Some("two")));
    assert_eq!(s.template(t, "reminder-sms", "en", Some(1)).await.unwrap().unwrap().body["text"], "one");
    assert!(s.template(t, "reminder-sms", "en", Some(3)).await.unwrap().is_none());
    let all = s.templates(t).await.unwrap();
    assert_eq!(all.iter().map(|x| (x.language.as_str(), x.version)).collect::<Vec<_>>(), [("en", 2), ("es", 1)]);
    let versions = s.template_versions(t, "reminder-sms", "en").await.unwrap();
    assert_eq!(versions.iter().map(|x| x.version).collect::<Vec<_>>(), [2, 1]);
    let other = org(s).await;
    assert!(s.templates(other.tenant.id).await.unwrap().is_empty(), "another tenant sees none");
    let audit = s.audit_entries(t, 0, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.event.action == "template.saved").count(), 3);
}

async fn phone_of(h: &Harness, tenant: Uuid, account: Uuid) -> ContactPoint {
    let parties = h.store.parties_of(tenant, account).await.unwrap();
    parties.into_iter().flat_map(|p| p.contact_points).find(|c| c.kind == ContactKind::Phone).unwrap()
}

/// 19:00 UTC on a June Wednesday: inside the calling window in every US zone.
fn afternoon() -> Timestamp {
    "2026-06-03T19:00:00Z".parse().unwrap()
}

fn sms(account_id: Uuid, point: &ContactPoint, at: Timestamp) -> (Message, Check) {
    let m = Message {
        id: Uuid::now_v7(),
        account_id,
        contact_point_id: point.id,
        medium: Medium::Sms,
        template: None,
        to: point.value.clone(),
        subject: None,
        text: "This is a debt collector. Reply STOP to opt out.".into(),
        html: None,
        notice: None,
        legal_threat: false,
        automated: false,
        purpose: Purpose::Collection,
        opt_out_confirmation: false,
        status: MessageStatus::Queued,
        not_before: at,
        decision_id: None,
        transport: None,
        provider_id: None,
        attempts: 0,
        last_error: None,
        steps: Vec::new(),
        created_by: String::new(),
        created_at: at,
        sent_at: None,
    };
    let intent = Intent {
        medium: Medium::Sms,
        purpose: Purpose::Collection,
        recipient: Recipient::Consumer,
        automated: false,
        opt_out_confirmation: false,
    };
    (m, Check { intent, point: point.clone(), postal_state: None, at })
}

async fn a_message_is_queued_with_its_job_judged_again_and_sent_once(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-1", Amounts { principal: 50_000, ..Amounts::default() }).await;
    let point = phone_of(h, o.tenant.id, id).await;
    let at = afternoon();
    let (m, check) = sms(id, &point, at);
    let mid = m.id;
    s.service(o.tenant.id, id, message::queue(vec![(m, check.clone())], &actor())).await.unwrap();

    let now = Timestamp::now().as_microsecond();
    let jobs = s.claim_jobs(Some(o.tenant.id), now, 60_000_000, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "the send job came with the message");
    assert_eq!(jobs[0].kind, JobKind::MessageSend);
    assert_eq!(message::parse_job_payload(&jobs[0].payload), Some((id, mid)));

    let changes = s.service(o.tenant.id, id, message::release(mid, check.clone(), &actor())).await.unwrap();
    let Release::Send(out) = message::released(&changes, mid, at).unwrap() else { panic!("allowed now") };
    assert_eq!(out.attempts, 1);
    s.service(o.tenant.id, id, message::sent(mid, "outbox".into(), "p-1".into(), false, at, &actor())).await.unwrap();
    s.finish_job(&jobs[0], &JobEnd::Done).await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 0);

    // A second release after it left sends nothing: a job retried after a crash cannot send twice.
    let again = s.service(o.tenant.id, id, message::release(mid, check, &actor())).await.unwrap();
    assert_eq!(message::released(&again, mid, at).unwrap(), Release::Nothing);

    let delivered = message::provider_update(mid, MessageStatus::Delivered, "delivered".into(), at, &actor());
    s.service(o.tenant.id, id, delivered).await.unwrap();
    let late = message::provider_update(mid, MessageStatus::Sent, "late".into(), at, &actor());
    s.service(o.tenant.id, id, late).await.unwrap();
    let file = s.account_file(o.tenant.id, id).await.unwrap().unwrap();
    let kept = file.find::<Message>(mid).unwrap().unwrap();
    assert_eq!(kept.status, MessageStatus::Delivered, "a late report does not move it back");
    assert_eq!(kept.provider_id.as_deref(), Some("p-1"));
    let attempts = file.all::<ContactAttempt>().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].message_id, Some(mid));
    let audit = s.audit_entries(o.tenant.id, 0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.event.action == "message.sent"));
}

/// A strategy action's carry-out taken up twice (two nodes, a lease that ran out) queues the
/// same message under the same id twice; the job that carries a day out is asked for by every run.
async fn a_message_queued_twice_under_one_id_is_made_once_and_a_job_asked_for_twice_is_one(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-3", Amounts { principal: 50_000, ..Amounts::default() }).await;
    let point = phone_of(h, o.tenant.id, id).await;
    let (m, check) = sms(id, &point, afternoon());
    let mid = m.id;
    s.service(o.tenant.id, id, message::queue(vec![(m.clone(), check.clone())], &actor())).await.unwrap();
    let second = Message { text: "Something else.".into(), ..m };
    s.service(o.tenant.id, id, message::queue(vec![(second, check)], &actor())).await.unwrap();
    let file = s.account_file(o.tenant.id, id).await.unwrap().unwrap();
    let kept = file.all::<Message>().unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].id == mid && kept[0].text.starts_with("This is a debt collector"), "the first stays as it was");
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 1, "one send job");

    let job_id = Uuid::now_v7();
    let job = recoup_store::outbox::NewJob { kind: JobKind::StrategyCarryOut, payload: "2026-06-03".into(), run_at: 0 };
    s.enqueue_job(o.tenant.id, job_id, &job).await.unwrap();
    s.enqueue_job(o.tenant.id, job_id, &job).await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 2, "asked for twice, queued once");
    let now = Timestamp::now().as_microsecond();
    let claimed = s.claim_jobs(Some(o.tenant.id), now, 60_000_000, 10).await.unwrap();
    let carry = claimed.iter().find(|j| j.kind == JobKind::StrategyCarryOut).expect("the carry-out job");
    s.enqueue_job(o.tenant.id, job_id, &job).await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 2, "a running job is left running");
    s.finish_job(carry, &JobEnd::Done).await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 1);
    s.enqueue_job(o.tenant.id, job_id, &job).await.unwrap();
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 2, "a finished job is queued again");
}

async fn a_message_to_a_revoked_channel_is_blocked_and_gets_no_job(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-2", Amounts { principal: 50_000, ..Amounts::default() }).await;
    let point = phone_of(h, o.tenant.id, id).await;
    let point = s.set_consent(o.tenant.id, point.id, Channel::Sms, ConsentState::Revoked, &actor()).await.unwrap();
    let (m, check) = sms(id, &point, afternoon());
    let mid = m.id;
    s.service(o.tenant.id, id, message::queue(vec![(m, check)], &actor())).await.unwrap();
    let file = s.account_file(o.tenant.id, id).await.unwrap().unwrap();
    let kept = file.find::<Message>(mid).unwrap().unwrap();
    assert_eq!(kept.status, MessageStatus::Blocked);
    assert!(kept.steps.last().unwrap().detail.contains("1006.14(h)"), "{:?}", kept.steps);
    assert_eq!(s.pending_jobs(o.tenant.id).await.unwrap(), 0, "a blocked message has nothing to send");
}

async fn contact_points_are_found_by_their_number(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-3", Amounts { principal: 50_000, ..Amounts::default() }).await;
    let point = phone_of(h, o.tenant.id, id).await;
    let found = s.contact_points_by_phone(o.tenant.id, &point.value).await.unwrap();
    assert_eq!(found.iter().map(|(a, p)| (*a, p.id)).collect::<Vec<_>>(), [(id, point.id)]);
    let other = org(s).await;
    assert!(s.contact_points_by_phone(other.tenant.id, &point.value).await.unwrap().is_empty());
    assert_eq!(s.contact_point(o.tenant.id, point.id).await.unwrap(), Some(point.clone()));
    assert_eq!(s.contact_point(other.tenant.id, point.id).await.unwrap(), None);
}

async fn accounts_are_found_by_a_part_of_a_name(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-4", Amounts { principal: 50_000, ..Amounts::default() }).await;
    // The placed debtor is Zoë Muñoz.
    for text in ["muñoz", "Muñ", "zoë muñoz", " oz "] {
        assert_eq!(s.accounts_by_name_or_email(o.tenant.id, text, "", 10).await.unwrap(), [id], "{text:?}");
    }
    for text in ["", "garcía", "%", "_", "zo_"] {
        assert!(s.accounts_by_name_or_email(o.tenant.id, text, "", 10).await.unwrap().is_empty(), "{text:?} finds nothing");
    }
    let other = org(s).await;
    assert!(s.accounts_by_name_or_email(other.tenant.id, "muñoz", "", 10).await.unwrap().is_empty(), "another tenant's debtors stay out");
    assert!(s.accounts_by_name_or_email(o.tenant.id, "", "nobody@example.com", 10).await.unwrap().is_empty());
}

async fn a_partys_language_is_changed_and_audited(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let id = place_one(s, &o, "M-5", Amounts { principal: 50_000, ..Amounts::default() }).await;
    let party = s.parties_of(o.tenant.id, id).await.unwrap()[0].party.clone();
    assert_eq!(party.language.as_deref(), Some("es"));
    s.set_party_language(o.tenant.id, party.id, "en", &actor()).await.unwrap();
    assert_eq!(s.parties_of(o.tenant.id, id).await.unwrap()[0].party.language.as_deref(), Some("en"));
    let audit =
        s.search_audit(o.tenant.id, &recoup_store::AuditQuery { entity_id: Some(party.id), ..Default::default() }, 0, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.event.action == "party.language_changed" && e.event.data.contains("\"from\":\"es\"")), "{audit:?}");
    let other = org(s).await;
    assert!(
        matches!(s.set_party_language(other.tenant.id, party.id, "en", &actor()).await, Err(recoup_store::StoreError::NotFound { .. })),
        "another tenant's party"
    );
}
