//! Opening the store the command line names, and finding the tenant to act on.

use crate::DbArgs;
use anyhow::{Context, Result, bail};
use recoup_domain::org::Tenant;
use recoup_store::{Keyring, Store};
use std::sync::Arc;
use uuid::Uuid;

pub fn sqlite_path(db: &DbArgs) -> std::path::PathBuf {
    db.data_dir.join("recoup.sqlite")
}

pub fn describe(db: &DbArgs) -> String {
    match &db.database_url {
        Some(_) => "PostgreSQL".to_string(),
        None => format!("SQLite {}", sqlite_path(db).display()),
    }
}

pub async fn open(db: &DbArgs) -> Result<Arc<dyn Store>> {
    let url = match &db.database_url {
        Some(url) => url.clone(),
        None => sqlite_path(db).display().to_string(),
    };
    let keys = keyring(db)?;
    recoup_store::open(&url, keys).await.with_context(|| format!("opening the {} database", describe(db)))
}

/// The data keys configured for this database: `RECOUP_DATA_KEYS`, else `--data-key-file`, else
/// (SQLite only) `recoup.keys` in the data directory, created on first use.
pub fn keyring(db: &DbArgs) -> Result<Arc<Keyring>> {
    let text = std::env::var(recoup_store::seal::KEYS_ENV).ok();
    let sqlite_dir = db.database_url.is_none().then_some(db.data_dir.as_path());
    Ok(Arc::new(Keyring::configured(text.as_deref(), db.data_key_file.as_deref(), sqlite_dir)?))
}

/// The tenant named on the command line. `default` is created on first use, so a
/// single-organization install never has to think about tenants.
pub async fn tenant(store: &dyn Store, slug: &str) -> Result<Tenant> {
    if let Some(t) = store.tenant_by_slug(slug).await? {
        return Ok(t);
    }
    if slug != "default" {
        bail!("there is no tenant {slug:?}; create it with `recoup tenant add {slug} --name ...`");
    }
    let t = Tenant { id: Uuid::now_v7(), slug: slug.to_string(), name: "Default".to_string() };
    store.create_tenant(&t).await?;
    Ok(t)
}
