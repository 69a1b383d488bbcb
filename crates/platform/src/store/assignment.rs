//! Who a customer belongs to, as admins and supervisors change it through the API: a
//! conversation's assigned agent and a customer's contact owner (routing steps 3a and 3b).
//! Each write runs in one transaction with its audit entry.

use serde_json::json;

use super::audit::{self, Actor};
use super::time::now_ms;
use super::{Store, StoreError};

impl Store {
    /// Assigns the conversation to `agent_id` (`None`: to nobody); the caller checked both
    /// exist and that they may. Returns whether anything changed.
    pub async fn reassign_conversation(
        &self,
        actor: &Actor,
        conversation_id: &str,
        agent_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let before: Option<(Option<String>,)> =
            sqlx::query_as("SELECT assigned_agent_id FROM conversations WHERE id = $1")
                .bind(conversation_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((before,)) = before else {
            return Ok(false);
        };
        if before.as_deref() == agent_id {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE conversations SET assigned_agent_id = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(agent_id)
        .bind(now_ms())
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
        let detail = json!({ "agent_id": { "from": before, "to": agent_id } });
        audit::record(
            &mut tx,
            actor,
            "conversation.assign",
            conversation_id,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Makes `agent_id` the owner of the customer's contact (`None`: nobody).
    pub async fn change_contact_owner(
        &self,
        actor: &Actor,
        customer_number: &str,
        agent_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let before: Option<(String,)> =
            sqlx::query_as("SELECT agent_id FROM contact_owners WHERE customer_number = $1")
                .bind(customer_number)
                .fetch_optional(&mut *tx)
                .await?;
        let before = before.map(|(agent,)| agent);
        if before.as_deref() == agent_id {
            return Ok(());
        }
        match agent_id {
            Some(agent_id) => {
                sqlx::query(
                    "INSERT INTO contact_owners (customer_number, agent_id, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (customer_number) DO UPDATE SET \
                     agent_id = excluded.agent_id, updated_at = excluded.updated_at",
                )
                .bind(customer_number)
                .bind(agent_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM contact_owners WHERE customer_number = $1")
                    .bind(customer_number)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let detail = json!({ "agent_id": { "from": before, "to": agent_id } });
        audit::record(
            &mut tx,
            actor,
            "contact_owner.set",
            customer_number,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
