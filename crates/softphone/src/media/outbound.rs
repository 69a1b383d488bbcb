//! The offering side of [`WebRtcSession`]: a call the agent places (business-initiated).
//!
//! We pick the codecs (Opus/48000/2 on PT 111 and telephone-event/8000 on PT 126, the
//! numbers Meta uses itself), create the offer, wait for gathering (Meta has no trickle) and
//! hand the offer to the platform shaped and checked for Meta. Meta's answer then sets the
//! transport going; the sender starts only once it is applied, with Opus settings bounded by
//! the answer's fmtp (Meta's live SDPs ask for at most 20 kbit/s).

use std::sync::Arc;

use tokio::sync::{watch, Mutex};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::peer_connection::RTCSessionDescription;
use whatsapp::sdp::{shape_for_meta, validate_for_meta, SdpRole};

use super::answer_sdp::{self, LocalFacts};
use super::offer::OfferFacts;
use super::session::{await_gathering, random_u64, release_on_end, Events};
use super::state::{MediaState, Shared};
use super::{peer, sender, AudioSource, CallAudio, MediaError, WebRtcConfig, WebRtcSession};

/// Opus as we offer it. webrtc-rs matches the answer's codec only when every fmtp key both
/// sides name agrees, so we name the two Meta's own SDPs carry with Meta's values.
const OUR_OPUS_FMTP: &str = "minptime=20;useinbandfec=1";
const OUR_OPUS_PT: u8 = 111;
const OUR_TELEPHONE_EVENT_PT: u8 = 126;

/// What the sender needs, kept until Meta's answer arrives.
pub(crate) struct AwaitingAnswer {
    track: Arc<TrackLocalStaticRTP>,
    source: Box<dyn AudioSource>,
    ssrc: u32,
}

/// Our codecs, as the facts the answering code reads from Meta's offer.
fn our_codecs(mid: String) -> OfferFacts {
    OfferFacts {
        mid,
        opus_pt: OUR_OPUS_PT,
        opus_fmtp: OUR_OPUS_FMTP.into(),
        telephone_event_pt: Some(OUR_TELEPHONE_EVENT_PT),
    }
}

fn refuse(reason: impl Into<String>) -> MediaError {
    MediaError::AnswerRefused(reason.into())
}

/// Meta's answer as webrtc-rs must see it: the Opus fmtp replaced by ours (the keys Meta
/// adds, e.g. `maxaveragebitrate`, would otherwise only be read by us, and a differing
/// `minptime` would make webrtc-rs drop the codec), and `a=setup:actpass` pinned to `active`
/// (an answer must choose; Chatwoot saw Meta echo `actpass`).
fn for_stack(answer: &str, opus_pt: u8) -> String {
    let fmtp = format!("a=fmtp:{opus_pt} ");
    answer
        .lines()
        .map(|line| {
            let line = line.trim_end();
            if line.starts_with(&fmtp) {
                format!("{fmtp}{OUR_OPUS_FMTP}")
            } else if line == "a=setup:actpass" {
                "a=setup:active".into()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

impl WebRtcSession {
    /// Build the peer connection, gather, and return the session with our offer for Meta.
    pub async fn offer(
        config: &WebRtcConfig,
        audio: CallAudio,
    ) -> Result<(Self, String), MediaError> {
        // The mid is webrtc-rs's; the codecs do not depend on it.
        let codecs = our_codecs(String::new());
        let shared = Arc::new(Shared::new(audio.sink, audio.packets));
        let (gathered_tx, mut gathered) = watch::channel(false);
        let events = Arc::new(Events {
            shared: shared.clone(),
            gathered: gathered_tx,
            telephone_event_pt: codecs.telephone_event_pt,
        });
        let ice = config.ice_plan().await;
        let with_servers = !ice.servers.is_empty();
        let rtcp = super::rtcp::SharedFigures::default();
        let pc = peer::build(
            &codecs,
            &config.bind_addrs(),
            ice.servers,
            rtcp.clone(),
            events,
        )
        .await?;
        let stream_id = format!("ringdesk-{:016x}", random_u64());
        let ssrc = (random_u64() >> 32) as u32;
        let track = peer::audio_track(&stream_id, ssrc, &codecs.opus_fmtp);
        let made = async {
            pc.add_track(track.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(MediaError::webrtc("add audio track"))?;
            let offer = pc
                .create_offer(None)
                .await
                .map_err(MediaError::webrtc("create offer"))?;
            pc.set_local_description(offer)
                .await
                .map_err(MediaError::webrtc("set local offer"))?;
            await_gathering(&mut gathered, config.gathering_timeout, with_servers).await?;
            let local = pc.local_description().await.ok_or_else(|| {
                MediaError::LocalSdp("no local description after gathering".into())
            })?;
            let mid = answer_sdp::local_mid(&local.sdp)
                .ok_or_else(|| MediaError::LocalSdp("webrtc-rs SDP has no a=mid".into()))?;
            let facts = LocalFacts::parse(&local.sdp)?;
            let codecs = our_codecs(mid);
            let rendered = answer_sdp::render_offer(&codecs, &facts, &stream_id)?;
            let shaped = shape_for_meta(&rendered, SdpRole::OfferToMeta);
            validate_for_meta(&shaped, SdpRole::OfferToMeta).map_err(|violations| {
                MediaError::LocalSdp(format!("our offer breaks Meta's rules: {violations}"))
            })?;
            Ok((codecs, shaped))
        }
        .await;
        let (codecs, sdp) = match made {
            Ok(made) => made,
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        };
        let (released_tx, released) = watch::channel(false);
        tokio::spawn(release_on_end(
            shared.clone(),
            pc.clone(),
            ice.bridges,
            released_tx,
        ));
        let session = Self {
            shared,
            pc,
            offer: codecs,
            stream_id,
            gathering_timeout: config.gathering_timeout,
            with_servers,
            rtcp,
            gathered,
            released,
            created: Mutex::new(None),
            rendered: Mutex::new(None),
            awaiting_answer: Some(std::sync::Mutex::new(Some(AwaitingAnswer {
                track,
                source: audio.source,
                ssrc,
            }))),
        };
        Ok((session, sdp))
    }

    /// Apply Meta's answer to our offer (see [`super::MediaSession::apply_answer`]).
    pub(super) async fn apply_remote_answer(&self, answer: &str) -> Result<(), MediaError> {
        let Some(awaiting) = &self.awaiting_answer else {
            return Err(refuse(
                "this session answered Meta's offer; it takes no answer",
            ));
        };
        if let Some(e) = self.ended_error() {
            return Err(e);
        }
        validate_for_meta(answer, SdpRole::AnswerFromMeta)
            .map_err(|violations| refuse(violations.to_string()))?;
        let facts = OfferFacts::parse(answer).map_err(|e| refuse(e.to_string()))?;
        if facts.opus_pt != self.offer.opus_pt {
            return Err(refuse(format!(
                "the answer puts Opus on payload type {}; we offered {}",
                facts.opus_pt, self.offer.opus_pt
            )));
        }
        let parts = match awaiting.lock() {
            Ok(mut a) => a.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(parts) = parts else {
            return Ok(()); // applied already
        };
        let remote = RTCSessionDescription::answer(for_stack(answer, facts.opus_pt))
            .map_err(|e| refuse(e.to_string()))?;
        if let Err(e) = self.pc.set_remote_description(remote).await {
            self.shared.end(super::MediaEnd::ConnectionFailed);
            return Err(refuse(format!("the WebRTC stack refused it: {e}")));
        }
        self.shared.advance(MediaState::Connecting);
        let rtp = sender::RtpParams {
            ssrc: parts.ssrc,
            payload_type: self.offer.opus_pt,
            first_sequence: random_u64() as u16,
            first_timestamp: random_u64() as u32,
            encoder: crate::codec::EncoderSettings::for_fmtp(&facts.opus_fmtp),
        };
        tokio::spawn(sender::run(
            self.shared.clone(),
            parts.track,
            parts.source,
            rtp,
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_fmtp_and_an_undecided_setup_are_rewritten_for_the_stack_only() {
        let answer = "v=0\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxaveragebitrate=20000;minptime=10;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\n";
        let seen = for_stack(answer, 111);
        assert!(
            seen.contains("a=fmtp:111 minptime=20;useinbandfec=1\r\n"),
            "{seen}"
        );
        assert!(seen.contains("a=setup:active\r\n"), "{seen}");
        assert!(!seen.contains("actpass") && !seen.contains("maxaveragebitrate"));
        assert!(seen.contains("a=rtpmap:126 telephone-event/8000\r\n"));
    }
}
