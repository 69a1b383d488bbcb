//! Which way a connected call's media goes, read from the peer connection's statistics: the
//! selected candidate pair's local candidate type. "relay" means through the TURN server —
//! the thing to know first when an agent reports bad or no audio.

use rtc::peer_connection::transport::RTCIceCandidateType;
use rtc::statistics::stats::ice_candidate_pair::RTCStatsIceCandidatePairState;
use webrtc::peer_connection::{RTCStatsReport, RTCStatsReportEntry};

/// The local end of the selected ICE candidate pair (serialised as ICE names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MediaPath {
    /// Straight from this machine's address.
    #[serde(rename = "host")]
    Host,
    /// Through a NAT, as a STUN server saw us.
    #[serde(rename = "srflx")]
    ServerReflexive,
    /// Through a NAT, as the far end saw us.
    #[serde(rename = "prflx")]
    PeerReflexive,
    /// Through a TURN server.
    #[serde(rename = "relay")]
    Relay,
}

impl MediaPath {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPath::Host => "host",
            MediaPath::ServerReflexive => "srflx",
            MediaPath::PeerReflexive => "prflx",
            MediaPath::Relay => "relay",
        }
    }
}

/// The nominated, succeeded pair's local candidate type; `None` before ICE has chosen.
pub fn selected(report: &RTCStatsReport) -> Option<MediaPath> {
    let pair = report
        .candidate_pairs()
        .find(|pair| pair.nominated && pair.state == RTCStatsIceCandidatePairState::Succeeded)?;
    // webrtc-rs 0.21 names the pair's local candidate by the candidate's own id, and the local
    // candidate entry `RTCLocalIceCandidate_<id>`; the bare id is accepted too.
    let id = pair.local_candidate_id.as_str();
    let prefixed = format!("RTCLocalIceCandidate_{id}");
    let local = report.iter().find_map(|entry| match entry {
        RTCStatsReportEntry::LocalCandidate(c) if c.stats.id == id || c.stats.id == prefixed => {
            Some(c)
        }
        _ => None,
    })?;
    match local.candidate_type {
        RTCIceCandidateType::Host => Some(MediaPath::Host),
        RTCIceCandidateType::Srflx => Some(MediaPath::ServerReflexive),
        RTCIceCandidateType::Prflx => Some(MediaPath::PeerReflexive),
        RTCIceCandidateType::Relay => Some(MediaPath::Relay),
        _ => None,
    }
}
