//! Meta's SDP validation as seen from outside (`reference/meta-calling-api.md` §6.1–6.4).
//!
//! Meta refuses an SDP that it cannot use: anything but one audio section, a missing or non
//! `sha-256` fingerprint (or several), no Opus/48000, a ptime other than 20 ms, more than one
//! SSRC, no ICE credentials. An answer must also pick a DTLS role (`active` or `passive`).
//! The `details` strings mirror Meta's where Meta's are known ("Fingerprint algo is not SHA256").
//!
//! TODO: switch to `whatsapp::sdp` once that crate publishes its validator; this is the local
//! stand-in so the simulator does not wait for it.

/// Whether the SDP is an offer (business-initiated `connect`) or an answer (`pre_accept`/`accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdpRole {
    Offer,
    Answer,
}

/// Checks `sdp` as Meta would; `Err` carries the `details` text of error 100.
pub fn check_sdp(sdp: &str, role: SdpRole) -> Result<(), String> {
    let lines: Vec<&str> = sdp
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.first() != Some(&"v=0") {
        return Err("SDP must start with v=0".to_owned());
    }
    let media: Vec<&&str> = lines.iter().filter(|l| l.starts_with("m=")).collect();
    match media.as_slice() {
        [] => return Err("No media section found in SDP".to_owned()),
        [one] if one.starts_with("m=audio ") => {}
        [_] => return Err("The only media section must be m=audio".to_owned()),
        _ => return Err("Exactly one m=audio section is supported".to_owned()),
    }

    let fingerprints: Vec<&str> = attribute_values(&lines, "fingerprint").collect();
    match fingerprints.as_slice() {
        [] => return Err("No fingerprint found in SDP".to_owned()),
        [one] if one.to_ascii_lowercase().starts_with("sha-256 ") => {}
        _ => return Err("Fingerprint algo is not SHA256".to_owned()),
    }

    if attribute_values(&lines, "ice-ufrag").next().is_none()
        || attribute_values(&lines, "ice-pwd").next().is_none()
    {
        return Err("ICE credentials (ice-ufrag, ice-pwd) missing".to_owned());
    }

    let has_opus = attribute_values(&lines, "rtpmap").any(|v| {
        v.split_once(' ')
            .map(|(_, codec)| codec.to_ascii_lowercase().starts_with("opus/48000"))
            .unwrap_or(false)
    });
    if !has_opus {
        return Err("Opus codec with 48000 clock rate is required".to_owned());
    }

    if let Some(ptime) = attribute_values(&lines, "ptime").find(|p| p.trim() != "20") {
        return Err(format!("ptime must be 20, got {ptime}"));
    }

    let mut ssrcs: Vec<&str> = attribute_values(&lines, "ssrc")
        .filter_map(|v| v.split_whitespace().next())
        .collect();
    ssrcs.sort_unstable();
    ssrcs.dedup();
    if ssrcs.len() > 1 {
        return Err(format!(
            "Only a single audio SSRC is supported, found {}",
            ssrcs.len()
        ));
    }

    if role == SdpRole::Answer {
        match attribute_values(&lines, "setup").next() {
            Some("active") | Some("passive") => {}
            Some(other) => {
                return Err(format!(
                    "SDP answer must use setup:active or setup:passive, got setup:{other}"
                ))
            }
            None => return Err("SDP answer has no a=setup attribute".to_owned()),
        }
    }
    Ok(())
}

/// Values of every `a=<name>:<value>` line.
fn attribute_values<'a>(lines: &'a [&'a str], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    lines.iter().filter_map(move |line| {
        let rest = line.strip_prefix("a=")?;
        let (key, value) = rest.split_once(':')?;
        (key == name).then_some(value.trim())
    })
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
