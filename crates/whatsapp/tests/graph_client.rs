//! The Graph client against a real HTTP server on 127.0.0.1: exact requests, retries only where
//! safe, and Meta's error object parsed.

// Test code: a panic is the failure report (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use whatsapp::client::{GraphClient, GraphClientError, GraphConfig, RetryPolicy};
use whatsapp::graph::{
    CallActionRequest, OutboundMessage, PermissionStatus, PermissionSubject, SettingsUpdate,
};
use whatsapp::MetaErrorCode;

/// What the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    uri: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Option<Value>,
}

/// A scripted reply; `Hang` never answers (for timeouts).
#[derive(Clone)]
enum Reply {
    Json(StatusCode, Value),
    Text(StatusCode, &'static str),
    Hang,
}

#[derive(Clone, Default)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn handle(
    State(script): State<Script>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    script.seen.lock().unwrap().push(Seen {
        method,
        uri: uri.to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).ok(),
    });
    let reply = script.replies.lock().unwrap().pop_front();
    match reply {
        Some(Reply::Json(status, value)) => (status, axum::Json(value)).into_response(),
        Some(Reply::Text(status, text)) => (status, text).into_response(),
        Some(Reply::Hang) => std::future::pending().await,
        None => (StatusCode::IM_A_TEAPOT, "no scripted reply").into_response(),
    }
}

/// Starts a server with the given replies; returns the script and the base URL.
async fn serve(replies: Vec<Reply>) -> (Script, String) {
    let script = Script {
        replies: Arc::new(Mutex::new(replies.into())),
        ..Script::default()
    };
    let router = Router::new().fallback(handle).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (script, format!("http://{address}"))
}

fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

fn client(base: &str, attempts: u32) -> GraphClient {
    GraphClient::new(
        GraphConfig::new("test-token")
            .with_base_url(base)
            .with_retry(fast_retry(attempts)),
    )
    .unwrap()
}

fn ok() -> Reply {
    Reply::Json(
        StatusCode::OK,
        json!({"messaging_product": "whatsapp", "success": true}),
    )
}

#[tokio::test]
async fn pre_accept_sends_exact_json_and_headers() {
    let (script, base) = serve(vec![ok()]).await;
    let answer = "v=0\r\ns=-\r\n";
    let response = client(&base, 3)
        .pre_accept("106540352242922", "wacid.ABC", answer)
        .await
        .unwrap();
    assert!(response.success);
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.uri, "/v23.0/106540352242922/calls");
    assert_eq!(request.authorization.as_deref(), Some("Bearer test-token"));
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        request.body,
        Some(
            json!({"messaging_product": "whatsapp", "call_id": "wacid.ABC", "action": "pre_accept",
                    "session": {"sdp_type": "answer", "sdp": answer}})
        )
    );
}

#[tokio::test]
async fn accept_reject_terminate_bodies() {
    let (script, base) = serve(vec![ok(), ok(), ok()]).await;
    let client = client(&base, 1);
    client.accept("1", "wacid.A", "v=0\r\n").await.unwrap();
    client.reject("1", "wacid.B").await.unwrap();
    client.terminate("1", "wacid.C").await.unwrap();
    let bodies: Vec<Value> = script
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|seen| seen.body.clone().unwrap())
        .collect();
    assert_eq!(bodies[0]["action"], "accept");
    assert_eq!(bodies[0]["session"]["sdp_type"], "answer");
    assert_eq!(
        bodies[1],
        json!({"messaging_product": "whatsapp", "call_id": "wacid.B", "action": "reject"})
    );
    assert_eq!(
        bodies[2],
        json!({"messaging_product": "whatsapp", "call_id": "wacid.C", "action": "terminate"})
    );
}

#[tokio::test]
async fn connect_returns_the_call_id() {
    let reply = Reply::Json(
        StatusCode::OK,
        json!({"messaging_product": "whatsapp", "calls": [{"id": "wacid.NEW"}]}),
    );
    let (script, base) = serve(vec![reply]).await;
    let request =
        CallActionRequest::connect("14085551234", "v=0\r\n").with_biz_opaque_callback_data("ctx");
    let response = client(&base, 3).connect_call("1", &request).await.unwrap();
    assert_eq!(response.call_id(), Some("wacid.NEW"));
    let body = script.seen.lock().unwrap()[0].body.clone().unwrap();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "to": "14085551234", "action": "connect",
               "session": {"sdp_type": "offer", "sdp": "v=0\r\n"}, "biz_opaque_callback_data": "ctx"})
    );
}

#[tokio::test]
async fn post_connect_is_never_retried_on_server_errors() {
    let meta_500 = json!({"error": {"message": "Connection error", "type": "OAuthException", "code": 138004, "fbtrace_id": "T1"}});
    let (script, base) = serve(vec![
        Reply::Json(StatusCode::INTERNAL_SERVER_ERROR, meta_500),
        ok(),
    ])
    .await;
    let error = client(&base, 5)
        .connect_call("1", &CallActionRequest::connect("1555", "v=0\r\n"))
        .await
        .unwrap_err();
    assert_eq!(error.meta_code(), Some(MetaErrorCode::ConnectionError));
    assert!(matches!(error, GraphClientError::Meta { status: 500, .. }));
    assert_eq!(
        script.seen.lock().unwrap().len(),
        1,
        "a POST /calls that reached the server must not be repeated"
    );
}

#[tokio::test]
async fn post_is_not_retried_after_a_timeout() {
    let (script, base) = serve(vec![Reply::Hang, ok()]).await;
    let config = GraphConfig::new("t")
        .with_base_url(&base)
        .with_retry(fast_retry(3))
        .with_request_timeout(Duration::from_millis(300));
    let client = GraphClient::new(config).unwrap();
    let error = client.terminate("1", "wacid.X").await.unwrap_err();
    assert!(
        matches!(error, GraphClientError::Transport { attempts: 1, .. }),
        "{error}"
    );
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_post_because_nothing_was_sent() {
    // Bind then drop a listener: its port now refuses connections.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = client(&format!("http://{address}"), 3)
        .connect_call("1", &CallActionRequest::connect("1555", "v=0\r\n"))
        .await
        .unwrap_err();
    match error {
        GraphClientError::Transport {
            attempts,
            ref source,
        } => {
            assert_eq!(attempts, 3);
            assert!(source.is_connect());
            assert!(!error.outcome_unknown(), "nothing was sent");
        }
        other => panic!("expected a transport error, got {other}"),
    }
}

#[tokio::test]
async fn meta_error_object_is_parsed_into_typed_fields() {
    let body = json!({"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
        "error_data": {"messaging_product": "whatsapp", "details": "Fingerprint algo is not SHA256"},
        "error_subcode": 2494010, "is_transient": false, "error_user_title": "Parameter Invalid",
        "error_user_msg": "Check input parameters and retry the request", "fbtrace_id": "ApaWkAViZR1ZYOg3XpILtzj"}});
    let (_, base) = serve(vec![Reply::Json(StatusCode::BAD_REQUEST, body)]).await;
    let error = client(&base, 3)
        .accept("1", "wacid.A", "v=0\r\n")
        .await
        .unwrap_err();
    let GraphClientError::Meta {
        status,
        error: meta,
    } = &error
    else {
        panic!("expected Meta error, got {error}")
    };
    assert_eq!(*status, 400);
    assert_eq!(meta.code, MetaErrorCode::InvalidParameter);
    assert_eq!(meta.error_subcode, Some(2_494_010));
    assert_eq!(meta.message, "Invalid parameter");
    assert_eq!(meta.details(), Some("Fingerprint algo is not SHA256"));
    assert_eq!(meta.fbtrace_id.as_deref(), Some("ApaWkAViZR1ZYOg3XpILtzj"));
    let text = error.to_string();
    assert!(
        text.contains("HTTP 400")
            && text.contains("100 (invalid_parameter)")
            && text.contains("ApaWkAViZR1ZYOg3XpILtzj"),
        "{text}"
    );
}

#[tokio::test]
async fn permission_error_and_non_json_errors() {
    let denied = json!({"error": {"message": "(#138006) No approved call permission from the recipient", "type": "OAuthException", "code": 138006}});
    let (_, base) = serve(vec![
        Reply::Json(StatusCode::UNAUTHORIZED, denied),
        Reply::Text(StatusCode::BAD_GATEWAY, "<html>upstream down</html>"),
    ])
    .await;
    let client = client(&base, 1);
    let error = client
        .connect_call("1", &CallActionRequest::connect("1555", "v=0\r\n"))
        .await
        .unwrap_err();
    assert_eq!(error.meta_code(), Some(MetaErrorCode::NoCallPermission));
    let error = client.terminate("1", "wacid.X").await.unwrap_err();
    assert!(
        matches!(error, GraphClientError::Http { status: 502, ref body } if body.contains("upstream down")),
        "{error}"
    );
}

#[tokio::test]
async fn success_with_unexpected_body_is_a_decode_error() {
    let (_, base) = serve(vec![Reply::Text(StatusCode::OK, "not json")]).await;
    let error = client(&base, 1).reject("1", "wacid.X").await.unwrap_err();
    assert!(
        matches!(error, GraphClientError::Decode { ref body, .. } if body == "not json"),
        "{error}"
    );
}

#[tokio::test]
async fn get_call_permissions_is_retried_on_server_errors() {
    let permissions = json!({"messaging_product": "whatsapp", "permission": {"status": "temporary", "expiration_time": 1745343479},
        "actions": [{"action_name": "start_call", "can_perform_action": true, "limits": [{"time_period": "PT24H", "max_allowed": 100, "current_usage": 0}]}]});
    let busy = json!({"error": {"message": "busy", "code": 613}});
    let (script, base) = serve(vec![
        Reply::Text(StatusCode::SERVICE_UNAVAILABLE, "try later"),
        Reply::Json(StatusCode::TOO_MANY_REQUESTS, busy),
        Reply::Json(StatusCode::OK, permissions),
    ])
    .await;
    let response = client(&base, 3)
        .call_permissions("1", &PermissionSubject::WaId("16315553602".into()))
        .await
        .unwrap();
    assert_eq!(response.permission.status, PermissionStatus::Temporary);
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|request| request.method == Method::GET && request.body.is_none()));
    assert_eq!(
        seen[0].uri,
        "/v23.0/1/call_permissions?user_wa_id=16315553602"
    );
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer test-token"));
}

#[tokio::test]
async fn get_gives_up_after_max_attempts_with_the_last_meta_error() {
    let busy = || {
        Reply::Json(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {"message": "limit", "code": 613}}),
        )
    };
    let (script, base) = serve(vec![busy(), busy(), busy()]).await;
    let error = client(&base, 2)
        .call_permissions("1", &PermissionSubject::Recipient("US.1349".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error.meta_code(),
        Some(MetaErrorCode::PermissionApiRateLimit)
    );
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].uri, "/v23.0/1/call_permissions?recipient=US.1349");
}

#[tokio::test]
async fn settings_get_and_post() {
    let settings = json!({"calling": {"status": "ENABLED", "sip": {"status": "ENABLED", "servers": [{"hostname": "sip.example", "port": 5061, "sip_user_password": "pw"}]}}, "id": "1"});
    let (script, base) = serve(vec![
        Reply::Json(StatusCode::OK, settings),
        Reply::Json(StatusCode::OK, json!({"success": true})),
    ])
    .await;
    let client = client(&base, 1);
    let got = client.settings("1", true).await.unwrap();
    assert_eq!(
        got.calling.unwrap().sip.unwrap().servers[0]
            .sip_user_password
            .as_deref(),
        Some("pw")
    );
    let update: SettingsUpdate = serde_json::from_value(
        json!({"calling": {"status": "ENABLED", "callback_permission_status": "ENABLED"}}),
    )
    .unwrap();
    assert!(client.update_settings("1", &update).await.unwrap().success);
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(
        seen[0].uri,
        "/v23.0/1/settings?include_sip_credentials=true"
    );
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(
        seen[1].body,
        Some(json!({"calling": {"status": "ENABLED", "callback_permission_status": "ENABLED"}}))
    );
}

#[tokio::test]
async fn send_message_posts_to_messages_edge() {
    let reply = json!({"messaging_product": "whatsapp", "contacts": [{"input": "1555", "wa_id": "1555"}], "messages": [{"id": "wamid.Q"}]});
    let (script, base) = serve(vec![Reply::Json(StatusCode::OK, reply)]).await;
    let message = OutboundMessage::call_permission_request("1555", Some("May we call you?".into()));
    let response = client(&base, 1).send_message("77", &message).await.unwrap();
    assert_eq!(response.message_id(), Some("wamid.Q"));
    let seen = script.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.uri, "/v23.0/77/messages");
    assert_eq!(
        seen.body,
        Some(
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "1555", "type": "interactive",
            "interactive": {"type": "call_permission_request", "body": {"text": "May we call you?"}, "action": {"name": "call_permission_request"}}})
        )
    );
}

#[tokio::test]
async fn api_version_is_configurable() {
    let (script, base) = serve(vec![ok()]).await;
    let config = GraphConfig::new("t")
        .with_base_url(&base)
        .with_api_version("v25.0");
    GraphClient::new(config)
        .unwrap()
        .terminate("9", "wacid.Z")
        .await
        .unwrap();
    assert_eq!(script.seen.lock().unwrap()[0].uri, "/v25.0/9/calls");
}

#[tokio::test]
async fn call_action_refuses_connect_before_sending() {
    let (script, base) = serve(vec![ok()]).await;
    let error = client(&base, 1)
        .call_action("1", &CallActionRequest::connect("1555", "v=0\r\n"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphClientError::Refused(ref why) if why.contains("connect_call")),
        "{error}"
    );
    assert!(
        script.seen.lock().unwrap().is_empty(),
        "nothing may reach Meta"
    );
}

#[tokio::test]
async fn get_is_retried_after_a_timeout() {
    let settings = json!({"calling": {"status": "ENABLED"}});
    let (script, base) = serve(vec![Reply::Hang, Reply::Json(StatusCode::OK, settings)]).await;
    let config = GraphConfig::new("t")
        .with_base_url(&base)
        .with_retry(fast_retry(2))
        .with_request_timeout(Duration::from_secs(1));
    let got = GraphClient::new(config)
        .unwrap()
        .settings("1", false)
        .await
        .unwrap();
    assert_eq!(
        got.calling.unwrap().status,
        Some(whatsapp::graph::FeatureStatus::Enabled)
    );
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].uri, "/v23.0/1/settings");
}
