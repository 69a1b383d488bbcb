//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw webhook body keyed with the App Secret, sent as
//! `sha256=<lowercase hex>`. Verify over the bytes exactly as received, never a re-serialization.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Meta signs webhook POSTs with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header was not sent.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// The header does not start with `sha256=`.
    #[error("X-Hub-Signature-256 does not start with \"sha256=\"")]
    MissingPrefix,
    /// The part after `sha256=` is not hex.
    #[error("X-Hub-Signature-256 is not hexadecimal")]
    NotHex,
    /// The digest does not have 32 bytes.
    #[error("X-Hub-Signature-256 has {found} bytes, expected 32")]
    WrongLength {
        /// Decoded length.
        found: usize,
    },
    /// The HMAC implementation refused the key (cannot happen for HMAC-SHA256).
    #[error("the app secret was refused as an HMAC key")]
    KeyRejected,
    /// The digest does not match the body and secret.
    #[error("X-Hub-Signature-256 does not match the body (wrong app secret or altered body)")]
    Mismatch,
}

fn mac(app_secret: &[u8]) -> Result<HmacSha256, SignatureError> {
    // HMAC-SHA256 accepts keys of any length; the error arm exists only because the trait is
    // shared with fixed-key MACs.
    HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::KeyRejected)
}

/// The header value for a body: `sha256=<lowercase hex>`.
pub fn sign_body(app_secret: &[u8], body: &[u8]) -> Result<String, SignatureError> {
    let mut mac = mac(app_secret)?;
    mac.update(body);
    Ok(format!(
        "{PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Checks a header value against the raw body in constant time. Hex case is accepted either way.
pub fn verify_signature(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex_digest = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::MissingPrefix)?;
    let digest = hex::decode(hex_digest).map_err(|_| SignatureError::NotHex)?;
    if digest.len() != 32 {
        return Err(SignatureError::WrongLength {
            found: digest.len(),
        });
    }
    let mut mac = mac(app_secret)?;
    mac.update(body);
    mac.verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Independently computed: `printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac secret`.
    const BODY: &[u8] = br#"{"a":1}"#;
    const EXPECTED: &str =
        "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494";

    #[test]
    fn signs_with_lowercase_hex_prefix() {
        let header = sign_body(b"secret", BODY).unwrap();
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert_eq!(header, header.to_lowercase());
    }

    #[test]
    fn matches_openssl_vector() {
        assert_eq!(sign_body(b"secret", BODY).unwrap(), EXPECTED);
        assert_eq!(verify_signature(b"secret", BODY, Some(EXPECTED)), Ok(()));
    }

    #[test]
    fn verifies_own_signature_and_refuses_tampering() {
        let header = sign_body(b"secret", BODY).unwrap();
        assert_eq!(verify_signature(b"secret", BODY, Some(&header)), Ok(()));
        assert_eq!(
            verify_signature(b"other", BODY, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"secret", br#"{"a":2}"#, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(
                b"secret",
                BODY,
                Some(&header.to_uppercase().replace("SHA256=", "sha256="))
            ),
            Ok(())
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            verify_signature(b"s", BODY, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(b"s", BODY, Some("abc")),
            Err(SignatureError::MissingPrefix)
        );
        assert_eq!(
            verify_signature(b"s", BODY, Some("sha256=zz")),
            Err(SignatureError::NotHex)
        );
        assert_eq!(
            verify_signature(b"s", BODY, Some("sha256=abcd")),
            Err(SignatureError::WrongLength { found: 2 })
        );
    }
}
