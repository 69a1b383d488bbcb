//! Signing and verifying real webhook bodies: the signature covers the raw bytes.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use whatsapp::webhook::WebhookEnvelope;
use whatsapp::{sign_body, verify_signature, SignatureError};

const LIVE: &str = include_str!("fixtures/webhook-uic-connect-live.json");

#[test]
fn simulator_signature_verifies_on_the_platform_side() {
    let header = sign_body(b"app-secret", LIVE.as_bytes()).unwrap();
    assert_eq!(
        verify_signature(b"app-secret", LIVE.as_bytes(), Some(&header)),
        Ok(())
    );
}

#[test]
fn reserialized_body_does_not_verify() {
    // Meta signs the bytes it sent; re-serializing changes whitespace and must not be verified.
    let header = sign_body(b"app-secret", LIVE.as_bytes()).unwrap();
    let envelope: WebhookEnvelope = serde_json::from_str(LIVE).unwrap();
    let reserialized = envelope.to_vec().unwrap();
    assert_ne!(reserialized, LIVE.as_bytes());
    assert_eq!(
        verify_signature(b"app-secret", &reserialized, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn envelope_built_by_the_simulator_signs_and_parses() {
    let envelope: WebhookEnvelope = serde_json::from_str(LIVE).unwrap();
    let body = envelope.to_vec().unwrap();
    let header = sign_body(b"s", &body).unwrap();
    assert_eq!(verify_signature(b"s", &body, Some(&header)), Ok(()));
    assert_eq!(WebhookEnvelope::from_slice(&body).unwrap(), envelope);
}
