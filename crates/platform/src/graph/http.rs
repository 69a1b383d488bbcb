//! [`Graph`] over HTTP with reqwest.

use std::time::Duration;

use serde::Serialize;
use whatsapp::graph::{CallActionRequest, GraphErrorBody, OutboundMessage};

use super::{Graph, GraphFailure, GraphFuture};
use crate::config::Secret;

/// Requests to Meta must not hold a call hostage: Meta's own accept window is ~40 s.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The Graph API at `base_url/version/...`, authenticated with the access token.
#[derive(Clone)]
pub struct HttpGraph {
    client: reqwest::Client,
    base_url: String,
    version: String,
    access_token: Secret,
}

impl HttpGraph {
    pub fn new(base_url: &str, version: &str, access_token: Secret) -> Result<Self, GraphFailure> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| {
                GraphFailure::Transport(format!("cannot build HTTP client: {error}"))
            })?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            version: version.trim_matches('/').to_owned(),
            access_token,
        })
    }

    async fn post<T: Serialize + Sync>(
        &self,
        phone_number_id: &str,
        edge: &str,
        body: &T,
    ) -> Result<(), GraphFailure> {
        let url = format!(
            "{}/{}/{phone_number_id}/{edge}",
            self.base_url, self.version
        );
        let response = self
            .client
            .post(&url)
            .bearer_auth(self.access_token.expose())
            .json(body)
            .send()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url().to_string()))?;
        if status.is_success() {
            return Ok(());
        }
        match serde_json::from_slice::<GraphErrorBody>(&bytes) {
            Ok(body) => Err(GraphFailure::Meta {
                code: body.error.code.code(),
                message: match body.error.details() {
                    Some(details) => format!("{} ({details})", body.error.message),
                    None => body.error.message.clone(),
                },
            }),
            Err(_) => Err(GraphFailure::Transport(format!(
                "HTTP {status} without a Graph error body"
            ))),
        }
    }
}

impl Graph for HttpGraph {
    fn call_action<'a>(
        &'a self,
        phone_number_id: &'a str,
        request: &'a CallActionRequest,
    ) -> GraphFuture<'a> {
        Box::pin(self.post(phone_number_id, "calls", request))
    }

    fn send_message<'a>(
        &'a self,
        phone_number_id: &'a str,
        message: &'a OutboundMessage,
    ) -> GraphFuture<'a> {
        Box::pin(self.post(phone_number_id, "messages", message))
    }
}
