//! Demo mode, as `cargo xtask run` starts the app: signed in from the environment (the token is
//! never written to the keyring) and a "Simulate customer call" action that asks wa-sim (the
//! Meta + customer simulator) to place a call to the business number.
//!
//! Environment: `RINGDESK_DEMO_PLATFORM` and `RINGDESK_DEMO_TOKEN` (both, or no demo);
//! `RINGDESK_DEMO_SIM` (wa-sim's base URL; without it the action answers `demo_sim_missing`);
//! `RINGDESK_DEMO_VOICE` (optional WAV the simulated customer plays; else a 440 Hz tone);
//! `RINGDESK_DEMO_BUSINESS_NUMBER` (only logged: wa-sim calls the number it simulates).

use crate::agent_state::Credentials;
use crate::error::CommandError;
use crate::model::SignInRequest;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub credentials: Credentials,
    pub sim_url: Option<String>,
    pub customer_voice: Option<PathBuf>,
    pub business_number: Option<String>,
}

impl DemoConfig {
    /// Reads the demo environment through `var` (`std::env::var` in the app). Returns `None`
    /// outside demo mode; a half-set or invalid demo environment is logged and ignored.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<DemoConfig> {
        let platform = var("RINGDESK_DEMO_PLATFORM")?;
        let Some(token) = var("RINGDESK_DEMO_TOKEN") else {
            tracing::warn!("RINGDESK_DEMO_PLATFORM is set without RINGDESK_DEMO_TOKEN: no demo");
            return None;
        };
        let request = SignInRequest {
            platform_url: platform,
            token,
            extra_ca_file: None,
            insecure_http: None,
        };
        let credentials = match Credentials::from_request(&request) {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(%error, "the demo environment is not usable: no demo");
                return None;
            }
        };
        Some(DemoConfig {
            credentials,
            sim_url: var("RINGDESK_DEMO_SIM").map(|url| url.trim_end_matches('/').to_owned()),
            customer_voice: var("RINGDESK_DEMO_VOICE").map(PathBuf::from),
            business_number: var("RINGDESK_DEMO_BUSINESS_NUMBER"),
        })
    }
}

/// Demo customers: one is picked per simulated call.
const CUSTOMERS: &[(&str, &str)] = &[
    ("15550002222", "Maria Silva"),
    ("15550003333", "Jonas Weber"),
    ("15550004444", "Aiko Tanaka"),
    ("15550005555", "Samuel Okoro"),
    ("15550006666", "Lucia Romero"),
];

/// The body of wa-sim's `POST /_sim/calls`: customer `pick` (any number; wrapped), speaking
/// the voice file when there is one, else a tone.
pub fn call_request(pick: usize, voice: Option<&std::path::Path>) -> Value {
    let (number, name) = CUSTOMERS[pick % CUSTOMERS.len()];
    let audio = match voice {
        Some(path) => json!({ "kind": "wav", "path": path }),
        None => json!({ "kind": "tone", "hz": 440.0 }),
    };
    json!({ "from": number, "name": name, "audio": audio })
}

/// A customer index that changes from call to call without a random-number dependency.
pub fn next_customer() -> usize {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize / 1_000)
        .unwrap_or(0)
}

/// Asks wa-sim to have a demo customer call the business number; returns wa-sim's call id.
pub async fn simulate_customer_call(demo: &DemoConfig) -> Result<String, CommandError> {
    let sim = demo
        .sim_url
        .as_deref()
        .ok_or(CommandError::DemoSimMissing)?;
    let body = call_request(next_customer(), demo.customer_voice.as_deref());
    let failed = |why: String| CommandError::DemoSimFailed(why);
    let response = reqwest::Client::new()
        .post(format!("{sim}/_sim/calls"))
        .json(&body)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| failed(format!("wa-sim at {sim} did not answer: {e}")))?;
    let status = response.status();
    let reply: Value = response
        .json()
        .await
        .map_err(|e| failed(format!("wa-sim answered {status} without JSON: {e}")))?;
    if !status.is_success() {
        let message = reply["error"]["message"]
            .as_str()
            .unwrap_or("no reason given");
        return Err(failed(format!(
            "wa-sim refused the call ({status}): {message}"
        )));
    }
    reply["call_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| failed(format!("wa-sim gave no call_id: {reply}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn demo_needs_platform_and_token() {
        assert_eq!(DemoConfig::from_env(env(&[])), None);
        assert_eq!(
            DemoConfig::from_env(env(&[("RINGDESK_DEMO_PLATFORM", "http://127.0.0.1:8080")])),
            None
        );
        assert_eq!(
            DemoConfig::from_env(env(&[
                ("RINGDESK_DEMO_PLATFORM", "not a url"),
                ("RINGDESK_DEMO_TOKEN", "t")
            ])),
            None
        );
        let demo = DemoConfig::from_env(env(&[
            ("RINGDESK_DEMO_PLATFORM", "http://127.0.0.1:8080/"),
            ("RINGDESK_DEMO_TOKEN", "demo-token"),
            ("RINGDESK_DEMO_SIM", "http://127.0.0.1:8090/"),
        ]))
        .unwrap();
        assert_eq!(demo.credentials.platform_url, "http://127.0.0.1:8080");
        assert_eq!(demo.credentials.token.expose(), "demo-token");
        assert_eq!(demo.sim_url.as_deref(), Some("http://127.0.0.1:8090"));
        assert_eq!(demo.customer_voice, None);
        let with_voice = DemoConfig::from_env(env(&[
            ("RINGDESK_DEMO_PLATFORM", "http://127.0.0.1:8080"),
            ("RINGDESK_DEMO_TOKEN", "demo-token"),
            (
                "RINGDESK_DEMO_VOICE",
                "/repo/assets/demo/customer-voice.wav",
            ),
            ("RINGDESK_DEMO_BUSINESS_NUMBER", "15550001111"),
        ]))
        .unwrap();
        assert_eq!(
            with_voice.customer_voice.as_deref(),
            Some(std::path::Path::new("/repo/assets/demo/customer-voice.wav"))
        );
        assert_eq!(with_voice.business_number.as_deref(), Some("15550001111"));
    }

    #[test]
    fn the_call_request_is_what_wa_sim_reads() {
        let body = call_request(6, None);
        assert_eq!(
            body,
            json!({ "from": "15550003333", "name": "Jonas Weber",
                    "audio": { "kind": "tone", "hz": 440.0 } })
        );
        let voice = std::path::Path::new("/tmp/voice.wav");
        assert_eq!(
            call_request(0, Some(voice))["audio"],
            json!({ "kind": "wav", "path": "/tmp/voice.wav" })
        );
    }
}
