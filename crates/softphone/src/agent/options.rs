//! Command-line options of `ringdesk-agent`.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use protocol::Presence;

use crate::media::{
    AudioSink, AudioSource, CallAudio, NullSink, SilenceSource, ToneSource, WavSink, WavSource,
};

use super::AgentError;

/// Level of the `--tone` voice, dBFS RMS.
const TONE_DBFS: f64 = -20.0;

#[derive(Clone, Parser)]
#[command(
    name = "ringdesk-agent",
    about = "Headless Ringdesk agent: takes WhatsApp calls, prints one JSON line per event"
)]
pub struct AgentOptions {
    /// The platform's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "RINGDESK_PLATFORM")]
    pub platform: String,
    /// The agent token (`ringdesk-platform agent add` prints it). Never printed.
    #[arg(long, env = "RINGDESK_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A PEM file of extra CA certificates to trust for an https:// platform (a company's own
    /// CA), besides the system's.
    #[arg(long, env = "RINGDESK_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Allow plain http:// to a host other than this machine (the token and customers' data
    /// then cross the network unencrypted).
    #[arg(long)]
    pub insecure_http: bool,
    /// Answer every incoming call at once.
    #[arg(long)]
    pub auto_answer: bool,
    /// Talk with a sine tone of this frequency (Hz).
    #[arg(long, conflicts_with = "play")]
    pub tone: Option<f64>,
    /// Talk with this 48 kHz 16-bit WAV file (looped).
    #[arg(long)]
    pub play: Option<PathBuf>,
    /// Record what the agent hears (48 kHz mono WAV); call n > 1 goes to OUT-n.wav.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Where call recordings (for numbers the platform records) wait for upload; without
    /// it this agent records nothing. Recordings left by an earlier run are uploaded first.
    #[arg(long)]
    pub recordings_dir: Option<PathBuf>,
    /// Presence to set after signing in (and after every reconnect).
    #[arg(long, value_parser = parse_presence)]
    pub presence: Option<Presence>,
    /// Local IP address(es) for media host candidates (at most one IPv4 and one IPv6);
    /// default: the address of the default route, else 127.0.0.1.
    #[arg(long = "media-ip")]
    pub media_ips: Vec<IpAddr>,
    /// Exit after this many calls have ended.
    #[arg(long)]
    pub exit_after_calls: Option<u32>,
    /// Ask this customer (WhatsApp number of a conversation of this agent) for call
    /// permission, then exit (status 2 if refused).
    #[arg(long, value_name = "NUMBER", conflicts_with = "call")]
    pub request_permission: Option<String>,
    /// Call this customer (WhatsApp number of a conversation of this agent), then exit when
    /// the call ends (status 2 if refused).
    #[arg(long, value_name = "NUMBER")]
    pub call: Option<String>,
    /// With --call: hang up this many seconds after the customer's audio arrives.
    #[arg(long, value_name = "SECONDS", requires = "call")]
    pub hangup_after: Option<f64>,
}

/// Leaves the token out (it never expires: a log line must not carry it).
impl std::fmt::Debug for AgentOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentOptions")
            .field("platform", &self.platform)
            .field("token", &"<redacted>")
            .field("ca_file", &self.ca_file)
            .field("insecure_http", &self.insecure_http)
            .field("auto_answer", &self.auto_answer)
            .field("call", &self.call)
            .field("request_permission", &self.request_permission)
            .finish_non_exhaustive()
    }
}

/// What the agent does by itself once signed in, besides taking calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    RequestPermission {
        customer: String,
    },
    Call {
        customer: String,
        hangup_after: Option<Duration>,
    },
}

impl Action {
    /// The name used in `refused` reports.
    pub fn name(&self) -> &'static str {
        match self {
            Action::RequestPermission { .. } => "request_permission",
            Action::Call { .. } => "call",
        }
    }

    pub fn customer(&self) -> &str {
        match self {
            Action::RequestPermission { customer } | Action::Call { customer, .. } => customer,
        }
    }
}

fn parse_presence(s: &str) -> Result<Presence, String> {
    match s {
        "available" => Ok(Presence::Available),
        "away" => Ok(Presence::Away),
        "offline" => Ok(Presence::Offline),
        other => Err(format!(
            "unknown presence {other:?} (available, away or offline)"
        )),
    }
}

/// What the agent "says".
#[derive(Debug, Clone, PartialEq)]
pub enum VoiceChoice {
    Tone(f64),
    Wav(PathBuf),
    Silence,
}

impl AgentOptions {
    pub fn voice(&self) -> VoiceChoice {
        match (&self.tone, &self.play) {
            (Some(hz), _) => VoiceChoice::Tone(*hz),
            (None, Some(path)) => VoiceChoice::Wav(path.clone()),
            (None, None) => VoiceChoice::Silence,
        }
    }

    /// The action of `--request-permission` / `--call`, if any.
    pub fn action(&self) -> Option<Action> {
        if let Some(customer) = &self.request_permission {
            return Some(Action::RequestPermission {
                customer: customer.clone(),
            });
        }
        self.call.as_ref().map(|customer| Action::Call {
            customer: customer.clone(),
            hangup_after: self.hangup_after.map(Duration::from_secs_f64),
        })
    }

    /// Refuse options that can never work, before signing in.
    pub fn check(&self) -> Result<(), AgentError> {
        if let Some(s) = self.hangup_after {
            if !(s.is_finite() && s > 0.0 && s <= 86_400.0) {
                return Err(AgentError::Options(format!(
                    "--hangup-after {s}: must be a number of seconds above 0 and at most 86400"
                )));
            }
        }
        for number in [&self.request_permission, &self.call].into_iter().flatten() {
            let digits = number.trim().trim_start_matches('+');
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AgentError::Options(format!(
                    "{number:?} is not a WhatsApp number (digits, optionally after +)"
                )));
            }
        }
        // Opening the source once proves the tone or file is usable.
        self.source()?;
        if let Some(path) = &self.record {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !dir.is_dir() {
                return Err(AgentError::Options(format!(
                    "--record {}: directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
        }
        Ok(())
    }

    fn source(&self) -> Result<Box<dyn AudioSource>, AgentError> {
        Ok(match self.voice() {
            VoiceChoice::Tone(hz) => Box::new(ToneSource::new(hz, TONE_DBFS)?),
            VoiceChoice::Wav(path) => Box::new(WavSource::open(path, true)?),
            VoiceChoice::Silence => Box::new(SilenceSource),
        })
    }

    /// Where call number `n` (1-based) records to.
    pub fn record_path(&self, n: u32) -> Option<PathBuf> {
        let path = self.record.as_ref()?;
        if n <= 1 {
            return Some(path.clone());
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        Some(path.with_file_name(format!("{stem}-{n}{ext}")))
    }

    /// The audio for call number `n`.
    pub fn call_audio(&self, n: u32) -> Result<CallAudio, AgentError> {
        let sink: Box<dyn AudioSink> = match self.record_path(n) {
            Some(path) => Box::new(WavSink::create(path)?),
            None => Box::new(NullSink),
        };
        Ok(CallAudio {
            source: self.source()?,
            sink,
            packets: None,
        })
    }

    /// The transport choices for [`crate::transport::PlatformLink`].
    pub fn tls_options(&self) -> crate::transport::TlsOptions {
        crate::transport::TlsOptions {
            extra_ca: self.ca_file.clone(),
            insecure_http: self.insecure_http,
        }
    }

    /// The media bind addresses: as given, else the default route's address.
    pub fn media_bind_ips(&self) -> Vec<IpAddr> {
        if !self.media_ips.is_empty() {
            return self.media_ips.clone();
        }
        vec![default_route_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))]
    }
}

/// The local address the OS would use towards the internet (no packet is sent: connecting a
/// UDP socket only picks a route).
fn default_route_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AgentOptions, clap::Error> {
        let mut all = vec!["ringdesk-agent", "--platform", "http://p", "--token", "t"];
        all.extend_from_slice(args);
        AgentOptions::try_parse_from(all)
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let options = AgentOptions::try_parse_from([
            "ringdesk-agent",
            "--platform",
            "https://p.example",
            "--token",
            "rdk_secret_123",
        ])
        .unwrap();
        let shown = format!("{options:?}");
        assert!(
            !shown.contains("rdk_secret_123") && shown.contains("p.example"),
            "{shown}"
        );
        let config = crate::signaling::SignalingConfig::new("https://p.example", "rdk_secret_123");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("rdk_secret_123") && shown.contains("p.example"),
            "{shown}"
        );
    }

    #[test]
    fn tone_and_play_are_exclusive_and_presence_is_checked() {
        assert_eq!(
            parse(&["--tone", "1000"]).unwrap().voice(),
            VoiceChoice::Tone(1000.0)
        );
        assert!(parse(&["--tone", "1000", "--play", "x.wav"]).is_err());
        let e = parse(&["--presence", "busy"]).unwrap_err().to_string();
        assert!(e.contains("unknown presence"), "{e}");
        assert_eq!(parse(&[]).unwrap().voice(), VoiceChoice::Silence);
    }

    #[test]
    fn unusable_audio_options_are_refused_before_signing_in() {
        let e = parse(&["--tone", "99999"])
            .unwrap()
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("99999"), "{e}");
        let e = parse(&["--play", "/nonexistent/a.wav"])
            .unwrap()
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/a.wav"), "{e}");
        let e = parse(&["--record", "/nonexistent/dir/out.wav"])
            .unwrap()
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn call_and_permission_actions_are_parsed_and_checked() {
        let o = parse(&["--call", "+14085551234", "--hangup-after", "2.5"]).unwrap();
        assert_eq!(
            o.action(),
            Some(Action::Call {
                customer: "+14085551234".into(),
                hangup_after: Some(Duration::from_millis(2500))
            })
        );
        o.check().unwrap();
        let o = parse(&["--request-permission", "14085551234"]).unwrap();
        assert_eq!(o.action().unwrap().name(), "request_permission");
        assert!(parse(&["--request-permission", "1", "--call", "2"]).is_err());
        assert!(parse(&["--hangup-after", "3"]).is_err(), "needs --call");
        let e = parse(&["--call", "not-a-number"])
            .unwrap()
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("not a WhatsApp number"), "{e}");
        let e = parse(&["--call", "1", "--hangup-after", "0"])
            .unwrap()
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("--hangup-after"), "{e}");
        assert_eq!(parse(&[]).unwrap().action(), None);
    }

    #[test]
    fn later_calls_record_to_numbered_files() {
        let o = parse(&["--record", "/tmp/out.wav"]).unwrap();
        assert_eq!(o.record_path(1).unwrap(), PathBuf::from("/tmp/out.wav"));
        assert_eq!(o.record_path(3).unwrap(), PathBuf::from("/tmp/out-3.wav"));
    }
}
