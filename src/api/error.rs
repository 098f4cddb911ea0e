//! The one place errors become HTTP answers: `application/problem+json`
//! (RFC 9457). Client mistakes are 4xx naming what was wrong; a database
//! that cannot be reached is a 503 with `Retry-After`; anything else
//! unexpected (a bug, not an outage) is a 500 whose body names only the
//! request id, under which the log has the cause. Nothing a client sends
//! is a 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid parameter `{parameter}`: {detail}")]
    BadParameter { parameter: String, detail: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but what it names cannot be used (a page with no feed).
    #[error("{0}")]
    Unprocessable(String),
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    #[error("{detail}")]
    RateLimited {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("an unexpected error; the server's log has its cause under request id {request_id}")]
    Internal { request_id: String },
}

tokio::task_local! {
    /// The id of the request being answered (see `startup`), for errors
    /// and their log lines.
    pub static REQUEST_ID: String;
}

/// The current request's id, or "-" outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// Seconds a client is asked to wait when the database is away.
const RETRY_AFTER_SECS: u32 = 5;

impl ApiError {
    pub fn bad(parameter: &str, detail: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            parameter: parameter.to_owned(),
            detail: detail.into(),
        }
    }

    /// A bug, not the client's doing: logged with its cause under the
    /// request id, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let request_id = request_id();
        tracing::error!(%request_id, error = %cause, "unexpected error while answering a request");
        ApiError::Internal { request_id }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if is_unreachable(&e) {
            tracing::warn!(request_id = %request_id(), error = %e, "the database cannot be reached");
            ApiError::Unavailable
        } else {
            ApiError::internal(format_args!("database: {e}"))
        }
    }
}

/// Whether a database error means "not reachable now" (an outage a retry
/// may outlive) rather than a mistake in what we asked (a bug).
fn is_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (the
        // server shutting down or starting), 53300 (too many connections).
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl From<crate::domain::Invalid> for ApiError {
    fn from(i: crate::domain::Invalid) -> Self {
        ApiError::bad(i.field, i.reason)
    }
}

impl From<crate::sources::SourceError> for ApiError {
    fn from(e: crate::sources::SourceError) -> Self {
        use crate::sources::SourceError as E;
        match e {
            E::Invalid(i) => i.into(),
            E::Duplicate { .. } => ApiError::Conflict(e.to_string()),
            E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::Database(db) => db.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (parameter, request_id) = match self {
            ApiError::BadParameter { parameter, .. } => (Some(parameter.as_str()), None),
            ApiError::Internal { request_id } => (None, Some(request_id.as_str())),
            _ => (None, None),
        };
        let mut res = problem_with(status, self.to_string(), parameter, request_id);
        let retry_after = match self {
            ApiError::Unavailable => Some(u64::from(RETRY_AFTER_SECS)),
            ApiError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        if let Some(secs) = retry_after {
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(secs),
            );
        }
        res
    }
}

/// Turns error responses the framework made itself (a payload too large, a
/// method not allowed, ...) into problem+json like ours; responses that
/// already are problems pass through.
pub fn as_problem<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    // Problems pass through, and so do the HTML pages' own error pages.
    let is_problem = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = format!(
        "{} {}: {}",
        res.request().method(),
        res.request().path(),
        status.canonical_reason().unwrap_or("error")
    );
    let (req, _) = res.into_parts();
    let response = problem(status, detail, None);
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// A problem+json answer.
pub fn problem(status: StatusCode, detail: String, parameter: Option<&str>) -> HttpResponse {
    problem_with(status, detail, parameter, None)
}

fn problem_with(
    status: StatusCode,
    detail: String,
    parameter: Option<&str>,
    request_id: Option<&str>,
) -> HttpResponse {
    let body = super::responses::Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        parameter: parameter.map(str::to_owned),
        request_id: request_id.map(str::to_owned),
    };
    let mut builder = HttpResponse::build(status);
    builder.content_type("application/problem+json");
    if status == StatusCode::UNAUTHORIZED {
        builder.insert_header(("WWW-Authenticate", "Bearer"));
    }
    builder.body(serde_json::to_vec(&body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreachable_databases_are_outages() {
        assert!(is_unreachable(&sqlx::Error::PoolClosed));
        assert!(is_unreachable(&sqlx::Error::PoolTimedOut));
        assert!(is_unreachable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unreachable(&sqlx::Error::RowNotFound));
        assert!(!is_unreachable(&sqlx::Error::ColumnNotFound("x".into())));
        assert!(!is_unreachable(&sqlx::Error::Protocol("odd".into())));
    }

    #[test]
    fn an_internal_error_names_the_request_and_nothing_else() {
        let e = REQUEST_ID.sync_scope("abc123".to_owned(), || {
            ApiError::from(sqlx::Error::ColumnNotFound("secret_column".into()))
        });
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(e.to_string().contains("abc123"), "{e}");
        assert!(!e.to_string().contains("secret_column"), "{e}");
        let outage = ApiError::from(sqlx::Error::PoolClosed).error_response();
        assert_eq!(outage.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            outage.headers().get("retry-after").map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
    }
}
