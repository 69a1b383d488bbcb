//! When Meta refuses a call for want of permission (138006) although our ledger allowed it,
//! ask Meta what it holds (`GET /call_permissions`) and record the one event that makes the
//! ledger agree (`permissions::reconcile`), then tell the conversation's agent. The request
//! runs in its own task, like every Graph request; its answer comes back as a command.

use crate::graph::GraphFailure;
use crate::permissions::{reconcile, Grant, PermissionEvent};
use crate::store::permissions::PermissionFact;
use crate::store::time::now_ms;

use super::{Command, Switchboard};

/// Meta's code for "No approved call permission from recipient" (reference §3.6).
pub(super) const NO_APPROVED_PERMISSION: u32 = 138_006;

fn kind(event: &PermissionEvent) -> &'static str {
    match event {
        PermissionEvent::Revoked => "revoked",
        PermissionEvent::AcceptedPermanent => "permanent",
        _ => "temporary",
    }
}

impl Switchboard {
    /// Asks Meta for the pair's permission; the answer comes back as
    /// [`Command::PermissionFromMeta`].
    pub(super) fn ask_meta_permission(&self, phone_number_id: String, customer_number: String) {
        let graph = self.graph.clone();
        let commands = self.commands.clone();
        tokio::spawn(async move {
            let result = graph
                .call_permission(&phone_number_id, &customer_number)
                .await;
            let _ = commands.send(Command::PermissionFromMeta {
                phone_number_id,
                customer_number,
                result,
            });
        });
    }

    /// Meta's view arrived: record what makes ours agree, and announce it.
    pub(super) async fn permission_from_meta(
        &mut self,
        phone_number_id: String,
        customer_number: String,
        result: Result<Grant, GraphFailure>,
    ) {
        let meta = match result {
            Ok(grant) => grant,
            Err(failure) => {
                tracing::warn!(%failure, "could not read the call permission Meta holds");
                return;
            }
        };
        let ledger = match self.pair_ledger(&phone_number_id, &customer_number).await {
            Ok(Some((ledger, _))) => ledger,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "permission not reconciled: the ledger could not be read");
                return;
            }
        };
        let Some(event) = reconcile(ledger.grant_at(chrono::Utc::now()), meta) else {
            tracing::debug!("our call permission agrees with Meta's");
            return;
        };
        let at = now_ms();
        let fact = PermissionFact {
            id: format!("reconciled:{}:{at}", kind(&event)),
            at,
            event,
        };
        tracing::info!(?event, "call permission reconciled with Meta's view");
        if let Err(error) = self
            .store
            .add_permission_fact(&phone_number_id, &customer_number, &fact)
            .await
        {
            tracing::warn!(%error, "Meta's call permission could not be stored");
            return;
        }
        if let Err(error) = self
            .announce_permission(&phone_number_id, &customer_number)
            .await
        {
            tracing::warn!(%error, "the reconciled permission could not be announced");
        }
    }
}
