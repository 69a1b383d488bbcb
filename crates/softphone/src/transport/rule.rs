//! Which platform addresses the app accepts, and how each is protected (pure; no I/O).

use std::net::IpAddr;

use super::LinkError;

/// How a [`super::PlatformLink`] is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `https://` / `wss://`, certificate verified.
    Tls,
    /// Plain `http://` to this machine (the demo, a local test platform).
    PlainLoopback,
    /// Plain `http://` to another host, allowed by the user's explicit "insecure" switch.
    PlainInsecure,
}

/// `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8 and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Parse and check `platform`; `ws(s)://…/ws` endpoints are accepted and mapped back to the
/// `http(s)` base the REST API lives under.
pub(super) fn check(
    platform: &str,
    insecure_http: bool,
) -> Result<(reqwest::Url, Security), LinkError> {
    let bad = |reason: &str| LinkError::BadUrl {
        url: platform.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = platform.trim();
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(bad(
            "no scheme (expected https:// or, for this machine only, http://)",
        ));
    };
    let (scheme, rest) = match scheme.to_ascii_lowercase().as_str() {
        "http" => ("http", rest),
        "https" => ("https", rest),
        "ws" => ("http", rest.strip_suffix("/ws").unwrap_or(rest)),
        "wss" => ("https", rest.strip_suffix("/ws").unwrap_or(rest)),
        other => return Err(bad(&format!("unsupported scheme {other:?}"))),
    };
    let url = reqwest::Url::parse(&format!("{scheme}://{}", rest.trim_end_matches('/')))
        .map_err(|e| bad(&e.to_string()))?;
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_owned(),
        _ => return Err(bad("no host")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials in the URL are not allowed (the token is sent as a header)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a platform URL has no query or fragment"));
    }
    let security = match scheme {
        "https" => Security::Tls,
        _ if is_loopback_host(&host) => Security::PlainLoopback,
        _ if insecure_http => Security::PlainInsecure,
        _ => {
            return Err(LinkError::InsecureRefused {
                url: platform.to_owned(),
            })
        }
    };
    Ok((url, security))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security(url: &str, insecure: bool) -> Result<Security, LinkError> {
        check(url, insecure).map(|(_, s)| s)
    }

    #[test]
    fn loopback_hosts_are_this_machine_only() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "127.0.0.1",
            "127.9.9.9",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.example.com",
            "10.0.0.1",
            "192.168.1.2",
            "ring.example",
            "[::2]",
            "127.0.0.1.nip.io",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn plain_http_is_refused_off_this_machine_unless_asked_for() {
        assert_eq!(security("https://ring.example", false), Ok(Security::Tls));
        assert_eq!(
            security("http://127.0.0.1:8080", false),
            Ok(Security::PlainLoopback)
        );
        assert_eq!(
            security("ws://localhost:1/ws", false),
            Ok(Security::PlainLoopback)
        );
        let refused = security("http://ring.example:8080", false).unwrap_err();
        assert!(matches!(refused, LinkError::InsecureRefused { .. }));
        assert!(refused.to_string().contains("unencrypted"), "{refused}");
        assert_eq!(
            security("http://ring.example:8080", true),
            Ok(Security::PlainInsecure)
        );
        assert_eq!(
            security("ws://10.1.2.3/ws", true),
            Ok(Security::PlainInsecure)
        );
    }

    #[test]
    fn websocket_endpoints_map_back_to_the_rest_base() {
        let (url, _) = check("wss://ring.example/ws", false).unwrap();
        assert_eq!(url.as_str(), "https://ring.example/");
        let (url, _) = check("https://ring.example/prefix/", false).unwrap();
        assert_eq!(url.as_str(), "https://ring.example/prefix");
    }

    #[test]
    fn unusable_urls_say_why() {
        let reason = |url: &str| check(url, true).unwrap_err().to_string();
        assert!(reason("ring.example").contains("no scheme"));
        assert!(reason("ftp://ring.example").contains("ftp"));
        assert!(reason("https://").contains("ring") || reason("https://").contains("host"));
        assert!(reason("https://user:pw@ring.example").contains("credentials"));
        assert!(reason("https://ring.example/?a=1").contains("query"));
    }
}
