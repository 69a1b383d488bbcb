//! The Graph API client — the only I/O in this crate.
//!
//! Wraps `reqwest` (rustls) with Meta's base URL and API version, the bearer token, timeouts and
//! the retry rules of [`RetryPolicy`]; Meta's error object becomes [`GraphClientError::Meta`]. It
//! works unchanged against the real Graph API and against `wa-sim`.

mod config;
mod error;
mod transport;

use reqwest::{Method, Url};
use serde::Serialize;

pub use config::{GraphConfig, RetryPolicy, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
pub use error::GraphClientError;

use crate::graph::calls::{CallAction, CallActionRequest, ConnectResponse, SuccessResponse};
use crate::graph::messages::{MessagesResponse, OutboundMessage};
use crate::graph::permissions::{CallPermissionsResponse, PermissionSubject};
use crate::graph::settings::{SettingsResponse, SettingsUpdate};
use transport::Idempotency;

/// A Graph API client for one access token.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    config: GraphConfig,
    base: Url,
}

impl GraphClient {
    /// Builds a client; refuses an unusable base URL, version or token.
    pub fn new(config: GraphConfig) -> Result<Self, GraphClientError> {
        let base = Url::parse(&config.base_url).map_err(|error| {
            GraphClientError::Config(format!("base_url {:?}: {error}", config.base_url))
        })?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(GraphClientError::Config(format!(
                "base_url {:?} is not an http(s) URL",
                config.base_url
            )));
        }
        if config.api_version.is_empty() || config.api_version.contains('/') {
            return Err(GraphClientError::Config(format!(
                "api_version {:?} must be one path segment such as v23.0",
                config.api_version
            )));
        }
        if config.access_token.trim().is_empty() {
            return Err(GraphClientError::Config("access_token is empty".to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("ringdesk-whatsapp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| GraphClientError::Config(format!("HTTP client: {error}")))?;
        Ok(Self { http, config, base })
    }

    /// The configuration in use.
    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// `<base>/<version>/<object_id>/<edge>`, with the id percent-encoded as one path segment.
    pub fn endpoint(&self, object_id: &str, edge: &str) -> Result<Url, GraphClientError> {
        if object_id.trim().is_empty() {
            return Err(GraphClientError::InvalidId {
                what: "phone number id",
                value: object_id.to_owned(),
            });
        }
        let mut url = self.base.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| GraphClientError::Config("base_url cannot take a path".to_owned()))?;
            segments
                .pop_if_empty()
                .push(&self.config.api_version)
                .push(object_id)
                .push(edge);
        }
        Ok(url)
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        phone_number_id: &str,
        edge: &str,
        body: &impl Serialize,
        expected: &'static str,
    ) -> Result<T, GraphClientError> {
        let url = self.endpoint(phone_number_id, edge)?;
        let body = serde_json::to_value(body).map_err(|source| GraphClientError::Decode {
            expected: "a serializable request",
            body: String::new(),
            source,
        })?;
        self.execute(
            Method::POST,
            url,
            Some(&body),
            Idempotency::NotIdempotent,
            expected,
        )
        .await
    }

    /// `POST /<id>/calls` with `action: connect`; returns the new call id. Never retried once the
    /// request may have been sent.
    pub async fn connect_call(
        &self,
        phone_number_id: &str,
        request: &CallActionRequest,
    ) -> Result<ConnectResponse, GraphClientError> {
        self.post(phone_number_id, "calls", request, "a connect response")
            .await
    }

    /// `POST /<id>/calls` for pre_accept, accept, reject or terminate. A `connect` is refused
    /// before anything is sent: its answer carries the new call id, which this method could not
    /// return, and a connect that succeeded but looked failed might be repeated — ringing the
    /// customer twice. Use [`GraphClient::connect_call`].
    pub async fn call_action(
        &self,
        phone_number_id: &str,
        request: &CallActionRequest,
    ) -> Result<SuccessResponse, GraphClientError> {
        if request.effective_action() == Some(CallAction::Connect) {
            return Err(GraphClientError::Refused(
                "action connect must be sent with connect_call, which returns the new call id"
                    .to_owned(),
            ));
        }
        self.post(phone_number_id, "calls", request, "a success response")
            .await
    }

    /// `pre_accept` with our SDP answer.
    pub async fn pre_accept(
        &self,
        phone_number_id: &str,
        call_id: &str,
        answer_sdp: &str,
    ) -> Result<SuccessResponse, GraphClientError> {
        self.call_action(
            phone_number_id,
            &CallActionRequest::pre_accept(call_id, answer_sdp),
        )
        .await
    }

    /// `accept` with our SDP answer (the same as in pre_accept).
    pub async fn accept(
        &self,
        phone_number_id: &str,
        call_id: &str,
        answer_sdp: &str,
    ) -> Result<SuccessResponse, GraphClientError> {
        self.call_action(
            phone_number_id,
            &CallActionRequest::accept(call_id, answer_sdp),
        )
        .await
    }

    /// `reject` an incoming call.
    pub async fn reject(
        &self,
        phone_number_id: &str,
        call_id: &str,
    ) -> Result<SuccessResponse, GraphClientError> {
        self.call_action(phone_number_id, &CallActionRequest::reject(call_id))
            .await
    }

    /// `terminate` a call.
    pub async fn terminate(
        &self,
        phone_number_id: &str,
        call_id: &str,
    ) -> Result<SuccessResponse, GraphClientError> {
        self.call_action(phone_number_id, &CallActionRequest::terminate(call_id))
            .await
    }

    /// `POST /<id>/messages` (text, call permission request, call button).
    pub async fn send_message(
        &self,
        phone_number_id: &str,
        message: &OutboundMessage,
    ) -> Result<MessagesResponse, GraphClientError> {
        self.post(phone_number_id, "messages", message, "a messages response")
            .await
    }

    /// `GET /<id>/call_permissions?user_wa_id=…` (or `recipient=…`). Retried when safe.
    pub async fn call_permissions(
        &self,
        phone_number_id: &str,
        subject: &PermissionSubject,
    ) -> Result<CallPermissionsResponse, GraphClientError> {
        let mut url = self.endpoint(phone_number_id, "call_permissions")?;
        let (name, value) = subject.query_pair();
        url.query_pairs_mut().append_pair(name, value);
        self.execute(
            Method::GET,
            url,
            None,
            Idempotency::Idempotent,
            "a call_permissions response",
        )
        .await
    }

    /// `GET /<id>/settings` (with `include_sip_credentials=true` when asked). Retried when safe.
    pub async fn settings(
        &self,
        phone_number_id: &str,
        include_sip_credentials: bool,
    ) -> Result<SettingsResponse, GraphClientError> {
        let mut url = self.endpoint(phone_number_id, "settings")?;
        if include_sip_credentials {
            url.query_pairs_mut()
                .append_pair("include_sip_credentials", "true");
        }
        self.execute(
            Method::GET,
            url,
            None,
            Idempotency::Idempotent,
            "a settings response",
        )
        .await
    }

    /// `POST /<id>/settings`.
    pub async fn update_settings(
        &self,
        phone_number_id: &str,
        update: &SettingsUpdate,
    ) -> Result<SuccessResponse, GraphClientError> {
        self.post(phone_number_id, "settings", update, "a success response")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<GraphClient, GraphClientError> {
        GraphClient::new(GraphConfig::new("token").with_base_url(base))
    }

    #[test]
    fn endpoint_joins_version_and_encodes_the_id() {
        let client = client("https://graph.facebook.com").unwrap();
        assert_eq!(
            client.endpoint("123", "calls").unwrap().as_str(),
            "https://graph.facebook.com/v23.0/123/calls"
        );
        assert_eq!(
            client.endpoint("a/b?c", "calls").unwrap().as_str(),
            "https://graph.facebook.com/v23.0/a%2Fb%3Fc/calls"
        );
        let prefixed = super::tests::client("http://127.0.0.1:9/meta/").unwrap();
        assert_eq!(
            prefixed.endpoint("1", "settings").unwrap().as_str(),
            "http://127.0.0.1:9/meta/v23.0/1/settings"
        );
        assert!(matches!(
            client.endpoint(" ", "calls"),
            Err(GraphClientError::InvalidId { .. })
        ));
    }

    #[test]
    fn refuses_bad_configuration_with_reason() {
        for (config, needle) in [
            (GraphConfig::new("t").with_base_url("not a url"), "base_url"),
            (
                GraphConfig::new("t").with_base_url("ftp://x"),
                "not an http(s) URL",
            ),
            (
                GraphConfig::new("t").with_api_version("v1/../x"),
                "api_version",
            ),
            (GraphConfig::new("  "), "access_token is empty"),
        ] {
            let error = GraphClient::new(config).unwrap_err();
            assert!(error.to_string().contains(needle), "{error}");
        }
    }
}
