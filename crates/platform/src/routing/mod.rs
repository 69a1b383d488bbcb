//! Routing of user-initiated calls (PRODUCT.md "Routing of user-initiated calls").
//!
//! Pure: every function takes the number's settings, a [`RoutingSnapshot`] of the agents and
//! the current time, and returns a decision; the server gathers the snapshot and acts on the
//! decision (rings, rejects with Meta, sends the auto-reply, writes the record).
//!
//! - [`route`] answers "who rings first, or why is the call refused" (steps 1–4).
//! - [`RingSequence`] carries the call from one agent to the next (step 5).

mod call_hours;
mod decision;
mod number_config;
mod ring_sequence;
#[cfg(test)]
mod ring_sequence_props;
mod snapshot;
#[cfg(test)]
mod tests;

pub use call_hours::{CallHours, CallHoursError, TimeRange, WeeklyHours, MAX_RANGES_PER_DAY, WEEK};
pub use decision::{route, RejectStatus, RoutingDecision};
pub use number_config::{AutoReplies, NumberRouting, RingTiming, RingTimingError};
pub use ring_sequence::{RingSequence, RingSequenceError, RingStep};
pub use snapshot::{AgentState, RoutingSnapshot};
