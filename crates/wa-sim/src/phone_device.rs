//! [`CustomerDevice`] on the real WebRTC phone ([`crate::phone`]): real ICE/DTLS-SRTP, real Opus,
//! and measurements of what the customer heard.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{broadcast, mpsc};

use crate::device::{
    AudioChoice, CustomerDevice, CustomerLeg, DeviceError, LegEvent, LegStats, NewLeg,
};
use crate::phone::{
    CustomerPhone, EndReason, PhoneCall, PhoneConfig, PhoneError, PhoneEvent, Voice,
};

/// Level of the customer's tones, dBFS RMS.
const TONE_LEVEL_DBFS: f64 = -20.0;

/// The WebRTC phone, with `base` for everything but the voice.
#[derive(Debug, Clone, Default)]
pub struct PhoneDevice {
    pub base: PhoneConfig,
}

fn voice(audio: &AudioChoice) -> Voice {
    match audio {
        AudioChoice::Silence => Voice::Silence,
        AudioChoice::Tone { hz } => Voice::Tone {
            frequency_hz: *hz,
            level_dbfs: TONE_LEVEL_DBFS,
        },
        AudioChoice::Wav { path } => Voice::Wav {
            path: path.clone(),
            looping: true,
        },
    }
}

fn device_error(error: PhoneError) -> DeviceError {
    DeviceError(error.to_string())
}

struct PhoneLeg {
    call: PhoneCall,
}

#[async_trait]
impl CustomerLeg for PhoneLeg {
    async fn apply_answer(&self, answer_sdp: &str) -> Result<(), DeviceError> {
        self.call
            .apply_answer(answer_sdp)
            .await
            .map_err(device_error)
    }

    async fn start_media(&self) -> Result<(), DeviceError> {
        self.call.start_media();
        Ok(())
    }

    async fn hang_up(&self) {
        self.call.hang_up();
    }

    async fn stats(&self) -> LegStats {
        let heard = self.call.stats();
        LegStats {
            rms_dbfs: (heard.packets > 0).then_some(heard.rms_dbfs),
            dominant_hz: heard.dominant_hz,
            packets_received: heard.packets,
        }
    }
}

/// Wraps a phone call as a leg and forwards the events the rules care about.
fn leg(call: PhoneCall, sdp: String) -> NewLeg {
    let (tx, events) = mpsc::unbounded_channel();
    let mut phone_events = call.events();
    tokio::spawn(async move {
        loop {
            let event = match phone_events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            let forwarded = match event {
                PhoneEvent::MediaTimeout(_) => Some(LegEvent::MediaTimeout),
                PhoneEvent::Ended(EndReason::ConnectionFailed) => Some(LegEvent::ConnectionFailed),
                PhoneEvent::Ended(_) => return,
                _ => None,
            };
            if let Some(event) = forwarded {
                if tx.send(event).is_err() {
                    return;
                }
            }
        }
    });
    NewLeg {
        leg: Arc::new(PhoneLeg { call }),
        sdp,
        events,
    }
}

#[async_trait]
impl CustomerDevice for PhoneDevice {
    async fn offer(&self, audio: &AudioChoice) -> Result<NewLeg, DeviceError> {
        let config = PhoneConfig {
            voice: voice(audio),
            ..self.base.clone()
        };
        let (call, sdp) = CustomerPhone::offer(config).await.map_err(device_error)?;
        Ok(leg(call, sdp))
    }

    async fn answer(&self, offer_sdp: &str, audio: &AudioChoice) -> Result<NewLeg, DeviceError> {
        let config = PhoneConfig {
            voice: voice(audio),
            ..self.base.clone()
        };
        let (call, sdp) = CustomerPhone::answer(offer_sdp, config)
            .await
            .map_err(device_error)?;
        Ok(leg(call, sdp))
    }
}
