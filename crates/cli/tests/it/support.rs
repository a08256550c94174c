use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn lakeshore() -> PathBuf {
    repo().join("testdata/lakeshore-bank-placement.csv")
}

pub fn lakeshore_mapping() -> PathBuf {
    repo().join("crates/import/mappings/lakeshore-bank.toml")
}

/// A scratch directory with its own data directory (or its own PostgreSQL tenant).
pub struct Env {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
    pub tenant: String,
}

impl Env {
    pub fn sqlite() -> Env {
        Env { dir: tempfile::tempdir().unwrap(), database_url: None, tenant: "default".into() }
    }

    /// On PostgreSQL every test works in a tenant of its own, so tests can share the database.
    pub fn postgres() -> Option<Env> {
        let url = std::env::var("RECOUP_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let env = Env { dir: tempfile::tempdir().unwrap(), database_url: Some(url), tenant: format!("t{}", uuid::Uuid::now_v7().simple()) };
        let out = env.run(&["tenant", "add", &env.tenant.clone(), "--name", "Test"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        Some(env)
    }

    pub fn all() -> Vec<Env> {
        let mut v = vec![Env::sqlite()];
        v.extend(Env::postgres());
        v
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `recoup` set up to work in this environment's data directory (or database) and tenant.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_recoup"));
        cmd.current_dir(self.dir.path())
            .env("RECOUP_DATA_DIR", self.path("data"))
            .env("RECOUP_TENANT", &self.tenant)
            .env_remove("RECOUP_DATABASE_URL");
        cmd.env_remove("RECOUP_DATA_KEYS").env_remove("RECOUP_DATA_KEY_FILE");
        // SQLite makes its own key file in the data directory; PostgreSQL needs the keys the
        // shared test database was sealed with.
        if let Some(url) = &self.database_url {
            cmd.env("RECOUP_DATABASE_URL", url).env("RECOUP_DATA_KEY_FILE", repo().join("testdata/test.keys"));
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// `recoup import placements FILE --client LSB --placed-on 2026-11-02 EXTRA...`, which must succeed.
    pub fn import(&self, file: &std::path::Path, extra: &[&str]) -> String {
        let mut args = vec!["import", "placements", file.to_str().unwrap(), "--client", "LSB", "--placed-on", "2026-11-02"];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// The Lakeshore Bank test file through its mapping.
    pub fn import_lakeshore(&self, extra: &[&str]) -> String {
        let mapping = lakeshore_mapping();
        let mut args = vec!["--mapping", mapping.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.import(&lakeshore(), &args)
    }

    /// Lakeshore Bank as a client, on a 25 % contingency commission.
    pub fn add_lakeshore_client(&self) {
        self.ok(&["client", "add", "LSB", "--name", "Lakeshore Bank", "--commission", "0.25"]);
    }

    /// Runs a `--json` command, insisting on success, and parses what it printed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args);
        assert!(out.status.success(), "recoup {args:?} failed:\n{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("recoup {args:?} printed no JSON ({e}):\n{}", text(&out.stdout)))
    }

    /// Runs a command that must fail and returns what it said on stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "recoup {args:?} succeeded:\n{}", text(&out.stdout));
        text(&out.stderr)
    }

    /// Runs and insists on success, returning stdout and stderr together.
    /// `recoup user add ARGS` with the password on standard input.
    pub fn add_user(&self, args: &[&str], password: &str) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command()
            .args(["user", "add"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "recoup {args:?} failed:\n{all}");
        all
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The number after `label` in an import summary ("  created     191").
pub fn count(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix(label).map(|rest| rest.split_whitespace().next().unwrap_or("").to_string()))
        .unwrap_or_else(|| panic!("no {label:?} in:\n{summary}"))
        .parse()
        .unwrap()
}
