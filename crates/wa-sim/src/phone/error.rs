//! Why the phone refused or failed.

use crate::audio::AudioError;

/// Every refusal says why; none of these come from a panic.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    /// The WebRTC stack refused an operation (bad SDP, closed connection, …).
    #[error("webrtc: {context}: {source}")]
    WebRtc {
        context: &'static str,
        #[source]
        source: webrtc::error::Error,
    },
    /// ICE gathering did not complete in time, so no offer/answer with inline candidates exists.
    #[error("ICE gathering did not complete within {0:?}; an SDP without candidates is useless to an ICE-lite peer")]
    GatheringTimeout(std::time::Duration),
    /// The SDP webrtc-rs produced lacks something Meta's shape needs.
    #[error("local SDP cannot be shaped like Meta's: {0}")]
    LocalSdp(String),
    /// The far end's SDP is not acceptable for a WhatsApp call.
    #[error("remote SDP refused: {0}")]
    RemoteSdp(String),
    /// The call has already ended; the operation makes no sense any more.
    #[error("the call has already ended ({0})")]
    Ended(String),
    /// The voice source or the recording could not be set up.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The Opus codec could not be created.
    #[error("opus: {0}")]
    Opus(#[from] opus::Error),
}

impl PhoneError {
    pub(crate) fn webrtc(context: &'static str) -> impl FnOnce(webrtc::error::Error) -> Self {
        move |source| Self::WebRtc { context, source }
    }
}
