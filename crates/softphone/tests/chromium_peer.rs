//! Our WebRTC media session against headless Chromium as the customer's peer (instead of
//! wa-sim's webrtc-rs phone), so an interop bug common to webrtc-rs on both ends would show
//! (docs/adr/0009-media-session.md, "Consequences and risks").
//!
//! Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core through
//! `tests/chromium/peer.mjs`, JSON lines on stdin/stdout) takes its microphone from a 440 Hz WAV
//! this test writes and makes an audio-only, non-trickle offer restricted to Opus and
//! telephone-event/8000. Our `MediaSession` (1000 Hz tone) answers as Meta's rules ask (full
//! ICE, controlling; DTLS client). Chromium records what it receives (AudioWorklet) and returns
//! the samples; our sink records what Chromium sent. Both are checked by frequency with the
//! same analysis as the wa-sim test. A second test is the call the agent places: our offer
//! (shaped for Meta), Chromium's answer (`setup:active`, so we are the DTLS server), audio
//! checked the same way. Every wait is on an event, bounded by a timeout.
//!
//! Needs node and /usr/bin/chromium; installs playwright-core with `npm ci` when
//! `tests/chromium/node_modules` is missing. Without them the test fails when
//! `RINGDESK_DESKTOP_TEST` or `RINGDESK_AUDIO_TEST` is set (as under `cargo xtask test`),
//! otherwise it says why and passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use softphone::media::{
    CallAudio, CapturedAudio, MediaSession, MediaStack, ToneSource, WebRtcStack,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::timeout;
use wa_sim::audio::analysis::{dominant_frequency_hz, rms_dbfs};
use whatsapp::sdp::{validate_for_meta, SdpRole};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromium's start on a loaded 2-core machine takes seconds; this bounds every step.
const WAIT: Duration = Duration::from_secs(60);
const CUSTOMER_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 1000.0;
const RATE: u32 = 48_000;

fn assert_near(measured: Option<f64>, expected: f64, who: &str) {
    let hz = measured.unwrap_or_else(|| panic!("{who}: no dominant frequency"));
    let error = (hz - expected).abs() / expected;
    assert!(
        error < 0.02,
        "{who}: heard {hz:.1} Hz, expected {expected} Hz"
    );
}

/// `Some(why)` when this machine cannot run the test.
fn missing_tools() -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} not found (Debian package `chromium`)"));
    }
    match std::process::Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!("`node --version` failed: {}", out.status)),
        Err(e) => Some(format!("node not found on PATH: {e}")),
    }
}

/// The 440 Hz, −20 dBFS, 48 kHz mono WAV Chromium's fake microphone plays.
fn write_tone_wav(path: &Path, hz: f64, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let amplitude = f64::from(i16::MAX) * 10f64.powf(-20.0 / 20.0) * std::f64::consts::SQRT_2;
    for i in 0..RATE * seconds {
        let t = f64::from(i) / f64::from(RATE);
        w.write_sample((amplitude * (std::f64::consts::TAU * hz * t).sin()).round() as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// playwright-core in `tests/chromium/node_modules`, from the committed lock file.
async fn npm_ci(dir: &Path) {
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let status = timeout(
        Duration::from_secs(300),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status(),
    )
    .await
    .expect("npm ci took over 5 minutes")
    .expect("npm not found (it installs playwright-core for the Chromium peer)");
    assert!(
        status.success(),
        "npm ci in {} failed: {status}",
        dir.display()
    );
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    async fn send(&mut self, msg: Value) {
        let mut line = msg.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The next message, which must be of type `kind` (an `error` from the page fails the test).
    async fn expect(&mut self, kind: &str) -> Value {
        let line = timeout(WAIT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("no {kind:?} from the Chromium peer within {WAIT:?}"))
            .unwrap()
            .unwrap_or_else(|| panic!("the Chromium peer exited before {kind:?} (see its stderr)"));
        let msg: Value = serde_json::from_str(&line).unwrap();
        match msg["type"].as_str() {
            Some(k) if k == kind => msg,
            Some("error") => panic!("Chromium peer: {}", msg["message"]),
            other => panic!("expected {kind:?} from the Chromium peer, got {other:?}"),
        }
    }
}

/// `Some(why)` when the test must be skipped (and says why); panics when it must run.
fn skip_reason() -> Option<String> {
    let why = missing_tools()?;
    if std::env::var_os("RINGDESK_DESKTOP_TEST").is_some()
        || std::env::var_os("RINGDESK_AUDIO_TEST").is_some()
    {
        panic!("the Chromium peer test cannot run: {why}");
    }
    eprintln!("skipped: {why} (set RINGDESK_AUDIO_TEST to make this a failure)");
    Some(why)
}

/// Chromium as the customer, its microphone a 440 Hz WAV: the offerer, or (`answering`) the
/// answerer of our offer. The temp dir holds the WAV and the browser profile.
async fn start_peer(tmp: &Path, answering: bool) -> Peer {
    let script_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/chromium");
    npm_ci(&script_dir).await;
    let wav = tmp.join("customer-440hz.wav");
    write_tone_wav(&wav, CUSTOMER_HZ, 30);
    let mut command = Command::new("node");
    command
        .arg(script_dir.join("peer.mjs"))
        .arg("--wav")
        .arg(&wav)
        .arg("--user-data-dir")
        .arg(tmp.join("chromium-profile"));
    if answering {
        command.arg("--answer");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node");
    Peer {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()).lines(),
        child,
    }
}

/// The agent's call audio: a 1000 Hz tone out, what comes in captured.
fn agent_audio() -> (CallAudio, CapturedAudio) {
    let heard = CapturedAudio::default();
    let audio = CallAudio {
        source: Box::new(ToneSource::new(AGENT_HZ, -20.0).unwrap()),
        sink: Box::new(heard.clone()),
        packets: None,
    };
    (audio, heard)
}

/// Media is up and started on our side: Chromium must hear our 1000 Hz and we its 440 Hz;
/// then both close cleanly.
async fn both_hear_each_other(mut peer: Peer, session: &dyn MediaSession, heard: &CapturedAudio) {
    // Chromium: 100 packets (2 s) received, then a fresh 1 s window of what it played.
    peer.send(json!({"type": "listen", "packets": 100, "samples": RATE}))
        .await;
    let chromium = peer.expect("heard").await;
    let samples: Vec<i16> = chromium["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i16)
        .collect();
    eprintln!(
        "Chromium received {} packets; its window: {} samples at {} Hz, {:?} Hz, {:.1} dBFS; log {}",
        chromium["packetsReceived"],
        samples.len(),
        chromium["sampleRate"],
        dominant_frequency_hz(&samples, RATE),
        rms_dbfs(&samples),
        chromium["log"]
    );
    assert_eq!(chromium["sampleRate"].as_f64(), Some(f64::from(RATE)));
    assert_eq!(samples.len(), RATE as usize);
    assert_near(dominant_frequency_hz(&samples, RATE), AGENT_HZ, "Chromium");
    assert!(
        (-30.0..=-12.0).contains(&rms_dbfs(&samples)),
        "Chromium heard our tone at {:.1} dBFS",
        rms_dbfs(&samples)
    );

    // Our side: what Chromium's fake microphone sent.
    timeout(WAIT, session.heard_packets(100))
        .await
        .expect("our side did not hear 100 packets from Chromium")
        .unwrap();
    let ours = heard.samples();
    assert!(
        ours.len() >= 100 * 960,
        "agent heard only {} samples",
        ours.len()
    );
    let last_second = &ours[ours.len() - RATE as usize..];
    eprintln!(
        "agent heard {} samples; last second: {:?} Hz, {:.1} dBFS",
        ours.len(),
        dominant_frequency_hz(last_second, RATE),
        rms_dbfs(last_second)
    );
    assert_near(
        dominant_frequency_hz(last_second, RATE),
        CUSTOMER_HZ,
        "agent",
    );
    assert!(
        (-30.0..=-12.0).contains(&rms_dbfs(last_second)),
        "agent heard Chromium at {:.1} dBFS",
        rms_dbfs(last_second)
    );
    assert_eq!(session.stats().undecodable_packets, 0);

    session.close().await;
    peer.send(json!({"type": "close"})).await;
    drop(peer.stdin);
    let status = timeout(WAIT, peer.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "the Chromium peer exited with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_and_chromium_hear_each_others_tones() {
    if skip_reason().is_some() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = start_peer(tmp.path(), false).await;

    // The customer (Chromium) offers; our agent rings (prepare) and accepts (answer).
    let offer = peer.expect("offer").await;
    let offer = offer["sdp"].as_str().unwrap().to_owned();
    eprintln!("Chromium's offer:\n{offer}");
    assert!(!offer.contains("ice-lite"), "Chromium is a full ICE agent");
    let (audio, heard) = agent_audio();
    let session = WebRtcStack::default()
        .prepare(&offer, audio)
        .await
        .unwrap_or_else(|e| panic!("our stack refused Chromium's offer: {e}\n{offer}"));
    let answer = timeout(WAIT, session.answer()).await.unwrap().unwrap();
    eprintln!("our answer:\n{answer}");
    // The same answer Meta would get (Chromium's offer is not Meta-shaped, our answer is).
    if let Err(v) = validate_for_meta(&answer, SdpRole::AnswerToMeta) {
        panic!("answer refused by Meta's rules: {:?}\n{answer}", v.codes());
    }
    assert!(answer.contains("a=setup:active\r\n"));
    peer.send(json!({"type": "answer", "sdp": answer})).await;
    timeout(WAIT, session.connected())
        .await
        .expect("ICE + DTLS with Chromium did not connect")
        .unwrap();
    session.start_media();
    both_hear_each_other(peer, session.as_ref(), &heard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_agent_places_is_answered_by_chromium_with_audio_both_ways() {
    if skip_reason().is_some() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = start_peer(tmp.path(), true).await;

    // The agent calls: our offer, shaped for Meta, goes to the customer's Chromium.
    let (audio, heard) = agent_audio();
    let (session, offer) = timeout(WAIT, WebRtcStack::default().offer(audio))
        .await
        .unwrap()
        .unwrap();
    if let Err(v) = validate_for_meta(&offer, SdpRole::OfferToMeta) {
        panic!("offer refused by Meta's rules: {:?}\n{offer}", v.codes());
    }
    peer.send(json!({"type": "offer", "sdp": offer})).await;
    let answer = peer.expect("answer").await;
    let answer = answer["sdp"].as_str().unwrap().to_owned();
    eprintln!("Chromium's answer:\n{answer}");
    // Chromium answers an actpass offer as Meta does: it takes the DTLS client role.
    assert!(answer.contains("a=setup:active"), "{answer}");
    timeout(WAIT, session.apply_answer(&answer))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("our stack refused Chromium's answer: {e}\n{answer}"));
    timeout(WAIT, session.connected())
        .await
        .expect("ICE + DTLS with Chromium did not connect (we are the DTLS server here)")
        .unwrap();
    // The customer picked up: media starts.
    session.start_media();
    both_hear_each_other(peer, session.as_ref(), &heard).await;
}
