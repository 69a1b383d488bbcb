//! DTOs of the REST API (history, conversations, permissions), served with the same agent
//! token as the WebSocket. Some also travel inside WebSocket messages.

mod call_query;
mod call_record;
mod conversation;
mod kpis;
mod permission;

pub use call_query::{CallQuery, CallQueryError, HistoryView};
pub use call_record::CallRecord;
pub use conversation::{Conversation, ConversationMessage, MessageBody, PermissionReply};
pub use kpis::{AgentDay, KpiReport};
pub use permission::{PermissionState, PermissionStatus, Verdict};
