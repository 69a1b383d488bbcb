//! `POST /<PHONE_NUMBER_ID>/calls`: connect, pre_accept, accept, reject, terminate.

use serde::{Deserialize, Serialize};

use crate::session::{SdpType, Session};
use crate::wire_enum::wire_enum;

/// The `messaging_product` value of every request.
pub const MESSAGING_PRODUCT: &str = "whatsapp";

wire_enum! {
    /// The call action (upper-case input seen in one community snippet is accepted).
    pub enum CallAction {
        /// Start a business-initiated call (SDP offer).
        Connect => "connect",
        /// Pre-accept a user-initiated call (SDP answer) so ICE/DTLS can start.
        PreAccept => "pre_accept",
        /// Accept a user-initiated call (same SDP answer as pre_accept).
        Accept => "accept",
        /// Reject a user-initiated call.
        Reject => "reject",
        /// End a call.
        Terminate => "terminate",
    }
}

fn messaging_product() -> String {
    MESSAGING_PRODUCT.to_owned()
}

/// Body of `POST /<PHONE_NUMBER_ID>/calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallActionRequest {
    /// Always `whatsapp`.
    #[serde(default = "messaging_product")]
    pub messaging_product: String,
    /// Customer number (connect); wins over `recipient` if both are given. pipecat also sends it on
    /// pre_accept/accept and Meta tolerates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Customer BSUID (connect), used when `to` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The call (every action but connect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The action. Always emitted; optional on input because chatwoot's connect omits it
    /// (UNCERTAIN) — see [`CallActionRequest::effective_action`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<CallAction>,
    /// The SDP (connect: offer; pre_accept/accept: answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Opaque data (≤ 512 chars) echoed in status and terminate webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
}

impl CallActionRequest {
    fn new(action: CallAction) -> Self {
        Self {
            messaging_product: messaging_product(),
            to: None,
            recipient: None,
            call_id: None,
            action: Some(action),
            session: None,
            biz_opaque_callback_data: None,
        }
    }

    /// `connect` to a customer number with our SDP offer.
    pub fn connect(to: impl Into<String>, offer_sdp: impl Into<String>) -> Self {
        let mut request = Self::new(CallAction::Connect);
        request.to = Some(to.into());
        request.session = Some(Session::offer(offer_sdp));
        request
    }

    /// `connect` to a customer known only by BSUID.
    pub fn connect_to_recipient(
        recipient: impl Into<String>,
        offer_sdp: impl Into<String>,
    ) -> Self {
        let mut request = Self::new(CallAction::Connect);
        request.recipient = Some(recipient.into());
        request.session = Some(Session::offer(offer_sdp));
        request
    }

    /// `pre_accept` with our SDP answer (`sdp_type: "answer"`).
    pub fn pre_accept(call_id: impl Into<String>, answer_sdp: impl Into<String>) -> Self {
        let mut request = Self::new(CallAction::PreAccept);
        request.call_id = Some(call_id.into());
        request.session = Some(Session::answer(answer_sdp));
        request
    }

    /// `accept` with our SDP answer (must equal the pre_accept one).
    pub fn accept(call_id: impl Into<String>, answer_sdp: impl Into<String>) -> Self {
        let mut request = Self::new(CallAction::Accept);
        request.call_id = Some(call_id.into());
        request.session = Some(Session::answer(answer_sdp));
        request
    }

    /// `reject` an incoming call.
    pub fn reject(call_id: impl Into<String>) -> Self {
        let mut request = Self::new(CallAction::Reject);
        request.call_id = Some(call_id.into());
        request
    }

    /// `terminate` a call.
    pub fn terminate(call_id: impl Into<String>) -> Self {
        let mut request = Self::new(CallAction::Terminate);
        request.call_id = Some(call_id.into());
        request
    }

    /// Adds `biz_opaque_callback_data`.
    pub fn with_biz_opaque_callback_data(mut self, data: impl Into<String>) -> Self {
        self.biz_opaque_callback_data = Some(data.into());
        self
    }

    /// The action, inferring `connect` when it is missing but a target and an SDP offer are
    /// present (the chatwoot variant). `None` means the request names no action.
    pub fn effective_action(&self) -> Option<CallAction> {
        if let Some(action) = &self.action {
            return Some(action.clone());
        }
        let has_target = self.to.is_some() || self.recipient.is_some();
        let is_offer = self
            .session
            .as_ref()
            .is_some_and(|session| session.sdp_type == SdpType::Offer);
        (has_target && is_offer).then_some(CallAction::Connect)
    }

    /// Who is called: `to`, else `recipient`.
    pub fn target(&self) -> Option<&str> {
        self.to.as_deref().or(self.recipient.as_deref())
    }
}

/// `{"id": "wacid.…"}` in a connect response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    /// The new call id.
    pub id: String,
}

/// Response to `connect`: `{"messaging_product":"whatsapp","calls":[{"id":"wacid.…"}]}` (an
/// extra `success: true` has been observed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectResponse {
    /// `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The created call.
    #[serde(default)]
    pub calls: Vec<CallRef>,
    /// Sometimes present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

impl ConnectResponse {
    /// The documented response for a new call id.
    pub fn new(call_id: impl Into<String>) -> Self {
        Self {
            messaging_product: Some(messaging_product()),
            calls: vec![CallRef { id: call_id.into() }],
            success: None,
        }
    }

    /// The first call id.
    pub fn call_id(&self) -> Option<&str> {
        self.calls.first().map(|call| call.id.as_str())
    }
}

/// `{"messaging_product":"whatsapp","success":true}` (pre_accept, accept, reject, terminate;
/// settings POST answers `{"success": true}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessResponse {
    /// `whatsapp` (absent on settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// True on success.
    pub success: bool,
}

impl SuccessResponse {
    /// The `/calls` success body.
    pub fn calls_ok() -> Self {
        Self {
            messaging_product: Some(messaging_product()),
            success: true,
        }
    }

    /// The `/settings` success body.
    pub fn settings_ok() -> Self {
        Self {
            messaging_product: None,
            success: true,
        }
    }
}
