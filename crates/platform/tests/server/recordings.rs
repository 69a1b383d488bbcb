//! Recording upload and download over real HTTP: every refusal says why and keeps nothing
//! (no checksum, wrong checksum, not Ogg, not the agent's call, unknown call, a different
//! second recording), the same bytes again are fine, ranges are served and refused as HTTP
//! says; the number's retention removes old recordings (bytes and link) and keeps new ones.

use platform::recordings::retention::sweep_once;
use platform::recordings::Directory;
use platform::store::agents::Role;
use protocol::ServerMessage;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::*;

const CALL: &str = "wacid.RECORDED";
const DAY_MS: i64 = 24 * 3600 * 1000;

fn ogg(body: &[u8]) -> Vec<u8> {
    [b"OggS".as_slice(), body].concat()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn put(
    harness: &Harness,
    call: &str,
    token: &str,
    bytes: &[u8],
    checksum: Option<&str>,
) -> (u16, Value) {
    let mut request = harness
        .http
        .put(format!("{}/api/v1/calls/{call}/recording", harness.base))
        .bearer_auth(token)
        .body(bytes.to_vec());
    if let Some(checksum) = checksum {
        request = request.header("x-content-sha256", checksum);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(harness: &Harness, token: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = harness
        .http
        .get(format!("{}/api/v1/calls/{CALL}/recording", harness.base))
        .bearer_auth(token);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

/// A harness whose number keeps recordings 30 days, with alice's talked call `CALL`;
/// returns (alice's token, bob's token).
async fn with_a_talked_call() -> (Harness, String, String) {
    let mut harness = Harness::start_with(|settings| {
        settings.numbers[0].recording = Some(true);
        settings.numbers[0].recording_retention_days = Some(30);
    })
    .await;
    let (_, alice_token) = harness.agent("alice", Role::Agent, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    talked_call(&mut harness, &mut alice, CALL).await;
    (harness, alice_token, bob_token)
}

#[tokio::test]
async fn uploads_are_checked_before_anything_is_kept_and_repeats_are_idempotent() {
    let (harness, alice, bob) = with_a_talked_call().await;
    let bytes = ogg(&[7u8; 5000]);
    let good = sha(&bytes);

    /// Call, token, body, checksum header, expected status, words of the reason.
    type Refusal<'a> = (&'a str, &'a str, Vec<u8>, Option<String>, u16, &'a str);
    let refusals: [Refusal; 5] = [
        (CALL, &alice, bytes.clone(), None, 400, "SHA-256"),
        (
            CALL,
            &alice,
            bytes.clone(),
            Some(sha(b"other")),
            400,
            "checksum mismatch",
        ),
        (
            CALL,
            &alice,
            b"RIFF0000WAVE".to_vec(),
            Some(sha(b"RIFF0000WAVE")),
            415,
            "Ogg",
        ),
        (
            CALL,
            &bob,
            bytes.clone(),
            Some(good.clone()),
            403,
            "not answered or placed",
        ),
        (
            "wacid.NOPE",
            &alice,
            bytes.clone(),
            Some(good.clone()),
            404,
            "no call",
        ),
    ];
    for (call, token, body, checksum, status, why) in refusals {
        let (got, answer) = put(&harness, call, token, &body, checksum.as_deref()).await;
        assert_eq!(got, status, "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{message}");
    }
    assert_eq!(
        get(&harness, &alice, None).await.status(),
        404,
        "a refusal kept something"
    );
    let (_, record) = harness
        .get_json(&format!("/api/v1/calls/{CALL}"), &alice)
        .await;
    assert_eq!(record["recording"], Value::Null);

    let (status, answer) = put(&harness, CALL, &alice, &bytes, Some(&good)).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["size"], 5004);
    // A retry after a lost answer: the same bytes are fine; different ones are not.
    assert_eq!(
        put(&harness, CALL, &alice, &bytes, Some(&good)).await.0,
        200
    );
    let other = ogg(&[8u8; 10]);
    let (status, answer) = put(&harness, CALL, &alice, &other, Some(&sha(&other))).await;
    assert_eq!(status, 409, "{answer}");
    let (_, record) = harness
        .get_json(&format!("/api/v1/calls/{CALL}"), &alice)
        .await;
    assert_eq!(record["recording"], CALL);

    // Served to alice, whole or by range; not to bob.
    let whole = get(&harness, &alice, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes);
    let tail = get(&harness, &alice, Some("bytes=-4")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.headers()["content-range"], "bytes 5000-5003/5004");
    assert_eq!(&tail.bytes().await.unwrap()[..], &bytes[5000..]);
    let beyond = get(&harness, &alice, Some("bytes=9000-")).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */5004");
    assert_eq!(get(&harness, &bob, None).await.status(), 404);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn the_numbers_retention_removes_old_recordings_and_keeps_new_ones() {
    let (harness, alice, _) = with_a_talked_call().await;
    let bytes = ogg(b"kept for a while");
    assert_eq!(
        put(&harness, CALL, &alice, &bytes, Some(&sha(&bytes)))
            .await
            .0,
        201
    );
    let settings = settings_for(&harness);
    let store = Directory::open(&settings.recordings_dir).unwrap();
    let now = platform::store::time::now_ms();

    // 29 days on: kept.
    let removed = sweep_once(
        harness.platform.store(),
        &store,
        &settings.numbers,
        now + 29 * DAY_MS,
    )
    .await;
    assert_eq!(removed, 0);
    assert_eq!(get(&harness, &alice, None).await.status(), 200);
    // 31 days on: gone, bytes and link.
    let removed = sweep_once(
        harness.platform.store(),
        &store,
        &settings.numbers,
        now + 31 * DAY_MS,
    )
    .await;
    assert_eq!(removed, 1);
    assert_eq!(get(&harness, &alice, None).await.status(), 404);
    let (_, record) = harness
        .get_json(&format!("/api/v1/calls/{CALL}"), &alice)
        .await;
    assert_eq!(record["recording"], Value::Null);
    let left: Vec<_> = std::fs::read_dir(&settings.recordings_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name.to_string_lossy().ends_with(".ogg"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    harness.platform.shutdown().await;
}

/// The settings the harness's platform runs with (same database, so the same defaults).
fn settings_for(harness: &Harness) -> platform::config::Settings {
    let mut settings = settings(&database_url(&harness.dir), &harness.graph.base_url);
    settings.numbers[0].recording = Some(true);
    settings.numbers[0].recording_retention_days = Some(30);
    settings
}
