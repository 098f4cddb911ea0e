//! Bearer-token check for write endpoints. Without a configured token the
//! write endpoints are closed (403), never open.

use actix_web::HttpRequest;
// Constant time for equal lengths; a length mismatch returns at once,
// which tells only the length of a random token.
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::config::Config;

pub fn require_token(req: &HttpRequest, config: &Config) -> Result<(), ApiError> {
    let Some(expected) = config.server.api_token.as_deref() else {
        return Err(ApiError::Forbidden(format!(
            "write endpoints are disabled: set the {} environment variable to a token to enable them",
            config.server.api_token_env
        )));
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        Some(token) if bool::from(token.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}
