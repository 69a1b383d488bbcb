//! Calls whose terminate never came: a call still on after
//! [`crate::config::Timers::max_call_duration`] is ended by the platform, so an agent is never
//! left busy for good by a webhook Meta gave up delivering. Meta has no call-length limit, so
//! the bound is generous (default 6 h) and the reaped record says `ended_by: system`.

use protocol::{CallState, CallStatus, Party, Timestamp};

use crate::store::calls::CallEnd;
use crate::store::wire::millis;

use super::effect::GraphStep;
use super::end;
use super::input::TimerKind;
use super::live::Phase;
use super::machine::{CallMachine, Effects};

impl CallMachine {
    /// Arms the reaper for `call_id` if it is on a call (answered at `answered_at`), in its
    /// current generation: any later phase change makes the timer stale.
    pub(super) fn arm_reaper(&self, call_id: &str, out: &mut Effects) {
        let Some(call) = self.live.calls.get(call_id) else {
            return;
        };
        let Phase::OnCall { answered_at, .. } = &call.phase else {
            return;
        };
        let bound = chrono::TimeDelta::from_std(self.settings.timers.max_call_duration)
            .unwrap_or(chrono::TimeDelta::MAX);
        let Some(at) = answered_at.checked_add_signed(bound) else {
            return; // a bound past the calendar's end never fires
        };
        out.arm(call_id, call.generation, TimerKind::MaxDuration, at);
    }

    /// The reaper fired for a call still on: completed, ended by the system, Meta told to
    /// terminate (in case the call is in fact still up there), the agent freed and told.
    pub(super) fn reap(&mut self, call_id: &str, now: Timestamp, out: &mut Effects) {
        let Some(call) = self.live.calls.remove(call_id) else {
            return;
        };
        let Phase::OnCall {
            agent_id,
            answered_at,
        } = call.phase.clone()
        else {
            self.live.calls.insert(call_id.to_owned(), call);
            return;
        };
        let duration_secs = (now - answered_at).num_seconds().max(0);
        tracing::warn!(
            call_id,
            agent_id,
            duration_secs,
            "no terminate from Meta within the longest a call may last: ended by the platform"
        );
        out.finish(
            call_id,
            CallEnd {
                duration_secs: Some(duration_secs),
                ..end(CallStatus::Completed, Party::System, millis(now))
            },
        );
        out.graph(&call, GraphStep::Terminate);
        self.outbound_over(&call, true, now, out);
        out.update(
            &agent_id,
            &call,
            CallState::Ended {
                at: now,
                duration_secs: u32::try_from(duration_secs).unwrap_or(u32::MAX),
                by: Party::System,
            },
        );
    }
}
