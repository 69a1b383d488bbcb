//! The live team view over real sockets: a supervisor sees their team's agents' presence and
//! calls change as they happen, an admin sees everyone, an agent nobody; other teams stay
//! out of a supervisor's view.

use protocol::{Presence, ServerMessage, TeamCallPhase, TeamMember};
use serde_json::json;

use platform::store::agents::Role;

use crate::support::{reply_outcome, talked_call, AgentSocket, Harness, CUSTOMER};

async fn hello_team(socket: &mut AgentSocket) -> Vec<TeamMember> {
    match socket.recv().await {
        ServerMessage::Hello(hello) => hello.team,
        other => panic!("expected hello, got {other:?}"),
    }
}

/// The next `team_status` (other messages skipped).
async fn next_team(socket: &mut AgentSocket) -> Vec<TeamMember> {
    loop {
        if let ServerMessage::TeamStatus(status) = socket.recv().await {
            return status.members;
        }
    }
}

fn member<'a>(team: &'a [TeamMember], name: &str) -> &'a TeamMember {
    team.iter()
        .find(|member| member.name == name)
        .unwrap_or_else(|| panic!("{name} not in {team:?}"))
}

fn names(team: &[TeamMember]) -> Vec<&str> {
    team.iter().map(|member| member.name.as_str()).collect()
}

#[tokio::test]
async fn a_supervisor_sees_their_team_live_and_nobody_else_does() {
    let mut harness = Harness::start().await;
    let (_, sam_token) = harness.agent("sam", Role::Supervisor, Some("north")).await;
    let (_, alice_token) = harness.agent("alice", Role::Agent, Some("north")).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, Some("south")).await;
    let (_, root_token) = harness.agent("root", Role::Admin, None).await;

    let mut sam = harness.connect(&sam_token).await.watching_team();
    let team = hello_team(&mut sam).await;
    assert_eq!(names(&team), ["sam"]);
    assert_eq!(member(&team, "sam").presence, Presence::Available);
    // Sam steps away so calls ring alice.
    let away = sam
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    assert_eq!(reply_outcome(&mut sam, &away).await, None);
    assert_eq!(
        member(&next_team(&mut sam).await, "sam").presence,
        Presence::Away
    );

    let mut alice = harness.connect(&alice_token).await.watching_team();
    assert_eq!(
        hello_team(&mut alice).await,
        vec![],
        "an agent sees no team"
    );
    let team = next_team(&mut sam).await;
    assert_eq!(names(&team), ["alice", "sam"]);
    assert_eq!(member(&team, "alice").presence, Presence::Available);
    assert_eq!(member(&team, "alice").call, None);

    let mut bob = harness.connect(&bob_token).await.watching_team();
    assert_eq!(hello_team(&mut bob).await, vec![]);
    // Bob steps away too, so the call rings alice; sam is not told (another team).
    let away = bob
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    assert_eq!(reply_outcome(&mut bob, &away).await, None);

    // Alice takes a call from ringing to the end; sam sees each step.
    talked_call(&mut harness, &mut alice, "wacid.TEAM").await;
    let mut phases = Vec::new();
    loop {
        let team = next_team(&mut sam).await;
        assert!(
            !names(&team).contains(&"bob"),
            "another team's agent: {team:?}"
        );
        match &member(&team, "alice").call {
            Some(call) => {
                assert_eq!(call.call_id.as_str(), "wacid.TEAM");
                assert_eq!(call.customer.number.as_str(), CUSTOMER);
                if phases.last() != Some(&call.phase) {
                    phases.push(call.phase);
                }
            }
            None => break,
        }
    }
    assert_eq!(
        phases,
        [
            TeamCallPhase::Ringing,
            TeamCallPhase::Connecting,
            TeamCallPhase::OnCall
        ]
    );

    // Alice's app goes away: offline.
    alice.close().await;
    let team = next_team(&mut sam).await;
    assert_eq!(member(&team, "alice").presence, Presence::Offline);

    // An admin sees everyone the platform has seen, by name.
    let mut root = harness.connect(&root_token).await.watching_team();
    let team = hello_team(&mut root).await;
    assert_eq!(names(&team), ["alice", "bob", "root", "sam"]);
    assert_eq!(member(&team, "bob").presence, Presence::Away);

    // Bob (an agent) was never sent the team.
    let seen = bob.drain().await;
    assert!(
        !seen
            .iter()
            .any(|message| matches!(message, ServerMessage::TeamStatus(_))),
        "{seen:?}"
    );
    harness.platform.shutdown().await;
}
