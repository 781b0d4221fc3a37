//! One error type for the HTTP API: `{ "error": { "code", "message" } }` with the right status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::{ActionError, Invalid};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `unauthorized`, `not_found`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("{field}: {message}"),
        )
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// Too many sign-in attempts from one address; try again after `wait`.
    pub fn too_many(wait: std::time::Duration) -> ApiError {
        let secs = wait.as_secs() + 1;
        ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many sign-in attempts from this address; try again in {secs} s"),
            )
        }
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            r.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        r.json(ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message.clone(),
            },
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotPermitted(m) => return ApiError::forbidden(m),
            StoreError::Recovering(_) => {
                return ApiError {
                    retry_after: Some(30),
                    ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "recovering", e.to_string())
                };
            }
            _ => {}
        }
        // Logged once here, at the boundary; the client gets no internals.
        tracing::error!(error = %e, "storage error");
        match e {
            StoreError::Connect(_) | StoreError::Task(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable",
            ),
            _ => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> ApiError {
        match e {
            ActionError::Store(s) => s.into(),
            ActionError::Invalid(i) => match i {
                Invalid::NotFound(m) => ApiError::not_found(format!("{m} not found")),
                Invalid::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
                Invalid::Field { field, message } => ApiError::invalid(&field, message),
                Invalid::Forbidden(m) => ApiError::forbidden(m),
            },
        }
    }
}

/// JSON body errors (wrong types, missing fields, too large) become 400/413 with the reason.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            use actix_web::error::JsonPayloadError;
            let api = match &err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "request body is over 64 KiB",
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content_type",
                    "send application/json",
                ),
                other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", other.to_string()),
            };
            api.into()
        })
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", err.to_string()).into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|err, _| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()).into()
    })
}
