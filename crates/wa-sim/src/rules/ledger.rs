//! Per-customer call-permission state for one business number, as Meta keeps it
//! (`reference/meta-calling-api.md` §4).
//!
//! Invariants:
//! - a temporary permission is valid while `now < expires_at` and is never "expired" by an event:
//!   validity is always computed from the timestamp (Meta sends no webhook on expiry);
//! - permission requests are counted since the last connected call (any direction): a connected
//!   call clears the counts;
//! - `connected_bic` only holds connected business-initiated calls of the last 24 h that matter for
//!   the 100/24 h limit;
//! - `consecutive_unanswered` counts business-initiated calls not picked up since the last one that
//!   was; reaching the revoke threshold drops the permission.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::clock::SimTime;

use super::refusal::Refusal;

pub const DAY: Duration = Duration::from_secs(24 * 3600);
pub const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// The limits the ledger enforces (Meta's current values by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLimits {
    pub temporary_lifetime: Duration,
    pub requests_per_day: usize,
    pub requests_per_week: usize,
    pub connected_calls_per_day: usize,
    pub unanswered_before_revoke: u32,
    pub service_window: Duration,
}

impl Default for LedgerLimits {
    fn default() -> Self {
        Self {
            temporary_lifetime: WEEK,
            requests_per_day: 1,
            requests_per_week: 2,
            connected_calls_per_day: 100,
            unanswered_before_revoke: 4,
            service_window: DAY,
        }
    }
}

/// A customer's permission as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Permission {
    #[default]
    None,
    Temporary {
        expires_at: SimTime,
    },
    Permanent,
}

/// What the customer said to a permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionAnswer {
    AcceptTemporary,
    AcceptPermanent,
    Reject,
}

#[derive(Debug, Default)]
struct CustomerRecord {
    permission: Permission,
    requests: Vec<SimTime>,
    last_request_id: Option<String>,
    connected_bic: VecDeque<SimTime>,
    consecutive_unanswered: u32,
    last_inbound: Option<SimTime>,
}

/// One limited action's usage, shaped like `GET /call_permissions` `actions[].limits[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitUsage {
    pub period: &'static str,
    pub max_allowed: usize,
    pub current_usage: usize,
    /// When the usage falls below the maximum again; only set when the limit is reached.
    pub expires_at: Option<SimTime>,
}

/// The ledger's answer to `GET /call_permissions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionView {
    pub permission: Permission,
    pub can_request: bool,
    pub request_limits: Vec<LimitUsage>,
    pub can_call: bool,
    pub call_limits: Vec<LimitUsage>,
}

/// Call permissions and their limits, keyed by the customer's `wa_id`.
#[derive(Debug, Default)]
pub struct PermissionLedger {
    limits: LedgerLimits,
    customers: HashMap<String, CustomerRecord>,
}

impl PermissionLedger {
    pub fn new(limits: LedgerLimits) -> Self {
        Self {
            limits,
            customers: HashMap::new(),
        }
    }

    fn record(&mut self, wa_id: &str) -> &mut CustomerRecord {
        self.customers.entry(wa_id.to_owned()).or_default()
    }

    /// The permission in force at `now` (an expired temporary one reads as `None`).
    pub fn permission(&self, now: SimTime, wa_id: &str) -> Permission {
        match self.customers.get(wa_id).map(|r| r.permission) {
            Some(Permission::Temporary { expires_at }) if now >= expires_at => Permission::None,
            Some(p) => p,
            None => Permission::None,
        }
    }

    /// The customer messaged or called: the customer service window opens.
    pub fn record_inbound(&mut self, now: SimTime, wa_id: &str) {
        self.record(wa_id).last_inbound = Some(now);
    }

    /// Whether a free-form message may be sent to the customer at `now`.
    pub fn service_window_open(&self, now: SimTime, wa_id: &str) -> bool {
        self.customers
            .get(wa_id)
            .and_then(|r| r.last_inbound)
            .is_some_and(|at| now.since(at) < self.limits.service_window)
    }

    fn request_usage(&self, now: SimTime, wa_id: &str) -> [LimitUsage; 2] {
        let requests = self
            .customers
            .get(wa_id)
            .map(|r| r.requests.as_slice())
            .unwrap_or_default();
        let usage = |period, window: Duration, max: usize| {
            let in_window: Vec<SimTime> = requests
                .iter()
                .copied()
                .filter(|at| now.since(*at) < window)
                .collect();
            let expires_at = (in_window.len() >= max)
                .then(|| {
                    // The limit lifts when enough of the oldest requests leave the window.
                    let mut sorted = in_window.clone();
                    sorted.sort_unstable();
                    sorted.get(in_window.len() - max).map(|t| t.plus(window))
                })
                .flatten();
            LimitUsage {
                period,
                max_allowed: max,
                current_usage: in_window.len(),
                expires_at,
            }
        };
        [
            usage("PT24H", DAY, self.limits.requests_per_day),
            usage("P7D", WEEK, self.limits.requests_per_week),
        ]
    }

    /// Whether a permission request may be sent now; the refusal says which rule forbids it.
    /// `free_form` requests also need the customer service window.
    pub fn check_request(&self, now: SimTime, wa_id: &str, free_form: bool) -> Result<(), Refusal> {
        if self.permission(now, wa_id) == Permission::Permanent {
            return Err(Refusal::PermanentPermissionExists {
                wa_id: wa_id.to_owned(),
            });
        }
        if free_form && !self.service_window_open(now, wa_id) {
            return Err(Refusal::OutsideServiceWindow {
                wa_id: wa_id.to_owned(),
            });
        }
        for usage in self.request_usage(now, wa_id) {
            if let Some(next_allowed) = usage.expires_at {
                return Err(Refusal::PermissionRequestLimit {
                    max: usage.max_allowed,
                    period: if usage.period == "PT24H" {
                        "24 hours"
                    } else {
                        "7 days"
                    },
                    next_allowed,
                });
            }
        }
        Ok(())
    }

    /// Counts a sent permission request whose message id is `message_id`.
    pub fn record_request(&mut self, now: SimTime, wa_id: &str, message_id: &str) {
        let week = WEEK;
        let record = self.record(wa_id);
        record.requests.retain(|at| now.since(*at) < week);
        record.requests.push(now);
        record.last_request_id = Some(message_id.to_owned());
    }

    /// The message id of the newest permission request, which a reply refers to.
    pub fn last_request_id(&self, wa_id: &str) -> Option<String> {
        self.customers
            .get(wa_id)
            .and_then(|r| r.last_request_id.clone())
    }

    /// Applies the customer's answer; returns the expiry of a temporary grant.
    pub fn answer(
        &mut self,
        now: SimTime,
        wa_id: &str,
        answer: PermissionAnswer,
    ) -> Option<SimTime> {
        let lifetime = self.limits.temporary_lifetime;
        let record = self.record(wa_id);
        match answer {
            PermissionAnswer::AcceptTemporary => {
                let expires_at = now.plus(lifetime);
                record.permission = Permission::Temporary { expires_at };
                record.consecutive_unanswered = 0;
                Some(expires_at)
            }
            PermissionAnswer::AcceptPermanent => {
                record.permission = Permission::Permanent;
                record.consecutive_unanswered = 0;
                None
            }
            PermissionAnswer::Reject => {
                record.permission = Permission::None;
                None
            }
        }
    }

    fn call_usage(&self, now: SimTime, wa_id: &str) -> LimitUsage {
        let max = self.limits.connected_calls_per_day;
        let recent: Vec<SimTime> = self
            .customers
            .get(wa_id)
            .map(|r| {
                r.connected_bic
                    .iter()
                    .copied()
                    .filter(|at| now.since(*at) < DAY)
                    .collect()
            })
            .unwrap_or_default();
        let expires_at = (recent.len() >= max)
            .then(|| recent.get(recent.len() - max).map(|t| t.plus(DAY)))
            .flatten();
        LimitUsage {
            period: "PT24H",
            max_allowed: max,
            current_usage: recent.len(),
            expires_at,
        }
    }

    /// Whether the business may call the customer now (permission and the connected-call limit).
    pub fn check_call(&self, now: SimTime, wa_id: &str) -> Result<(), Refusal> {
        if self.permission(now, wa_id) == Permission::None {
            return Err(Refusal::NoCallPermission {
                wa_id: wa_id.to_owned(),
            });
        }
        let usage = self.call_usage(now, wa_id);
        if let Some(next_allowed) = usage.expires_at {
            return Err(Refusal::ConnectedCallLimit {
                limit: usage.max_allowed,
                next_allowed,
            });
        }
        Ok(())
    }

    /// A call with the customer connected: request counts reset; a business-initiated one counts
    /// toward the daily limit and ends a run of unanswered calls.
    pub fn record_connected(&mut self, now: SimTime, wa_id: &str, business_initiated: bool) {
        let record = self.record(wa_id);
        record.requests.clear();
        if business_initiated {
            record.connected_bic.retain(|at| now.since(*at) < DAY);
            record.connected_bic.push_back(now);
            record.consecutive_unanswered = 0;
        }
    }

    /// A business-initiated call went unanswered (rejected, not picked up, cancelled). Returns
    /// `true` when this revoked the permission.
    pub fn record_unanswered(&mut self, now: SimTime, wa_id: &str) -> bool {
        let threshold = self.limits.unanswered_before_revoke;
        let had_permission = self.permission(now, wa_id) != Permission::None;
        let record = self.record(wa_id);
        record.consecutive_unanswered += 1;
        if record.consecutive_unanswered >= threshold && had_permission {
            record.permission = Permission::None;
            record.consecutive_unanswered = 0;
            return true;
        }
        false
    }

    /// The state `GET /call_permissions` reports.
    pub fn view(&self, now: SimTime, wa_id: &str) -> PermissionView {
        let permission = self.permission(now, wa_id);
        let request_limits = self.request_usage(now, wa_id).to_vec();
        let call_limits = vec![self.call_usage(now, wa_id)];
        PermissionView {
            permission,
            // The service window is not part of Meta's limit view (templates may be sent anytime).
            can_request: self.check_request(now, wa_id, false).is_ok(),
            request_limits,
            can_call: self.check_call(now, wa_id).is_ok(),
            call_limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &str = "15550100001";

    fn t(secs: u64) -> SimTime {
        SimTime::from_secs(1_700_000_000 + secs)
    }

    fn ledger() -> PermissionLedger {
        PermissionLedger::new(LedgerLimits::default())
    }

    #[test]
    fn temporary_permission_lasts_seven_days_and_expires_silently() {
        let mut l = ledger();
        let expiry = l.answer(t(0), CUSTOMER, PermissionAnswer::AcceptTemporary);
        assert_eq!(expiry, Some(t(7 * 86_400)));
        assert!(l.check_call(t(7 * 86_400 - 1), CUSTOMER).is_ok());
        assert_eq!(
            l.check_call(t(7 * 86_400), CUSTOMER),
            Err(Refusal::NoCallPermission {
                wa_id: CUSTOMER.into()
            })
        );
    }

    #[test]
    fn one_request_per_day_two_per_week() {
        let mut l = ledger();
        l.record_request(t(0), CUSTOMER, "wamid.1");
        let day = l.check_request(t(3600), CUSTOMER, false).unwrap_err();
        assert_eq!(day.code(), 138009);
        assert_eq!(day.next_allowed(), Some(t(86_400)));
        assert!(l.check_request(t(86_400), CUSTOMER, false).is_ok());
        l.record_request(t(86_400), CUSTOMER, "wamid.2");
        // Two in the week: refused even after the day passed, until the first leaves the week.
        let week = l.check_request(t(3 * 86_400), CUSTOMER, false).unwrap_err();
        assert_eq!(week.next_allowed(), Some(t(7 * 86_400)));
        assert!(l.check_request(t(7 * 86_400), CUSTOMER, false).is_ok());
    }

    #[test]
    fn a_connected_call_resets_request_counts() {
        let mut l = ledger();
        l.record_request(t(0), CUSTOMER, "wamid.1");
        assert!(l.check_request(t(10), CUSTOMER, false).is_err());
        l.record_connected(t(20), CUSTOMER, false);
        assert!(l.check_request(t(30), CUSTOMER, false).is_ok());
    }

    #[test]
    fn never_request_when_permanent_and_free_form_needs_the_window() {
        let mut l = ledger();
        assert_eq!(
            l.check_request(t(0), CUSTOMER, true).unwrap_err().code(),
            131047
        );
        l.record_inbound(t(0), CUSTOMER);
        assert!(l.check_request(t(86_399), CUSTOMER, true).is_ok());
        assert!(l.check_request(t(86_400), CUSTOMER, true).is_err());
        l.answer(t(0), CUSTOMER, PermissionAnswer::AcceptPermanent);
        assert_eq!(
            l.check_request(t(1), CUSTOMER, false).unwrap_err().code(),
            138017
        );
    }

    #[test]
    fn hundred_connected_calls_per_day_then_refused_until_the_oldest_ages_out() {
        let mut l = ledger();
        l.answer(t(0), CUSTOMER, PermissionAnswer::AcceptPermanent);
        for i in 0..100 {
            assert!(l.check_call(t(i), CUSTOMER).is_ok(), "call {i}");
            l.record_connected(t(i), CUSTOMER, true);
        }
        let refusal = l.check_call(t(100), CUSTOMER).unwrap_err();
        assert_eq!(refusal.code(), 138012);
        assert_eq!(refusal.next_allowed(), Some(t(86_400)));
        assert_eq!(l.view(t(100), CUSTOMER).call_limits[0].current_usage, 100);
        assert!(l.check_call(t(86_400), CUSTOMER).is_ok());
    }

    #[test]
    fn four_unanswered_calls_revoke_and_an_answered_one_resets_the_run() {
        let mut l = ledger();
        l.answer(t(0), CUSTOMER, PermissionAnswer::AcceptPermanent);
        for _ in 0..3 {
            assert!(!l.record_unanswered(t(1), CUSTOMER));
        }
        l.record_connected(t(2), CUSTOMER, true);
        for _ in 0..3 {
            assert!(!l.record_unanswered(t(3), CUSTOMER));
        }
        assert!(l.record_unanswered(t(4), CUSTOMER));
        assert_eq!(l.permission(t(5), CUSTOMER), Permission::None);
    }

    #[test]
    fn view_reports_usage_and_expiry_only_when_reached() {
        let mut l = ledger();
        l.record_request(t(0), CUSTOMER, "wamid.1");
        let view = l.view(t(10), CUSTOMER);
        assert!(!view.can_request);
        assert_eq!(view.request_limits[0].current_usage, 1);
        assert_eq!(view.request_limits[0].expires_at, Some(t(86_400)));
        assert_eq!(view.request_limits[1].expires_at, None);
        assert!(!view.can_call);
    }
}
