//! The live team view: supervisors see their team's agents, admins every agent, each with
//! presence and the call they ring for, connect or talk on.
//!
//! The view is derived, never kept by hand: after every input the machine computes each
//! agent's status from `Live` (O(agents + calls)), and a viewer whose view differs from what
//! they were last sent gets the whole view again as `team_status`. So no code path that
//! changes a presence or a call can forget to tell supervisors. Inputs that change nothing
//! visible (most webhooks) cost one comparison of the status map, and nothing at all while no
//! supervisor or admin is connected.
//!
//! Only agents the machine has seen connect since the platform started are listed (the
//! admin API lists everyone).

use std::collections::HashMap;

use protocol::{AgentId, Presence, ServerMessage, TeamCall, TeamCallPhase, TeamMember, TeamStatus};

use crate::store::agents::{Agent, Role};

use super::live::{LiveAgent, Phase};
use super::machine::{CallMachine, Effects};

/// What the team view last was: the statuses it was computed from, and what each viewer
/// (by agent id) was sent, on which connection.
#[derive(Debug, Default)]
pub struct TeamSent {
    statuses: HashMap<String, TeamMember>,
    viewers: Vec<(String, u64, Role, Option<String>)>,
    sent: HashMap<String, (u64, Vec<TeamMember>)>,
}

/// Whom `viewer` sees: admins everyone, supervisors their team, agents nobody.
fn sees(viewer: &Agent, member: &Agent) -> bool {
    match viewer.role {
        Role::Admin => true,
        Role::Supervisor => viewer.team.is_some() && viewer.team == member.team,
        Role::Agent => false,
    }
}

impl CallMachine {
    /// Every known agent's status now, by agent id.
    fn team_statuses(&self) -> HashMap<String, TeamMember> {
        let mut calls: HashMap<&str, TeamCall> = HashMap::new();
        for call in self.live.calls.values() {
            let Some(agent_id) = call.phase.agent_id() else {
                continue;
            };
            let (phase, since) = match &call.phase {
                Phase::Routing => continue,
                Phase::Ringing { .. } => (TeamCallPhase::Ringing, call.offered_at),
                Phase::OnCall { answered_at, .. } => (TeamCallPhase::OnCall, *answered_at),
                _ => (TeamCallPhase::Connecting, call.offered_at),
            };
            calls.insert(
                agent_id,
                TeamCall {
                    call_id: call.id.clone(),
                    direction: call.direction,
                    customer: call.customer.clone(),
                    phase,
                    since,
                },
            );
        }
        self.live
            .agents
            .iter()
            .filter_map(|(id, live)| {
                let agent_id = AgentId::new(id.clone()).ok()?;
                let presence = match live.connection_id {
                    Some(_) => live.presence,
                    None => Presence::Offline,
                };
                let member = TeamMember {
                    agent_id,
                    name: live.agent.name.clone(),
                    presence,
                    call: calls.remove(id.as_str()),
                };
                Some((id.clone(), member))
            })
            .collect()
    }

    /// What `viewer` sees among `statuses`, by name (empty for an agent).
    fn view_of(&self, viewer: &Agent, statuses: &HashMap<String, TeamMember>) -> Vec<TeamMember> {
        let mut members: Vec<TeamMember> = self
            .live
            .agents
            .iter()
            .filter(|(_, member)| sees(viewer, &member.agent))
            .filter_map(|(id, _)| statuses.get(id).cloned())
            .collect();
        members.sort_by(|a, b| (&a.name, &a.agent_id).cmp(&(&b.name, &b.agent_id)));
        members
    }

    /// The view for `hello` on `connection_id`; remembered as sent there.
    pub(super) fn team_for_hello(
        &mut self,
        viewer_id: &str,
        connection_id: u64,
    ) -> Vec<TeamMember> {
        let Some(viewer) = self
            .live
            .agents
            .get(viewer_id)
            .map(|live| live.agent.clone())
        else {
            return Vec::new();
        };
        let view = self.view_of(&viewer, &self.team_statuses());
        self.live
            .team
            .sent
            .insert(viewer_id.to_owned(), (connection_id, view.clone()));
        view
    }

    /// After an input: `team_status` to every connected viewer whose view changed.
    pub(super) fn publish_team(&mut self, out: &mut Effects) {
        let viewers: Vec<(String, u64, Role, Option<String>)> = self
            .live
            .agents
            .values()
            .filter(|live| live.agent.role != Role::Agent)
            .filter_map(|live: &LiveAgent| {
                let connection = live.connection_id?;
                Some((
                    live.agent.id.clone(),
                    connection,
                    live.agent.role,
                    live.agent.team.clone(),
                ))
            })
            .collect();
        if viewers.is_empty() {
            // Nobody watches (the usual case on a busy webhook stream): no statuses to compute.
            // The next viewer's `hello` computes its view fresh and records it as sent.
            self.live.team = TeamSent::default();
            return;
        }
        let statuses = self.team_statuses();
        if statuses == self.live.team.statuses && viewers == self.live.team.viewers {
            return;
        }
        for (viewer_id, connection, _, _) in &viewers {
            let Some(viewer) = self.live.agents.get(viewer_id).map(|live| &live.agent) else {
                continue;
            };
            let view = self.view_of(viewer, &statuses);
            let unchanged = self
                .live
                .team
                .sent
                .get(viewer_id)
                .is_some_and(|(sent_on, sent)| sent_on == connection && *sent == view);
            if unchanged {
                continue;
            }
            self.live
                .team
                .sent
                .insert(viewer_id.clone(), (*connection, view.clone()));
            out.send(
                viewer_id,
                ServerMessage::TeamStatus(TeamStatus { members: view }),
            );
        }
        self.live
            .team
            .sent
            .retain(|id, _| viewers.iter().any(|(viewer, ..)| viewer == id));
        self.live.team.statuses = statuses;
        self.live.team.viewers = viewers;
    }
}
