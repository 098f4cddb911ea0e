//! Opaque, tamper-checked pagination cursors: a position in a newest-first
//! listing, signed with HMAC-SHA256 under a key kept in the database (so
//! every replica accepts the cursors of the others, across restarts).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

/// A position in a listing: the last item's ordering key and id, and for
/// search results its relevance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: i64,
    pub rank: Option<f32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a cursor this server issued")]
pub struct BadCursor;

/// The signing key.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn from_bytes(bytes: [u8; 32]) -> CursorKey {
        CursorKey(bytes)
    }

    /// The key stored in the database, created on first use.
    pub async fn load_or_create(pool: &PgPool) -> Result<CursorKey, CursorKeyError> {
        let mut fresh = [0u8; 32];
        getrandom::getrandom(&mut fresh).map_err(|e| CursorKeyError::Random(e.to_string()))?;
        sqlx::query("INSERT INTO settings (name, value) VALUES ('cursor_key', $1) ON CONFLICT (name) DO NOTHING")
            .bind(hex::encode(fresh))
            .execute(pool)
            .await?;
        let (stored,): (String,) =
            sqlx::query_as("SELECT value FROM settings WHERE name = 'cursor_key'")
                .fetch_one(pool)
                .await?;
        let mut key = [0u8; 32];
        hex::decode_to_slice(stored.trim(), &mut key).map_err(|_| CursorKeyError::Stored)?;
        Ok(CursorKey(key))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC-SHA256 takes keys of any length; ours is 32 bytes.
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }
}

/// Why the cursor key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CursorKeyError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the system gave no random bytes: {0}")]
    Random(String),
    #[error("the stored cursor key is not 64 hex digits (settings.cursor_key)")]
    Stored,
}

const PREFIX: &str = "c2.";
const MAC_LEN: usize = 12;

impl Cursor {
    pub fn encode(&self, key: &CursorKey) -> String {
        let mut raw = format!("{}.{}", self.at.timestamp_micros(), self.id);
        if let Some(r) = self.rank {
            raw.push_str(&format!(".{:08x}", r.to_bits()));
        }
        let mut mac = key.mac();
        mac.update(raw.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&raw),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        )
    }

    pub fn decode(text: &str, key: &CursorKey) -> Result<Cursor, BadCursor> {
        let body = text.strip_prefix(PREFIX).ok_or(BadCursor)?;
        let (payload, mac) = body.split_once('.').ok_or(BadCursor)?;
        let raw = URL_SAFE_NO_PAD.decode(payload).map_err(|_| BadCursor)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| BadCursor)?;
        if mac.len() != MAC_LEN {
            return Err(BadCursor);
        }
        let mut expected = key.mac();
        expected.update(&raw);
        // Compared in constant time, truncated to the tag we issue.
        expected
            .verify_truncated_left(&mac)
            .map_err(|_| BadCursor)?;
        let raw = String::from_utf8(raw).map_err(|_| BadCursor)?;
        let mut parts = raw.split('.');
        let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or(BadCursor)?;
        let id: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or(BadCursor)?;
        let rank = match parts.next() {
            Some(bits) => Some(f32::from_bits(
                u32::from_str_radix(bits, 16).map_err(|_| BadCursor)?,
            )),
            None => None,
        };
        if parts.next().is_some() {
            return Err(BadCursor);
        }
        let at = Utc.timestamp_micros(micros).single().ok_or(BadCursor)?;
        Ok(Cursor { at, id, rank })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let key = CursorKey::from_bytes([7; 32]);
        let c = Cursor {
            at: Utc.timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: 42,
            rank: None,
        };
        let text = c.encode(&key);
        assert_eq!(Cursor::decode(&text, &key), Ok(c));
        let ranked = Cursor {
            rank: Some(0.607927),
            ..c
        };
        assert_eq!(Cursor::decode(&ranked.encode(&key), &key), Ok(ranked));

        assert_eq!(Cursor::decode("garbage", &key), Err(BadCursor));
        assert_eq!(
            Cursor::decode(&text, &CursorKey::from_bytes([8; 32])),
            Err(BadCursor),
            "other key"
        );
        let (payload, mac) = text.trim_start_matches(PREFIX).split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode("1790000000123456.41");
        assert_ne!(forged_payload, payload);
        assert_eq!(
            Cursor::decode(&format!("{PREFIX}{forged_payload}.{mac}"), &key),
            Err(BadCursor)
        );
    }
}
