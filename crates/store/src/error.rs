use recoup_domain::account::TransitionError;
use recoup_domain::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    #[error("{0} already exists")]
    Conflict(String),
    /// Input a servicing rule refuses, naming the field (a JSON pointer below the request body).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// An action the record's or account's state does not allow now.
    #[error("{0}")]
    Refused(String),
    /// An action the actor's role or relation to the record does not allow.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("migration {version} ({name}) differs from the one applied to this database; refusing to continue")]
    MigrationChanged { version: i64, name: String },
    #[error("stored value is unreadable: {0}")]
    Corrupt(String),
    #[error("database task failed: {0}")]
    Task(String),
    /// A sealed column that does not open; the error names the row, never the value.
    #[error("{column} of {entity} {id} cannot be opened: {source}")]
    Sealed { entity: &'static str, id: uuid::Uuid, column: &'static str, source: crate::seal::SealError },
    #[error("cannot seal a value: {0}")]
    Seal(#[from] crate::seal::SealError),
    #[error(
        "data key {0:?} is not the key this database was sealed with; refusing to start (configure the original key,          and add a new version beside it to rotate)"
    )]
    KeyMismatch(String),
    #[error("cannot create {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, reason: impl ToString) -> Self {
        StoreError::Invalid { field: field.into(), reason: reason.to_string() }
    }

    pub fn not_found(entity: &'static str, key: impl ToString) -> Self {
        StoreError::NotFound { entity, key: key.to_string() }
    }

    /// True for a unique-constraint violation on either backend.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Postgres(sqlx::Error::Database(e)) => e.code().as_deref() == Some("23505"),
            _ => false,
        }
    }
}
