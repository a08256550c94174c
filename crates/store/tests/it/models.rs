use crate::conformance;
use crate::reports::attempt;
use crate::servicing::pay;
use crate::support::{Harness, actor, org, owed};
use jiff::civil::date;
use recoup_domain::message::CallResult;
use recoup_domain::policy::Medium;
use recoup_domain::scoring::features::Outcome;
use recoup_domain::scoring::{Encoder, Model};
use recoup_store::models::{AccountScore, ModelMetrics, StoredModel};
use recoup_store::servicing::contact;
use recoup_store::servicing::payment;

conformance!(snapshots_read_each_account_as_it_stood_and_what_it_paid_after, models_are_versions_one_active_and_scores_land_on_the_account);

/// Two accounts placed in September: on the 1st of October, one has paid 40.00 once and been
/// reached once in three calls; in the 30 days after, it pays 25.00 (and again after them).
async fn snapshots_read_each_account_as_it_stood_and_what_it_paid_after(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    let rows = [("S-1", owed(10_000, 0, 0), None), ("S-2", owed(5_000, 0, 0), None)];
    let ids = crate::support::place_on(s, &o, date(2026, 9, 15), &rows).await;
    let (x_id, y_id) = (ids[0], ids[1]);
    for (amount, on) in [(4_000, date(2026, 9, 20)), (2_500, date(2026, 10, 15)), (1_000, date(2026, 11, 5))] {
        s.service(t, x_id, payment::post(pay(amount, on), on, &a)).await.unwrap();
    }
    for (result, at) in [
        (CallResult::NoAnswer, "2026-09-21T15:00:00Z"),
        (CallResult::RightParty, "2026-09-22T15:00:00Z"),
        (CallResult::Voicemail, "2026-09-23T15:00:00Z"),
        (CallResult::RightParty, "2026-10-02T15:00:00Z"),
    ] {
        s.service(t, x_id, contact::log(attempt(Medium::Call, Some(result), false, at), None, &a)).await.unwrap();
    }

    let snaps = s.snapshots(t, date(2026, 10, 1), 30).await.unwrap();
    assert_eq!(snaps.len(), 2);
    let sx = snaps.iter().find(|x| x.account_id == x_id).unwrap();
    assert_eq!(
        (sx.owed_minor, sx.paid_minor, sx.payments, sx.last_payment_on, sx.paid_after_minor),
        (6_000, 4_000, 1, Some(date(2026, 9, 20)), 2_500),
        "November's payment is past the horizon"
    );
    assert_eq!((sx.attempts, sx.conversations), (3, 1), "October's call is after the snapshot");
    assert_eq!((sx.client.as_str(), sx.placed_on), ("LSB", date(2026, 9, 15)));
    let sy = snaps.iter().find(|x| x.account_id == y_id).unwrap();
    assert_eq!((sy.owed_minor, sy.payments, sy.last_payment_on, sy.attempts), (5_000, 0, None, 0));
    assert!(Outcome::default().paid(sx) && !Outcome::default().paid(sy));
    assert!(s.snapshots(t, date(2026, 9, 14), 30).await.unwrap().is_empty(), "nothing placed yet");
}

fn stored(created_by: &str) -> StoredModel {
    StoredModel {
        version: 0,
        created_at: 1,
        created_by: created_by.into(),
        active: false,
        trained_on: date(2026, 9, 1),
        tested_on: date(2026, 10, 1),
        outcome: Outcome::default(),
        metrics: ModelMetrics {
            train_rows: 300,
            train_paid: 60,
            test_rows: 280,
            test_paid: 50,
            train_auc: Some(0.71),
            test_auc: Some(0.69),
            test_log_loss: Some(0.45),
            calibration: Vec::new(),
            weights: vec![("owed".into(), -0.3)],
        },
        model: Model { encoder: Encoder { columns: Vec::new() }, weights: Vec::new(), intercept: -1.2, means: Vec::new() },
    }
}

async fn models_are_versions_one_active_and_scores_land_on_the_account(h: &Harness) {
    let s = h.store.as_ref();
    let o = org(s).await;
    let (t, a) = (o.tenant.id, actor());
    assert_eq!(s.save_model(t, &stored("cli"), &a).await.unwrap(), 1);
    assert_eq!(s.save_model(t, &stored("cli"), &a).await.unwrap(), 2);
    s.activate_model(t, 1, &a).await.unwrap();
    s.activate_model(t, 2, &a).await.unwrap();
    let models = s.models(t).await.unwrap();
    assert_eq!(models.iter().map(|m| (m.version, m.active)).collect::<Vec<_>>(), [(2, true), (1, false)], "one active, newest first");
    assert_eq!(models[0].metrics, stored("cli").metrics, "the metrics come back as kept");
    assert!(matches!(s.activate_model(t, 9, &a).await, Err(recoup_store::StoreError::NotFound { .. })));
    let other = org(s).await;
    assert!(s.models(other.tenant.id).await.unwrap().is_empty(), "another tenant's models are not seen");

    let id = crate::support::place_one(s, &o, "SC-1", owed(10_000, 0, 0)).await;
    let score = AccountScore {
        account_id: id,
        model_version: 2,
        scored_on: date(2026, 11, 24),
        per_mille: 612,
        reasons: vec!["promises kept raises it".into()],
    };
    s.save_scores(t, vec![score.clone()]).await.unwrap();
    s.save_scores(t, vec![AccountScore { per_mille: 640, ..score.clone() }]).await.unwrap();
    assert_eq!(s.account_score(t, id).await.unwrap(), Some(AccountScore { per_mille: 640, ..score }), "a new score replaces the last");
    assert_eq!(s.account(t, id).await.unwrap().unwrap().score, Some(640), "worklists and strategies read it from the account");
    assert_eq!(s.scores(t).await.unwrap().iter().map(|x| x.per_mille).collect::<Vec<_>>(), [640]);
    let trail = s.audit_entries(t, 0, 100).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.event.action.as_str()).filter(|a| a.starts_with("model.")).collect();
    assert_eq!(actions, ["model.trained", "model.trained", "model.activated", "model.activated"], "training and activation are audited");
}
