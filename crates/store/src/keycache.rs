//! A short memory of the API keys found by prefix. Every API request looks its key up, so
//! without it each request pays a database round trip before doing any work of its own.
//!
//! Changes made through the same store take effect at once: revoking forgets the key, and a
//! lookup that raced with the revocation is not remembered. Changes made elsewhere (another
//! process, another node sharing the database) are seen within [`KEY_CACHE_TTL`].

use recoup_domain::access::ApiKey;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a key found in the database is trusted without asking again: the longest a
/// revocation made by another process can take to reach this one.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Keys are few (one per integration); past this, something is wrong, so start over rather than grow.
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
pub(crate) struct KeyCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_prefix: HashMap<String, Entry>,
    /// Bumped by every revocation, so a lookup that started before one is not stored after it.
    generation: u64,
}

struct Entry {
    fetched: Instant,
    key: ApiKey,
    hash: [u8; 32],
}

impl KeyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key and its secret's digest, if fetched recently enough.
    pub fn get(&self, prefix: &str) -> Option<(ApiKey, [u8; 32])> {
        let inner = self.lock();
        let e = inner.by_prefix.get(prefix).filter(|e| e.fetched.elapsed() < KEY_CACHE_TTL)?;
        Some((e.key.clone(), e.hash))
    }

    /// Take before reading the database; pass to [`KeyCache::put`] with what was read.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    pub fn put(&self, generation: u64, key: &ApiKey, hash: [u8; 32]) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.by_prefix.len() >= MAX_KEYS {
            inner.by_prefix.clear();
        }
        inner.by_prefix.insert(key.prefix.clone(), Entry { fetched: Instant::now(), key: key.clone(), hash });
    }

    /// Forgets a key that changed in a way that matters (revoked).
    pub fn forget(&self, key_id: Uuid) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.by_prefix.retain(|_, e| e.key.id != key_id);
    }

    /// Keeps the remembered last use in step with the database, so callers that record use
    /// only now and then do not see an old time and record it on every request.
    pub fn touched(&self, key_id: Uuid, at_micros: i64) {
        for e in self.lock().by_prefix.values_mut().filter(|e| e.key.id == key_id) {
            e.key.last_used_at = Some(at_micros);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recoup_domain::access::Role;

    fn key(prefix: &str) -> ApiKey {
        ApiKey {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            name: "k".into(),
            role: Role::Integrator,
            client_id: None,
            prefix: prefix.into(),
            created_at: 1,
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn remembers_until_forgotten_and_records_touches() {
        let cache = KeyCache::default();
        let k = key("abc");
        cache.put(cache.generation(), &k, [1; 32]);
        assert_eq!(cache.get("abc"), Some((k.clone(), [1; 32])));
        assert_eq!(cache.get("abd"), None);
        cache.touched(k.id, 42);
        assert_eq!(cache.get("abc").unwrap().0.last_used_at, Some(42));
        cache.forget(k.id);
        assert_eq!(cache.get("abc"), None);
    }

    #[test]
    fn a_lookup_that_raced_with_a_revocation_is_not_remembered() {
        let cache = KeyCache::default();
        let k = key("abc");
        let before = cache.generation();
        cache.forget(k.id); // revoked while the lookup was reading the old row
        cache.put(before, &k, [1; 32]);
        assert_eq!(cache.get("abc"), None);
    }
}
