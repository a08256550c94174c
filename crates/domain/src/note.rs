//! Notes staff and integrations keep on an account. They are append-only: a correction is a new
//! note, so what an agent wrote on a call stays as written.

use serde::Serialize;
use uuid::Uuid;

/// Long enough for a call summary, short enough that a page of notes stays a page.
pub const MAX_NOTE_CHARS: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    /// Who wrote it, as in the audit trail ("user:<id>", "api_key:<id>").
    pub author: String,
    pub body: String,
    /// UTC microseconds.
    pub created_at: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("a note cannot be empty")]
    Empty,
    #[error("a note is at most {MAX_NOTE_CHARS} characters; this one has {0}")]
    TooLong(usize),
}

/// The text as it will be kept: trimmed at the ends, otherwise verbatim (markup included: it is
/// escaped where it is shown, never stripped here).
pub fn check_body(body: &str) -> Result<String, NoteError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(NoteError::Empty);
    }
    let n = body.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(NoteError::TooLong(n));
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(check_body("  called, left voicemail \n"), Ok("called, left voicemail".into()));
        assert_eq!(check_body(" \n\t"), Err(NoteError::Empty));
        assert_eq!(check_body(&"é".repeat(MAX_NOTE_CHARS)).map(|b| b.chars().count()), Ok(MAX_NOTE_CHARS));
        assert_eq!(check_body(&"é".repeat(MAX_NOTE_CHARS + 1)), Err(NoteError::TooLong(MAX_NOTE_CHARS + 1)));
        assert_eq!(check_body("<script>x</script>'; DROP TABLE notes;--"), Ok("<script>x</script>'; DROP TABLE notes;--".into()));
    }
}
