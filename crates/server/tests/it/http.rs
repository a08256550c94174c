//! A running server and a plain HTTP/1.1 client, so tests exercise the real listener and
//! headers with no client library in between.

use recoup_server::AppState;
use recoup_store::{Keyring, PgStore, SqliteStore, Store};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

/// The fixed test keys every suite shares (the PostgreSQL test database records their check values).
pub fn keys() -> Arc<Keyring> {
    Arc::new(Keyring::parse(include_str!("../../../../testdata/test.keys")).unwrap())
}

/// The SMS provider token the test servers check callbacks with.
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token";

/// The instant messages are judged at in tests: a Wednesday when it is 15:00 in New York, 12:00
/// in Los Angeles and 09:00 in Honolulu, inside every US calling window, so no test depends on
/// the hour it runs at.
pub fn weekday_afternoon() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_780_513_200).expect("a valid instant")
}

pub struct Server {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    /// Where uploaded documents go.
    pub blob_dir: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    _blobs: tempfile::TempDir,
}

impl Server {
    pub async fn sqlite() -> Server {
        Server::sqlite_with(|_| {}).await
    }

    /// A SQLite server whose state `tune` adjusts (another SMS transport, say) before it starts.
    pub async fn sqlite_with(tune: impl FnOnce(&mut AppState)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("recoup.sqlite"), keys()).await.unwrap());
        Server::start(store, Some(dir), tune).await
    }

    pub async fn postgres() -> Option<Server> {
        Server::postgres_with(|_| {}).await
    }

    /// A server on the shared test database; two of them are two nodes of one deployment.
    pub async fn postgres_with(tune: impl FnOnce(&mut AppState)) -> Option<Server> {
        let url = std::env::var("RECOUP_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let store = Arc::new(PgStore::connect(&url, keys()).await.expect("PostgreSQL at RECOUP_TEST_DATABASE_URL"));
        Some(Server::start(store, None, tune).await)
    }

    /// SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<Server> {
        let mut v = vec![Server::sqlite().await];
        v.extend(Server::postgres().await);
        v
    }

    async fn start(store: Arc<dyn Store>, dir: Option<tempfile::TempDir>, tune: impl FnOnce(&mut AppState)) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Short waits so the webhook tests see retries within a second.
        let worker = recoup_server::webhooks::WorkerConfig {
            poll: std::time::Duration::from_millis(25),
            timeout: std::time::Duration::from_secs(3),
            retry: recoup_domain::webhook::RetryPolicy { first_micros: 150_000, cap_micros: 1_000_000, max_attempts: 3 },
            // The test receivers listen on 127.0.0.1.
            allow_private_receivers: true,
            ..Default::default()
        };
        let blobs = tempfile::tempdir().unwrap();
        let blob_dir = blobs.path().to_path_buf();
        let outbound = recoup_server::outbound::Outbound {
            public_url: format!("http://{addr}"),
            clock: weekday_afternoon,
            retry: recoup_domain::webhook::RetryPolicy { first_micros: 100_000, cap_micros: 500_000, max_attempts: 3 },
            ..Default::default()
        };
        let mut state = AppState {
            session_idle: std::time::Duration::from_millis(2_000),
            worker,
            blob_dir: blob_dir.clone(),
            outbound,
            twilio_auth_token: Some(TWILIO_TOKEN.into()),
            // Servers in one test process share a pid: each its own name in run claims.
            node: format!("node-{addr}"),
            ..AppState::new(store.clone())
        };
        tune(&mut state);
        tokio::spawn(recoup_server::serve(state, listener, async {
            let _ = stopped.await;
        }));
        Server { addr, store, blob_dir, stop: Some(stop), _dir: dir, _blobs: blobs }
    }

    /// The SQLite database file, when the server runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("recoup.sqlite"))
    }

    /// Any request, with extra header lines ("Name: value") and an optional body.
    pub async fn send(&self, method: &str, path: &str, headers: &[String], body: &str) -> Response {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        let text = format!("{head}Content-Length: {}\r\n\r\n{body}", body.len());
        let addr = self.addr;
        tokio::task::spawn_blocking(move || raw(addr, &text)).await.unwrap()
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Response {
        let (addr, path, key) = (self.addr, path.to_string(), key.map(str::to_string));
        tokio::task::spawn_blocking(move || request(addr, "GET", &path, key.as_deref())).await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, key: Option<&str>) -> Response {
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    raw(addr, &format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"))
}

/// Sends `text` as it is and reads the whole answer.
pub fn raw(addr: SocketAddr, text: &str) -> Response {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(text.as_bytes()).unwrap();
    // Bodies may be binary (PDF); the tests read them as lossy text.
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let out = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    Response { status, head: head.to_string(), body: body.to_string() }
}
