//! Typed Graph API requests and responses (what the platform sends and `wa-sim` answers).

pub mod calls;
pub mod error;
pub mod messages;
pub mod permissions;
pub mod settings;

pub use calls::{
    CallAction, CallActionRequest, CallRef, ConnectResponse, SuccessResponse, MESSAGING_PRODUCT,
};
pub use error::{GraphError, GraphErrorBody};
pub use messages::{
    InteractiveAction, InteractiveBody, InteractiveType, MessageContact, MessageRef,
    MessagesResponse, OutboundInteractive, OutboundMessage, OutboundMessageType, OutboundText,
    VoiceCallParameters,
};
pub use permissions::{
    ActionLimit, CallPermissionsResponse, Permission, PermissionAction, PermissionActionName,
    PermissionStatus, PermissionSubject,
};
pub use settings::{
    format_hhmm, parse_hhmm, AudioSettings, CallHours, CallIconVisibility, CallIcons,
    CallingSettings, DayOfWeek, FeatureStatus, HhmmError, Holiday, OperatingHours, Restriction,
    Restrictions, SettingsResponse, SettingsUpdate, SipServer, SipSettings, VoicemailSettings,
};
