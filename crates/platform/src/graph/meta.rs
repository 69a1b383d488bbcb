//! [`Graph`] over the `whatsapp` crate's HTTP client (retries, typed Meta errors).

use std::time::Duration;

use whatsapp::client::{GraphClient, GraphClientError, GraphConfig};
use whatsapp::graph::permissions::{Permission, PermissionStatus, PermissionSubject};
use whatsapp::graph::settings::SettingsUpdate;
use whatsapp::graph::{CallActionRequest, OutboundMessage};

use super::{Graph, GraphFailure, GraphFuture, GraphGrantFuture, GraphIdFuture};
use crate::config::Settings;
use crate::permissions::Grant;

/// Requests to Meta must not hold a call hostage: Meta's own accept window is about 40 s.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Meta's Graph API (or wa-sim's, or a test's) at the configured base URL and version.
#[derive(Clone)]
pub struct MetaGraph {
    client: GraphClient,
}

impl MetaGraph {
    pub fn new(settings: &Settings) -> Result<Self, GraphFailure> {
        let config = GraphConfig::new(settings.access_token.expose())
            .with_base_url(settings.graph_base_url.clone())
            .with_api_version(settings.graph_api_version.clone())
            .with_request_timeout(REQUEST_TIMEOUT);
        let client =
            GraphClient::new(config).map_err(|error| GraphFailure::Config(error.to_string()))?;
        Ok(Self { client })
    }
}

fn failure(error: &GraphClientError) -> GraphFailure {
    match error.meta_error() {
        Some(meta) => GraphFailure::Meta {
            code: meta.code.code(),
            message: match meta.details() {
                Some(details) => format!("{} ({details})", meta.message),
                None => meta.message.clone(),
            },
        },
        None => GraphFailure::Transport(error.to_string()),
    }
}

impl Graph for MetaGraph {
    fn call_action<'a>(
        &'a self,
        phone_number_id: &'a str,
        request: &'a CallActionRequest,
    ) -> GraphFuture<'a> {
        Box::pin(async move {
            self.client
                .call_action(phone_number_id, request)
                .await
                .map(|_| ())
                .map_err(|error| failure(&error))
        })
    }

    fn send_message<'a>(
        &'a self,
        phone_number_id: &'a str,
        message: &'a OutboundMessage,
    ) -> GraphFuture<'a> {
        Box::pin(async move {
            self.client
                .send_message(phone_number_id, message)
                .await
                .map(|_| ())
                .map_err(|error| failure(&error))
        })
    }

    fn connect_call<'a>(
        &'a self,
        phone_number_id: &'a str,
        request: &'a CallActionRequest,
    ) -> GraphIdFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .connect_call(phone_number_id, request)
                .await
                .map_err(|error| failure(&error))?;
            response.call_id().map(str::to_owned).ok_or_else(|| {
                GraphFailure::Transport("Meta's connect answer carried no call id".into())
            })
        })
    }

    fn send_message_id<'a>(
        &'a self,
        phone_number_id: &'a str,
        message: &'a OutboundMessage,
    ) -> GraphIdFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .send_message(phone_number_id, message)
                .await
                .map_err(|error| failure(&error))?;
            response.message_id().map(str::to_owned).ok_or_else(|| {
                GraphFailure::Transport("Meta's messages answer carried no message id".into())
            })
        })
    }

    fn call_permission<'a>(
        &'a self,
        phone_number_id: &'a str,
        customer_number: &'a str,
    ) -> GraphGrantFuture<'a> {
        Box::pin(async move {
            let subject = PermissionSubject::WaId(customer_number.to_owned());
            let response = self
                .client
                .call_permissions(phone_number_id, &subject)
                .await
                .map_err(|error| failure(&error))?;
            grant_of(&response.permission)
        })
    }

    fn update_settings<'a>(
        &'a self,
        phone_number_id: &'a str,
        update: &'a SettingsUpdate,
    ) -> GraphFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .update_settings(phone_number_id, update)
                .await
                .map_err(|error| failure(&error))?;
            if response.success {
                Ok(())
            } else {
                Err(GraphFailure::Transport(
                    "Meta answered the settings update with success: false".into(),
                ))
            }
        })
    }
}

/// Meta's `permission` as a [`Grant`]; a temporary one without a usable expiry is not Meta's
/// documented shape and is refused rather than guessed.
fn grant_of(permission: &Permission) -> Result<Grant, GraphFailure> {
    match permission.status {
        PermissionStatus::NoPermission => Ok(Grant::None),
        PermissionStatus::Permanent => Ok(Grant::Permanent),
        PermissionStatus::Temporary => permission
            .expiration_time
            .and_then(|secs| i64::try_from(secs).ok())
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
            .map(|expires_at| Grant::Temporary { expires_at })
            .ok_or_else(|| {
                GraphFailure::Transport(
                    "Meta reported a temporary call permission without a usable expiration_time"
                        .into(),
                )
            }),
        _ => Err(GraphFailure::Transport(format!(
            "Meta reported an unknown call permission status {:?}",
            permission.status
        ))),
    }
}
