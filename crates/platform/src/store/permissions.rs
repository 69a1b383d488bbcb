//! The call-permission ledger's inputs per business number + customer (migration 0003):
//! stored as facts, replayed oldest first into a pure [`PermissionLedger`] on read, so the
//! rules (expiry, rolling limits, resets) live only in `crate::permissions`.

use protocol::{Direction, PhoneNumber};
use sqlx::SqliteConnection;

use super::time::now_ms;
use super::wire::{millis, name_of, parse, timestamp};
use super::{Store, StoreError};
use crate::permissions::{PermissionEvent, PermissionLedger, PermissionLimits};

/// One stored fact: what happened to the pair, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionFact {
    /// Meta's message id for a reply, `<call id>:<kind>` for a call's event: storing the same
    /// fact twice keeps one.
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub event: PermissionEvent,
}

/// The columns a fact is stored in: kind, expiry (ms), direction.
type Encoded = (&'static str, Option<i64>, Option<String>);

fn encode(event: PermissionEvent) -> Encoded {
    match event {
        PermissionEvent::CustomerMessaged => ("customer_messaged", None, None),
        PermissionEvent::CustomerCalled => ("customer_called", None, None),
        PermissionEvent::RequestSent => ("request_sent", None, None),
        PermissionEvent::AcceptedTemporary { expires_at } => {
            ("accepted_temporary", expires_at.map(millis), None)
        }
        PermissionEvent::AcceptedPermanent => ("accepted_permanent", None, None),
        PermissionEvent::Rejected => ("rejected", None, None),
        PermissionEvent::CallbackGranted { expires_at } => {
            ("callback_granted", expires_at.map(millis), None)
        }
        PermissionEvent::Revoked => ("revoked", None, None),
        PermissionEvent::BusinessCallUnanswered => ("business_call_unanswered", None, None),
        PermissionEvent::CallConnected { direction } => {
            ("call_connected", None, Some(name_of(&direction)))
        }
    }
}

fn decode(
    kind: &str,
    expires_at: Option<i64>,
    direction: Option<&str>,
) -> Result<PermissionEvent, StoreError> {
    let expires_at = expires_at.map(timestamp);
    Ok(match kind {
        "customer_messaged" => PermissionEvent::CustomerMessaged,
        "customer_called" => PermissionEvent::CustomerCalled,
        "request_sent" => PermissionEvent::RequestSent,
        "accepted_temporary" => PermissionEvent::AcceptedTemporary { expires_at },
        "accepted_permanent" => PermissionEvent::AcceptedPermanent,
        "rejected" => PermissionEvent::Rejected,
        "callback_granted" => PermissionEvent::CallbackGranted { expires_at },
        "revoked" => PermissionEvent::Revoked,
        "business_call_unanswered" => PermissionEvent::BusinessCallUnanswered,
        "call_connected" => PermissionEvent::CallConnected {
            direction: parse::<Direction>(
                "permission_events.direction",
                direction.unwrap_or_default(),
            )?,
        },
        other => {
            return Err(StoreError::Corrupt {
                column: "permission_events.kind",
                value: other.to_owned(),
                reason: "not a permission event kind".into(),
            })
        }
    })
}

/// The pair's ledger: the customer's last message or call (`last_inbound_at`, ms) and the
/// facts, replayed oldest first.
pub fn ledger_of(
    business_number: PhoneNumber,
    customer_number: PhoneNumber,
    limits: PermissionLimits,
    last_inbound_at: Option<i64>,
    facts: &[PermissionFact],
) -> PermissionLedger {
    let mut ledger = PermissionLedger::new(business_number, customer_number, limits);
    let activity = last_inbound_at.map(|at| (at, PermissionEvent::CustomerMessaged));
    let mut events: Vec<(i64, PermissionEvent)> = facts
        .iter()
        .map(|fact| (fact.at, fact.event))
        .chain(activity)
        .collect();
    // Stable: facts with the same time keep the order they were stored in.
    events.sort_by_key(|(at, _)| *at);
    for (at, event) in events {
        ledger.apply(event, timestamp(at));
    }
    ledger
}

type Row = (String, i64, String, Option<i64>, Option<String>);

impl Store {
    /// Stores a fact about the pair; false if a fact with this id was already stored.
    pub async fn add_permission_fact(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        fact: &PermissionFact,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        add_permission_fact(&mut conn, phone_number_id, customer_number, fact, None).await
    }

    /// Stores a `request_sent` fact with the agent who asked for it (whose history, and whose
    /// supervisor's, shows the request); false if a fact with this id was already stored.
    pub async fn add_permission_request(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        fact: &PermissionFact,
        agent_id: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        add_permission_fact(
            &mut conn,
            phone_number_id,
            customer_number,
            fact,
            Some(agent_id),
        )
        .await
    }

    /// The pair's ledger, replayed from its facts and the customer's last message or call
    /// (`last_inbound_at`, ms), with Meta's production limits.
    pub async fn permission_ledger(
        &self,
        phone_number_id: &str,
        business_number: PhoneNumber,
        customer_number: PhoneNumber,
        last_inbound_at: Option<i64>,
    ) -> Result<PermissionLedger, StoreError> {
        let facts = self
            .permission_facts(phone_number_id, customer_number.as_str())
            .await?;
        Ok(ledger_of(
            business_number,
            customer_number,
            PermissionLimits::default(),
            last_inbound_at,
            &facts,
        ))
    }

    /// The pair's facts, oldest first.
    pub async fn permission_facts(
        &self,
        phone_number_id: &str,
        customer_number: &str,
    ) -> Result<Vec<PermissionFact>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, kind, expires_at, direction FROM permission_events \
             WHERE phone_number_id = $1 AND customer_number = $2 \
             ORDER BY at, recorded_at, id",
        )
        .bind(phone_number_id)
        .bind(customer_number)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, at, kind, expires_at, direction)| {
                Ok(PermissionFact {
                    id,
                    at,
                    event: decode(&kind, expires_at, direction.as_deref())?,
                })
            })
            .collect()
    }
}

/// See [`Store::add_permission_fact`] (the connection-level write [`Store::apply`] runs in its
/// transaction), with the agent it is attributed to (permission requests only); false if a fact
/// with this id was already stored.
pub(crate) async fn add_permission_fact(
    conn: &mut SqliteConnection,
    phone_number_id: &str,
    customer_number: &str,
    fact: &PermissionFact,
    agent_id: Option<&str>,
) -> Result<bool, StoreError> {
    let (kind, expires_at, direction) = encode(fact.event);
    let done = sqlx::query(
        "INSERT INTO permission_events (id, phone_number_id, customer_number, kind, at, \
         expires_at, direction, recorded_at, agent_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&fact.id)
    .bind(phone_number_id)
    .bind(customer_number)
    .bind(kind)
    .bind(fact.at)
    .bind(expires_at)
    .bind(direction)
    .bind(now_ms())
    .bind(agent_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};
    use protocol::rest::PermissionStatus;

    #[test]
    fn every_event_survives_the_columns() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .single()
            .expect("a valid date");
        let events = [
            PermissionEvent::CustomerMessaged,
            PermissionEvent::CustomerCalled,
            PermissionEvent::RequestSent,
            PermissionEvent::AcceptedTemporary {
                expires_at: Some(at),
            },
            PermissionEvent::AcceptedTemporary { expires_at: None },
            PermissionEvent::AcceptedPermanent,
            PermissionEvent::Rejected,
            PermissionEvent::CallbackGranted {
                expires_at: Some(at),
            },
            PermissionEvent::Revoked,
            PermissionEvent::BusinessCallUnanswered,
            PermissionEvent::CallConnected {
                direction: Direction::Inbound,
            },
            PermissionEvent::CallConnected {
                direction: Direction::Outbound,
            },
        ];
        for event in events {
            let (kind, expires_at, direction) = encode(event);
            assert_eq!(
                decode(kind, expires_at, direction.as_deref()).ok(),
                Some(event)
            );
        }
        assert!(matches!(
            decode("granted_forever", None, None),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(decode("call_connected", None, None).is_err());
    }

    #[test]
    fn facts_are_replayed_in_time_order_whatever_order_they_come_in() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .single()
            .expect("a valid date");
        let ms = |hours: i64| millis(t0 + TimeDelta::hours(hours));
        let fact = |id: &str, hours: i64, event| PermissionFact {
            id: id.into(),
            at: ms(hours),
            event,
        };
        // Granted at +2 h, rejected at +1 h: the grant is the later fact and stands.
        let facts = [
            fact("wamid.GRANT", 2, PermissionEvent::AcceptedPermanent),
            fact("wamid.NO", 1, PermissionEvent::Rejected),
        ];
        let (business, customer) = (
            PhoneNumber::new("15550109999").expect("valid"),
            PhoneNumber::new("15550100001").expect("valid"),
        );
        let ledger = ledger_of(
            business,
            customer,
            PermissionLimits::default(),
            Some(ms(0)),
            &facts,
        );
        let state = ledger.state(t0 + TimeDelta::hours(3));
        assert_eq!(state.status, PermissionStatus::Permanent);
        assert!(
            state.service_window_closes_at.is_some(),
            "the last inbound time opens the window"
        );
    }
}
