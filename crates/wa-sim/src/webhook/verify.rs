//! Meta's webhook subscription handshake (reference §2.1): `GET <callback>?hub.mode=subscribe&
//! hub.challenge=<random>&hub.verify_token=<token>`; the endpoint must answer 200 with the challenge.

use std::time::Duration;

use serde::Serialize;

/// What the business's endpoint answered.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerificationOutcome {
    /// HTTP status, or `None` if the endpoint could not be reached.
    pub status: Option<u16>,
    /// True when the status was 200 and the body was exactly the challenge.
    pub verified: bool,
    /// Why verification failed, when it did.
    pub reason: Option<String>,
}

/// Runs the handshake against `url` with `verify_token` and `challenge`.
pub async fn verify_endpoint(
    url: &str,
    verify_token: &str,
    challenge: &str,
    timeout: Duration,
    extra_ca: Option<&std::path::Path>,
) -> VerificationOutcome {
    // The same trust as webhook deliveries (an https:// URL signed by a test CA).
    let client = match super::delivery::webhook_client(timeout, extra_ca) {
        Ok(client) => client,
        Err(error) => return failed(None, format!("cannot build HTTP client: {error}")),
    };
    let mut target = match reqwest::Url::parse(url) {
        Ok(target) => target,
        Err(error) => return failed(None, format!("webhook URL {url:?} is not a URL: {error}")),
    };
    target
        .query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.challenge", challenge)
        .append_pair("hub.verify_token", verify_token);
    let response = client.get(target).send().await;
    let response = match response {
        Ok(response) => response,
        Err(error) => return failed(None, format!("endpoint unreachable: {error}")),
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status != 200 {
        return failed(
            Some(status),
            format!("endpoint answered {status}, expected 200"),
        );
    }
    if body.trim() != challenge {
        return failed(
            Some(status),
            format!("endpoint answered {body:?}, expected the challenge {challenge:?}"),
        );
    }
    VerificationOutcome {
        status: Some(status),
        verified: true,
        reason: None,
    }
}

fn failed(status: Option<u16>, reason: String) -> VerificationOutcome {
    VerificationOutcome {
        status,
        verified: false,
        reason: Some(reason),
    }
}
