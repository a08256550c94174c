//! A real browser for the console and portal tests: Debian's chromium, driven over WebDriver by
//! its chromedriver. Where chromium is missing the tests say so and are skipped, except in CI
//! (`CI=true`), where `.ci/run` installs it and they must run. Each test saves a screenshot of
//! its last page under `target/test-artifacts/` (or `RECOUP_ARTIFACTS`).

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a page may take to come back: generous, because CI runs every test at once on two
/// cores and a form's answer can wait behind password hashing elsewhere.
const PATIENCE: Duration = Duration::from_secs(30);

/// A SQLite server for a browser to use: sessions last as in production (the shared test
/// servers end them after 2 s idle, for the expiry tests), so a slow page does not sign
/// the browser out.
pub async fn browsing() -> crate::http::Server {
    crate::http::Server::sqlite_with(|s| s.session_idle = recoup_server::AppState::DEFAULT_SESSION_IDLE).await
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    pub base: String,
}

fn find(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([std::path::PathBuf::from("/usr/bin")])
        .find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// A headless chromium with a fresh profile, pointed at `base` (the server's address). None,
    /// with a plain message, when chromium is not installed and this is not CI.
    pub async fn start(base: &str) -> Option<Browser> {
        let (Some(driver_bin), Some(chrome)) = (find(&["chromedriver"]), find(&["chromium", "chromium-browser"])) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("chromium and chromedriver are required in CI: .ci/run installs them (apt-get install chromium chromium-driver)");
            }
            eprintln!(
                "SKIPPED: chromium or chromedriver is not installed; install Debian's chromium and chromium-driver to run the browser tests"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), serde_json::json!({"binary": chrome.to_string_lossy(), "args": args}));
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        // chromedriver takes a moment to listen.
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => {
                    return Some(Browser { client, driver, _profile: profile, base: base.trim_end_matches('/').to_string() });
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start a browser session: {last:?}");
    }

    pub async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap();
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Fills the card fields (`#card-number`, `#card-exp`, `#card-cvc`) with a test card.
    pub async fn card(&self, number: &str) {
        self.fill("#card-number", number).await;
        self.fill("#card-exp", "12/30").await;
        self.fill("#card-cvc", "123").await;
    }

    /// Sets a field's value directly (date inputs take typed text in the browser's locale).
    pub async fn set(&self, css: &str, value: &str) {
        let script = "document.querySelector(arguments[0]).value = arguments[1];";
        self.client.execute(script, vec![css.into(), value.into()]).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        let el = self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap();
        el.click().await.unwrap();
    }

    pub async fn press(&self, key: &str) {
        self.client.find(Locator::Css("body")).await.unwrap().send_keys(key).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap();
        el.select_by_value(value).await.unwrap();
    }

    /// The text of the first element matching `css`, once it exists.
    pub async fn text(&self, css: &str) -> String {
        let el = self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap();
        el.text().await.unwrap()
    }

    /// Waits until `css`'s text contains `want` (pages swap in after a form posts).
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        let mut seen = String::new();
        let tries = PATIENCE.as_millis() / 100;
        for _ in 0..tries {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                seen = el.text().await.unwrap_or_default();
                if seen.contains(want) {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.client.source().await.unwrap_or_default();
        panic!("{css} never said {want:?}; it said {seen:?}\npage:\n{page}");
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    /// Saves the page as `<artifacts>/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        self.client.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        let dir = std::env::var("RECOUP_ARTIFACTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Narrows the window to a phone's width and says whether the page still fits without
    /// scrolling sideways (wide tables scroll inside their own box).
    pub async fn fits_a_phone(&self) -> bool {
        self.client.set_window_size(360, 800).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let wide = self.client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
        wide.as_u64().is_some_and(|w| w <= 360)
    }

    /// Runs axe-core on the page as it stands and returns its WCAG 2.1 A and AA violations, one
    /// line each ("rule (impact): what, at selectors"). `None` where axe-core is not installed
    /// outside CI (`.ci/run` installs it from npm and sets `RECOUP_AXE`).
    pub async fn accessibility_violations(&self) -> Option<Vec<String>> {
        let source = axe_source()?;
        self.client.execute(&source, vec![]).await.unwrap();
        let run = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
              .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ', at '
                + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join('; '))))
              .catch(e => done(['axe failed: ' + e]));
        "#;
        let found = self.client.execute_async(run, vec![]).await.unwrap();
        Some(found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect())
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's script: `RECOUP_AXE`, or where `.ci/run` puts it. Missing outside CI, the audit is
/// skipped with a plain message; in CI it must be there.
fn axe_source() -> Option<String> {
    let path = std::env::var("RECOUP_AXE").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/recoup-npm/node_modules/axe-core/axe.min.js")
    });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("axe-core is required in CI at {}: .ci/run installs it (npm install axe-core)", path.display())
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: axe-core is not installed at {}; npm install --prefix ~/.cache/recoup-npm axe-core to run the accessibility audit",
                path.display()
            );
            None
        }
    }
}
