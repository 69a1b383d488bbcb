//! What an agent sends a customer besides a call: a call-permission request and a text. Both
//! are refused with a stable code and the reason before anything reaches Meta (the rules are
//! the pure ledger's); otherwise the Graph request runs in its own task, the message is kept in
//! the conversation, and the answer comes back as [`Command::OutreachDone`], which replies to
//! the app and pushes the new permission state and conversation.

use std::collections::HashSet;

use protocol::{ErrorCode, ProtocolError, Reply, ReplyResult, RequestId, ServerMessage};
use whatsapp::graph::OutboundMessage;

use super::{Command, Switchboard};
use crate::calls::may_act;
use crate::permissions::PermissionEvent;
use crate::store::conversations::{MessageKind, StoredMessage};
use crate::store::permissions::PermissionFact;
use crate::store::time::now_ms;

/// The body of the interactive permission request (Meta shows its own buttons below it).
pub const PERMISSION_REQUEST_TEXT: &str =
    "We would like to call you about your conversation with us. May we?";

/// What an agent asked to send.
#[derive(Debug, Clone)]
pub enum Outreach {
    PermissionRequest,
    Text(String),
}

/// A finished outreach, back on the switchboard's loop.
#[derive(Debug)]
pub struct OutreachDone {
    pub agent_id: String,
    pub request_id: RequestId,
    pub result: Result<(), ProtocolError>,
    /// The conversation's pair, to announce and to free for the next permission request.
    pub phone_number_id: String,
    pub customer_number: String,
    pub was_permission_request: bool,
}

/// Pairs with a permission request on its way to Meta (a second one waits for the first).
pub type InFlight = HashSet<(String, String)>;

impl Switchboard {
    /// Checks the request and, if the rules allow it, sends it in its own task.
    pub(super) async fn outreach(
        &mut self,
        agent_id: String,
        connection_id: u64,
        request_id: RequestId,
        conversation_id: &str,
        what: Outreach,
    ) {
        if !self.is_current(&agent_id, connection_id) {
            return;
        }
        let refuse = |code: ErrorCode, message: String| ProtocolError::new(code, message);
        let facts =
            match crate::conversation_view::facts(&self.store, &self.settings, conversation_id)
                .await
            {
                Ok(facts) => facts,
                Err(error) => {
                    tracing::error!(%error, "conversation not readable for an agent's request");
                    return self.reply(
                        &agent_id,
                        request_id,
                        Err(refuse(
                            ErrorCode::InternalError,
                            "the platform could not read the conversation; retry".into(),
                        )),
                    );
                }
            };
        let Some(conversation) = facts else {
            return self.reply(
                &agent_id,
                request_id,
                Err(refuse(
                    ErrorCode::UnknownConversation,
                    format!("no conversation {conversation_id}"),
                )),
            );
        };
        if let Err((code, message)) = may_act(&agent_id, &conversation) {
            return self.reply(&agent_id, request_id, Err(refuse(code, message)));
        }
        let now = chrono::Utc::now();
        let pair = (
            conversation.phone_number_id.clone(),
            conversation.customer.number.as_str().to_owned(),
        );
        let customer = pair.1.clone();
        let message = match &what {
            Outreach::PermissionRequest => {
                if let Err(refusal) = conversation.ledger.can_request(now) {
                    return self.reply(&agent_id, request_id, Err(refusal.to_protocol_error()));
                }
                if !self.permission_requests.insert(pair.clone()) {
                    return self.reply(
                        &agent_id,
                        request_id,
                        Err(refuse(
                            ErrorCode::PermissionRequestLimitReached,
                            "a permission request to this customer is already on its way".into(),
                        )),
                    );
                }
                OutboundMessage::call_permission_request(
                    customer.clone(),
                    Some(PERMISSION_REQUEST_TEXT.into()),
                )
            }
            Outreach::Text(text) => {
                if conversation.ledger.service_window_closes_at(now).is_none() {
                    return self.reply(&agent_id, request_id, Err(refuse(ErrorCode::CustomerServiceWindowClosed, "the customer service window is closed: a text is possible only within 24 h of the customer's last message or call".into())));
                }
                OutboundMessage::text(customer.clone(), text.clone())
            }
        };
        let (graph, store, commands) = (
            self.graph.clone(),
            self.store.clone(),
            self.commands.clone(),
        );
        let conversation_id = conversation.id.clone();
        tokio::spawn(async move {
            let sent = graph.send_message_id(&pair.0, &message).await;
            let result = match sent {
                Err(failure) => Err(ProtocolError::new(
                    ErrorCode::UpstreamError,
                    format!("Meta did not take the message: {failure}"),
                )),
                Ok(message_id) => {
                    let at = now_ms();
                    let (kind, body) = match &what {
                        Outreach::PermissionRequest => {
                            (MessageKind::Other, "call permission request".to_owned())
                        }
                        Outreach::Text(text) => (MessageKind::Text, text.clone()),
                    };
                    let kept = store
                        .add_outbound_message(
                            &conversation_id,
                            &StoredMessage {
                                id: message_id.clone(),
                                sent_at: at,
                                kind,
                                body,
                            },
                        )
                        .await;
                    let counted = match &what {
                        Outreach::PermissionRequest => store
                            .add_permission_request(
                                &pair.0,
                                &pair.1,
                                &PermissionFact {
                                    id: message_id,
                                    at,
                                    event: PermissionEvent::RequestSent,
                                },
                                &agent_id,
                            )
                            .await
                            .map(drop),
                        Outreach::Text(_) => Ok(()),
                    };
                    match kept.and(counted) {
                        Ok(()) => Ok(()),
                        Err(error) => {
                            // Meta has it; only our copy is missing. Said, not hidden.
                            tracing::error!(%error, "sent to the customer but not stored");
                            Err(ProtocolError::new(
                                ErrorCode::InternalError,
                                "sent to the customer, but the platform could not store it"
                                    .to_owned(),
                            ))
                        }
                    }
                }
            };
            let _ = commands.send(Command::OutreachDone(Box::new(OutreachDone {
                agent_id,
                request_id,
                result,
                phone_number_id: pair.0,
                customer_number: pair.1,
                was_permission_request: matches!(what, Outreach::PermissionRequest),
            })));
        });
    }

    /// The outreach task is done: reply, free the pair, push the news.
    pub(super) async fn outreach_done(&mut self, done: OutreachDone) {
        if done.was_permission_request {
            self.permission_requests
                .remove(&(done.phone_number_id.clone(), done.customer_number.clone()));
        }
        let ok = done.result.is_ok();
        self.reply(&done.agent_id, done.request_id, done.result);
        if ok {
            if let Err(error) = self
                .announce_permission(&done.phone_number_id, &done.customer_number)
                .await
            {
                tracing::warn!(%error, "permission change not announced");
            }
            self.announce_conversation(&done.phone_number_id, &done.customer_number)
                .await;
        }
    }

    pub(super) fn reply(
        &self,
        agent_id: &str,
        request_id: RequestId,
        result: Result<(), ProtocolError>,
    ) {
        let result = match result {
            Ok(()) => ReplyResult::Ok { call_id: None },
            Err(error) => ReplyResult::Error(error),
        };
        self.send_to(agent_id, ServerMessage::Reply(Reply { request_id, result }));
    }

    /// Pushes the conversation as it is now to its assigned agent, if any.
    pub(super) async fn announce_conversation(&self, phone_number_id: &str, customer_number: &str) {
        let row = match self
            .store
            .conversation(phone_number_id, customer_number)
            .await
        {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(error) => return tracing::warn!(%error, "conversation not announced"),
        };
        let Some(agent_id) = row.assigned_agent_id.clone() else {
            return;
        };
        match crate::conversation_view::view(&self.store, &self.settings, row, chrono::Utc::now())
            .await
        {
            Ok(Some(conversation)) => self.send_to(
                &agent_id,
                ServerMessage::ConversationUpdated(protocol::ConversationUpdated { conversation }),
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "conversation not announced"),
        }
    }
}
