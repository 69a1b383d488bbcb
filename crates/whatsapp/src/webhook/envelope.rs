//! The webhook envelope: `{object, entry[{id, changes[{field, value}]}]}`.
//!
//! Every field Meta sends on the `calls`, `messages`, `account_settings_update` and
//! `account_update` fields lands in one [`ChangeValue`] with optional parts, so a batch mixing
//! kinds still parses. Unknown fields are ignored; arrays default to empty.

use serde::{Deserialize, Serialize};

use crate::graph::settings::CallingSettings;
use crate::timestamp::{lenient_u64, UnixTimestamp};
use crate::webhook::call::CallEvent;
use crate::webhook::error::WebhookError;
use crate::webhook::message::InboundMessage;
use crate::webhook::status::StatusUpdate;
use crate::wire_enum::wire_enum;

/// The `object` Meta uses for WhatsApp webhooks.
pub const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

wire_enum! {
    /// The subscription field a change belongs to.
    pub enum ChangeField {
        /// Call connect/terminate events and call statuses.
        Calls => "calls",
        /// Inbound messages (including permission replies) and message statuses.
        Messages => "messages",
        /// Calling settings changed.
        AccountSettingsUpdate => "account_settings_update",
        /// Enforcement (violations, restrictions).
        AccountUpdate => "account_update",
    }
}

/// A webhook POST body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    /// Always `whatsapp_business_account` for WhatsApp.
    #[serde(default = "default_object")]
    pub object: String,
    /// One entry per business account (batches may hold several).
    #[serde(default)]
    pub entry: Vec<Entry>,
}

fn default_object() -> String {
    WHATSAPP_OBJECT.to_owned()
}

/// One `entry[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id.
    #[serde(default)]
    pub id: String,
    /// The changes.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One `changes[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Which subscription field.
    pub field: ChangeField,
    /// The payload.
    pub value: ChangeValue,
}

/// `value.metadata`: which business number the change is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The number as displayed.
    #[serde(default)]
    pub display_phone_number: String,
    /// The Graph id of the number (used in Graph URLs).
    #[serde(default)]
    pub phone_number_id: String,
}

/// `contacts[].profile`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The customer's profile name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The customer's username (BSUID era).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// One `contacts[]` item. Optional on business-initiated webhooks (UNCERTAIN in the reference).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The customer's WhatsApp id (number); may be omitted for username users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_user_id: Option<String>,
}

impl Contact {
    /// A contact with a number and profile name.
    pub fn new(wa_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            profile: Some(Profile {
                name: Some(name.into()),
                username: None,
            }),
            wa_id: Some(wa_id.into()),
            user_id: None,
            parent_user_id: None,
        }
    }

    /// The profile name, if any.
    pub fn name(&self) -> Option<&str> {
        self.profile
            .as_ref()
            .and_then(|profile| profile.name.as_deref())
    }
}

/// `phone_number_settings` of an `account_settings_update` change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumberSettings {
    /// Which number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// The calling settings now in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling: Option<CallingSettings>,
}

/// `violation_info` of an `ACCOUNT_VIOLATION` enforcement change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationInfo {
    /// E.g. `LOW_BUSINESS_INITIATED_CALLING_QUALITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation_type: Option<String>,
}

/// One `restriction_info[]` item of an `ACCOUNT_RESTRICTION` enforcement change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionInfo {
    /// E.g. `RESTRICTED_BUSINESS_INITIATED_CALLING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction_type: Option<String>,
    /// When the restriction ends (unix seconds).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lenient_u64::option"
    )]
    pub expiration: Option<u64>,
}

/// `changes[].value`: the union of everything the calling-related fields carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeValue {
    /// `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// Which business number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The customer(s) involved; may be absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    /// Call events (field `calls`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallEvent>,
    /// Call or message statuses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<StatusUpdate>,
    /// Inbound messages (field `messages`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<InboundMessage>,
    /// Errors at value level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
    /// `account_settings_update` / `account_update`: when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTimestamp>,
    /// `account_settings_update`: `PHONE_NUMBER_SETTINGS` (casing UNCERTAIN; kept verbatim).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub settings_type: Option<String>,
    /// `account_settings_update`: the new settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_settings: Option<PhoneNumberSettings>,
    /// `account_update`: `ACCOUNT_VIOLATION` or `ACCOUNT_RESTRICTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `account_update` violation details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation_info: Option<ViolationInfo>,
    /// `account_update` restriction details.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restriction_info: Vec<RestrictionInfo>,
}

impl ChangeValue {
    /// A value for the given business number with `messaging_product: whatsapp`.
    pub fn for_number(
        phone_number_id: impl Into<String>,
        display_phone_number: impl Into<String>,
    ) -> Self {
        Self {
            messaging_product: Some("whatsapp".to_owned()),
            metadata: Some(Metadata {
                display_phone_number: display_phone_number.into(),
                phone_number_id: phone_number_id.into(),
            }),
            ..Self::default()
        }
    }

    /// Adds a contact.
    pub fn with_contact(mut self, contact: Contact) -> Self {
        self.contacts.push(contact);
        self
    }

    /// Adds a call event.
    pub fn with_call(mut self, call: CallEvent) -> Self {
        self.calls.push(call);
        self
    }

    /// Adds a status.
    pub fn with_status(mut self, status: StatusUpdate) -> Self {
        self.statuses.push(status);
        self
    }

    /// Adds an inbound message.
    pub fn with_message(mut self, message: InboundMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Adds a value-level error.
    pub fn with_error(mut self, error: WebhookError) -> Self {
        self.errors.push(error);
        self
    }

    /// The business number's Graph id, if metadata is present.
    pub fn phone_number_id(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .map(|metadata| metadata.phone_number_id.as_str())
    }

    /// Errors for a call: `calls[].errors` and `value.errors` combined (live payloads repeat them,
    /// so exact duplicates are dropped).
    pub fn errors_for_call<'a>(&'a self, call: &'a CallEvent) -> Vec<&'a WebhookError> {
        let mut combined: Vec<&WebhookError> = Vec::new();
        for error in call.errors.iter().chain(self.errors.iter()) {
            if !combined.contains(&error) {
                combined.push(error);
            }
        }
        combined
    }
}

impl WebhookEnvelope {
    /// An envelope with one entry holding one change.
    pub fn single(waba_id: impl Into<String>, field: ChangeField, value: ChangeValue) -> Self {
        Self {
            object: WHATSAPP_OBJECT.to_owned(),
            entry: vec![Entry {
                id: waba_id.into(),
                changes: vec![Change { field, value }],
            }],
        }
    }

    /// Parses a webhook body.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// Serializes the envelope (for signing and sending).
    pub fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Every change in every entry, in order.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.entry.iter().flat_map(|entry| entry.changes.iter())
    }

    /// Every call event with the value it came in.
    pub fn call_events(&self) -> impl Iterator<Item = (&ChangeValue, &CallEvent)> {
        self.changes().flat_map(|change| {
            change
                .value
                .calls
                .iter()
                .map(move |call| (&change.value, call))
        })
    }

    /// Every status with the value it came in.
    pub fn statuses(&self) -> impl Iterator<Item = (&ChangeValue, &StatusUpdate)> {
        self.changes().flat_map(|change| {
            change
                .value
                .statuses
                .iter()
                .map(move |status| (&change.value, status))
        })
    }

    /// Every inbound message with the value it came in.
    pub fn messages(&self) -> impl Iterator<Item = (&ChangeValue, &InboundMessage)> {
        self.changes().flat_map(|change| {
            change
                .value
                .messages
                .iter()
                .map(move |message| (&change.value, message))
        })
    }
}
