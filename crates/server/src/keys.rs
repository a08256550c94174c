//! Issuing and checking API keys. A key reads `rk_<prefix>_<secret>`: the prefix finds the key
//! without naming a tenant, the secret proves it. Only the secret's SHA-256 digest is stored,
//! so the database never holds a usable key; the full key is shown once, when issued.

use recoup_domain::access::{ApiKey, Role};
use recoup_store::{Actor, Store, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PREFIX_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

use recoup_domain::hex::encode as hex;

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Creates a key and returns it with the full key text, which is not kept anywhere.
pub async fn issue(
    store: &dyn Store,
    tenant_id: Uuid,
    name: &str,
    role: Role,
    client_id: Option<Uuid>,
    actor: &Actor,
) -> Result<(ApiKey, String), StoreError> {
    let prefix = hex(&random::<PREFIX_BYTES>());
    let secret = hex(&random::<SECRET_BYTES>());
    let key = ApiKey {
        id: Uuid::now_v7(),
        tenant_id,
        name: name.to_string(),
        role,
        client_id,
        prefix: prefix.clone(),
        created_at: jiff::Timestamp::now().as_microsecond(),
        last_used_at: None,
        revoked_at: None,
    };
    store.create_api_key(&key, &digest(&secret), actor).await?;
    Ok((key, format!("rk_{prefix}_{secret}")))
}

/// Splits `rk_<prefix>_<secret>` into its halves.
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("rk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    let hex_ok = |s: &str, n: usize| s.len() == n * 2 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_ok(prefix, PREFIX_BYTES) && hex_ok(secret, SECRET_BYTES)).then_some((prefix, secret))
}

/// Compares digests in constant time, so response timing says nothing about how close a guess was.
pub fn matches(secret: &str, stored: &[u8; 32]) -> bool {
    same(&digest(secret), stored)
}

/// Whether two byte strings are equal, taking the same time whatever their contents: for
/// secrets, tokens and tags, where an early exit would tell a guesser how close they came.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_only_in_their_exact_shape() {
        let secret = "ab".repeat(SECRET_BYTES);
        let key = format!("rk_0123456789ab_{secret}");
        assert_eq!(parse(&key), Some(("0123456789ab", secret.as_str())));
        for bad in
            ["", "rk_", "rk_0123456789ab", "xx_0123456789ab_00", &format!("rk_0123456789a_{secret}"), &format!("rk_0123456789ag_{secret}")]
        {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_right_secret_matches() {
        let stored = digest("s3cret");
        assert!(matches("s3cret", &stored));
        assert!(!matches("s3cres", &stored));
        assert!(!matches("", &stored));
    }
}
