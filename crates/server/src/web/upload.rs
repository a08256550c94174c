//! Files sent from a page (`multipart/form-data`): the fields and the files, read whole within
//! the document limit.

use crate::api::documents::DOCUMENT_LIMIT_BYTES;
use crate::api::problem::Problem;
use axum::extract::Multipart;
use std::collections::HashMap;

/// One file from a form.
pub struct File {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Reads every part: text fields by name, and the files that were chosen (an empty file input
/// sends a part with no name and no bytes, which is left out).
pub async fn read(mut form: Multipart) -> Result<(HashMap<String, String>, Vec<File>), Problem> {
    let bad =
        |e: axum::extract::multipart::MultipartError| Problem::invalid(format!("the form could not be read: {}", e.body_text()), vec![]);
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let key = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(name) => {
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                if bytes.len() > DOCUMENT_LIMIT_BYTES {
                    return Err(Problem::invalid("a document is at most 10 MiB", vec![]));
                }
                if !name.is_empty() && !bytes.is_empty() {
                    files.push(File { name, content_type, bytes: bytes.to_vec() });
                }
            }
            None => {
                fields.insert(key, field.text().await.map_err(bad)?);
            }
        }
    }
    Ok((fields, files))
}
