//! Query-string parsing that names the offending parameter, so that a bad
//! value is a 400 problem rather than a framework's plain-text error.

use chrono::{DateTime, Utc};

use super::error::ApiError;
use crate::cursor::{Cursor, CursorKey};

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The parameter's value; given twice is an error (which one was meant?).
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad(name, "given more than once"));
        }
        Ok(first)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        match self.one("limit")? {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::bad("limit", format!("{v:?} is not an integer from 1 to {max}"))
                }),
        }
    }

    pub fn cursor(&self, key: &CursorKey) -> Result<Option<Cursor>, ApiError> {
        match self.one("cursor")? {
            None | Some("") => Ok(None),
            Some(v) => Cursor::decode(v, key)
                .map(Some)
                .map_err(|e| ApiError::bad("cursor", e.to_string())),
        }
    }

    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        match self.one(name)? {
            None | Some("") => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v.trim())
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| {
                    ApiError::bad(
                        name,
                        format!("{v:?} is not an RFC 3339 time like 2026-11-25T07:30:00+07:00"),
                    )
                }),
        }
    }

    pub fn text(&self, name: &str, max_chars: usize) -> Result<Option<String>, ApiError> {
        match self.one(name)? {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) if v.chars().count() > max_chars => Err(ApiError::bad(
                name,
                format!("longer than {max_chars} characters"),
            )),
            Some(v) => Ok(Some(crate::text::nfc(v.trim()))),
        }
    }
}

/// A positive database id from a path segment or parameter.
pub fn id(name: &str, text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad(name, format!("{text:?} is not a positive integer id")))
}
