//! What the platform asks of Meta's Graph API: call actions and text messages.
//!
//! The switchboard talks to the [`Graph`] trait so its logic does not depend on HTTP; the one
//! implementation, [`MetaGraph`], sends real requests through the `whatsapp` crate's client to the
//! configured base URL (Meta's, or wa-sim's / a test's fake Graph endpoint).

mod breaker;
mod meta;

pub use breaker::CircuitBreaker;
pub use meta::MetaGraph;

use std::future::Future;
use std::pin::Pin;

use whatsapp::graph::settings::SettingsUpdate;
use whatsapp::graph::{CallActionRequest, OutboundMessage};

/// Why Meta (or the way to it) refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphFailure {
    /// Meta answered with its error object.
    #[error("Meta refused the request: {message} (code {code})")]
    Meta { code: u32, message: String },
    /// The client cannot be built from the settings (no access token, bad base URL...).
    #[error("Graph API client settings are unusable: {0}")]
    Config(String),
    /// No usable answer: network error, timeout, or a body that is not Meta's.
    #[error("Graph API unreachable or answered unexpectedly: {0}")]
    Transport(String),
}

impl GraphFailure {
    /// Meta did not answer at all (network, timeout, a body that is not Meta's): what the
    /// [`CircuitBreaker`] counts.
    pub fn meta_unwell(&self) -> bool {
        matches!(self, GraphFailure::Transport(_))
    }

    /// Meta's error code, when Meta gave one.
    pub fn meta_code(&self) -> Option<u32> {
        match self {
            GraphFailure::Meta { code, .. } => Some(*code),
            GraphFailure::Config(_) | GraphFailure::Transport(_) => None,
        }
    }
}

/// A boxed future, so the trait stays object-safe.
pub type GraphFuture<'a> = Pin<Box<dyn Future<Output = Result<(), GraphFailure>> + Send + 'a>>;

/// A boxed future of a value from Meta (the new call id, the new message id).
pub type GraphIdFuture<'a> =
    Pin<Box<dyn Future<Output = Result<String, GraphFailure>> + Send + 'a>>;

/// A boxed future of Meta's view of a customer's call permission.
pub type GraphGrantFuture<'a> =
    Pin<Box<dyn Future<Output = Result<crate::permissions::Grant, GraphFailure>> + Send + 'a>>;

/// Meta's Graph API as the switchboard needs it.
pub trait Graph: Send + Sync + 'static {
    /// `POST /<phone_number_id>/calls`.
    fn call_action<'a>(
        &'a self,
        phone_number_id: &'a str,
        request: &'a CallActionRequest,
    ) -> GraphFuture<'a>;

    /// `POST /<phone_number_id>/messages`.
    fn send_message<'a>(
        &'a self,
        phone_number_id: &'a str,
        message: &'a OutboundMessage,
    ) -> GraphFuture<'a>;

    /// `POST /<phone_number_id>/calls` with `action: connect`: the new call's id. Never
    /// retried once it may have been sent (a retry could ring the customer twice).
    fn connect_call<'a>(
        &'a self,
        phone_number_id: &'a str,
        request: &'a CallActionRequest,
    ) -> GraphIdFuture<'a>;

    /// `POST /<phone_number_id>/messages`: the new message's id (`wamid.…`).
    fn send_message_id<'a>(
        &'a self,
        phone_number_id: &'a str,
        message: &'a OutboundMessage,
    ) -> GraphIdFuture<'a>;

    /// `GET /<phone_number_id>/call_permissions?user_wa_id=<customer>`: the permission as
    /// Meta holds it.
    fn call_permission<'a>(
        &'a self,
        phone_number_id: &'a str,
        customer_number: &'a str,
    ) -> GraphGrantFuture<'a>;

    /// `POST /<phone_number_id>/settings`: the number's calling settings as Meta should hold
    /// them (call hours are replaced wholesale).
    fn update_settings<'a>(
        &'a self,
        phone_number_id: &'a str,
        update: &'a SettingsUpdate,
    ) -> GraphFuture<'a>;
}
