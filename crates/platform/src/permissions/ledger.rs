//! The call-permission ledger of one business number + customer pair: the facts that
//! WhatsApp's rules depend on, and the verdicts derived from them at any instant.
//!
//! Pure: facts go in as [`PermissionEvent`]s stamped with their time, verdicts come out of
//! [`PermissionLedger::can_call`] / [`PermissionLedger::can_request`] for a given `now`.
//! Nothing expires by itself: a temporary permission is valid while `now < expires_at`
//! (Meta sends nothing when it lapses), and rolling limits count the events inside the
//! window that ends at `now`.

use protocol::{Direction, PhoneNumber, Timestamp};

use super::limits::{DAY, WEEK};
use super::{CallRefusal, PermissionLimits, RequestRefusal};

/// The permission the customer gave, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    None,
    /// Valid while `now < expires_at`.
    Temporary {
        expires_at: Timestamp,
    },
    Permanent,
}

/// Something that happened between the business and the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionEvent {
    /// The customer sent a message: opens the customer service window.
    CustomerMessaged,
    /// The customer called, answered or not: opens the customer service window.
    CustomerCalled,
    /// A permission request was sent to the customer.
    RequestSent,
    /// The customer accepted temporarily; `expires_at` as Meta sent it, or `None` for the
    /// standard lifetime from the reply.
    AcceptedTemporary {
        expires_at: Option<Timestamp>,
    },
    AcceptedPermanent,
    /// The customer declined: any permission they had is gone.
    Rejected,
    /// Callback permission: WhatsApp granted a temporary permission automatically because the
    /// customer called a number that has callback permission enabled.
    CallbackGranted {
        expires_at: Option<Timestamp>,
    },
    /// Meta revoked the permission (automatic reply webhook, or the customer revoked it).
    Revoked,
    /// A business-initiated call was rejected or not answered.
    BusinessCallUnanswered,
    /// A call of either direction connected.
    CallConnected {
        direction: Direction,
    },
}

/// Why the permission was last lost, to explain a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loss {
    Never,
    Revoked,
    RevokedAfterUnanswered,
}

/// Facts about one business number + customer pair.
///
/// Invariants: `requests` and `connected_business_calls` hold only events that can still
/// count (at most a week resp. a day older than the newest event applied), so the ledger
/// stays small however long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionLedger {
    business_number: PhoneNumber,
    customer_number: PhoneNumber,
    limits: PermissionLimits,
    grant: Grant,
    loss: Loss,
    last_customer_activity_at: Option<Timestamp>,
    /// Requests sent since the last connected call.
    requests: Vec<Timestamp>,
    unanswered_in_a_row: u32,
    connected_business_calls: Vec<Timestamp>,
}

impl PermissionLedger {
    /// A pair with no history: no permission, window closed.
    pub fn new(
        business_number: PhoneNumber,
        customer_number: PhoneNumber,
        limits: PermissionLimits,
    ) -> Self {
        Self {
            business_number,
            customer_number,
            limits,
            grant: Grant::None,
            loss: Loss::Never,
            last_customer_activity_at: None,
            requests: Vec::new(),
            unanswered_in_a_row: 0,
            connected_business_calls: Vec::new(),
        }
    }

    pub fn business_number(&self) -> &PhoneNumber {
        &self.business_number
    }

    pub fn customer_number(&self) -> &PhoneNumber {
        &self.customer_number
    }

    pub fn limits(&self) -> &PermissionLimits {
        &self.limits
    }

    /// The grant as recorded; see [`PermissionLedger::grant_at`] for the one in force.
    pub fn recorded_grant(&self) -> Grant {
        self.grant
    }

    /// The grant in force at `now` (a lapsed temporary permission is `None`).
    pub fn grant_at(&self, now: Timestamp) -> Grant {
        match self.grant {
            Grant::Temporary { expires_at } if now >= expires_at => Grant::None,
            grant => grant,
        }
    }

    /// Records what happened at `at`.
    pub fn apply(&mut self, event: PermissionEvent, at: Timestamp) {
        match event {
            PermissionEvent::CustomerMessaged | PermissionEvent::CustomerCalled => {
                self.last_customer_activity_at = Some(
                    self.last_customer_activity_at
                        .map_or(at, |last| last.max(at)),
                );
            }
            PermissionEvent::RequestSent => insert_sorted(&mut self.requests, at),
            PermissionEvent::AcceptedTemporary { expires_at }
            | PermissionEvent::CallbackGranted { expires_at } => {
                let expires_at = expires_at.unwrap_or(at + self.limits.temporary_lifetime);
                self.grant = match self.grant_at(at) {
                    Grant::Permanent => Grant::Permanent,
                    Grant::Temporary { expires_at: held } => Grant::Temporary {
                        expires_at: held.max(expires_at),
                    },
                    Grant::None => Grant::Temporary { expires_at },
                };
                self.unanswered_in_a_row = 0;
            }
            PermissionEvent::AcceptedPermanent => {
                self.grant = Grant::Permanent;
                self.unanswered_in_a_row = 0;
            }
            PermissionEvent::Rejected | PermissionEvent::Revoked => {
                self.grant = Grant::None;
                self.loss = Loss::Revoked;
            }
            PermissionEvent::BusinessCallUnanswered => {
                self.unanswered_in_a_row = self.unanswered_in_a_row.saturating_add(1);
                if self.unanswered_in_a_row >= self.limits.unanswered_calls_before_revocation {
                    self.grant = Grant::None;
                    self.loss = Loss::RevokedAfterUnanswered;
                    self.unanswered_in_a_row = 0;
                }
            }
            PermissionEvent::CallConnected { direction } => {
                // Any connected call resets the request limits.
                self.requests.clear();
                if direction == Direction::Outbound {
                    self.unanswered_in_a_row = 0;
                    insert_sorted(&mut self.connected_business_calls, at);
                }
            }
        }
        self.forget_before(at);
    }

    /// May an agent call the customer at `now`?
    pub fn can_call(&self, now: Timestamp) -> Result<(), CallRefusal> {
        if self.grant_at(now) == Grant::None {
            return Err(match (self.grant, self.loss) {
                (Grant::Temporary { expires_at }, _) => CallRefusal::PermissionExpired {
                    expired_at: expires_at,
                },
                (_, Loss::RevokedAfterUnanswered) => CallRefusal::RevokedAfterUnansweredCalls {
                    unanswered: self.limits.unanswered_calls_before_revocation,
                },
                _ => CallRefusal::NoPermission,
            });
        }
        let limit = self.limits.connected_calls_per_day;
        match next_slot(&self.connected_business_calls, now, DAY, limit) {
            Some(retry_at) => Err(CallRefusal::ConnectedCallLimit { limit, retry_at }),
            None => Ok(()),
        }
    }

    /// May an agent send the customer a permission request at `now`?
    pub fn can_request(&self, now: Timestamp) -> Result<(), RequestRefusal> {
        if self.grant_at(now) == Grant::Permanent {
            return Err(RequestRefusal::PermanentPermissionExists);
        }
        if self.service_window_closes_at(now).is_none() {
            return Err(RequestRefusal::ServiceWindowClosed);
        }
        match self.request_limit(now) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }

    /// When the request limits next allow a request, if they block one at `now`. The service
    /// window and a permanent permission are not considered: no date can be given for them.
    pub fn next_request_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.request_limit(now)
            .and_then(|refusal| refusal.retry_at())
    }

    /// When the customer service window closes, if it is open at `now`.
    pub fn service_window_closes_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.last_customer_activity_at
            .map(|last| last + self.limits.service_window)
            .filter(|closes_at| now < *closes_at)
    }

    /// The binding request limit at `now`: the one that allows the next request latest.
    fn request_limit(&self, now: Timestamp) -> Option<RequestRefusal> {
        let (per_day, per_week) = (self.limits.requests_per_day, self.limits.requests_per_week);
        let daily = next_slot(&self.requests, now, DAY, per_day).map(|retry_at| {
            RequestRefusal::DailyRequestLimit {
                limit: per_day,
                retry_at,
            }
        });
        let weekly = next_slot(&self.requests, now, WEEK, per_week).map(|retry_at| {
            RequestRefusal::WeeklyRequestLimit {
                limit: per_week,
                retry_at,
            }
        });
        match (daily, weekly) {
            (Some(d), Some(w)) => Some(if w.retry_at() > d.retry_at() { w } else { d }),
            (d, w) => d.or(w),
        }
    }

    /// Drops events too old to count against any limit evaluated at or after `at`.
    fn forget_before(&mut self, at: Timestamp) {
        self.requests.retain(|r| *r > at - WEEK);
        self.connected_business_calls.retain(|c| *c > at - DAY);
    }
}

fn insert_sorted(times: &mut Vec<Timestamp>, at: Timestamp) {
    let index = times.partition_point(|t| *t <= at);
    times.insert(index, at);
}

/// For a rolling limit of `limit` events per `window`: if the events inside the window
/// ending at `now` already reach the limit, the instant at which enough of them have left the
/// window for one more. `times` is sorted. A limit of 0 switches the check off.
fn next_slot(
    times: &[Timestamp],
    now: Timestamp,
    window: chrono::TimeDelta,
    limit: usize,
) -> Option<Timestamp> {
    if limit == 0 {
        return None;
    }
    let inside: Vec<Timestamp> = times
        .iter()
        .copied()
        .filter(|t| *t > now - window && *t <= now)
        .collect();
    // With n events inside, the (n - limit)-th oldest must leave before one more fits.
    let index = inside.len().checked_sub(limit)?;
    inside
        .get(index)
        .map(|oldest_blocking| *oldest_blocking + window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    #[test]
    fn events_that_can_no_longer_count_are_forgotten() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut ledger = PermissionLedger::new(
            PhoneNumber::new("15550001111").unwrap(),
            PhoneNumber::new("4915112345678").unwrap(),
            PermissionLimits::default(),
        );
        for day in 0..60 {
            let at = t0 + TimeDelta::days(day);
            ledger.apply(PermissionEvent::RequestSent, at);
            ledger.apply(
                PermissionEvent::CallConnected {
                    direction: Direction::Outbound,
                },
                at + TimeDelta::hours(1),
            );
            ledger.apply(PermissionEvent::RequestSent, at + TimeDelta::hours(2));
        }
        // Only the last day's connected call, and only requests since it, remain.
        assert_eq!(ledger.connected_business_calls.len(), 1);
        assert_eq!(ledger.requests.len(), 1);
    }
}
