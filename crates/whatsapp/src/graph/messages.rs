//! `POST /<PHONE_NUMBER_ID>/messages`: text, interactive `call_permission_request` and the
//! interactive `voice_call` button, plus the messages response.

use serde::{Deserialize, Serialize};

use crate::graph::calls::MESSAGING_PRODUCT;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Outbound message type.
    pub enum OutboundMessageType {
        /// Plain text.
        Text => "text",
        /// Interactive (call permission request, call button).
        Interactive => "interactive",
        /// Template.
        Template => "template",
    }
}

wire_enum! {
    /// Interactive message kind.
    pub enum InteractiveType {
        /// Ask the customer for call permission.
        CallPermissionRequest => "call_permission_request",
        /// A "call us" button.
        VoiceCall => "voice_call",
    }
}

/// `text` of an outbound text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundText {
    /// The text.
    pub body: String,
    /// Link previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<bool>,
}

/// `interactive.body`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractiveBody {
    /// The customisable text.
    pub text: String,
}

/// `interactive.action.parameters` of a `voice_call` button.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceCallParameters {
    /// Button label, ≤ 20 chars (Meta's default "Call Now").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_text: Option<String>,
    /// Validity, 1–43200 minutes (default 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// ≤ 512 chars, returned as `cta_payload` in call webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// `interactive.action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractiveAction {
    /// `call_permission_request` or `voice_call`.
    pub name: String,
    /// Button parameters (`voice_call`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<VoiceCallParameters>,
}

/// `interactive` of an outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundInteractive {
    /// The kind.
    #[serde(rename = "type")]
    pub interactive_type: InteractiveType,
    /// Optional body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<InteractiveBody>,
    /// The action.
    pub action: InteractiveAction,
}

/// Body of `POST /<PHONE_NUMBER_ID>/messages` (the kinds the calling product sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// `individual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    /// Customer number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Customer BSUID (when no number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// Message type.
    #[serde(rename = "type")]
    pub message_type: OutboundMessageType,
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<OutboundText>,
    /// Interactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<OutboundInteractive>,
}

impl OutboundMessage {
    fn new(to: String, message_type: OutboundMessageType) -> Self {
        Self {
            messaging_product: MESSAGING_PRODUCT.to_owned(),
            recipient_type: Some("individual".to_owned()),
            to: Some(to),
            recipient: None,
            message_type,
            text: None,
            interactive: None,
        }
    }

    /// A text message.
    pub fn text(to: impl Into<String>, body: impl Into<String>) -> Self {
        let mut message = Self::new(to.into(), OutboundMessageType::Text);
        message.text = Some(OutboundText {
            body: body.into(),
            preview_url: None,
        });
        message
    }

    /// A free-form `call_permission_request` (body text optional).
    pub fn call_permission_request(to: impl Into<String>, body: Option<String>) -> Self {
        let mut message = Self::new(to.into(), OutboundMessageType::Interactive);
        message.interactive = Some(OutboundInteractive {
            interactive_type: InteractiveType::CallPermissionRequest,
            body: body.map(|text| InteractiveBody { text }),
            action: InteractiveAction {
                name: "call_permission_request".to_owned(),
                parameters: None,
            },
        });
        message
    }

    /// A `voice_call` button message.
    pub fn voice_call_button(
        to: impl Into<String>,
        body: impl Into<String>,
        parameters: VoiceCallParameters,
    ) -> Self {
        let mut message = Self::new(to.into(), OutboundMessageType::Interactive);
        message.interactive = Some(OutboundInteractive {
            interactive_type: InteractiveType::VoiceCall,
            body: Some(InteractiveBody { text: body.into() }),
            action: InteractiveAction {
                name: "voice_call".to_owned(),
                parameters: Some(parameters),
            },
        });
        message
    }

    /// Also address the customer by BSUID.
    pub fn with_recipient(mut self, bsuid: impl Into<String>) -> Self {
        self.recipient = Some(bsuid.into());
        self
    }

    /// The interactive kind, if interactive.
    pub fn interactive_type(&self) -> Option<&InteractiveType> {
        self.interactive
            .as_ref()
            .map(|interactive| &interactive.interactive_type)
    }
}

/// `contacts[]` of a messages response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContact {
    /// What was sent as `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The resolved WhatsApp id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_user_id: Option<String>,
}

/// `messages[]` of a messages response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// The new message id (`wamid.…`).
    pub id: String,
    /// Sometimes present (`accepted`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_status: Option<String>,
}

/// Response of `POST /messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesResponse {
    /// `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The resolved recipient(s).
    #[serde(default)]
    pub contacts: Vec<MessageContact>,
    /// The created message(s).
    #[serde(default)]
    pub messages: Vec<MessageRef>,
}

impl MessagesResponse {
    /// The documented response for one sent message.
    pub fn new(
        input: impl Into<String>,
        wa_id: impl Into<String>,
        message_id: impl Into<String>,
    ) -> Self {
        Self {
            messaging_product: Some(MESSAGING_PRODUCT.to_owned()),
            contacts: vec![MessageContact {
                input: Some(input.into()),
                wa_id: Some(wa_id.into()),
                user_id: None,
                parent_user_id: None,
            }],
            messages: vec![MessageRef {
                id: message_id.into(),
                message_status: None,
            }],
        }
    }

    /// The first message id.
    pub fn message_id(&self) -> Option<&str> {
        self.messages.first().map(|message| message.id.as_str())
    }
}
