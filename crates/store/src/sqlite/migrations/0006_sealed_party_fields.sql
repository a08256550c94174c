-- National ids and dates of birth sealed at rest (AES-256-GCM, crates/store/src/seal.rs): each
-- value is key version || nonce || ciphertext || tag. `national_id_hash` is a keyed HMAC of the
-- nine digits for exact-match lookup. `national_id_last4` stays plain for display and identity
-- checks. The plain `date_of_birth` column is no longer written; SQL cannot encrypt, so values
-- written before this migration are sealed by the store at its next start (and the column
-- cleared), before it serves anything.
ALTER TABLE parties ADD COLUMN national_id_enc BLOB;
ALTER TABLE parties ADD COLUMN national_id_hash BLOB;
ALTER TABLE parties ADD COLUMN date_of_birth_enc BLOB;
-- Finds the plain dates still to seal at start without reading every party; empty afterwards.
CREATE INDEX parties_plain_date_of_birth ON parties (tenant_id, id) WHERE date_of_birth IS NOT NULL;
CREATE INDEX parties_national_id_hash ON parties (tenant_id, national_id_hash) WHERE national_id_hash IS NOT NULL;
-- A lookup goes from the party to its accounts.
CREATE INDEX account_parties_party ON account_parties (tenant_id, party_id);

-- A check value per configured key (a digest of the key, not the key), so a start with another
-- key than the one the data was sealed with is refused instead of writing unreadable values.
CREATE TABLE seal_keys (
    name TEXT PRIMARY KEY,
    key_check BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
