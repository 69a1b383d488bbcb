//! The seam between Meta's rules and the customer's phone media.
//!
//! The driver only needs a phone that can make an offer (customer calls), answer an offer
//! (business calls), take the business's answer, start and stop media and report what it heard.
//! [`ScriptedDevice`] is a media-less stand-in that speaks Meta's SDP shapes, so the rules and the
//! HTTP layer are tested without WebRTC; [`crate::phone_device`] adapts the real WebRTC phone.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// What the customer's phone sends into the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AudioChoice {
    /// Nothing but silence frames.
    #[default]
    Silence,
    /// A sine tone.
    Tone { hz: f64 },
    /// A WAV file, looped.
    Wav { path: PathBuf },
}

/// What the phone measured of the audio it received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LegStats {
    pub rms_dbfs: Option<f64>,
    pub dominant_hz: Option<f64>,
    pub packets_received: u64,
}

/// Something the phone decided on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegEvent {
    /// No media for too long (20 s at start, 30 s mid-call): the WhatsApp client hangs up.
    MediaTimeout,
    /// ICE/DTLS with the business failed or dropped.
    ConnectionFailed,
}

/// Why the phone could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("customer phone: {0}")]
pub struct DeviceError(pub String);

/// One call's media on the customer's phone.
#[async_trait]
pub trait CustomerLeg: Send + Sync {
    /// Applies the business's SDP answer (user-initiated calls).
    async fn apply_answer(&self, answer_sdp: &str) -> Result<(), DeviceError>;
    /// Starts sending the leg's audio (Meta lets media flow only after `accept`/pickup).
    async fn start_media(&self) -> Result<(), DeviceError>;
    /// Ends the media session; idempotent.
    async fn hang_up(&self);
    /// What was received so far.
    async fn stats(&self) -> LegStats;
}

/// A leg just created, with the SDP it produced and its own events.
pub struct NewLeg {
    pub leg: Arc<dyn CustomerLeg>,
    pub sdp: String,
    pub events: mpsc::UnboundedReceiver<LegEvent>,
}

/// Makes call legs.
#[async_trait]
pub trait CustomerDevice: Send + Sync {
    /// A leg for a call the customer places, sending `audio`; its SDP is Meta's offer.
    async fn offer(&self, audio: &AudioChoice) -> Result<NewLeg, DeviceError>;
    /// A leg answering the business's `offer_sdp`, sending `audio` once picked up; its SDP is
    /// Meta's answer.
    async fn answer(&self, offer_sdp: &str, audio: &AudioChoice) -> Result<NewLeg, DeviceError>;
}

/// Meta's live offer shape (reference §2.3 / §6.3): ice-lite, inline host candidates, actpass.
pub const META_OFFER: &str = "v=0\r\no=- 1760681506762 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\na=msid-semantic: WMS c3867497-e6f7-4408-82b7-80dbd11b94cf\r\na=ice-lite\r\nm=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.49\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=candidate:3935165743 1 udp 2122260223 203.0.113.49 3484 typ host generation 0 network-cost 50\r\na=candidate:2617197009 1 udp 2122262783 2001:db8:f36b::699c 3484 typ host generation 0 network-cost 50\r\na=ice-ufrag:AeinEGDfvqBctbtM\r\na=ice-pwd:F6/jjqL0/8/Dzluc0IoZEQ==\r\na=fingerprint:sha-256 1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\na=msid:c3867497-e6f7-4408-82b7-80dbd11b94cf WhatsAppTrack1\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\na=maxptime:20\r\na=ptime:20\r\na=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n";

/// Meta's answer to a business offer: `passive` when the offer says `active`, else `active`
/// (the documented sample behaviour, reference §6.4).
pub fn meta_answer_for(offer_sdp: &str) -> String {
    let role = if offer_sdp.contains("a=setup:active") {
        "passive"
    } else {
        "active"
    };
    META_OFFER.replace("a=setup:actpass", &format!("a=setup:{role}"))
}

/// What a [`ScriptedLeg`] was asked to do, for assertions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptedLegLog {
    pub audio: AudioChoice,
    pub answer_sdp: Option<String>,
    pub media_started: bool,
    pub hung_up: bool,
}

/// A leg without media that records what it was told.
#[derive(Default)]
pub struct ScriptedLeg {
    log: Mutex<ScriptedLegLog>,
    /// Kept so the event channel stays open as long as the leg lives.
    _events: Option<mpsc::UnboundedSender<LegEvent>>,
}

impl ScriptedLeg {
    pub fn log(&self) -> ScriptedLegLog {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl CustomerLeg for ScriptedLeg {
    async fn apply_answer(&self, answer_sdp: &str) -> Result<(), DeviceError> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .answer_sdp = Some(answer_sdp.to_owned());
        Ok(())
    }

    async fn start_media(&self) -> Result<(), DeviceError> {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.media_started = true;
        Ok(())
    }

    async fn hang_up(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).hung_up = true;
    }

    async fn stats(&self) -> LegStats {
        LegStats::default()
    }
}

/// A phone without media: Meta-shaped SDPs, no packets.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScriptedDevice;

fn scripted_leg(sdp: String, audio: &AudioChoice) -> NewLeg {
    let (tx, events) = mpsc::unbounded_channel();
    NewLeg {
        leg: Arc::new(ScriptedLeg {
            log: Mutex::new(ScriptedLegLog {
                audio: audio.clone(),
                ..ScriptedLegLog::default()
            }),
            _events: Some(tx),
        }),
        sdp,
        events,
    }
}

#[async_trait]
impl CustomerDevice for ScriptedDevice {
    async fn offer(&self, audio: &AudioChoice) -> Result<NewLeg, DeviceError> {
        Ok(scripted_leg(META_OFFER.to_owned(), audio))
    }

    async fn answer(&self, offer_sdp: &str, audio: &AudioChoice) -> Result<NewLeg, DeviceError> {
        Ok(scripted_leg(meta_answer_for(offer_sdp), audio))
    }
}
