//! Settings of `ringdesk-platform serve`: a TOML file, then environment overrides.
//!
//! Precedence (last wins): built-in defaults < the TOML file < `RINGDESK_*` environment variables.
//! One business number can be given by environment (`RINGDESK_PHONE_NUMBER_ID` +
//! `RINGDESK_DISPLAY_PHONE_NUMBER`); several only in the file (`[[numbers]]`).
//!
//! Secrets (access token, app secret, verify token) are held in [`Secret`], whose `Debug` prints
//! `<redacted>`, so logging a `Settings` never leaks them.

pub mod ice;
mod number_routing;
mod secret;

pub use ice::IceSettings;
pub use number_routing::{number_routing, ring_timing, CallHoursSettings};
pub use secret::Secret;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Meta's Graph API host.
pub const META_GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// Graph API version used unless configured (the reference lists v17.0 as the minimum).
pub const DEFAULT_GRAPH_API_VERSION: &str = "v23.0";

/// Why the settings could not be loaded. Every variant names the source at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for Ringdesk: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Env {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "RINGDESK_PHONE_NUMBER_ID and RINGDESK_DISPLAY_PHONE_NUMBER must be set together (only {set} is set)"
    )]
    HalfNumber { set: &'static str },
    #[error("RINGDESK_TLS_CERT and RINGDESK_TLS_KEY must be set together (only {set} is set)")]
    HalfTls { set: &'static str },
    #[error("no data directory: set RINGDESK_DATABASE_URL, or HOME / XDG_DATA_HOME")]
    NoDataDir,
    #[error("{key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("number {phone_number_id}: {reason}")]
    Number {
        phone_number_id: String,
        reason: String,
    },
}

/// One business phone number the platform answers for.
///
/// Read from the file at start (`[[numbers]]`) and kept in the database from then on, where the
/// admin API changes it (`crate::store::numbers`); the JSON of the API is this shape.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct NumberSettings {
    /// Meta's Graph id of the number (used in Graph URLs and webhook metadata).
    pub phone_number_id: String,
    /// The number as customers dial it, digits only.
    pub display_phone_number: String,
    /// The name admins gave the number.
    #[serde(default)]
    pub display_name: Option<String>,
    /// False refuses every call on the number (default true).
    #[serde(default)]
    pub calling_enabled: Option<bool>,
    /// The agents' apps record this number's calls (stereo Ogg/Opus) and upload them
    /// (default false; `RINGDESK_RECORD_CALLS=true` for the number given by environment).
    #[serde(default)]
    pub recording: Option<bool>,
    /// Days a recording of this number is kept on the platform; absent: until removed.
    #[serde(default)]
    pub recording_retention_days: Option<u32>,
    /// When the number takes calls; absent means around the clock.
    #[serde(default)]
    pub call_hours: Option<CallHoursSettings>,
    /// Meta's callback permission is enabled for the number: a customer's connected call grants
    /// a temporary call permission (default false).
    #[serde(default)]
    pub callback_permission: Option<bool>,
    /// Names of the agents allowed to take this number's calls (its call operators); absent:
    /// every agent.
    #[serde(default)]
    pub call_operators: Option<Vec<String>>,
    /// Names of agents left out of round robin for this number; they still ring as the
    /// customer's conversation agent or contact owner.
    #[serde(default)]
    pub round_robin_excluded: Vec<String>,
    /// WhatsApp shows the call button in the chat with this number (Meta's
    /// `call_icon_visibility`: `DEFAULT` or `DISABLE_ALL`); default true.
    #[serde(default)]
    pub call_icon_visible: Option<bool>,
    /// How long one agent rings for this number's calls before the next is tried, in
    /// seconds; absent: the platform's `ring_timeout_ms`.
    #[serde(default)]
    pub ring_timeout_secs: Option<u32>,
    /// This number's texts to refused callers; a text absent here is the platform's
    /// `[auto_responder]` text, an empty one sends nothing.
    #[serde(default)]
    pub auto_responder: Option<NumberTexts>,
}

/// A number's own texts to refused callers (see [`NumberSettings::auto_responder`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NumberTexts {
    #[serde(default)]
    pub all_agents_offline: Option<String>,
    #[serde(default)]
    pub all_agents_busy: Option<String>,
    #[serde(default)]
    pub outside_office_hours: Option<String>,
}

impl NumberSettings {
    /// May the agent with this name take the number's calls?
    pub fn allows(&self, agent_name: &str) -> bool {
        self.call_operators
            .as_ref()
            .is_none_or(|operators| operators.iter().any(|name| name == agent_name))
    }

    /// Is the agent with this name left out of the number's round robin?
    pub fn excludes(&self, agent_name: &str) -> bool {
        self.round_robin_excluded
            .iter()
            .any(|name| name == agent_name)
    }
}

/// Texts sent to a caller whose call was refused (PRODUCT.md, routing steps 2 and 4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct AutoResponder {
    pub all_agents_offline: String,
    pub all_agents_busy: String,
    pub outside_office_hours: String,
}

impl Default for AutoResponder {
    fn default() -> Self {
        Self {
            all_agents_offline:
                "Sorry, nobody can take your call right now. We will get back to you here.".into(),
            all_agents_busy:
                "All our agents are on other calls. Please try again in a few minutes.".into(),
            outside_office_hours:
                "We are closed right now. Please call again during our opening hours.".into(),
        }
    }
}

/// Call timers, in milliseconds in the file so tests can shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// How long one agent rings before the next one is tried (PRODUCT.md: default 20 s).
    pub ring_timeout: Duration,
    /// Meta's accept window after the connect webhook (about 30–60 s; default 40 s).
    pub accept_window: Duration,
    /// After `pre_accept`, how long to wait for the app's `media_ready` before `accept`ing anyway.
    pub media_ready_bound: Duration,
    /// A call still on after this long is ended by the platform (`max_call_duration_ms`,
    /// default 6 h): Meta has no limit, so this only frees an agent whose call's terminate
    /// never arrived (the webhook lost for good).
    pub max_call_duration: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            ring_timeout: Duration::from_secs(20),
            accept_window: Duration::from_secs(40),
            media_ready_bound: Duration::from_secs(5),
            max_call_duration: Duration::from_secs(6 * 3600),
        }
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    pub graph_base_url: String,
    pub graph_api_version: String,
    pub access_token: Secret,
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub numbers: Vec<NumberSettings>,
    pub timers: Timers,
    pub auto_responder: AutoResponder,
    /// Largest webhook body accepted (413 above it).
    pub webhook_body_limit: usize,
    /// When false, webhooks are stored in the inbox but not processed. Only for tests that prove
    /// the inbox survives a stop before processing.
    pub process_inbox: bool,
    /// How often the platform looks for agents revoked while connected, to close their sockets
    /// (`revocation_check_ms`, default 5 s; never zero).
    pub revocation_check: Duration,
    /// Frames per second one agent connection may keep sending, and in a burst (`ws_frame_rate`,
    /// `ws_frame_burst`; defaults 20 and 60, far above an app's needs). See
    /// [`crate::http::frame_budget`].
    pub ws_frame_rate: u32,
    pub ws_frame_burst: u32,
    /// Serve HTTPS/WSS with this certificate and key (`[tls]`, or `RINGDESK_TLS_CERT` +
    /// `RINGDESK_TLS_KEY`); `None` serves plain HTTP (behind a TLS terminator, or loopback).
    pub tls: Option<TlsFiles>,
    /// STUN/TURN servers for the apps' call media (`[ice]`, `RINGDESK_ICE_URLS`,
    /// `RINGDESK_TURN_SECRET`), sent in every `hello`.
    pub ice: IceSettings,
    /// Where uploaded call recordings are kept (`recordings_dir`, `RINGDESK_RECORDINGS_DIR`;
    /// default: `recordings/` next to a SQLite database file).
    pub recordings_dir: PathBuf,
}

/// The PEM files the platform serves TLS with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (PEM).
    pub certificate: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub private_key: PathBuf,
}

/// The TOML file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    graph_base_url: Option<String>,
    graph_api_version: Option<String>,
    access_token: Option<String>,
    app_secret: Option<String>,
    verify_token: Option<String>,
    #[serde(default)]
    numbers: Vec<NumberSettings>,
    ring_timeout_ms: Option<u64>,
    accept_window_ms: Option<u64>,
    media_ready_bound_ms: Option<u64>,
    max_call_duration_ms: Option<u64>,
    auto_responder: Option<AutoResponder>,
    webhook_body_limit: Option<usize>,
    process_inbox: Option<bool>,
    revocation_check_ms: Option<u64>,
    ws_frame_rate: Option<u32>,
    ws_frame_burst: Option<u32>,
    tls: Option<TlsFiles>,
    ice: Option<ice::FileIce>,
    recordings_dir: Option<PathBuf>,
}

/// Default interval of the revoked-agent sweep: a revoked app is signed out within seconds,
/// for one small query per interval for the whole platform.
pub const DEFAULT_REVOCATION_CHECK: Duration = Duration::from_secs(5);

/// Default webhook body limit: Meta batches at most 1000 updates; 1 MiB is ample for calls.
pub const DEFAULT_WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

impl Settings {
    /// Loads the file (if given) and applies the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_with(file, &env)
    }

    /// Like [`Settings::load`] with an explicit environment (pure apart from reading the file).
    pub fn load_with(
        file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let parsed = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<FileSettings>(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_owned(),
                    source: Box::new(source),
                })?
            }
            None => FileSettings::default(),
        };
        Self::merge(parsed, env)
    }

    /// Parses TOML text (for tests and embedding) and applies `env`.
    pub fn from_toml(text: &str, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let parsed = toml::from_str::<FileSettings>(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::from("<inline>"),
            source: Box::new(source),
        })?;
        Self::merge(parsed, env)
    }

    fn merge(file: FileSettings, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let var = |name: &str| env.get(name).filter(|value| !value.is_empty()).cloned();

        let listen = match var("RINGDESK_LISTEN") {
            Some(value) => value.parse().map_err(|error| ConfigError::Env {
                name: "RINGDESK_LISTEN",
                value: value.clone(),
                reason: format!("not a socket address like 127.0.0.1:8080 ({error})"),
            })?,
            None => file
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        };
        let database_url = match var("RINGDESK_DATABASE_URL").or(file.database_url) {
            Some(url) => url,
            None => default_database_url(env)?,
        };

        let mut numbers = file.numbers;
        match (
            var("RINGDESK_PHONE_NUMBER_ID"),
            var("RINGDESK_DISPLAY_PHONE_NUMBER"),
        ) {
            (Some(phone_number_id), Some(display_phone_number)) => {
                // The environment's number replaces a file entry with the same id.
                numbers.retain(|number| number.phone_number_id != phone_number_id);
                numbers.insert(
                    0,
                    NumberSettings {
                        phone_number_id,
                        display_phone_number,
                        display_name: None,
                        calling_enabled: None,
                        recording: var("RINGDESK_RECORD_CALLS").map(|v| v == "true" || v == "1"),
                        recording_retention_days: var("RINGDESK_RECORDING_RETENTION_DAYS")
                            .map(|days| {
                                days.parse().map_err(|_| ConfigError::Invalid {
                                    key: "RINGDESK_RECORDING_RETENTION_DAYS",
                                    reason: format!("{days:?} is not a number of days"),
                                })
                            })
                            .transpose()?,
                        call_hours: None,
                        callback_permission: None,
                        call_operators: None,
                        round_robin_excluded: Vec::new(),
                        call_icon_visible: None,
                        ring_timeout_secs: None,
                        auto_responder: None,
                    },
                );
            }
            (Some(_), None) => {
                return Err(ConfigError::HalfNumber {
                    set: "RINGDESK_PHONE_NUMBER_ID",
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::HalfNumber {
                    set: "RINGDESK_DISPLAY_PHONE_NUMBER",
                })
            }
            (None, None) => {}
        }

        let tls = match (var("RINGDESK_TLS_CERT"), var("RINGDESK_TLS_KEY")) {
            (Some(certificate), Some(private_key)) => Some(TlsFiles {
                certificate: PathBuf::from(certificate),
                private_key: PathBuf::from(private_key),
            }),
            (None, None) => file.tls,
            (Some(_), None) => {
                return Err(ConfigError::HalfTls {
                    set: "RINGDESK_TLS_CERT",
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::HalfTls {
                    set: "RINGDESK_TLS_KEY",
                })
            }
        };

        let defaults = Timers::default();
        let auto_responder = file.auto_responder.unwrap_or_default();
        let ms = |value: Option<u64>, default: Duration| {
            value.map(Duration::from_millis).unwrap_or(default)
        };
        let recordings_dir = match var("RINGDESK_RECORDINGS_DIR").map(PathBuf::from) {
            Some(dir) => dir,
            None => match file.recordings_dir.clone() {
                Some(dir) => dir,
                None => default_recordings_dir(&database_url, env)?,
            },
        };
        let settings = Self {
            listen,
            database_url,
            graph_base_url: var("RINGDESK_GRAPH_BASE_URL")
                .or(file.graph_base_url)
                .unwrap_or_else(|| META_GRAPH_BASE_URL.to_owned()),
            graph_api_version: var("RINGDESK_GRAPH_API_VERSION")
                .or(file.graph_api_version)
                .unwrap_or_else(|| DEFAULT_GRAPH_API_VERSION.to_owned()),
            access_token: Secret::new(
                var("RINGDESK_ACCESS_TOKEN")
                    .or(file.access_token)
                    .unwrap_or_default(),
            ),
            app_secret: Secret::new(
                var("RINGDESK_APP_SECRET")
                    .or(file.app_secret)
                    .unwrap_or_default(),
            ),
            verify_token: Secret::new(
                var("RINGDESK_VERIFY_TOKEN")
                    .or(file.verify_token)
                    .unwrap_or_default(),
            ),
            numbers,
            timers: Timers {
                ring_timeout: ms(file.ring_timeout_ms, defaults.ring_timeout),
                accept_window: ms(file.accept_window_ms, defaults.accept_window),
                media_ready_bound: ms(file.media_ready_bound_ms, defaults.media_ready_bound),
                max_call_duration: ms(file.max_call_duration_ms, defaults.max_call_duration),
            },
            auto_responder,
            webhook_body_limit: file
                .webhook_body_limit
                .unwrap_or(DEFAULT_WEBHOOK_BODY_LIMIT),
            process_inbox: file.process_inbox.unwrap_or(true),
            revocation_check: ms(file.revocation_check_ms, DEFAULT_REVOCATION_CHECK),
            ws_frame_rate: file
                .ws_frame_rate
                .unwrap_or(crate::http::frame_budget::PER_SECOND),
            ws_frame_burst: file
                .ws_frame_burst
                .unwrap_or(crate::http::frame_budget::BURST),
            tls,
            ice: IceSettings::check(
                file.ice.unwrap_or_default(),
                var("RINGDESK_ICE_URLS"),
                var("RINGDESK_TURN_SECRET"),
            )
            .map_err(|reason| ConfigError::Invalid { key: "ice", reason })?,
            recordings_dir,
        };
        if settings.ws_frame_rate == 0 || settings.ws_frame_burst == 0 {
            return Err(ConfigError::Invalid {
                key: "ws_frame_rate",
                reason: "ws_frame_rate and ws_frame_burst must be at least 1 (frames an agent connection may send)".into(),
            });
        }
        if settings.revocation_check.is_zero() {
            return Err(ConfigError::Invalid {
                key: "revocation_check_ms",
                reason: "must be at least 1 (milliseconds between checks for revoked agents)"
                    .into(),
            });
        }
        // Refuse bad call hours or timers now, with the reason, rather than at the first call.
        ring_timing(&settings.timers).map_err(|reason| ConfigError::Number {
            phone_number_id: "(all)".into(),
            reason,
        })?;
        for number in &settings.numbers {
            settings.routing_for(number)?;
        }
        Ok(settings)
    }

    /// The routing settings of a configured number.
    pub fn routing_for(
        &self,
        number: &NumberSettings,
    ) -> Result<crate::routing::NumberRouting, ConfigError> {
        number_routing(number, &self.timers, &self.auto_responder).map_err(|reason| {
            ConfigError::Number {
                phone_number_id: number.phone_number_id.clone(),
                reason,
            }
        })
    }

    /// These settings with `number` in place of the number with its id (or added).
    pub fn with_number(&self, number: NumberSettings) -> Settings {
        let mut settings = self.clone();
        match settings
            .numbers
            .iter_mut()
            .find(|known| known.phone_number_id == number.phone_number_id)
        {
            Some(known) => *known = number,
            None => settings.numbers.push(number),
        }
        settings
    }

    /// The configured number with this Graph id.
    pub fn number(&self, phone_number_id: &str) -> Option<&NumberSettings> {
        self.numbers
            .iter()
            .find(|number| number.phone_number_id == phone_number_id)
    }
}

/// `recordings/` beside the database file (`sqlite://PATH`), else in the data dir.
fn default_recordings_dir(
    database_url: &str,
    env: &HashMap<String, String>,
) -> Result<PathBuf, ConfigError> {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && *path != ":memory:");
    if let Some(parent) = file.and_then(|path| Path::new(path).parent()) {
        return Ok(parent.join("recordings"));
    }
    let url = default_database_url(env)?;
    let path = url.trim_start_matches("sqlite://");
    Ok(Path::new(path)
        .parent()
        .unwrap_or(Path::new("."))
        .join("recordings"))
}

/// `sqlite://<data dir>/ringdesk/platform.db`, the data dir being `$XDG_DATA_HOME` or
/// `$HOME/.local/share`.
fn default_database_url(env: &HashMap<String, String>) -> Result<String, ConfigError> {
    let base = env
        .get("XDG_DATA_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env.get("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| Path::new(home).join(".local").join("share"))
        })
        .ok_or(ConfigError::NoDataDir)?;
    let file = base.join("ringdesk").join("platform.db");
    Ok(format!("sqlite://{}", file.display()))
}

#[cfg(test)]
mod tests;
