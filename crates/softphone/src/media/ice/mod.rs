//! STUN and TURN servers for a call's ICE (handed out by the platform in `hello`), and the way
//! each URL reaches webrtc-rs (docs/adr/0016-turn-over-streams.md).
//!
//! webrtc-rs 0.21 speaks TURN over UDP only: it skips `turn:…?transport=tcp` and `turns:` URLs
//! — exactly the ones an agent behind a firewall that blocks UDP needs. So for each such URL
//! the session starts a [`StreamBridge`]: a UDP socket on loopback that webrtc-rs uses as its
//! TURN server, forwarding every STUN/ChannelData datagram over one TCP (or TLS) connection
//! per webrtc-rs socket to the real server, and back (framing per RFC 8656 §12.5 in
//! [`framing`]). The TURN protocol itself — allocation, permissions, channels, refreshes,
//! authentication — stays webrtc-rs's; the bridge only changes the transport under it.
//!
//! Invariants: a URL we cannot use is skipped with a warning, never fails the call (host
//! candidates still work where UDP is open); credentials never appear in `Debug` or logs.

mod bridge;
pub mod framing;

use std::net::IpAddr;
use std::sync::Arc;

use rtc::ice::url::{ProtoType, SchemeType, Url};
use rtc::peer_connection::configuration::RTCIceServer;

pub use bridge::{StreamBridge, StreamTarget};

/// One STUN or TURN server as the platform hands it out (credentials redacted in `Debug`).
pub use protocol::IceServer;

/// How one URL is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// webrtc-rs uses it as it is (`stun:`, `turn:` over UDP).
    Direct(String),
    /// TURN over TCP or TLS, through a [`StreamBridge`].
    Stream(StreamTarget),
    /// Not usable; the reason is logged.
    Skip(String),
}

/// Decide how `raw` is reached. Pure.
pub fn route(raw: &str) -> Route {
    let url = match Url::parse_url(raw) {
        Ok(url) => url,
        Err(e) => return Route::Skip(format!("not a STUN/TURN URL ({e})")),
    };
    match (url.scheme, url.proto) {
        (SchemeType::Stun, _) => Route::Direct(raw.to_owned()),
        (SchemeType::Stuns, _) => Route::Skip("STUN over TLS is not supported".into()),
        (SchemeType::Turn, ProtoType::Udp) => Route::Direct(raw.to_owned()),
        (SchemeType::Turn, ProtoType::Tcp) => Route::Stream(StreamTarget {
            host: url.host,
            port: url.port,
            tls: false,
        }),
        (SchemeType::Turns, ProtoType::Tcp) => Route::Stream(StreamTarget {
            host: url.host,
            port: url.port,
            tls: true,
        }),
        (scheme, proto) => Route::Skip(format!("{scheme} over {proto} is not supported")),
    }
}

/// The servers as webrtc-rs gets them, and the bridges that must live as long as the peer
/// connection.
#[derive(Default)]
pub struct IcePlan {
    pub servers: Vec<RTCIceServer>,
    pub bridges: Vec<StreamBridge>,
}

impl std::fmt::Debug for IcePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcePlan")
            .field(
                "urls",
                &self.servers.iter().map(|s| &s.urls).collect::<Vec<_>>(),
            )
            .field("bridges", &self.bridges.len())
            .finish()
    }
}

/// Turn the configured servers into what webrtc-rs can use, starting a bridge for each TURN
/// URL over TCP/TLS. `bridge_ip` is where bridges listen (loopback of the family webrtc-rs
/// binds); `tls` verifies `turns:` servers (the app's trust: system store + extra CA).
pub async fn plan(
    servers: &[IceServer],
    bridge_ip: IpAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> IcePlan {
    let mut plan = IcePlan::default();
    for server in servers {
        for raw in &server.urls {
            let url = match route(raw) {
                Route::Direct(url) => url,
                Route::Skip(reason) => {
                    tracing::warn!(url = %raw, %reason, "ICE server URL skipped");
                    continue;
                }
                Route::Stream(target) => {
                    if target.tls && tls.is_none() {
                        tracing::warn!(url = %raw, "turns: skipped: no TLS configuration");
                        continue;
                    }
                    match StreamBridge::start(target, bridge_ip, tls.clone()).await {
                        Ok(bridge) => {
                            let url = format!("turn:{}?transport=udp", bridge.local_addr());
                            plan.bridges.push(bridge);
                            url
                        }
                        Err(e) => {
                            tracing::warn!(url = %raw, error = %e, "TURN bridge did not start");
                            continue;
                        }
                    }
                }
            };
            plan.servers.push(RTCIceServer {
                urls: vec![url],
                username: server.username.clone(),
                credential: server.credential.clone(),
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16, tls: bool) -> Route {
        Route::Stream(StreamTarget {
            host: host.into(),
            port,
            tls,
        })
    }

    #[test]
    fn each_url_kind_takes_its_route() {
        let direct = |u: &str| Route::Direct(u.to_owned());
        assert_eq!(
            route("stun:stun.example.com"),
            direct("stun:stun.example.com")
        );
        assert_eq!(
            route("turn:turn.example.com:3478?transport=udp"),
            direct("turn:turn.example.com:3478?transport=udp")
        );
        assert_eq!(
            route("turn:turn.example.com"),
            direct("turn:turn.example.com")
        );
        assert_eq!(
            route("turn:10.0.0.1:3478?transport=tcp"),
            target("10.0.0.1", 3478, false)
        );
        assert_eq!(
            route("turns:turn.example.com:443?transport=tcp"),
            target("turn.example.com", 443, true)
        );
        assert_eq!(
            route("turns:turn.example.com"),
            target("turn.example.com", 5349, true)
        );
        assert!(matches!(route("stuns:stun.example.com"), Route::Skip(_)));
        assert!(matches!(route("https://turn.example.com"), Route::Skip(_)));
        assert!(matches!(route(""), Route::Skip(_)));
    }

    #[test]
    fn credentials_stay_out_of_debug_output() {
        let server = IceServer {
            urls: vec!["turn:t:3478".into()],
            username: "1700000000:agent".into(),
            credential: "s3cr3t-credential".into(),
        };
        assert!(!format!("{server:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn unusable_urls_are_left_out_and_tcp_ones_go_through_a_bridge() {
        let servers = [IceServer {
            urls: vec![
                "stun:127.0.0.1:3478".into(),
                "turn:127.0.0.1:3478?transport=tcp".into(),
                "turns:127.0.0.1:5349?transport=tcp".into(), // no TLS config given
                "nonsense".into(),
            ],
            username: "u".into(),
            credential: "c".into(),
        }];
        let plan = plan(&servers, IpAddr::from([127, 0, 0, 1]), None).await;
        let urls: Vec<&str> = plan.servers.iter().map(|s| s.urls[0].as_str()).collect();
        assert_eq!(plan.bridges.len(), 1);
        let bridge = format!("turn:{}?transport=udp", plan.bridges[0].local_addr());
        assert_eq!(urls, ["stun:127.0.0.1:3478", bridge.as_str()]);
        assert!(plan.servers.iter().all(|s| s.credential == "c"));
    }
}
