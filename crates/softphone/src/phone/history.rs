//! The call-history REST client: `GET {platform}/api/calls` with the agent token.

use protocol::rest::{CallQuery, CallRecord};

use super::rest::{endpoint, get_bytes, get_json};
use super::PhoneError;
use crate::transport::PlatformLink;

fn snake<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// The URL of the history query: `{platform}/api/calls?view=..&status=..&direction=..&agent=..&from=..&to=..`
/// (only the filters given).
pub(crate) fn history_url(
    link: &PlatformLink,
    query: &CallQuery,
) -> Result<reqwest::Url, PhoneError> {
    filtered_url(link, "/api/calls", query)
}

/// `path` with the query's filters as parameters.
fn filtered_url(
    link: &PlatformLink,
    path: &str,
    query: &CallQuery,
) -> Result<reqwest::Url, PhoneError> {
    let mut url = endpoint(link, path)?;
    let filters = [
        ("view", query.view.as_ref().and_then(snake)),
        ("status", query.status.as_ref().and_then(snake)),
        ("direction", query.direction.as_ref().and_then(snake)),
        ("agent", query.agent.as_ref().map(|a| a.as_str().to_owned())),
        ("from", query.from.as_ref().and_then(snake)),
        ("to", query.to.as_ref().and_then(snake)),
    ];
    if filters.iter().any(|(_, v)| v.is_some()) {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &filters {
            if let Some(value) = value {
                pairs.append_pair(name, value);
            }
        }
    }
    Ok(url)
}

/// The agent's call history as the platform keeps it (newest first, at most one page),
/// filtered by `query`. A refused token is [`PhoneError::Unauthorized`]; other error statuses
/// are [`PhoneError::Http`] with the platform's code and message.
pub async fn call_history(
    link: &PlatformLink,
    token: &str,
    query: &CallQuery,
) -> Result<Vec<CallRecord>, PhoneError> {
    query
        .validate()
        .map_err(|e| PhoneError::Config(e.to_string()))?;
    get_json(link, history_url(link, query)?, token).await
}

/// The whole view `query` selects as CSV (`GET {platform}/api/v1/calls.csv`, the columns the
/// README lists), as the platform streams it: every row, not one page.
pub async fn export_history_csv(
    link: &PlatformLink,
    token: &str,
    query: &CallQuery,
) -> Result<Vec<u8>, PhoneError> {
    query
        .validate()
        .map_err(|e| PhoneError::Config(e.to_string()))?;
    let url = filtered_url(link, "/api/v1/calls.csv", query)?;
    // 100,000 rows are ~20 MB: more time than a JSON page.
    get_bytes(link, url, token, std::time::Duration::from_secs(120)).await
}

/// A call's recording (stereo Ogg/Opus, customer left, agent right), if the agent may hear
/// it: `GET {platform}/api/v1/calls/{id}/recording`. A call without one, or not visible to
/// the agent, is [`PhoneError::Http`] 404 with the platform's message.
pub async fn call_recording(
    link: &PlatformLink,
    token: &str,
    call_id: &str,
) -> Result<Vec<u8>, PhoneError> {
    let mut url = endpoint(link, "/api/v1/calls")?;
    url.path_segments_mut()
        .map_err(|()| PhoneError::Config("the platform URL cannot take a path".into()))?
        .push(call_id)
        .push("recording");
    // An hour of call is ~15 MB: more time than a JSON page.
    get_bytes(link, url, token, std::time::Duration::from_secs(120)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{CallStatus, Direction};

    #[test]
    fn filters_become_query_parameters() {
        let url = history_url(&link("http://127.0.0.1:8080/"), &CallQuery::default()).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/api/calls");
        let from = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00+01:00")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let query = CallQuery {
            view: Some(protocol::rest::HistoryView::Missed),
            status: Some(CallStatus::Missed),
            direction: Some(Direction::Inbound),
            from: Some(from),
            ..CallQuery::default()
        };
        let url = history_url(&link("http://[::1]:9"), &query).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("view".into(), "missed".into()));
        assert_eq!(pairs[1], ("status".into(), "missed".into()));
        assert_eq!(pairs[2], ("direction".into(), "inbound".into()));
        assert_eq!(pairs[3].0, "from");
        let parsed = chrono::DateTime::parse_from_rfc3339(&pairs[3].1).unwrap();
        assert_eq!(parsed, from);
    }

    fn link(url: &str) -> PlatformLink {
        PlatformLink::new(url, &crate::transport::TlsOptions::default()).unwrap()
    }
}
