//! Framing: one JSON object per WebSocket text frame, `{"v": 1, "type": "...", ...fields}`.
//!
//! Decoding checks, in order: size, JSON syntax, object shape, version, type, then the body;
//! the first failure is returned as a [`DecodeError`] that names what was wrong. It never
//! panics, whatever the input.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    ClientMessage, ErrorCode, ProtocolError, Reply, RequestId, ServerMessage, PROTOCOL_VERSION,
};

/// Largest frame either side accepts: SDPs are a few KB, texts at most 4096 characters, but a
/// `hello` or `conversation_updated` may carry many of them.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// A message type that can be framed: knows its own list of `type` values.
pub trait WireMessage: Serialize + DeserializeOwned {
    /// Every `type` value of this direction.
    fn known_types() -> &'static [&'static str];
}

impl WireMessage for ClientMessage {
    fn known_types() -> &'static [&'static str] {
        &ClientMessage::TYPES
    }
}

impl WireMessage for ServerMessage {
    fn known_types() -> &'static [&'static str] {
        &ServerMessage::TYPES
    }
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame is {len} bytes, the maximum is {max}")]
    TooLarge { len: usize, max: usize },
    #[error("frame is not valid JSON: {reason}")]
    MalformedJson { reason: String },
    #[error("frame must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("frame has no protocol version field \"v\"")]
    MissingVersion,
    #[error("protocol version {found} is not supported; this side speaks version {supported}")]
    UnsupportedVersion { found: String, supported: u32 },
    #[error("frame has no string field \"type\"")]
    MissingType,
    #[error("unknown message type {found:?}")]
    UnknownType { found: String },
    #[error("invalid {message_type} message: {reason}")]
    InvalidBody {
        message_type: String,
        /// The frame's `request_id`, when it had a valid one, so the refusal can be a `reply`.
        request_id: Option<RequestId>,
        reason: String,
    },
}

impl DecodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::TooLarge { .. } => ErrorCode::FrameTooLarge,
            DecodeError::MalformedJson { .. } | DecodeError::NotAnObject { .. } => {
                ErrorCode::MalformedJson
            }
            DecodeError::MissingVersion | DecodeError::UnsupportedVersion { .. } => {
                ErrorCode::UnsupportedVersion
            }
            DecodeError::MissingType | DecodeError::UnknownType { .. } => {
                ErrorCode::UnknownMessageType
            }
            DecodeError::InvalidBody { .. } => ErrorCode::InvalidMessage,
        }
    }

    /// The request this refusal answers, if the frame named one validly.
    pub fn request_id(&self) -> Option<&RequestId> {
        match self {
            DecodeError::InvalidBody { request_id, .. } => request_id.as_ref(),
            _ => None,
        }
    }

    /// The refusal as sent back to the peer.
    pub fn to_protocol_error(&self) -> ProtocolError {
        ProtocolError::new(self.code(), self.to_string())
    }

    /// What the platform sends back for an app frame it could not decode: a `reply` when the
    /// frame named a valid request id (so the app can fail that request), else an `error`.
    pub fn to_server_message(&self) -> ServerMessage {
        match self.request_id() {
            Some(request_id) => {
                ServerMessage::Reply(Reply::error(request_id.clone(), self.to_protocol_error()))
            }
            None => ServerMessage::Error(self.to_protocol_error()),
        }
    }
}

/// Serializing failed; only possible with a bug in a hand-written `Serialize`.
#[derive(Debug, thiserror::Error)]
#[error("could not encode message: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

#[derive(Serialize)]
struct Envelope<'a, M> {
    v: u32,
    #[serde(flatten)]
    message: &'a M,
}

/// Encodes one message as a frame of the current [`PROTOCOL_VERSION`].
pub fn encode<M: WireMessage>(message: &M) -> Result<String, EncodeError> {
    Ok(serde_json::to_string(&Envelope {
        v: PROTOCOL_VERSION,
        message,
    })?)
}

/// Decodes a frame the app sent.
pub fn decode_client(frame: &str) -> Result<ClientMessage, DecodeError> {
    decode(frame)
}

/// Decodes a frame the platform sent.
pub fn decode_server(frame: &str) -> Result<ServerMessage, DecodeError> {
    decode(frame)
}

/// Decodes one frame into a message of direction `M`.
pub fn decode<M: WireMessage>(frame: &str) -> Result<M, DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge {
            len: frame.len(),
            max: MAX_FRAME_BYTES,
        });
    }
    let value: Value = serde_json::from_str(frame).map_err(|e| DecodeError::MalformedJson {
        reason: e.to_string(),
    })?;
    let mut object = match value {
        Value::Object(object) => object,
        other => {
            return Err(DecodeError::NotAnObject {
                found: json_kind(&other),
            })
        }
    };
    check_version(object.remove("v"))?;
    let message_type = match object.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ => return Err(DecodeError::MissingType),
    };
    if !M::known_types().contains(&message_type.as_str()) {
        return Err(DecodeError::UnknownType {
            found: message_type,
        });
    }
    let request_id = request_id_of(&object);
    serde_json::from_value(Value::Object(object)).map_err(|e| DecodeError::InvalidBody {
        message_type,
        request_id,
        reason: e.to_string(),
    })
}

fn check_version(v: Option<Value>) -> Result<(), DecodeError> {
    match v {
        None => Err(DecodeError::MissingVersion),
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => Ok(()),
        Some(other) => Err(DecodeError::UnsupportedVersion {
            found: other.to_string(),
            supported: PROTOCOL_VERSION,
        }),
    }
}

fn request_id_of(object: &Map<String, Value>) -> Option<RequestId> {
    match object.get("request_id") {
        Some(Value::String(id)) => RequestId::new(id.clone()).ok(),
        _ => None,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
