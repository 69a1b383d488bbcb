//! The admin REST API with three roles: who may read and change agents, teams and the audit
//! log; refusals change nothing; a rotated or revoked token stops at once, its open socket is
//! closed without waiting for the revocation sweep, and rotation keeps the agent's history and
//! assignments.

use std::time::Duration;

use platform::store::agents::Role;
use protocol::{ErrorCode, ServerMessage};
use serde_json::{json, Value};

use crate::api::ring_and_reject;
use crate::support::*;

/// The sweep would find a revoked agent within this; the tests must not need it.
const NO_SWEEP: Duration = Duration::from_secs(3600);

async fn request(
    harness: &Harness,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = harness
        .http
        .request(method, format!("{}{path}", harness.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(harness: &Harness, path: &str, token: &str, body: Value) -> (u16, Value) {
    request(harness, reqwest::Method::POST, path, token, Some(body)).await
}

async fn patch(harness: &Harness, path: &str, token: &str, body: Value) -> (u16, Value) {
    request(harness, reqwest::Method::PATCH, path, token, Some(body)).await
}

fn names(agents: &Value) -> Vec<String> {
    let mut names: Vec<String> = agents
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|agent| agent["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// Everything an admin can read: the agents (without `last_used_at`, which reading moves)
/// and the audit log.
async fn everything(harness: &Harness, admin: &str) -> (Value, Value) {
    let (status, mut agents) = harness.get_json("/api/v1/agents", admin).await;
    assert_eq!(status, 200, "{agents}");
    for agent in agents.as_array_mut().unwrap() {
        agent.as_object_mut().unwrap().remove("last_used_at");
    }
    let (status, audit) = harness.get_json("/api/v1/audit", admin).await;
    assert_eq!(status, 200, "{audit}");
    (agents, audit)
}

#[tokio::test]
async fn each_role_reaches_exactly_its_agents_and_a_refusal_changes_nothing() {
    let harness = Harness::start().await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    let (_, lead) = harness
        .agent("red-lead", Role::Supervisor, Some("red"))
        .await;
    let (red_id, red) = harness.agent("red-agent", Role::Agent, Some("red")).await;
    let (blue_id, blue) = harness.agent("blue-agent", Role::Agent, Some("blue")).await;
    let before = everything(&harness, &admin).await;
    assert_eq!(
        names(&before.0),
        ["admin", "blue-agent", "red-agent", "red-lead"]
    );

    // An agent: themself only.
    let (status, body) = harness.get_json("/api/v1/agents", &red).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, body) = harness
        .get_json(&format!("/api/v1/agents/{red_id}"), &red)
        .await;
    assert_eq!((status, body["name"].as_str()), (200, Some("red-agent")));
    assert!(body.get("token").is_none() && body.get("token_hash").is_none());
    let other = format!("/api/v1/agents/{blue_id}");
    let (status, body) = harness.get_json(&other, &red).await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    for (path, body) in [
        (format!("/api/v1/agents/{blue_id}/token"), json!({})),
        (format!("/api/v1/agents/{blue_id}/revoke"), json!({})),
    ] {
        let (status, answer) = post(&harness, &path, &red, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (status, body) = patch(
        &harness,
        &format!("/api/v1/agents/{red_id}"),
        &red,
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, _) = post(
        &harness,
        "/api/v1/agents",
        &red,
        json!({"name": "sneaky", "role": "admin"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(&harness, "/api/v1/teams", &red, json!({"name": "mine"})).await;
    assert_eq!(status, 403);
    assert_eq!(harness.get_json("/api/v1/audit", &red).await.0, 403);
    assert_eq!(harness.get_json("/api/v1/teams", &red).await.0, 403);

    // A supervisor: the team, read only.
    let (status, body) = harness.get_json("/api/v1/agents", &lead).await;
    assert_eq!(status, 200);
    assert_eq!(names(&body), ["red-agent", "red-lead"]);
    assert_eq!(harness.get_json(&other, &lead).await.0, 404);
    let (status, body) = patch(
        &harness,
        &format!("/api/v1/agents/{red_id}"),
        &lead,
        json!({"team": "blue"}),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, _) = post(
        &harness,
        &format!("/api/v1/agents/{red_id}/token"),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(harness.get_json("/api/v1/audit", &lead).await.0, 403);
    let (status, teams) = harness.get_json("/api/v1/teams", &lead).await;
    assert_eq!(status, 200);
    assert_eq!(
        teams,
        json!([
            {"name": "blue", "created_at": teams[0]["created_at"], "members": 1},
            {"name": "red", "created_at": teams[1]["created_at"], "members": 2},
        ])
    );

    // Nothing changed: the same agents, the same audit log, every token still good.
    assert_eq!(everything(&harness, &admin).await, before);
    for token in [&red, &blue, &lead] {
        assert_eq!(harness.get_json("/api/calls", token).await.0, 200);
    }
}

#[tokio::test]
async fn a_rotated_token_keeps_the_agent_and_the_old_one_stops_at_once_closing_its_socket() {
    let harness = Harness::start_with(|settings| settings.revocation_check = NO_SWEEP).await;
    let (admin_id, admin) = harness.agent("admin", Role::Admin, None).await;
    let (ann_id, old) = harness.agent("ann", Role::Agent, Some("red")).await;
    harness
        .platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &ann_id)
        .await
        .unwrap();
    let mut socket = harness.connect(&old).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    ring_and_reject(&harness, &mut socket, "wacid.BEFORE-ROTATION").await;

    let (status, body) = post(
        &harness,
        &format!("/api/v1/agents/{ann_id}/token"),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["id"], ann_id.as_str());
    let new = body["token"].as_str().unwrap().to_owned();
    assert!(new.starts_with("rdk_") && new != old);

    // The open socket is closed now, not at the next sweep (an hour away).
    let (messages, close) = socket.until_close().await;
    assert!(
        messages.iter().any(|message| matches!(
            message,
            ServerMessage::Error(error) if error.code == ErrorCode::Unauthorized
        )),
        "{messages:?}"
    );
    assert_eq!(u16::from(close.expect("a close frame").code), 1008);
    // The old token authenticates nothing.
    let (status, body) = harness.get_json("/api/calls", &old).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "{body}");
    assert_eq!(AgentSocket::refused_status(&harness.base, &old).await, 401);

    // The new one is the same agent: same history, same conversation.
    let (status, calls) = harness.get_json("/api/calls", &new).await;
    assert_eq!(status, 200);
    let calls: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["id"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["wacid.BEFORE-ROTATION"]);
    let (_, conversations) = harness.get_json("/api/conversations", &new).await;
    assert_eq!(
        conversations.as_array().map(Vec::len),
        Some(1),
        "{conversations}"
    );
    let mut socket = harness.connect(&new).await;
    match socket.recv().await {
        ServerMessage::Hello(hello) => assert_eq!(hello.agent.display_name, "ann"),
        other => panic!("expected hello, got {other:?}"),
    }

    // An agent may rotate their own token; the audit says who did what.
    let (status, body) = post(
        &harness,
        &format!("/api/v1/agents/{ann_id}/token"),
        &new,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let newest = body["token"].as_str().unwrap().to_owned();
    let (_, close) = socket.until_close().await;
    assert_eq!(u16::from(close.expect("a close frame").code), 1008);
    assert_eq!(harness.get_json("/api/calls", &new).await.0, 401);
    assert_eq!(harness.get_json("/api/calls", &newest).await.0, 200);
    let (_, audit) = harness.get_json("/api/v1/audit", &admin).await;
    let rotations: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "agent.rotate_token")
        .map(|entry| {
            assert_eq!(entry["target"], ann_id.as_str());
            (
                entry["actor_name"].as_str().unwrap(),
                entry["actor_id"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first.
    assert_eq!(
        rotations,
        [("ann", ann_id.as_str()), ("admin", admin_id.as_str())]
    );
    let text = audit.to_string();
    for token in [&old, &new, &newest] {
        assert!(!text.contains(token.as_str()), "a token in the audit log");
    }
}

#[tokio::test]
async fn a_revoked_agent_is_signed_out_at_once_and_a_rotation_reinstates_them() {
    let harness = Harness::start_with(|settings| settings.revocation_check = NO_SWEEP).await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    let (bob_id, bob) = harness.agent("bob", Role::Agent, None).await;
    let mut socket = harness.connect(&bob).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));

    let revoke = format!("/api/v1/agents/{bob_id}/revoke");
    let (status, body) = post(&harness, &revoke, &admin, json!({})).await;
    assert_eq!(
        (status, body["revoked"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (_, close) = socket.until_close().await;
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert!(close.reason.as_str().contains("token revoked"), "{close:?}");
    assert_eq!(harness.get_json("/api/calls", &bob).await.0, 401);
    // Revoking again changes nothing and is not audited twice.
    assert_eq!(post(&harness, &revoke, &admin, json!({})).await.0, 200);
    let (_, audit) = harness.get_json("/api/v1/audit", &admin).await;
    let revokes = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "agent.revoke")
        .count();
    assert_eq!(revokes, 1);

    // A token with an expiry reinstates bob; past the expiry it stops.
    let expiry = chrono::Utc::now() + chrono::Duration::days(30);
    let (status, body) = post(
        &harness,
        &format!("/api/v1/agents/{bob_id}/token"),
        &admin,
        json!({"token_expires_at": expiry.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["revoked"], false);
    assert_eq!(
        body["agent"]["token_expires_at"]
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.timestamp()),
        Some(expiry.timestamp())
    );
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(harness.get_json("/api/calls", &token).await.0, 200);
    let (_, shown) = harness
        .get_json(&format!("/api/v1/agents/{bob_id}"), &admin)
        .await;
    assert!(shown["last_used_at"].is_string(), "use is noted: {shown}");
    sqlx::query("UPDATE agents SET token_expires_at = 1 WHERE id = $1")
        .bind(&bob_id)
        .execute(harness.platform.store().pool())
        .await
        .unwrap();
    assert_eq!(harness.get_json("/api/calls", &token).await.0, 401);
    assert_eq!(
        AgentSocket::refused_status(&harness.base, &token).await,
        401
    );

    // An expiry in the past is refused with its reason.
    let (status, body) = post(
        &harness,
        &format!("/api/v1/agents/{bob_id}/token"),
        &admin,
        json!({"token_expires_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        code(&body) == "invalid_message" && body["message"].as_str().unwrap().contains("future")
    );
}

#[tokio::test]
async fn admins_create_and_change_agents_and_teams_with_every_refusal_explained() {
    let harness = Harness::start().await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    let (_, blue_lead) = harness
        .agent("blue-lead", Role::Supervisor, Some("blue"))
        .await;

    // An unknown team, a taken name, a bad name, a bad role: refused, nothing created.
    for (body, status, expected) in [
        (
            json!({"name": "cat", "role": "agent", "team": "green"}),
            422,
            "no team named \"green\"",
        ),
        (
            json!({"name": "admin", "role": "agent"}),
            409,
            "already exists",
        ),
        (json!({"name": "", "role": "agent"}), 422, "1 to 64"),
        (json!({"name": "cat", "role": "boss"}), 400, "role"),
        (
            json!({"name": "cat", "role": "agent", "colour": "red"}),
            400,
            "colour",
        ),
    ] {
        let (got, answer) = post(&harness, "/api/v1/agents", &admin, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{body}: {message}");
    }
    let (_, agents) = harness.get_json("/api/v1/agents", &admin).await;
    assert_eq!(names(&agents), ["admin", "blue-lead"]);

    let (status, team) = post(&harness, "/api/v1/teams", &admin, json!({"name": "green"})).await;
    assert_eq!((status, team["name"].as_str()), (201, Some("green")));
    let (status, _) = post(&harness, "/api/v1/teams", &admin, json!({"name": "green"})).await;
    assert_eq!(status, 409);
    let (status, body) = post(
        &harness,
        "/api/v1/agents",
        &admin,
        json!({"name": "cat", "role": "agent", "team": "green"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let cat_id = body["agent"]["id"].as_str().unwrap().to_owned();
    let cat = body["token"].as_str().unwrap().to_owned();
    let mut socket = harness.connect(&cat).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    assert_eq!(
        names(&harness.get_json("/api/v1/agents", &blue_lead).await.1),
        ["blue-lead"]
    );

    // Moved to blue and renamed: the blue supervisor sees them; their token still works.
    let (status, body) = patch(
        &harness,
        &format!("/api/v1/agents/{cat_id}"),
        &admin,
        json!({"name": "catherine", "team": "blue"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["team"].as_str()),
        (Some("catherine"), Some("blue"))
    );
    assert_eq!(
        names(&harness.get_json("/api/v1/agents", &blue_lead).await.1),
        ["blue-lead", "catherine"]
    );
    assert_eq!(harness.get_json("/api/calls", &cat).await.0, 200);
    // A team with members cannot go; an empty one can.
    let (status, body) = request(
        &harness,
        reqwest::Method::DELETE,
        "/api/v1/teams/blue",
        &admin,
        None,
    )
    .await;
    assert_eq!((status, code(&body)), (409, "conflict"), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("2 agent"),
        "{body}"
    );
    let (status, _) = request(
        &harness,
        reqwest::Method::DELETE,
        "/api/v1/teams/green",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = request(
        &harness,
        reqwest::Method::DELETE,
        "/api/v1/teams/green",
        &admin,
        None,
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    // `"team": null` takes the agent out of the team.
    let (status, body) = patch(
        &harness,
        &format!("/api/v1/agents/{cat_id}"),
        &admin,
        json!({"team": null}),
    )
    .await;
    assert_eq!((status, body["team"].clone()), (200, Value::Null), "{body}");

    let (_, audit) = harness.get_json("/api/v1/audit", &admin).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["actor_name"] == "admin")
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "agent.change",
            "team.delete",
            "agent.change",
            "agent.create",
            "team.create"
        ]
    );
    let rename = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["action"] == "agent.change" && entry["detail"].get("name").is_some())
        .unwrap();
    assert_eq!(
        rename["detail"]["name"],
        json!({"from": "cat", "to": "catherine"})
    );
    assert!(rename["at"].is_string());
    let (_, paged) = harness.get_json("/api/v1/audit?limit=2", &admin).await;
    assert_eq!(paged.as_array().map(Vec::len), Some(2));
    let before = paged[1]["seq"].as_i64().unwrap();
    let (_, older) = harness
        .get_json(&format!("/api/v1/audit?before={before}&limit=1"), &admin)
        .await;
    assert_eq!(older[0]["seq"].as_i64(), Some(before - 1));
}
