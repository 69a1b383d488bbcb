//! Webhook authentication inputs: `verify_signature` (X-Hub-Signature-256) and
//! `verify_subscription` (the `hub.*` GET handshake) with arbitrary secrets, bodies, headers and
//! queries.
//!
//! Asserts:
//! - nothing panics;
//! - the signature `sign_body` makes for a body always verifies, with either hex case and
//!   surrounding whitespace;
//! - a header verifies only if it is that signature (case aside): no forgery is accepted;
//! - the subscription check accepts exactly when the last `hub.mode` is `subscribe`, the last
//!   `hub.verify_token` equals the configured one and a `hub.challenge` is present, and then
//!   echoes the last challenge.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use whatsapp::{sign_body, verify_signature, verify_subscription};

#[derive(Debug, Arbitrary)]
struct Input {
    secret: Vec<u8>,
    body: Vec<u8>,
    header: Option<String>,
    query: Vec<(QueryName, String)>,
    verify_token: String,
}

/// Mostly the three names the handshake reads, so the interesting paths are reached.
#[derive(Debug, Arbitrary)]
enum QueryName {
    Mode,
    Token,
    Challenge,
    Other(String),
}

impl QueryName {
    fn as_str(&self) -> &str {
        match self {
            QueryName::Mode => "hub.mode",
            QueryName::Token => "hub.verify_token",
            QueryName::Challenge => "hub.challenge",
            QueryName::Other(name) => name,
        }
    }
}

fuzz_target!(|input: Input| {
    check_signature(&input);
    check_subscription(&input);
});

fn check_signature(input: &Input) {
    let good = sign_body(&input.secret, &input.body).expect("HMAC-SHA256 takes any key");
    assert_eq!(
        verify_signature(&input.secret, &input.body, Some(&good)),
        Ok(())
    );
    let shouted = format!("sha256={}", good["sha256=".len()..].to_uppercase());
    assert_eq!(
        verify_signature(&input.secret, &input.body, Some(&format!(" {shouted}\t"))),
        Ok(())
    );

    let verdict = verify_signature(&input.secret, &input.body, input.header.as_deref());
    if verdict.is_ok() {
        let header = input.header.as_deref().unwrap_or_default().trim();
        assert!(
            header.eq_ignore_ascii_case(&good) && header.starts_with("sha256="),
            "accepted {header:?}, the signature is {good:?}"
        );
    }
}

fn check_subscription(input: &Input) {
    let query: Vec<(&str, &str)> = input
        .query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let last = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(found, _)| *found == name)
            .map(|(_, value)| *value)
    };
    let expected = match (
        last("hub.mode"),
        last("hub.verify_token"),
        last("hub.challenge"),
    ) {
        (Some("subscribe"), Some(token), Some(challenge)) if token == input.verify_token => {
            Some(challenge.to_owned())
        }
        _ => None,
    };
    let verdict = verify_subscription(query.iter().copied(), &input.verify_token);
    assert_eq!(verdict.clone().ok(), expected, "{verdict:?}");
    if let Err(refusal) = verdict {
        let _ = refusal.to_string();
    }
}
