//! The one place errors become HTTP answers: `application/problem+json`
//! (RFC 9457). Client mistakes are 4xx naming what was wrong; a database
//! that is away is a 503; nothing a client sends is a 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid parameter `{parameter}`: {detail}")]
    BadParameter { parameter: String, detail: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
}

impl ApiError {
    pub fn bad(parameter: &str, detail: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            parameter: parameter.to_owned(),
            detail: detail.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error while answering a request");
        ApiError::Unavailable
    }
}

impl From<crate::sources::SourceError> for ApiError {
    fn from(e: crate::sources::SourceError) -> Self {
        use crate::sources::SourceError as E;
        match e {
            E::InvalidUrl(_) | E::UnsupportedScheme(_) | E::TooLong => {
                ApiError::bad("url", e.to_string())
            }
            E::Duplicate { .. } => ApiError::Conflict(e.to_string()),
            E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::Database(db) => db.into(),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let parameter = match self {
            ApiError::BadParameter { parameter, .. } => Some(parameter.as_str()),
            _ => None,
        };
        problem(status, self.to_string(), parameter)
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
    let body = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        parameter,
    };
    let mut builder = HttpResponse::build(status);
    builder.content_type("application/problem+json");
    if status == StatusCode::UNAUTHORIZED {
        builder.insert_header(("WWW-Authenticate", "Bearer"));
    }
    builder.body(serde_json::to_vec(&body).unwrap_or_default())
}
