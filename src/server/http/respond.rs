//! The answers of the HTTP API: JSON bodies, and errors as `{"error": ..., "field": ...}`
//! with the status that says what went wrong.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::json;

/// What every handler answers.
pub type HttpResponse = Response<Full<Bytes>>;

/// A failed request, answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), field: None }
    }

    /// `400` naming the field at fault.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.to_string()), ..ApiError::new(StatusCode::BAD_REQUEST, message) }
    }

    /// `400`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// `404`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// `500`, logged: the store or another part of the server failed.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!("HTTP request failed: {error}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server log has the details")
    }

    /// `400` for a JSON body serde could not read: its message names the field (`missing
    /// field `from``, `invalid type ... for key `recipients``), which goes in `field` too.
    pub fn json(error: &serde_json::Error) -> ApiError {
        let text = error.to_string();
        let field = text.split('`').nth(1).filter(|_| text.contains("field `")).map(str::to_string);
        ApiError { field, ..ApiError::bad_request(format!("bad JSON body: {text}")) }
    }

    /// The response.
    pub fn into_response(self) -> HttpResponse {
        let body = match &self.field {
            Some(field) => json!({ "error": self.message, "field": field }),
            None => json!({ "error": self.message }),
        };
        let mut response = json_response(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"ringmail\""));
        }
        response
    }
}

/// `value` as a JSON response with `status`.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `200` with `value`.
pub fn ok(value: &impl Serialize) -> Result<HttpResponse, ApiError> {
    Ok(json_response(StatusCode::OK, value))
}

/// `200` with bytes of `content_type` (the dashboard's files, the metrics).
pub fn content(content_type: &'static str, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            from: String,
        }
        let error = serde_json::from_str::<Body>("{}").unwrap_err();
        let api = ApiError::json(&error);
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert_eq!(api.field.as_deref(), Some("from"));
        let error = serde_json::from_str::<Body>("{").unwrap_err();
        assert_eq!(ApiError::json(&error).field, None, "a syntax error has no field");
        let unauthorized = ApiError::new(StatusCode::UNAUTHORIZED, "no token").into_response();
        assert!(unauthorized.headers().contains_key(WWW_AUTHENTICATE));
    }
}
