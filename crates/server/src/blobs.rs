//! The blob store for uploaded documents: one file per content hash under a directory (the data
//! directory's `blobs/` by default), split by tenant. Writing goes through a temporary file and
//! a rename, so a reader never sees half a file; the same bytes uploaded twice are stored once.
//! Reading checks the hash again, so a file changed on disk is refused rather than served.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob store at {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("blob {0} no longer matches its hash; refusing to serve it")]
    Tampered(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io { path: path.display().to_string(), source }
}

fn path_of(dir: &Path, tenant: Uuid, sha: &str) -> PathBuf {
    dir.join(tenant.to_string()).join(&sha[..2]).join(sha)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    recoup_domain::hex::encode(&Sha256::digest(bytes))
}

/// Stores `bytes` and returns their hex SHA-256, the name to read them back by.
pub async fn put(dir: &Path, tenant: Uuid, bytes: &[u8]) -> Result<String, BlobError> {
    let sha = sha256_hex(bytes);
    let path = path_of(dir, tenant, &sha);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(sha);
    }
    let parent = path.parent().unwrap_or(dir);
    tokio::fs::create_dir_all(parent).await.map_err(io(parent))?;
    let tmp = parent.join(format!(".{sha}.{}", Uuid::now_v7().simple()));
    tokio::fs::write(&tmp, bytes).await.map_err(io(&tmp))?;
    tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
    Ok(sha)
}

/// The bytes stored under `sha`, checked against it.
pub async fn get(dir: &Path, tenant: Uuid, sha: &str) -> Result<Vec<u8>, BlobError> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BlobError::Tampered(sha.to_string()));
    }
    let path = path_of(dir, tenant, sha);
    let bytes = tokio::fs::read(&path).await.map_err(io(&path))?;
    if sha256_hex(&bytes) != sha {
        return Err(BlobError::Tampered(sha.to_string()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stored_once_read_back_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = Uuid::now_v7();
        let sha = put(dir.path(), tenant, b"%PDF-1.7 evidence").await.unwrap();
        assert_eq!(put(dir.path(), tenant, b"%PDF-1.7 evidence").await.unwrap(), sha);
        assert_eq!(get(dir.path(), tenant, &sha).await.unwrap(), b"%PDF-1.7 evidence");
        assert!(get(dir.path(), Uuid::now_v7(), &sha).await.is_err(), "another tenant's blob is not there");
        std::fs::write(path_of(dir.path(), tenant, &sha), b"%PDF-1.7 forged").unwrap();
        assert!(matches!(get(dir.path(), tenant, &sha).await, Err(BlobError::Tampered(_))));
        assert!(matches!(get(dir.path(), tenant, "../../etc/passwd").await, Err(BlobError::Tampered(_))));
    }
}
