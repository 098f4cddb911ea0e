//! Bearer-token check for write endpoints. Without a configured token the
//! write endpoints are closed (403), never open.

use actix_web::HttpRequest;

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
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Compares without returning early, so timing does not reveal the prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_is_equality() {
        assert!(super::constant_time_eq(b"secret", b"secret"));
        assert!(!super::constant_time_eq(b"secret", b"secreT"));
        assert!(!super::constant_time_eq(b"secret", b"secret2"));
        assert!(!super::constant_time_eq(b"", b"x"));
    }
}
