//! JSON request bodies whose faults come back as problem documents instead of axum's plain text.

use super::problem::{FieldError, Problem};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON with `Content-Type: application/json`",
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON", e.body_text()))
            }
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                // serde names the field as "field `x`" or "at line..."; keep its words as the detail.
                let pointer = text.split('`').nth(1).map(|f| format!("/{f}")).unwrap_or_default();
                Err(Problem::invalid("the body does not match what this route takes", vec![FieldError { pointer, detail: text }]))
            }
            Err(other) => Err(Problem::new(other.status(), "unreadable-body", "Unreadable body", other.body_text())),
        }
    }
}
