//! Propensity models on both databases: trained on the tenant's own history with an
//! out-of-time test, kept as versions, scoring only once one is active, each score with its
//! reasons in words; too little history or one outcome only is refused plainly.

use crate::fixtures::tenant_with;
use crate::http::Server;
use jiff::civil::{Date, date};
use recoup_domain::scoring::TrainOptions;
use recoup_domain::scoring::features::Outcome;
use recoup_server::scoring::{self, ScoringError, TrainRequest};
use recoup_store::servicing::payment;
use recoup_store::{Actor, Store};

/// A week's horizon over the fixture's placement of 2 November: the model learns from the 9th
/// (outcomes to the 16th) and is tested on the 16th (outcomes to the 23rd).
fn request(today: Date) -> TrainRequest {
    TrainRequest {
        as_of: date(2026, 11, 23),
        today,
        outcome: Outcome { horizon_days: 7, min_paid_minor: 2_500 },
        options: TrainOptions::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_learns_who_pays_tests_on_a_later_day_and_scores_once_active() {
    for server in Server::all().await {
        let s: &dyn Store = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 300)]).await;
        let t = tenant.id;
        let today = recoup_server::api::servicing::today();
        let actor = Actor::new("test");
        let ids: Vec<uuid::Uuid> = s.list_accounts(t, &Default::default(), None, 300).await.unwrap().into_iter().map(|a| a.id).collect();
        // Half the accounts paid before the first snapshot and go on paying; the other half never
        // did. One in ten of each goes against its habit, so the model cannot be perfect.
        for (i, id) in ids.iter().enumerate() {
            let payer = i % 2 == 0;
            let against = i % 20 < 2;
            let mut days = Vec::new();
            if payer {
                days.push(date(2026, 11, 5));
            }
            if payer != against {
                days.extend([date(2026, 11, 12), date(2026, 11, 19)]);
            }
            for on in days {
                s.service(t, *id, payment::post(crate::fixtures::ach(3_000, on), on, &actor)).await.unwrap();
            }
        }

        let m = scoring::train(s, t, &request(today), &actor).await.unwrap();
        assert_eq!((m.version, m.active, m.trained_on, m.tested_on), (1, false, date(2026, 11, 9), date(2026, 11, 16)));
        assert_eq!((m.metrics.train_rows, m.metrics.test_rows), (300, 300));
        let auc = m.metrics.test_auc.unwrap();
        assert!(auc > 0.8 && auc < 1.0, "a real signal with noise on accounts and days it never saw: {auc}");
        assert_eq!(m.metrics.calibration.len(), 10);
        assert!(m.metrics.weights.iter().all(|(name, _)| !recoup_domain::scoring::data::protected(name, true)));

        // Nothing scores until a version is active; then every account owing does.
        let none = scoring::score(s, t, today).await.unwrap();
        assert_eq!(none.model_version, None);
        assert_eq!(s.account(t, ids[0]).await.unwrap().unwrap().score, None, "the heuristic stays");
        s.activate_model(t, 1, &actor).await.unwrap();
        let done = scoring::score(s, t, today).await.unwrap();
        assert_eq!((done.model_version, done.accounts), (Some(1), 300));
        let (payer, never) = (s.account_score(t, ids[4]).await.unwrap().unwrap(), s.account_score(t, ids[5]).await.unwrap().unwrap());
        assert!(payer.per_mille > never.per_mille, "{} vs {}", payer.per_mille, never.per_mille);
        assert_eq!(payer.reasons.len(), scoring::REASONS);
        assert!(payer.reasons.iter().any(|r| r.contains("payment") && r.ends_with("it")), "{:?}", payer.reasons);
        assert_eq!(s.account(t, ids[4]).await.unwrap().unwrap().score, Some(payer.per_mille));

        // The fairness review groups every scored account once per attribute the tenant holds.
        let review = scoring::fairness(s, t, today, 500).await.unwrap();
        for attribute in ["age", "language", "state"] {
            let n: usize = review.iter().filter(|r| r.attribute == attribute).map(|r| r.accounts).sum();
            assert_eq!(n, 300, "{attribute}");
        }

        // The agent's account page shows the model's score and its reasons; an account the model
        // has not scored still says its figure is the heuristic's.
        let agent = crate::fixtures::staff(s, t, recoup_domain::access::Role::Agent, crate::console::PASSWORD).await;
        let c = crate::fixtures::cookie(&crate::fixtures::sign_in(&server, &agent.email, crate::console::PASSWORD).await);
        let page = server.send("GET", &format!("/console/accounts/{}", ids[4]), &[format!("Cookie: {c}")], "").await;
        assert!(page.body.contains("model version 1") && page.body.contains(&payer.reasons[0]), "{}", page.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_little_history_or_one_outcome_only_is_refused_plainly() {
    for server in Server::all().await {
        let s: &dyn Store = server.store.as_ref();
        let today = recoup_server::api::servicing::today();
        let actor = Actor::new("test");
        let (small, _) = tenant_with(&server.store, &[("A", 40)]).await;
        let e = scoring::train(s, small.id, &request(today), &actor).await.unwrap_err();
        assert!(e.to_string().contains("40 rows to learn from; a model needs at least 200"), "{e}");
        let (quiet, _) = tenant_with(&server.store, &[("A", 220)]).await;
        let e = scoring::train(s, quiet.id, &request(today), &actor).await.unwrap_err();
        assert!(matches!(e, ScoringError::Train { .. }) && e.to_string().contains("every row has the same outcome"), "{e}");
        let future = TrainRequest { as_of: today.tomorrow().unwrap(), ..request(today) };
        assert!(matches!(scoring::train(s, quiet.id, &future, &actor).await, Err(ScoringError::Future { .. })));
        assert!(s.models(quiet.id).await.unwrap().is_empty(), "nothing kept from a refused training");
    }
}
