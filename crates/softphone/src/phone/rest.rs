//! The platform's REST side, shared by every request the engine's owner makes without the
//! engine (history, conversations): one URL rule, one bounded GET, one error mapping.

use std::time::Duration;

use protocol::ProtocolError;
use serde::de::DeserializeOwned;

use super::PhoneError;

/// Bound on one REST request.
const TIMEOUT: Duration = Duration::from_secs(15);

fn snake<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// `{platform}{path}`; only `http://` and `https://` platforms.
pub(crate) fn endpoint(platform: &str, path: &str) -> Result<reqwest::Url, PhoneError> {
    let base = platform.trim_end_matches('/');
    let url = reqwest::Url::parse(&format!("{base}{path}"))
        .map_err(|e| PhoneError::Config(format!("platform URL {platform:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(PhoneError::Config(format!(
            "platform URL {platform:?} must start with http:// or https://"
        )));
    }
    Ok(url)
}

/// GET `url` with the agent token. A refused token is [`PhoneError::Unauthorized`]; other
/// error statuses are [`PhoneError::Http`] with the platform's code and message.
pub(crate) async fn get_json<T: DeserializeOwned>(
    url: reqwest::Url,
    token: &str,
) -> Result<T, PhoneError> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| PhoneError::Network(e.to_string()))?;
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| PhoneError::Network(e.to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| PhoneError::Network(e.to_string()))?;
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
    serde_json::from_slice(&body).map_err(|e| PhoneError::BadResponse(e.to_string()))
}
