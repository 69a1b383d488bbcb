//! Reconciling the ledger with Meta's own view (`GET /call_permissions`, reference §4.4).
//!
//! Our ledger is replayed from the webhooks we received; Meta's is the truth it enforces. They
//! differ when a webhook never came (a reply lost, a revocation not announced, an expiry Meta
//! counts differently). When Meta refuses a call for want of permission (138006), the platform
//! asks Meta and records the one event that makes our ledger agree; nothing when they do.

use protocol::Timestamp;

use super::{Grant, PermissionEvent};

/// Meta's expiry is whole seconds and ours may come from a reply's time: closer than this is
/// the same permission.
const SAME_EXPIRY_SECS: i64 = 60;

/// The event that makes `ours` (the grant in force now) agree with `meta`, if they differ.
pub fn reconcile(ours: Grant, meta: Grant) -> Option<PermissionEvent> {
    match (ours, meta) {
        (Grant::None, Grant::None) | (Grant::Permanent, Grant::Permanent) => None,
        (_, Grant::None) => Some(PermissionEvent::Revoked),
        (_, Grant::Permanent) => Some(PermissionEvent::AcceptedPermanent),
        (Grant::Temporary { expires_at: a }, Grant::Temporary { expires_at: b })
            if same_expiry(a, b) =>
        {
            None
        }
        (_, Grant::Temporary { expires_at }) => Some(PermissionEvent::AcceptedTemporary {
            expires_at: Some(expires_at),
        }),
    }
}

fn same_expiry(a: Timestamp, b: Timestamp) -> bool {
    (a - b).num_seconds().abs() < SAME_EXPIRY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_790_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn agreeing_views_record_nothing() {
        assert_eq!(reconcile(Grant::None, Grant::None), None);
        assert_eq!(reconcile(Grant::Permanent, Grant::Permanent), None);
        let ours = Grant::Temporary { expires_at: at(0) };
        assert_eq!(
            reconcile(ours, Grant::Temporary { expires_at: at(30) }),
            None
        );
    }

    #[test]
    fn metas_view_wins_where_they_differ() {
        let temporary = Grant::Temporary { expires_at: at(0) };
        assert_eq!(
            reconcile(temporary, Grant::None),
            Some(PermissionEvent::Revoked)
        );
        assert_eq!(
            reconcile(Grant::Permanent, Grant::None),
            Some(PermissionEvent::Revoked)
        );
        assert_eq!(
            reconcile(Grant::None, Grant::Permanent),
            Some(PermissionEvent::AcceptedPermanent)
        );
        assert_eq!(
            reconcile(
                temporary,
                Grant::Temporary {
                    expires_at: at(3_600)
                }
            ),
            Some(PermissionEvent::AcceptedTemporary {
                expires_at: Some(at(3_600))
            })
        );
        assert_eq!(
            reconcile(Grant::Permanent, Grant::Temporary { expires_at: at(5) }),
            Some(PermissionEvent::AcceptedTemporary {
                expires_at: Some(at(5))
            })
        );
    }
}
