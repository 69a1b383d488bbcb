//! The platform URL the agent is given (`http://host:port`) → its WebSocket endpoint.

use super::SignalingError;

/// `http(s)://host[:port][/]` → `ws(s)://host[:port]/ws`; a `ws(s)://` URL with a path is
/// kept as given.
pub fn ws_url(platform: &str) -> Result<String, SignalingError> {
    let bad = |why: &str| SignalingError::BadUrl {
        url: platform.to_owned(),
        reason: why.to_owned(),
    };
    let (scheme, rest) = platform
        .split_once("://")
        .ok_or_else(|| bad("no scheme (expected http://, https://, ws:// or wss://)"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => return Err(bad(&format!("unsupported scheme {other:?}"))),
    };
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, path.trim_end_matches('/')),
        None => (rest, ""),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let path = if path.is_empty() { "ws" } else { path };
    Ok(format!("{scheme}://{host}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_urls_map_to_the_ws_endpoint() {
        assert_eq!(
            ws_url("http://127.0.0.1:8080").unwrap(),
            "ws://127.0.0.1:8080/ws"
        );
        assert_eq!(
            ws_url("https://ring.example/").unwrap(),
            "wss://ring.example/ws"
        );
        assert_eq!(ws_url("ws://h:1/custom/ws").unwrap(), "ws://h:1/custom/ws");
    }

    #[test]
    fn bad_urls_say_why() {
        assert!(ws_url("127.0.0.1:8080")
            .unwrap_err()
            .to_string()
            .contains("no scheme"));
        assert!(ws_url("ftp://x").unwrap_err().to_string().contains("ftp"));
        assert!(ws_url("http://")
            .unwrap_err()
            .to_string()
            .contains("no host"));
    }
}
