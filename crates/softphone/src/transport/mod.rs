//! How the app reaches the platform: one [`PlatformLink`] per signed-in platform, shared by the
//! WebSocket (signaling) and every REST request, so both obey the same rules.
//!
//! - `https://` / `wss://` are verified with the operating system's trust store (through
//!   `rustls-platform-verifier`: the keychain on macOS, the certificate store on Windows,
//!   `/etc/ssl` on Linux) plus, optionally, one extra CA file for a company's own PKI.
//! - `http://` / `ws://` carry agent tokens and customer data in clear text, so they are refused
//!   for any host but this machine's loopback unless the user turned on
//!   [`TlsOptions::insecure_http`] on purpose.
//! - A certificate the app does not trust is reported as such
//!   ([`crate::signaling::SignalingError::Certificate`], [`crate::phone::PhoneError::Certificate`]),
//!   never as a plain "cannot connect".

mod classify;
mod rule;
mod tls;

use std::path::PathBuf;
use std::sync::Arc;

pub use classify::certificate_problem;
pub use rule::{is_loopback_host, Security};

/// The user's transport choices (the desktop app's settings, the agent's flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file with one or more extra CA certificates to trust besides the system's.
    pub extra_ca: Option<PathBuf>,
    /// Allow `http://` to a host other than loopback (tokens cross the network in clear text).
    pub insecure_http: bool,
}

/// Why a platform address or the TLS setup cannot be used. Every variant says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("platform URL {url:?} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("platform URL {url:?} is plain http:// to another machine: agent tokens and customer data would cross the network unencrypted. Use https://, or turn on \"allow insecure http\" if you really mean it")]
    InsecureRefused { url: String },
    #[error("the extra CA file {path}: {reason}")]
    ExtraCa { path: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// The TLS client configuration the app trusts servers with (system store + the extra CA),
/// for connections besides the platform's own: `turns:` TURN servers.
pub fn client_config(options: &TlsOptions) -> Result<Arc<rustls::ClientConfig>, LinkError> {
    tls::client_config(options.extra_ca.as_deref())
}

/// A checked platform address with the TLS configuration to reach it.
#[derive(Clone)]
pub struct PlatformLink {
    base: reqwest::Url,
    security: Security,
    /// `None` for plain `http://` (loopback or allowed insecure).
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for PlatformLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformLink")
            .field("base", &self.base.as_str())
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl PlatformLink {
    /// Check `platform` (`http(s)://host[:port][/prefix]`, or a `ws(s)://` endpoint) against
    /// the rules above and prepare TLS for it.
    pub fn new(platform: &str, options: &TlsOptions) -> Result<Self, LinkError> {
        let (base, security) = rule::check(platform, options.insecure_http)?;
        let tls = match security {
            Security::Tls => Some(tls::client_config(options.extra_ca.as_deref())?),
            Security::PlainLoopback | Security::PlainInsecure => None,
        };
        Ok(Self {
            base,
            security,
            tls,
        })
    }

    /// How this link is protected.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The platform's base URL as given (normalised to `http(s)`, no trailing slash).
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `{base}{path}` for a REST request (`path` starts with `/`).
    pub fn endpoint(&self, path: &str) -> Result<reqwest::Url, LinkError> {
        let joined = format!("{}{path}", self.base());
        reqwest::Url::parse(&joined).map_err(|e| LinkError::BadUrl {
            url: joined,
            reason: e.to_string(),
        })
    }

    /// The WebSocket endpoint: `ws(s)://host[:port][/prefix]/ws`.
    pub fn ws_url(&self) -> String {
        let scheme = match self.base.scheme() {
            "https" => "wss",
            _ => "ws",
        };
        let rest = self
            .base()
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        format!("{scheme}://{rest}/ws")
    }

    /// The rustls configuration for `wss://` (None for plain links).
    pub(crate) fn tls(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    /// An HTTP client for this link with `timeout` per request. Plain links get a client that
    /// never speaks TLS; TLS links one with exactly this link's trust.
    pub fn http_client(&self, timeout: std::time::Duration) -> Result<reqwest::Client, LinkError> {
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            // Redirects could take the token to another host or down to http.
            .redirect(reqwest::redirect::Policy::none());
        let builder = match &self.tls {
            Some(config) => builder.tls_backend_preconfigured((**config).clone()),
            None => builder,
        };
        builder.build().map_err(|e| LinkError::Tls(e.to_string()))
    }
}

/// Bound on TCP connect + TLS handshake + WebSocket upgrade (a black-holed platform must not
/// hold reconnecting up for minutes).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
