//! The tamper-evident audit chain: each entry's hash covers the previous entry's hash and a
//! canonical byte encoding of the entry, so changing, removing or reordering any entry breaks
//! every hash after it. The encoding is defined here, field by field, not borrowed from a JSON
//! serializer whose output could change between versions.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub type Hash = [u8; 32];

/// The hash before the first entry of a tenant's chain.
pub const GENESIS: Hash = [0u8; 32];

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who did it: "user:<id>", "import:<placement id>", "system".
    pub actor: String,
    /// Dotted verb: "account.placed", "ledger.posted", "account.status_changed".
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    /// Details as JSON text, stored and hashed byte for byte as given.
    pub data: String,
}

/// An entry as stored: the event plus its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant_id: Uuid,
    pub seq: i64,
    /// UTC microseconds since the Unix epoch.
    pub at_micros: i64,
    pub event: AuditEvent,
    pub prev_hash: Hash,
    pub hash: Hash,
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// The bytes an entry's hash covers (besides the previous hash): a version tag, then every field
/// in a fixed order, strings length-prefixed so no two entries encode alike.
pub fn canonical_bytes(tenant_id: Uuid, seq: i64, at_micros: i64, e: &AuditEvent) -> Vec<u8> {
    let mut buf = Vec::with_capacity(96 + e.actor.len() + e.action.len() + e.entity.len() + e.data.len());
    buf.extend_from_slice(b"recoup-audit-v1\0");
    buf.extend_from_slice(tenant_id.as_bytes());
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&at_micros.to_be_bytes());
    put_str(&mut buf, &e.actor);
    put_str(&mut buf, &e.action);
    put_str(&mut buf, &e.entity);
    buf.extend_from_slice(e.entity_id.as_bytes());
    put_str(&mut buf, &e.data);
    buf
}

/// sha256(prev_hash || canonical_bytes(entry))
pub fn chain_hash(prev: &Hash, tenant_id: Uuid, seq: i64, at_micros: i64, e: &AuditEvent) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical_bytes(tenant_id, seq, at_micros, e));
    h.finalize().into()
}

/// Appends events to a chain, keeping the head. The store seeds it with the tenant's current head
/// inside the write transaction, so the chain can never fork.
#[derive(Debug, Clone)]
pub struct Chainer {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub head: Hash,
}

impl Chainer {
    pub fn link(&mut self, at_micros: i64, event: AuditEvent) -> AuditEntry {
        let seq = self.seq + 1;
        let hash = chain_hash(&self.head, self.tenant_id, seq, at_micros, &event);
        let entry = AuditEntry { tenant_id: self.tenant_id, seq, at_micros, event, prev_hash: self.head, hash };
        self.seq = seq;
        self.head = hash;
        entry
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "audit entry {seq} ({action} on {entity} {entity_id}): its hash does not match its content; it was changed after it was written"
    )]
    Altered { seq: i64, action: String, entity: String, entity_id: Uuid },
    #[error("audit entry {seq}: it does not follow entry {expected_prev_seq}; an entry was removed, inserted or reordered")]
    Broken { seq: i64, expected_prev_seq: i64 },
}

/// Checks a chain one entry at a time, so a store can feed it page by page.
#[derive(Debug, Clone)]
pub struct Verifier {
    prev: Hash,
    prev_seq: i64,
    count: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier { prev: GENESIS, prev_seq: 0, count: 0 }
    }
}

impl Verifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.prev_seq + 1 || e.prev_hash != self.prev {
            return Err(ChainBreak::Broken { seq: e.seq, expected_prev_seq: self.prev_seq });
        }
        if chain_hash(&self.prev, e.tenant_id, e.seq, e.at_micros, &e.event) != e.hash {
            let ev = &e.event;
            return Err(ChainBreak::Altered { seq: e.seq, action: ev.action.clone(), entity: ev.entity.clone(), entity_id: ev.entity_id });
        }
        self.prev = e.hash;
        self.prev_seq = e.seq;
        self.count += 1;
        Ok(())
    }

    pub fn last_seq(&self) -> i64 {
        self.prev_seq
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Walks a tenant's entries in `seq` order and returns how many were verified, or the first break.
pub fn verify<I: IntoIterator<Item = AuditEntry>>(entries: I) -> Result<u64, ChainBreak> {
    let mut v = Verifier::default();
    for e in entries {
        v.check(&e)?;
    }
    Ok(v.count())
}

pub fn hex(h: &Hash) -> String {
    crate::hex::encode(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut c = Chainer { tenant_id: Uuid::from_u128(7), seq: 0, head: GENESIS };
        (0..n)
            .map(|i| {
                c.link(
                    1_700_000_000_000_000 + i as i64,
                    AuditEvent {
                        actor: "system".into(),
                        action: "ledger.posted".into(),
                        entity: "account".into(),
                        entity_id: Uuid::from_u128(i as u128),
                        data: format!("{{\"amount\":{i}}}"),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(chain(5)), Ok(5));
        assert_eq!(verify(Vec::new()), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut c = chain(5);
        c[2].event.data = "{\"amount\":999}".into();
        assert!(matches!(verify(c), Err(ChainBreak::Altered { seq: 3, .. })));
    }

    #[test]
    fn a_removed_or_reordered_entry_breaks_the_chain() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(c), Err(ChainBreak::Broken { seq: 3, expected_prev_seq: 1 }));
        let mut c = chain(5);
        c.swap(3, 4);
        assert!(verify(c).is_err());
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_link() {
        let mut c = chain(4);
        c[1].event.data = "{}".into();
        c[1].hash = chain_hash(&c[1].prev_hash, c[1].tenant_id, c[1].seq, c[1].at_micros, &c[1].event);
        assert_eq!(verify(c), Err(ChainBreak::Broken { seq: 3, expected_prev_seq: 2 }));
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let a = AuditEvent { actor: "ab".into(), action: "c".into(), entity: String::new(), entity_id: Uuid::nil(), data: String::new() };
        let b = AuditEvent { actor: "a".into(), action: "bc".into(), ..a.clone() };
        assert_ne!(canonical_bytes(Uuid::nil(), 1, 0, &a), canonical_bytes(Uuid::nil(), 1, 0, &b));
    }
}
