//! HMAC signatures on bodies we send and receive: `X-Tributary-Signature`
//! on webhook deliveries (`sha256=<hex>`) and WebSub's `X-Hub-Signature`
//! (`sha1=`, `sha256=`, `sha384=`, `sha512=`), checked in constant time.

use hmac::{Hmac, Mac};

/// A header value `method=<hex>` for `body` under `secret`.
pub fn sign(method: Method, secret: &[u8], body: &[u8]) -> String {
    format!(
        "{}={}",
        method.name(),
        hex::encode(digest(method, secret, body))
    )
}

/// Whether `header` (`method=<hex>`) is the signature of `body` under
/// `secret`. An unknown method, bad hex or a wrong digest is `false`.
pub fn verify(header: &str, secret: &[u8], body: &[u8]) -> bool {
    let Some((name, hex_digest)) = header.trim().split_once('=') else {
        return false;
    };
    let Some(method) = Method::from_name(name) else {
        return false;
    };
    let Ok(given) = hex::decode(hex_digest.trim()) else {
        return false;
    };
    use subtle::ConstantTimeEq;
    let expected = digest(method, secret, body);
    expected.len() == given.len() && bool::from(expected.ct_eq(&given))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Sha1 => "sha1",
            Method::Sha256 => "sha256",
            Method::Sha384 => "sha384",
            Method::Sha512 => "sha512",
        }
    }

    fn from_name(name: &str) -> Option<Method> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sha1" => Some(Method::Sha1),
            "sha256" => Some(Method::Sha256),
            "sha384" => Some(Method::Sha384),
            "sha512" => Some(Method::Sha512),
            _ => None,
        }
    }
}

fn digest(method: Method, secret: &[u8], body: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(secret: &[u8], body: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length: new_from_slice cannot fail for it.
        match <M as hmac::digest::KeyInit>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(body);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match method {
        Method::Sha1 => run::<Hmac<sha1::Sha1>>(secret, body),
        Method::Sha256 => run::<Hmac<sha2::Sha256>>(secret, body),
        Method::Sha384 => run::<Hmac<sha2::Sha384>>(secret, body),
        Method::Sha512 => run::<Hmac<sha2::Sha512>>(secret, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hmac_sha256_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(Method::Sha256, b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn every_websub_method_verifies_and_a_changed_byte_does_not() {
        let body = "Tin mới: Hải Phòng".as_bytes();
        for m in [Method::Sha1, Method::Sha256, Method::Sha384, Method::Sha512] {
            let header = sign(m, b"k", body);
            assert!(verify(&header, b"k", body), "{header}");
            assert!(verify(
                &header.to_uppercase().replacen("SHA", "sha", 1),
                b"k",
                body
            ));
            assert!(!verify(&header, b"other", body));
            assert!(!verify(&header, b"k", "Tin mới: Hai Phòng".as_bytes()));
        }
        for bad in ["", "sha256", "md5=00", "sha256=zz", "sha256=", "sha256=00"] {
            assert!(!verify(bad, b"k", body), "{bad}");
        }
    }
}
