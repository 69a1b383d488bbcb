//! Sending one Graph request with the retry rules of [`RetryPolicy`](super::RetryPolicy).

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::client::error::{truncate_body, GraphClientError};
use crate::client::GraphClient;
use crate::graph::error::GraphErrorBody;

/// Whether a request may be repeated after it possibly reached Meta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// GETs: repeat on any transport failure, 429 and 5xx.
    Idempotent,
    /// POSTs: repeat only when the connection was never established.
    NotIdempotent,
}

fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

impl GraphClient {
    /// Sends the request, applying the retry policy, and decodes a success body as `T`.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        idempotency: Idempotency,
        expected: &'static str,
    ) -> Result<T, GraphClientError> {
        let max_attempts = self.config.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(&self.config.access_token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let may_retry = attempt < max_attempts;
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let nothing_sent = error.is_connect();
                    if may_retry && (nothing_sent || idempotency == Idempotency::Idempotent) {
                        tracing::warn!(%method, path = url.path(), attempt, %error, "Graph request failed; retrying");
                        tokio::time::sleep(self.config.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(GraphClientError::Transport {
                        attempts: attempt,
                        source: error,
                    });
                }
            };
            let status = response.status();
            let bytes = match response.bytes().await {
                Ok(bytes) => bytes,
                Err(error) => {
                    if may_retry && idempotency == Idempotency::Idempotent {
                        tracing::warn!(%method, path = url.path(), attempt, %error, "Graph response cut off; retrying");
                        tokio::time::sleep(self.config.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(GraphClientError::Transport {
                        attempts: attempt,
                        source: error,
                    });
                }
            };
            if status.is_success() {
                return serde_json::from_slice(&bytes).map_err(|source| GraphClientError::Decode {
                    expected,
                    body: truncate_body(&bytes),
                    source,
                });
            }
            if may_retry && idempotency == Idempotency::Idempotent && retryable_status(status) {
                tracing::warn!(%method, path = url.path(), attempt, status = status.as_u16(), "Graph error status; retrying");
                tokio::time::sleep(self.config.retry.backoff(attempt)).await;
                continue;
            }
            return Err(match serde_json::from_slice::<GraphErrorBody>(&bytes) {
                Ok(parsed) => GraphClientError::Meta {
                    status: status.as_u16(),
                    error: Box::new(parsed.error),
                },
                Err(_) => GraphClientError::Http {
                    status: status.as_u16(),
                    body: truncate_body(&bytes),
                },
            });
        }
    }
}
