//! WhatsApp's call-permission rules, as numbers (reference/meta-calling-api.md §4.5).

use chrono::TimeDelta;

/// The limits a [`super::PermissionLedger`] enforces. `Default` is Meta's production values;
/// Meta's sandbox numbers use other ones, hence a struct and not constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionLimits {
    /// The customer service window after the customer's last message or call.
    pub service_window: TimeDelta,
    /// How long a temporary permission lasts from the reply.
    pub temporary_lifetime: TimeDelta,
    /// Permission requests allowed per rolling 24 h.
    pub requests_per_day: usize,
    /// Permission requests allowed per rolling 7 days.
    pub requests_per_week: usize,
    /// Unanswered business-initiated calls in a row after which Meta revokes the permission.
    pub unanswered_calls_before_revocation: u32,
    /// Connected business-initiated calls allowed per rolling 24 h.
    pub connected_calls_per_day: usize,
}

/// A rolling day, the window of the daily limits.
pub const DAY: TimeDelta = TimeDelta::hours(24);
/// A rolling week, the window of the weekly request limit.
pub const WEEK: TimeDelta = TimeDelta::days(7);

impl Default for PermissionLimits {
    fn default() -> Self {
        Self {
            service_window: DAY,
            temporary_lifetime: WEEK,
            requests_per_day: 1,
            requests_per_week: 2,
            unanswered_calls_before_revocation: 4,
            connected_calls_per_day: 100,
        }
    }
}
