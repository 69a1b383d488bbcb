//! Meta's rules for the SDP answer an agent's app sends with `accept_call`, checked before
//! anything reaches Meta so the agent gets every reason at once instead of a Graph error.

use whatsapp::sdp::{validate_for_meta, SdpRole};

/// Ok, or every Meta rule the answer breaks (with stable codes, e.g. `[fingerprint_not_sha256]`).
pub fn check_answer(sdp: &str) -> Result<(), String> {
    validate_for_meta(sdp, SdpRole::AnswerToMeta).map_err(|violations| violations.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:agent\r\n";

    #[test]
    fn an_answer_following_metas_rules_passes() {
        assert_eq!(check_answer(ANSWER), Ok(()));
    }

    #[test]
    fn every_broken_rule_is_named() {
        let passive = ANSWER.replace("a=setup:active", "a=setup:passive");
        let refusal = check_answer(&passive).expect_err("setup:passive breaks Meta's rules");
        assert!(refusal.contains("setup"), "{refusal}");
        let no_audio = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
        assert!(check_answer(no_audio).is_err());
    }
}
