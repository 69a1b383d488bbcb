//! Writes applied together: the durable changes one input causes, committed in one SQLite
//! transaction (one fsync), or not at all.
//!
//! Each [`Write`] runs the same connection-level function its single-write `Store` method runs
//! (`calls::insert_call`, `inbox::note_call_event`, …), so there is one copy of each statement.

use std::sync::atomic::Ordering;

use super::calls::{self, CallEnd, NewCall};
use super::conversations::{self, StoredMessage};
use super::inbox;
use super::permissions::{self, PermissionFact};
use super::{Store, StoreError};

/// One durable change. The switchboard collects the writes one input causes and applies them
/// together with [`Store::apply`], so they commit (one fsync) or fail together.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    InsertCall(NewCall),
    /// `event` is "connect" or "terminate"; `at` is Meta's event time (unix ms).
    NoteCallEvent {
        call_id: String,
        event: &'static str,
        at: Option<i64>,
    },
    AddRing {
        call_id: String,
        agent_id: String,
        because: protocol::RoutedBecause,
        at: i64,
    },
    EndRing {
        call_id: String,
        agent_id: String,
        outcome: protocol::RingOutcome,
        at: i64,
    },
    CancelOpenRings {
        call_id: String,
        at: i64,
    },
    AnswerCall {
        call_id: String,
        agent_id: String,
        at: i64,
    },
    FinishCall {
        call_id: String,
        end: CallEnd,
    },
    TouchConversation {
        phone_number_id: String,
        customer_number: String,
        customer_name: Option<String>,
        at: i64,
    },
    AddInboundMessage {
        phone_number_id: String,
        customer_number: String,
        message: StoredMessage,
    },
    AddPermissionFact {
        phone_number_id: String,
        customer_number: String,
        fact: PermissionFact,
    },
    /// Marks a webhook inbox body processed (with the reason it was given up on, if it was).
    InboxDone {
        id: String,
        error: Option<String>,
    },
}

impl Store {
    /// Applies `writes` in order inside one transaction; on error nothing of them is stored.
    /// Returns, per write, whether it changed a row (e.g. a permission fact not seen before).
    ///
    /// Per write: `InsertCall` is true if the record was created, `NoteCallEvent` if the event
    /// was seen for the first time, `AddPermissionFact` if the fact is new; `AddRing` is always
    /// true; the others are true if a row was updated (false e.g. for `EndRing` when the agent's
    /// ring had already ended, or `AddInboundMessage` when the pair has no conversation or the
    /// message was stored before). Later writes see earlier ones (e.g. a `TouchConversation`
    /// creates the conversation an `AddInboundMessage` after it is stored in).
    ///
    /// The transaction takes SQLite's write lock when it starts (`BEGIN IMMEDIATE`), so a batch
    /// waits for other writers rather than failing on them.
    ///
    /// An empty `writes` returns `Ok(vec![])` without opening a transaction (and without using
    /// up a failure injected by [`Store::fail_next_applies`]).
    pub async fn apply(&self, writes: &[Write]) -> Result<Vec<bool>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        if self
            .fail_next_applies
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(StoreError::Corrupt {
                column: "fault",
                value: String::new(),
                reason: "injected store failure".into(),
            });
        }
        // IMMEDIATE: take the write lock now (waiting out other writers under the busy timeout).
        // A deferred BEGIN would start as a read when the first write reads first (`FinishCall`,
        // `AddRing`, `AddInboundMessage`), and its first INSERT/UPDATE would then fail at once
        // with SQLITE_BUSY whenever another connection (the webhook handler's inbox insert)
        // wrote in between: SQLite does not wait to upgrade a read transaction.
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let mut changed = Vec::with_capacity(writes.len());
        for write in writes {
            let conn = &mut *tx;
            let row_changed = match write {
                Write::InsertCall(call) => calls::insert_call(conn, call).await?,
                Write::NoteCallEvent { call_id, event, at } => {
                    inbox::note_call_event(conn, call_id, event, *at).await?
                }
                Write::AddRing {
                    call_id,
                    agent_id,
                    because,
                    at,
                } => {
                    calls::add_ring(conn, call_id, agent_id, *because, *at).await?;
                    true
                }
                Write::EndRing {
                    call_id,
                    agent_id,
                    outcome,
                    at,
                } => calls::end_ring(conn, call_id, agent_id, *outcome, *at).await?,
                Write::CancelOpenRings { call_id, at } => {
                    calls::cancel_open_rings(conn, call_id, *at).await?
                }
                Write::AnswerCall {
                    call_id,
                    agent_id,
                    at,
                } => calls::answer_call(conn, call_id, agent_id, *at).await?,
                Write::FinishCall { call_id, end } => {
                    calls::finish_call(conn, call_id, end).await?
                }
                Write::TouchConversation {
                    phone_number_id,
                    customer_number,
                    customer_name,
                    at,
                } => {
                    conversations::touch_conversation(
                        conn,
                        phone_number_id,
                        customer_number,
                        customer_name.as_deref(),
                        *at,
                    )
                    .await?
                }
                Write::AddInboundMessage {
                    phone_number_id,
                    customer_number,
                    message,
                } => {
                    conversations::add_inbound_message(
                        conn,
                        phone_number_id,
                        customer_number,
                        message,
                    )
                    .await?
                }
                Write::AddPermissionFact {
                    phone_number_id,
                    customer_number,
                    fact,
                } => {
                    permissions::add_permission_fact(
                        conn,
                        phone_number_id,
                        customer_number,
                        fact,
                        None,
                    )
                    .await?
                }
                Write::InboxDone { id, error } => {
                    inbox::inbox_done(conn, id, error.as_deref()).await?
                }
            };
            changed.push(row_changed);
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Test seam (fault injection): the next `n` calls of [`Store::apply`] with a non-empty
    /// batch fail with `StoreError::Corrupt { column: "fault", .. }` without writing anything,
    /// as if the database had refused the transaction. Shared by every clone of this store.
    /// Not for production code.
    #[doc(hidden)]
    pub fn fail_next_applies(&self, n: u32) {
        self.fail_next_applies.store(n, Ordering::SeqCst);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use protocol::rest::CallRecord;
    use protocol::{CallStatus, Direction, Party, RingOutcome, RoutedBecause};

    use super::*;
    use crate::permissions::PermissionEvent;
    use crate::store::agents::Role;
    use crate::store::calls::Visibility;
    use crate::store::conversations::MessageKind;

    const PHONE_NUMBER_ID: &str = "100000000000001";
    const CUSTOMER: &str = "15550100001";

    async fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap()
    }

    fn new_call(id: &str) -> NewCall {
        NewCall {
            id: id.into(),
            direction: Direction::Inbound,
            phone_number_id: PHONE_NUMBER_ID.into(),
            business_number: "15550109999".into(),
            customer_number: CUSTOMER.into(),
            customer_name: Some("Ana".into()),
            status: CallStatus::Ringing,
            offered_at: 1_000,
            placed_by: None,
        }
    }

    async fn record(store: &Store, id: &str) -> Option<CallRecord> {
        store.call_record(id, &Visibility::All).await.unwrap()
    }

    #[tokio::test]
    async fn batch_of_a_whole_call_is_all_visible_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        let (agent, _) = store.add_agent("alice", Role::Agent, None).await.unwrap();
        let writes = [
            Write::InsertCall(new_call("wacid.A")),
            Write::AddRing {
                call_id: "wacid.A".into(),
                agent_id: agent.id.clone(),
                because: RoutedBecause::RoundRobin,
                at: 1_100,
            },
            Write::EndRing {
                call_id: "wacid.A".into(),
                agent_id: agent.id.clone(),
                outcome: RingOutcome::TimedOut,
                at: 1_200,
            },
            Write::FinishCall {
                call_id: "wacid.A".into(),
                end: CallEnd {
                    status: CallStatus::Missed,
                    ended_by: Some(Party::System),
                    ended_at: 1_300,
                    duration_secs: None,
                    meta_error_code: None,
                },
            },
        ];
        assert_eq!(
            store.apply(&writes).await.unwrap(),
            vec![true, true, true, true]
        );

        assert_eq!(
            store.call_status("wacid.A").await.unwrap(),
            Some(CallStatus::Missed)
        );
        let call = record(&store, "wacid.A").await.unwrap();
        assert_eq!(call.ended_by, Some(Party::System));
        assert_eq!(call.agents_rung.len(), 1);
        assert_eq!(call.agents_rung[0].agent_id.as_str(), agent.id);
        assert_eq!(call.agents_rung[0].outcome, RingOutcome::TimedOut);
        assert_eq!(
            call.agents_rung[0].routed_because,
            RoutedBecause::RoundRobin
        );
    }

    #[tokio::test]
    async fn later_writes_of_a_batch_see_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        let message = StoredMessage {
            id: "wamid.1".into(),
            sent_at: 2_000,
            kind: MessageKind::Text,
            body: "hello".into(),
        };
        let writes = [
            Write::TouchConversation {
                phone_number_id: PHONE_NUMBER_ID.into(),
                customer_number: CUSTOMER.into(),
                customer_name: Some("Ana".into()),
                at: 2_000,
            },
            Write::AddInboundMessage {
                phone_number_id: PHONE_NUMBER_ID.into(),
                customer_number: CUSTOMER.into(),
                message: message.clone(),
            },
        ];
        assert_eq!(store.apply(&writes).await.unwrap(), vec![true, true]);
        let conversation = store
            .conversation(PHONE_NUMBER_ID, CUSTOMER)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conversation.last_inbound_at, Some(2_000));
        let messages = store.recent_messages(&conversation.id, 10).await.unwrap();
        assert_eq!(messages, vec![("inbound".to_owned(), 2_000, message)]);
    }

    #[tokio::test]
    async fn an_injected_failure_writes_nothing_and_is_used_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        let inbox_id = store.inbox_put("{}").await.unwrap();
        let writes = [
            Write::InsertCall(new_call("wacid.A")),
            Write::NoteCallEvent {
                call_id: "wacid.A".into(),
                event: "connect",
                at: Some(1_000),
            },
            Write::InboxDone {
                id: inbox_id.clone(),
                error: None,
            },
        ];

        // Set on a clone: the counter is shared.
        store.clone().fail_next_applies(1);
        assert_eq!(
            store.apply(&[]).await.unwrap(),
            Vec::<bool>::new(),
            "an empty batch writes nothing, so it cannot fail"
        );
        let failed = store.apply(&writes).await;
        assert!(
            matches!(
                failed,
                Err(StoreError::Corrupt {
                    column: "fault",
                    ..
                })
            ),
            "{failed:?}"
        );
        assert_eq!(store.call_status("wacid.A").await.unwrap(), None);
        assert!(!store.call_event_seen("wacid.A", "connect").await.unwrap());
        assert_eq!(store.inbox_counts().await.unwrap(), (1, 1), "still pending");

        assert_eq!(
            store.apply(&writes).await.unwrap(),
            vec![true, true, true],
            "only the next apply failed"
        );
        assert_eq!(
            store.call_status("wacid.A").await.unwrap(),
            Some(CallStatus::Ringing)
        );
        assert_eq!(store.inbox_counts().await.unwrap(), (1, 0));
    }

    #[tokio::test]
    async fn a_failing_write_rolls_back_the_writes_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        let (agent, _) = store.add_agent("alice", Role::Agent, None).await.unwrap();
        let writes = [
            Write::InsertCall(new_call("wacid.A")),
            Write::AddPermissionFact {
                phone_number_id: PHONE_NUMBER_ID.into(),
                customer_number: CUSTOMER.into(),
                fact: PermissionFact {
                    id: "wacid.A:customer_called".into(),
                    at: 1_000,
                    event: PermissionEvent::CustomerCalled,
                },
            },
            // No `calls` row for this id: call_rings.call_id REFERENCES calls (id).
            Write::AddRing {
                call_id: "wacid.NONE".into(),
                agent_id: agent.id.clone(),
                because: RoutedBecause::RoundRobin,
                at: 1_100,
            },
        ];
        let failed = store.apply(&writes).await;
        assert!(matches!(failed, Err(StoreError::Sql(_))), "{failed:?}");
        assert_eq!(store.call_status("wacid.A").await.unwrap(), None);
        assert!(store
            .permission_facts(PHONE_NUMBER_ID, CUSTOMER)
            .await
            .unwrap()
            .is_empty());

        // The connection went back to the pool usable, and the same writes without the bad
        // one go through.
        assert_eq!(store.apply(&writes[..2]).await.unwrap(), vec![true, true]);
        assert_eq!(
            store.call_status("wacid.A").await.unwrap(),
            Some(CallStatus::Ringing)
        );
    }

    #[tokio::test]
    async fn each_write_says_whether_it_changed_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        let (agent, _) = store.add_agent("alice", Role::Agent, None).await.unwrap();
        let fact = Write::AddPermissionFact {
            phone_number_id: PHONE_NUMBER_ID.into(),
            customer_number: CUSTOMER.into(),
            fact: PermissionFact {
                id: "wamid.GRANT".into(),
                at: 1_000,
                event: PermissionEvent::AcceptedPermanent,
            },
        };
        let connect = Write::NoteCallEvent {
            call_id: "wacid.A".into(),
            event: "connect",
            at: Some(1_000),
        };
        let end_ring = Write::EndRing {
            call_id: "wacid.A".into(),
            agent_id: agent.id.clone(),
            outcome: RingOutcome::Accepted,
            at: 1_200,
        };
        let writes = [
            Write::InsertCall(new_call("wacid.A")),
            Write::InsertCall(new_call("wacid.A")),
            connect.clone(),
            connect,
            fact.clone(),
            fact,
            Write::AddRing {
                call_id: "wacid.A".into(),
                agent_id: agent.id.clone(),
                because: RoutedBecause::RoundRobin,
                at: 1_100,
            },
            end_ring.clone(),
            // Already ended: nothing left ringing for this agent.
            end_ring,
            Write::CancelOpenRings {
                call_id: "wacid.A".into(),
                at: 1_200,
            },
            Write::AnswerCall {
                call_id: "wacid.A".into(),
                agent_id: agent.id.clone(),
                at: 1_200,
            },
            Write::AnswerCall {
                call_id: "wacid.NONE".into(),
                agent_id: agent.id.clone(),
                at: 1_200,
            },
            // No conversation for this pair yet.
            Write::AddInboundMessage {
                phone_number_id: PHONE_NUMBER_ID.into(),
                customer_number: CUSTOMER.into(),
                message: StoredMessage {
                    id: "wamid.1".into(),
                    sent_at: 1_000,
                    kind: MessageKind::Other,
                    body: "[sticker]".into(),
                },
            },
            Write::InboxDone {
                id: "no-such-body".into(),
                error: Some("gave up".into()),
            },
        ];
        assert_eq!(
            store.apply(&writes).await.unwrap(),
            vec![
                true, false, // InsertCall, duplicate
                true, false, // NoteCallEvent, duplicate
                true, false, // AddPermissionFact, duplicate
                true,  // AddRing
                true, false, // EndRing, nothing left ringing
                false, // CancelOpenRings, nothing open
                true, false, // AnswerCall, no such call
                false, // AddInboundMessage, no conversation
                false, // InboxDone, no such body
            ]
        );
        assert_eq!(
            store.call_status("wacid.A").await.unwrap(),
            Some(CallStatus::OnCall)
        );
    }

    /// A batch whose first statement reads (FinishCall reads the status first) while another
    /// connection commits (the webhook handler's inbox insert): with a deferred `BEGIN` the
    /// batch's first write would fail at once with SQLITE_BUSY_SNAPSHOT; `apply` takes the write
    /// lock up front, so it waits its turn instead.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_reads_first_survives_concurrent_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir).await;
        store.insert_call(&new_call("wacid.A")).await.unwrap();
        let writer = store.clone();
        let inserts = tokio::spawn(async move {
            for _ in 0..100 {
                writer.inbox_put("{}").await.unwrap();
            }
        });
        for round in 0..100 {
            let writes = [
                Write::FinishCall {
                    call_id: "wacid.A".into(),
                    end: CallEnd {
                        status: CallStatus::Completed,
                        ended_by: Some(Party::Customer),
                        ended_at: 2_000,
                        duration_secs: Some(round),
                        meta_error_code: None,
                    },
                },
                Write::CancelOpenRings {
                    call_id: "wacid.A".into(),
                    at: 2_000,
                },
            ];
            store.apply(&writes).await.unwrap();
        }
        inserts.await.unwrap();
        assert_eq!(store.inbox_counts().await.unwrap(), (100, 100));
        assert_eq!(record(&store, "wacid.A").await.unwrap().duration_secs, 99);
    }
}
