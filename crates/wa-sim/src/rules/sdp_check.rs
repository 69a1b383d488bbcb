//! Meta's SDP validation as seen from outside (`reference/meta-calling-api.md` §6.1–6.4).
//!
//! The rules themselves live in `whatsapp::sdp` (one place for Meta's SDP rules). That validator
//! is strict about what *our* platform sends; Meta itself is known to tolerate more (a live answer
//! without telephone-event and with upper-case `SHA-256` was accepted, its own offers lack
//! `a=ptime`, its doc sample offer carries trickle and Chrome's extra codecs). So the simulator
//! refuses only the violations Meta is known to refuse: one audio section, one `sha-256`
//! fingerprint, Opus/48000, ptime 20 when given, one SSRC, ICE credentials, a DTLS role.
//! The `details` text uses Meta's own wording where it is known.

use whatsapp::sdp::{violations_for_meta, SdpRole as MetaRole, SdpViolation};

/// Whether the SDP is an offer (business-initiated `connect`) or an answer (`pre_accept`/`accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdpRole {
    Offer,
    Answer,
}

/// Checks `sdp` as Meta would; `Err` carries the `details` text of error 100.
pub fn check_sdp(sdp: &str, role: SdpRole) -> Result<(), String> {
    let meta_role = match role {
        SdpRole::Offer => MetaRole::OfferToMeta,
        SdpRole::Answer => MetaRole::AnswerToMeta,
    };
    let enforced: Vec<SdpViolation> = violations_for_meta(sdp, meta_role)
        .into_iter()
        .filter(meta_refuses)
        .collect();
    // Fingerprint problems first: Meta's best-known refusal, with its exact wording.
    if let Some(v) = enforced.iter().find(|v| {
        matches!(
            v,
            SdpViolation::FingerprintCount { .. } | SdpViolation::FingerprintNotSha256 { .. }
        )
    }) {
        return Err(match v {
            SdpViolation::FingerprintCount { found: 0 } => "No fingerprint found in SDP".to_owned(),
            _ => "Fingerprint algo is not SHA256".to_owned(),
        });
    }
    match enforced.first() {
        None => Ok(()),
        Some(first) => Err(first.to_string()),
    }
}

/// Violations Meta is known (or must be assumed) to refuse; the rest it tolerates.
fn meta_refuses(violation: &SdpViolation) -> bool {
    match violation {
        SdpViolation::Empty
        | SdpViolation::MalformedLine { .. }
        | SdpViolation::MissingVersion
        | SdpViolation::AudioSectionCount { .. }
        | SdpViolation::NonAudioSection { .. }
        | SdpViolation::OpusMissing
        | SdpViolation::OpusWrongClockRate { .. }
        | SdpViolation::PtimeNot20 { .. }
        | SdpViolation::FingerprintCount { .. }
        | SdpViolation::FingerprintNotSha256 { .. }
        | SdpViolation::SetupMissing
        | SdpViolation::IceCredentialsMissing { .. } => true,
        // Several SSRCs corrupt media at Meta's relay; none is tolerated (nothing to rewrite).
        SdpViolation::SsrcCount { found } => *found > 1,
        // An answer may make Meta the DTLS client (passive) or server (active); never actpass.
        SdpViolation::SetupNotAllowed { found, .. } => found != "passive",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The business answer shape Meta documents, with a real-length fingerprint.
    pub(crate) const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:x\r\n";

    #[test]
    fn meta_shaped_answer_passes() {
        assert_eq!(check_sdp(ANSWER, SdpRole::Answer), Ok(()));
    }

    #[test]
    fn extra_fingerprint_gets_metas_wording() {
        let sdp = ANSWER.replace(
            "a=setup:active",
            "a=fingerprint:sha-384 AA:BB\r\na=setup:active",
        );
        assert_eq!(
            check_sdp(&sdp, SdpRole::Answer),
            Err("Fingerprint algo is not SHA256".to_owned())
        );
    }

    #[test]
    fn missing_fingerprint_is_named() {
        let sdp: String = ANSWER
            .lines()
            .filter(|l| !l.starts_with("a=fingerprint"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            check_sdp(&sdp, SdpRole::Answer),
            Err("No fingerprint found in SDP".to_owned())
        );
    }

    #[test]
    fn two_audio_sections_two_ssrcs_bad_ptime_and_no_opus_are_refused() {
        let two_m = ANSWER.replace("a=ptime:20", "m=audio 9 UDP/TLS/RTP/SAVPF 0");
        assert!(check_sdp(&two_m, SdpRole::Answer).is_err());
        let two_ssrc = ANSWER.replace("a=ssrc:1 cname:x", "a=ssrc:1 cname:x\r\na=ssrc:2 cname:y");
        assert!(check_sdp(&two_ssrc, SdpRole::Answer).is_err_and(|e| e.contains("SSRC")));
        let ptime = ANSWER.replace("a=ptime:20", "a=ptime:10");
        assert!(check_sdp(&ptime, SdpRole::Answer).is_err_and(|e| e.contains("ptime")));
        let no_opus = ANSWER.replace("opus/48000/2", "PCMU/8000");
        assert!(check_sdp(&no_opus, SdpRole::Answer).is_err_and(|e| e.contains("Opus")));
    }

    #[test]
    fn answer_must_choose_a_dtls_role_but_an_offer_may_say_actpass() {
        let actpass = ANSWER.replace("a=setup:active", "a=setup:actpass");
        assert!(check_sdp(&actpass, SdpRole::Answer).is_err_and(|e| e.contains("setup")));
        assert_eq!(check_sdp(&actpass, SdpRole::Offer), Ok(()));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(check_sdp("", SdpRole::Offer).is_err());
        assert!(check_sdp("hello\r\nworld", SdpRole::Offer).is_err());
        assert!(check_sdp("v=0\r\na=\r\na=:\r\nm=", SdpRole::Answer).is_err());
    }
}
