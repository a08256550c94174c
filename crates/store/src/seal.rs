//! Sealing sensitive fields at rest: AES-256-GCM with a random 96-bit nonce per value and the
//! key's version stored in front of each ciphertext, so old versions keep opening after a
//! rotation while new writes use the current one; and a separate HMAC-SHA256 key for the keyed
//! hashes an exact-match lookup needs (and for the import fingerprint, which covers the same
//! values and would otherwise let anyone with the database guess them back).
//!
//! A sealed value is `version (1 byte) || nonce (12) || ciphertext || tag (16)`. The associated
//! data binds it to its column, tenant and row, so a ciphertext copied into another row or
//! column does not open.
//!
//! Keys come as text, one `name = 64 hex digits` per line (or comma-separated in an environment
//! variable): `lookup` for the hash key and `1`, `2`, ... for data keys; the highest version is
//! the current one. Neither key material nor plaintext ever reaches Debug output or an error.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use recoup_domain::party::Party;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Version byte + nonce + tag: what sealing adds to a value.
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// The environment variable holding the keys as text.
pub const KEYS_ENV: &str = "RECOUP_DATA_KEYS";
/// The environment variable naming a key file.
pub const KEY_FILE_ENV: &str = "RECOUP_DATA_KEY_FILE";
/// The key file recoup creates in a SQLite data directory when no keys are configured.
pub const DEFAULT_KEY_FILE: &str = "recoup.keys";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("data keys, line {line}: {why}")]
    Syntax { line: usize, why: String },
    #[error("data keys: {0}")]
    Incomplete(&'static str),
    #[error("cannot read or create the key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(
        "PostgreSQL needs data keys to encrypt national ids and dates of birth: set {KEYS_ENV} to the text \
         `recoup keys generate` prints, or {KEY_FILE_ENV} to a file holding it (keep it outside the database and backed up)"
    )]
    NotConfigured,
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed with key version {0}, which is not configured")]
    UnknownVersion(u8),
    #[error("too short to be a sealed value")]
    Truncated,
    /// Wrong key, tampered bytes, or a value moved from another row or column.
    #[error("does not open with the configured key (wrong key, or altered)")]
    Rejected,
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// Where a sealed value lives; it is authenticated with the value, so it cannot be moved.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub column: &'a str,
    pub tenant_id: Uuid,
    pub row_id: Uuid,
}

impl Place<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(48 + self.column.len());
        aad.extend_from_slice(b"recoup/seal/v1/");
        aad.extend_from_slice(self.column.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.tenant_id.as_bytes());
        aad.extend_from_slice(self.row_id.as_bytes());
        aad
    }
}

struct DataKey {
    cipher: Aes256Gcm,
    check: [u8; 16],
}

/// The data keys by version and the lookup key. Built once at start and shared.
pub struct Keyring {
    current: u8,
    data: BTreeMap<u8, DataKey>,
    lookup: HmacSha256,
    lookup_check: [u8; 16],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.data.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// A key's check value: a digest of the key, stored in the database so a start with another
/// key is refused before it writes anything the right key could not read.
fn key_check(name: &str, key: &[u8; 32]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"recoup key check v1\0");
    h.update(name.as_bytes());
    h.update([0]);
    h.update(key);
    h.finalize()[..16].try_into().expect("16 of 32 bytes")
}

fn hex_key(text: &str) -> Result<[u8; 32], &'static str> {
    let t = text.trim().as_bytes();
    if t.len() != 64 {
        return Err("a key must be 64 hex digits (32 random bytes)");
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8).ok_or("a key must be hex digits only");
    let mut key = [0u8; 32];
    for (i, pair) in t.chunks(2).enumerate() {
        key[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Ok(key)
}

use recoup_domain::hex::encode as hex;

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| e.to_string())?;
    Ok(b)
}

/// A fresh nonce. The operating system's random bytes are fetched a few kilobytes at a time
/// rather than with one system call per value: a bulk import seals hundreds of thousands.
fn nonce() -> Result<[u8; NONCE_LEN], SealError> {
    const POOL: usize = 128 * NONCE_LEN;
    thread_local! {
        static RANDOM: RefCell<(usize, [u8; POOL])> = const { RefCell::new((POOL, [0; POOL])) };
    }
    RANDOM.with(|cell| {
        let (used, pool) = &mut *cell.borrow_mut();
        if *used == POOL {
            getrandom::fill(pool).map_err(|e| SealError::Random(e.to_string()))?;
            *used = 0;
        }
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(&pool[*used..*used + NONCE_LEN]);
        // Each nonce is handed out once: the bytes are wiped as they are taken.
        pool[*used..*used + NONCE_LEN].fill(0);
        *used += NONCE_LEN;
        Ok(n)
    })
}

impl Keyring {
    /// Reads keys as text: `name = hex` per line or comma-separated; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Keyring, KeyError> {
        let mut data = BTreeMap::new();
        let mut lookup = None;
        let items = text.lines().enumerate().flat_map(|(i, l)| l.split('#').next().unwrap_or("").split(',').map(move |s| (i + 1, s)));
        for (i, item) in items {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let syntax = |why: &str| KeyError::Syntax { line: i, why: why.to_string() };
            let (name, value) = item.split_once(['=', ':']).ok_or_else(|| syntax("expected `name = key`"))?;
            let name = name.trim();
            let key = hex_key(value).map_err(syntax)?;
            if name == "lookup" {
                if lookup.replace(key).is_some() {
                    return Err(syntax("the lookup key is given twice"));
                }
                continue;
            }
            let version: u8 =
                name.parse().ok().filter(|v| *v > 0).ok_or_else(|| syntax("a key's name is `lookup` or a version 1 to 255"))?;
            let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| syntax("a key must be 32 bytes"))?;
            if data.insert(version, DataKey { cipher, check: key_check(name, &key) }).is_some() {
                return Err(syntax("this version is given twice"));
            }
        }
        let lookup_key = lookup.ok_or(KeyError::Incomplete("no `lookup` key (the HMAC key for exact-match lookups)"))?;
        let current = *data.keys().next_back().ok_or(KeyError::Incomplete("no data key (`1 = ...`)"))?;
        Ok(Keyring {
            current,
            data,
            lookup: <HmacSha256 as KeyInit>::new_from_slice(&lookup_key).expect("HMAC takes any key length"),
            lookup_check: key_check("lookup", &lookup_key),
        })
    }

    /// The text of a new key file: a lookup key and data key version 1, from the OS's random source.
    pub fn generate_text() -> Result<String, KeyError> {
        let (lookup, data) = (random::<32>().map_err(KeyError::Random)?, random::<32>().map_err(KeyError::Random)?);
        Ok(format!(
            "# recoup data keys. Keep this secret and backed up: without it the encrypted national ids and\n\
             # dates of birth cannot be read. To rotate, add `2 = <64 hex digits>`: new writes use the\n\
             # highest version, older versions keep opening what they sealed.\n\
             lookup = {}\n1 = {}\n",
            hex(&lookup),
            hex(&data)
        ))
    }

    pub fn load_file(path: &Path) -> Result<Keyring, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io { path: path.display().to_string(), source })?;
        Keyring::parse(&text)
    }

    /// The key file at `path`, created (readable by its owner only) if it does not exist yet.
    pub fn load_or_create_file(path: &Path) -> Result<Keyring, KeyError> {
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        if path.exists() {
            return Keyring::load_file(path);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = Keyring::generate_text()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                tracing::info!(path = %path.display(), "created a data key file; keep it secret and back it up with the database");
                Keyring::parse(&text)
            }
            // Another process created it a moment ago: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Keyring::load_file(path),
            Err(e) => Err(io(e)),
        }
    }

    /// The keys configuration names, in order: the text in `RECOUP_DATA_KEYS`, the file in
    /// `RECOUP_DATA_KEY_FILE`, else a key file in the SQLite data directory (created on first
    /// use, so the default install needs no set-up). PostgreSQL with neither is refused.
    pub fn configured(text: Option<&str>, file: Option<&Path>, sqlite_data_dir: Option<&Path>) -> Result<Keyring, KeyError> {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            return Keyring::parse(text);
        }
        if let Some(file) = file {
            return Keyring::load_file(file);
        }
        match sqlite_data_dir {
            Some(dir) => Keyring::load_or_create_file(&dir.join(DEFAULT_KEY_FILE)),
            None => Err(KeyError::NotConfigured),
        }
    }

    /// `configured` with the text and file from the environment.
    pub fn from_env(sqlite_data_dir: Option<&Path>) -> Result<Keyring, KeyError> {
        let text = std::env::var(KEYS_ENV).ok();
        let file = std::env::var_os(KEY_FILE_ENV).filter(|f| !f.is_empty()).map(PathBuf::from);
        Keyring::configured(text.as_deref(), file.as_deref(), sqlite_data_dir)
    }

    pub fn current_version(&self) -> u8 {
        self.current
    }

    /// (name, check value) of every configured key: `lookup`, then data key versions.
    pub fn checks(&self) -> Vec<(String, [u8; 16])> {
        let mut out = vec![("lookup".to_string(), self.lookup_check)];
        out.extend(self.data.iter().map(|(v, k)| (v.to_string(), k.check)));
        out
    }

    /// Seals `plain` for `place` with the current key.
    pub fn seal(&self, place: &Place<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = &self.data[&self.current];
        let nonce = nonce()?;
        let sealed = key.cipher.encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: &place.aad() }).map_err(|_| SealError::Rejected)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(self.current);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed (with any configured version) for `place`.
    pub fn open(&self, place: &Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < OVERHEAD {
            return Err(SealError::Truncated);
        }
        let (version, rest) = (sealed[0], &sealed[1..]);
        let key = self.data.get(&version).ok_or(SealError::UnknownVersion(version))?;
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        key.cipher.decrypt(&Nonce::from(nonce), Payload { msg: body, aad: &place.aad() }).map_err(|_| SealError::Rejected)
    }

    fn keyed(&self, purpose: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.lookup.clone();
        mac.update(purpose);
        mac.update(&[0]);
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// The keyed hash of a normalized (nine-digit) national id within a tenant: equal ids give
    /// equal hashes, and without the key nobody can test a guess against the column. The tenant
    /// is in it so the same person cannot be linked across tenants from the database alone.
    pub fn national_id_hash(&self, tenant_id: Uuid, digits: &str) -> [u8; 32] {
        self.keyed(b"national_id", &[tenant_id.as_bytes(), digits.as_bytes()])
    }

    /// The tag of a link recoup signs; the purpose is part of `data`, so a tag for one kind of
    /// link never passes for another.
    pub fn link_tag(&self, data: &[u8]) -> [u8; 32] {
        self.keyed(b"link", &[data])
    }

    /// The import fingerprint as stored: keyed, because it digests the national id and birth
    /// date together with columns that are stored in plain text.
    pub fn keyed_fingerprint(&self, fingerprint: &[u8; 32]) -> [u8; 32] {
        self.keyed(b"fingerprint", &[fingerprint])
    }
}

/// The sealed columns of `parties`.
pub(crate) const NATIONAL_ID_ENC: &str = "national_id_enc";
pub(crate) const DATE_OF_BIRTH_ENC: &str = "date_of_birth_enc";

/// A party's sealed columns as they are written.
pub(crate) struct SealedParty {
    pub national_id_enc: Option<Vec<u8>>,
    pub national_id_hash: Option<Vec<u8>>,
    pub date_of_birth_enc: Option<Vec<u8>>,
}

impl Keyring {
    pub(crate) fn seal_party(&self, p: &Party) -> Result<SealedParty, SealError> {
        let place = |column| Place { column, tenant_id: p.tenant_id, row_id: p.id };
        let national_id = p.national_id.as_ref().map(|n| n.expose());
        Ok(SealedParty {
            national_id_enc: national_id.map(|n| self.seal(&place(NATIONAL_ID_ENC), n.as_bytes())).transpose()?,
            national_id_hash: national_id.map(|n| self.national_id_hash(p.tenant_id, n).to_vec()),
            date_of_birth_enc: p.date_of_birth.map(|d| self.seal_date(&place(DATE_OF_BIRTH_ENC), *d.expose())).transpose()?,
        })
    }

    pub(crate) fn seal_date(&self, place: &Place<'_>, date: jiff::civil::Date) -> Result<Vec<u8>, SealError> {
        self.seal(place, date.to_string().as_bytes())
    }
}

impl SealedParty {
    /// Stand-ins of the same sizes made with no cryptography, for the benchmark's bare-insert
    /// limit: the database does the same work, recoup's own work is left out. The hash stand-in
    /// starts with the id's random bits, so its index sees scattered keys as a real hash gives.
    pub(crate) fn placeholder(p: &Party) -> SealedParty {
        let hash = || {
            let mut h = p.id.as_bytes().to_vec();
            h.reverse();
            h.extend_from_slice(p.id.as_bytes());
            h
        };
        SealedParty {
            national_id_enc: p.national_id.as_ref().map(|_| vec![0; 9 + OVERHEAD]),
            national_id_hash: p.national_id.as_ref().map(|_| hash()),
            date_of_birth_enc: p.date_of_birth.as_ref().map(|_| vec![0; 10 + OVERHEAD]),
        }
    }
}

/// Which configured keys the database has not seen yet, or the first that differs from the one
/// it recorded. Keys it recorded but that are no longer configured are not an error here: the
/// rows they sealed say so when read.
pub(crate) fn unrecorded_keys(keys: &Keyring, recorded: &[(String, Vec<u8>)]) -> Result<Vec<(String, [u8; 16])>, String> {
    let mut new = Vec::new();
    for (name, check) in keys.checks() {
        match recorded.iter().find(|(n, _)| *n == name) {
            Some((_, c)) if c[..] == check[..] => {}
            Some(_) => return Err(name),
            None => new.push((name, check)),
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const K2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
    const KL: &str = "abababababababababababababababababababababababababababababababab";

    fn ring(text: &str) -> Keyring {
        Keyring::parse(text).unwrap()
    }

    fn place(column: &str) -> Place<'_> {
        Place { column, tenant_id: Uuid::from_u128(7), row_id: Uuid::from_u128(9) }
    }

    #[test]
    fn seal_and_open() {
        let k = ring(&format!("lookup = {KL}\n1 = {K1}"));
        let sealed = k.seal(&place("national_id_enc"), b"987654320").unwrap();
        assert_eq!(sealed.len(), 9 + OVERHEAD);
        assert_eq!(sealed[0], 1, "the key version goes first");
        assert!(!sealed.windows(9).any(|w| w == b"987654320"));
        assert_eq!(k.open(&place("national_id_enc"), &sealed).unwrap(), b"987654320");
        let again = k.seal(&place("national_id_enc"), b"987654320").unwrap();
        assert_ne!(sealed, again, "a fresh nonce per value");
    }

    #[test]
    fn a_wrong_key_or_tampering_or_another_place_is_refused() {
        let k = ring(&format!("lookup = {KL}\n1 = {K1}"));
        let other = ring(&format!("lookup = {KL}\n1 = {K2}"));
        let sealed = k.seal(&place("date_of_birth_enc"), b"1952-08-21").unwrap();
        assert_eq!(other.open(&place("date_of_birth_enc"), &sealed), Err(SealError::Rejected));
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(k.open(&place("date_of_birth_enc"), &bad), Err(SealError::Rejected), "byte {i}");
        }
        assert_eq!(k.open(&place("national_id_enc"), &sealed), Err(SealError::Rejected), "another column");
        let moved = Place { row_id: Uuid::from_u128(10), ..place("date_of_birth_enc") };
        assert_eq!(k.open(&moved, &sealed), Err(SealError::Rejected), "another row");
        assert_eq!(k.open(&place("date_of_birth_enc"), &sealed[..OVERHEAD - 1]), Err(SealError::Truncated));
        let mut v9 = sealed.clone();
        v9[0] = 9;
        assert_eq!(k.open(&place("date_of_birth_enc"), &v9), Err(SealError::UnknownVersion(9)));
    }

    #[test]
    fn old_versions_open_after_rotation_and_new_writes_use_the_newest() {
        let before = ring(&format!("lookup = {KL}\n1 = {K1}"));
        let sealed = before.seal(&place("c"), b"x").unwrap();
        let after = ring(&format!("lookup={KL}, 2={K2}, 1={K1}"));
        assert_eq!(after.current_version(), 2);
        assert_eq!(after.open(&place("c"), &sealed).unwrap(), b"x");
        let fresh = after.seal(&place("c"), b"y").unwrap();
        assert_eq!(fresh[0], 2);
        assert_eq!(before.open(&place("c"), &fresh), Err(SealError::UnknownVersion(2)));
        assert_eq!(after.checks()[1], before.checks()[1], "version 1 has the same check value in both");
    }

    #[test]
    fn lookup_hashes_are_keyed_and_per_tenant() {
        let k = ring(&format!("lookup = {KL}\n1 = {K1}"));
        let other = ring(&format!("lookup = {K2}\n1 = {K1}"));
        let (t1, t2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(k.national_id_hash(t1, "987654320"), k.national_id_hash(t1, "987654320"));
        assert_ne!(k.national_id_hash(t1, "987654320"), k.national_id_hash(t1, "987654321"));
        assert_ne!(k.national_id_hash(t1, "987654320"), k.national_id_hash(t2, "987654320"));
        assert_ne!(k.national_id_hash(t1, "987654320"), other.national_id_hash(t1, "987654320"));
        assert_ne!(k.keyed_fingerprint(&[0; 32]), other.keyed_fingerprint(&[0; 32]));
    }

    #[test]
    fn key_text_errors_name_the_line_and_never_the_key() {
        let errors = [
            format!("lookup = {KL}"),
            format!("1 = {K1}"),
            format!("lookup = {KL}\n1 = {}", &K1[..60]),
            format!("lookup = {KL}\n0 = {K1}"),
            format!("lookup = {KL}\n1 = {K1}\n1 = {K2}"),
            format!("lookup = {KL}\nkey {K1}"),
        ];
        for text in errors {
            let e = Keyring::parse(&text).unwrap_err().to_string();
            assert!(!e.contains("1111") && !e.contains("abab") && !e.contains("2222"), "{e}");
        }
        assert!(matches!(Keyring::parse(&format!("lookup = {KL}\n\n1 = zz{}", &K1[2..])), Err(KeyError::Syntax { line: 3, .. })));
        assert!(matches!(Keyring::configured(None, None, None), Err(KeyError::NotConfigured)));
    }

    #[test]
    fn debug_output_has_no_key_material() {
        let k = ring(&format!("# comment\nlookup = {KL}\n1 = {K1}  # first\n2 = {K2}"));
        let shown = format!("{k:?} {k:#?}");
        assert!(shown.contains("current: 2"), "{shown}");
        for secret in ["1111", "2222", "abab", "17, 17", "171717"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn a_generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let k = Keyring::configured(None, None, Some(dir.path())).unwrap();
        let path = dir.path().join(DEFAULT_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let sealed = k.seal(&place("c"), b"kept").unwrap();
        let again = Keyring::configured(None, None, Some(dir.path())).unwrap();
        assert_eq!(again.open(&place("c"), &sealed).unwrap(), b"kept");
        let explicit = Keyring::configured(Some(&format!("lookup={KL},1={K1}")), Some(&path), Some(dir.path())).unwrap();
        assert_eq!(explicit.open(&place("c"), &sealed), Err(SealError::Rejected), "configured text wins over any file");
    }
}
