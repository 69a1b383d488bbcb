//! The platform's REST side, shared by every request the engine's owner makes without the
//! engine (history, conversations): one URL rule, one bounded GET, one error mapping.

use std::time::Duration;

use protocol::ProtocolError;
use serde::de::DeserializeOwned;

use super::PhoneError;
use crate::transport::{certificate_problem, PlatformLink};

/// Bound on one REST request.
const TIMEOUT: Duration = Duration::from_secs(15);

fn snake<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// `{platform}{path}` on `link`.
pub(crate) fn endpoint(link: &PlatformLink, path: &str) -> Result<reqwest::Url, PhoneError> {
    link.endpoint(path).map_err(PhoneError::from)
}

/// What went wrong with a request that got no HTTP answer: an untrusted certificate is said
/// as such, everything else is "cannot reach".
fn network_error(e: reqwest::Error) -> PhoneError {
    match certificate_problem(&e) {
        Some(reason) => PhoneError::Certificate(format!(
            "the platform's certificate is not trusted: {reason}"
        )),
        None => PhoneError::Network(e.to_string()),
    }
}

/// GET `url` (made by [`endpoint`] on `link`) with the agent token. A refused token is
/// [`PhoneError::Unauthorized`]; other error statuses are [`PhoneError::Http`] with the
/// platform's code and message.
pub(crate) async fn get_json<T: DeserializeOwned>(
    link: &PlatformLink,
    url: reqwest::Url,
    token: &str,
) -> Result<T, PhoneError> {
    let body = get_bytes(link, url, token, TIMEOUT).await?;
    serde_json::from_slice(&body).map_err(|e| PhoneError::BadResponse(e.to_string()))
}

/// GET `url` with the agent token, the body as it came (errors as for [`get_json`]).
pub(crate) async fn get_bytes(
    link: &PlatformLink,
    url: reqwest::Url,
    token: &str,
    timeout: Duration,
) -> Result<Vec<u8>, PhoneError> {
    let client = link.http_client(timeout)?;
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(network_error)?;
    let status = response.status();
    let body = response.bytes().await.map_err(network_error)?;
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(PhoneError::Unauthorized);
    }
    if !status.is_success() {
        let (code, message) = match serde_json::from_slice::<ProtocolError>(&body) {
            Ok(e) => (snake(&e.code), e.message),
            Err(_) => (
                None,
                String::from_utf8_lossy(&body).chars().take(200).collect(),
            ),
        };
        return Err(PhoneError::Http {
            status: status.as_u16(),
            code,
            message,
        });
    }
    Ok(body.to_vec())
}
