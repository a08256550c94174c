use crate::http::Server;
use recoup_domain::org::Tenant;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_health_and_metrics_answer_over_http() {
    let server = Server::sqlite().await;
    let tenant = Tenant { id: Uuid::now_v7(), slug: "acme".into(), name: "Acme <Recovery>".into() };
    server.store.create_tenant(&tenant).await.unwrap();

    let res = server.get("/healthz", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["database"], "sqlite");

    let res = server.get("/", None).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<td>acme</td><td>Acme &lt;Recovery&gt;</td><td>0</td><td>0</td>"), "{}", res.body);

    assert_eq!(server.get("/no-such-page", None).await.status, 404);

    let res = server.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("recoup_build_info"), "{}", res.body);
    assert!(res.body.contains("recoup_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"), "{}", res.body);
}
