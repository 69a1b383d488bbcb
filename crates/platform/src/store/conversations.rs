//! Conversations (one business number + one customer) and contact owners.

use sqlx::SqliteConnection;

use super::{new_id, time::now_ms, Store, StoreError};

/// A conversation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: String,
    pub phone_number_id: String,
    pub customer_number: String,
    pub customer_name: Option<String>,
    pub last_inbound_at: Option<i64>,
    pub assigned_agent_id: Option<String>,
}

/// What a stored message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    /// Anything the inbox does not render; `body` summarises it.
    Other,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Other => "other",
        }
    }
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Meta's message id (`wamid.…`).
    pub id: String,
    pub sent_at: i64,
    pub kind: MessageKind,
    pub body: String,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn from_row(row: Row) -> ConversationRow {
    let (id, phone_number_id, customer_number, customer_name, last_inbound_at, assigned_agent_id) =
        row;
    ConversationRow {
        id,
        phone_number_id,
        customer_number,
        customer_name,
        last_inbound_at,
        assigned_agent_id,
    }
}

const COLUMNS: &str =
    "id, phone_number_id, customer_number, customer_name, last_inbound_at, assigned_agent_id";

impl Store {
    /// Creates or updates the conversation after the customer wrote or called at `at`
    /// (a newer profile name replaces the old one; the last inbound time only moves forward).
    pub async fn touch_conversation(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        customer_name: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        touch_conversation(
            &mut conn,
            phone_number_id,
            customer_number,
            customer_name,
            at,
        )
        .await?;
        Ok(())
    }

    /// Assigns the conversation to an agent, creating it if needed.
    pub async fn assign_conversation(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        agent_id: &str,
    ) -> Result<(), StoreError> {
        let id = new_id().map_err(|error| StoreError::Corrupt {
            column: "conversations.id",
            value: String::new(),
            reason: format!("no randomness for an id: {error}"),
        })?;
        sqlx::query(
            "INSERT INTO conversations (id, phone_number_id, customer_number, assigned_agent_id, \
             updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (phone_number_id, customer_number) DO UPDATE SET \
             assigned_agent_id = excluded.assigned_agent_id, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(phone_number_id)
        .bind(customer_number)
        .bind(agent_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The business numbers (Graph ids) the customer has a conversation with.
    pub async fn conversation_numbers(
        &self,
        customer_number: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT phone_number_id FROM conversations WHERE customer_number = $1 \
             ORDER BY phone_number_id",
        )
        .bind(customer_number)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub async fn conversation(
        &self,
        phone_number_id: &str,
        customer_number: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        conversation(&mut conn, phone_number_id, customer_number).await
    }

    /// The conversation with this id.
    pub async fn conversation_by_id(
        &self,
        id: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM conversations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(from_row))
    }

    /// Conversations visible to a caller: `assigned_to` = Some(agent) restricts to that agent's,
    /// `team` to conversations assigned to the team's agents; both None means all.
    pub async fn conversations(
        &self,
        assigned_to: Option<&str>,
        team: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        let rows: Vec<Row> = match (assigned_to, team) {
            (Some(agent), _) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations WHERE assigned_agent_id = $1 \
                     ORDER BY updated_at DESC LIMIT $2"
                ))
                .bind(agent)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            (None, Some(team)) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations WHERE assigned_agent_id IN \
                     (SELECT id FROM agents WHERE team = $1) ORDER BY updated_at DESC LIMIT $2"
                ))
                .bind(team)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            (None, None) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM conversations ORDER BY updated_at DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Stores an inbound message (once per Meta message id) in the customer's conversation.
    pub async fn add_inbound_message(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        message: &StoredMessage,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        add_inbound_message(&mut conn, phone_number_id, customer_number, message).await?;
        Ok(())
    }

    /// The conversation's latest `limit` messages, oldest first.
    pub async fn recent_messages(
        &self,
        conversation_id: &str,
        limit: i64,
    ) -> Result<Vec<(String, i64, StoredMessage)>, StoreError> {
        let mut rows: Vec<(String, String, i64, String, String)> = sqlx::query_as(
            "SELECT id, direction, sent_at, kind, body FROM messages WHERE conversation_id = $1 \
             ORDER BY sent_at DESC, id DESC LIMIT $2",
        )
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|(id, direction, sent_at, kind, body)| {
                let kind = if kind == "text" {
                    MessageKind::Text
                } else {
                    MessageKind::Other
                };
                (
                    direction,
                    sent_at,
                    StoredMessage {
                        id,
                        sent_at,
                        kind,
                        body,
                    },
                )
            })
            .collect())
    }

    /// Makes the agent the owner of the customer's contact, audited as done on the command
    /// line (the API goes through [`Store::change_contact_owner`] with its caller).
    pub async fn set_contact_owner(
        &self,
        customer_number: &str,
        agent_id: &str,
    ) -> Result<(), StoreError> {
        self.change_contact_owner(
            &super::audit::Actor::command_line(),
            customer_number,
            Some(agent_id),
        )
        .await
    }

    pub async fn contact_owner(&self, customer_number: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT agent_id FROM contact_owners WHERE customer_number = $1")
                .bind(customer_number)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(agent,)| agent))
    }
}

// Connection-level writes (and the read they need): the SQL of the `Store` methods above, on a
// connection the caller chose, so `Store::apply` can run several in one
// transaction.

/// See [`Store::touch_conversation`]; true once the conversation is created or updated.
pub(crate) async fn touch_conversation(
    conn: &mut SqliteConnection,
    phone_number_id: &str,
    customer_number: &str,
    customer_name: Option<&str>,
    at: i64,
) -> Result<bool, StoreError> {
    let id = new_id().map_err(|error| StoreError::Corrupt {
        column: "conversations.id",
        value: String::new(),
        reason: format!("no randomness for an id: {error}"),
    })?;
    let done = sqlx::query(
        "INSERT INTO conversations (id, phone_number_id, customer_number, customer_name, \
         last_inbound_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (phone_number_id, customer_number) DO UPDATE SET \
         customer_name = COALESCE(excluded.customer_name, conversations.customer_name), \
         last_inbound_at = CASE WHEN conversations.last_inbound_at IS NULL \
             OR excluded.last_inbound_at > conversations.last_inbound_at \
             THEN excluded.last_inbound_at ELSE conversations.last_inbound_at END, \
         updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(phone_number_id)
    .bind(customer_number)
    .bind(customer_name)
    .bind(at)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// See [`Store::conversation`].
pub(crate) async fn conversation(
    conn: &mut SqliteConnection,
    phone_number_id: &str,
    customer_number: &str,
) -> Result<Option<ConversationRow>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM conversations WHERE phone_number_id = $1 AND customer_number = $2"
    ))
    .bind(phone_number_id)
    .bind(customer_number)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(from_row))
}

/// See [`Store::add_inbound_message`]; the conversation is looked up on `conn` too. False if
/// the pair has no conversation or the message was already stored.
pub(crate) async fn add_inbound_message(
    conn: &mut SqliteConnection,
    phone_number_id: &str,
    customer_number: &str,
    message: &StoredMessage,
) -> Result<bool, StoreError> {
    let Some(conversation) = conversation(conn, phone_number_id, customer_number).await? else {
        return Ok(false);
    };
    let done = sqlx::query(
        "INSERT INTO messages (id, conversation_id, direction, sent_at, kind, body) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&message.id)
    .bind(&conversation.id)
    .bind("inbound")
    .bind(message.sent_at)
    .bind(message.kind.as_str())
    .bind(&message.body)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
