//! Re-renders the SDP webrtc-rs produces in the shape of Meta's relay (reference §6.3).
//!
//! Why re-render instead of editing lines: webrtc-rs 0.21 cannot be told to emit `a=ptime`,
//! `a=maxptime`, `a=rtcp:9`, Meta's `a=msid`/`cname` labels, or to omit `a=rtcp-rsize`,
//! `a=extmap-allow-mixed`, `a=end-of-candidates` and its own ssrc `msid` lines; and it emits the
//! fingerprint and attributes in its own order. Every fact that the connection depends on is
//! taken verbatim from webrtc-rs's SDP — ICE ufrag/pwd, the sha-256 fingerprint, the DTLS
//! setup role, the mid, payload types, the SSRC and the host candidates — so the far end
//! negotiates with exactly the transport our peer connection has. Only presentation and
//! Meta's fixed attributes are rewritten.
//!
//! Invariant of the output: CRLF line ends, `a=ice-lite`, one `m=audio` with mid `audio`,
//! BUNDLE, rtcp-mux, Opus/48000/2 (+ telephone-event/8000 when negotiated), ptime 20, one SSRC,
//! one `sha-256` fingerprint, inline host candidates, no trickle options, no end-of-candidates.

use super::PhoneError;

/// Meta's Opus fmtp from the live Oct-2025 offer (reference §2.3).
pub const META_OPUS_FMTP: &str =
    "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1";

/// The BUNDLE tag and mid Meta uses for its one audio section.
pub const AUDIO_MID: &str = "audio";

/// The transport facts pulled out of webrtc-rs's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SdpFacts {
    pub session_id: String,
    pub ice_ufrag: String,
    pub ice_pwd: String,
    /// Hex fingerprint (sha-256) without the algorithm name.
    pub fingerprint: String,
    pub setup: String,
    pub mid: String,
    /// `a=candidate:` values (without the `a=` prefix), UDP host candidates only.
    pub candidates: Vec<String>,
    pub opus_pt: u8,
    pub telephone_event_pt: Option<u8>,
    pub ssrc: u32,
}

fn attr<'a>(sdp: &'a str, key: &str) -> Option<&'a str> {
    sdp.lines()
        .map(str::trim_end)
        .find_map(|l| l.strip_prefix("a=")?.strip_prefix(key)?.strip_prefix(':'))
}

fn missing(what: &str) -> PhoneError {
    PhoneError::LocalSdp(format!("webrtc-rs SDP has no {what}"))
}

/// Find the payload type whose `a=rtpmap` matches `codec` (case-insensitive), e.g. `opus/48000`.
pub(crate) fn payload_type_for(sdp: &str, codec: &str) -> Option<u8> {
    sdp.lines().find_map(|l| {
        let rest = l.trim_end().strip_prefix("a=rtpmap:")?;
        let (pt, name) = rest.split_once(' ')?;
        name.to_ascii_lowercase()
            .starts_with(&codec.to_ascii_lowercase())
            .then(|| pt.parse().ok())
            .flatten()
    })
}

impl SdpFacts {
    /// Extract the facts from webrtc-rs's local description (after gathering completed).
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let session_id = raw
            .lines()
            .find_map(|l| l.strip_prefix("o="))
            .and_then(|o| o.split_whitespace().nth(1))
            .ok_or_else(|| missing("o= line"))?
            .to_owned();
        let fingerprint = raw
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("a=fingerprint:"))
            .find_map(|v| {
                let (alg, hex) = v.split_once(' ')?;
                alg.eq_ignore_ascii_case("sha-256")
                    .then(|| hex.trim().to_owned())
            })
            .ok_or_else(|| missing("sha-256 fingerprint"))?;
        let candidates: Vec<String> = raw
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("a="))
            .filter(|v| v.starts_with("candidate:"))
            .filter(|v| {
                let fields: Vec<&str> = v.split_whitespace().collect();
                // Component 1 only: with rtcp-mux, RTCP shares the RTP candidate.
                fields.len() >= 8
                    && fields[1] == "1"
                    && fields[2].eq_ignore_ascii_case("udp")
                    && fields[6] == "typ"
                    && fields[7] == "host"
            })
            .map(str::to_owned)
            .collect();
        if candidates.is_empty() {
            return Err(missing("UDP host candidate (was gathering complete?)"));
        }
        // Meta lists IPv4 before IPv6, and its m=/c= lines name the IPv4 candidate.
        let mut candidates = candidates;
        candidates.sort_by_key(|c| {
            c.split_whitespace()
                .nth(4)
                .is_some_and(|ip| ip.contains(':'))
        });
        let ssrc = raw
            .lines()
            .find_map(|l| l.strip_prefix("a=ssrc:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| missing("a=ssrc line"))?;
        Ok(Self {
            session_id,
            ice_ufrag: attr(raw, "ice-ufrag")
                .ok_or_else(|| missing("ice-ufrag"))?
                .to_owned(),
            ice_pwd: attr(raw, "ice-pwd")
                .ok_or_else(|| missing("ice-pwd"))?
                .to_owned(),
            fingerprint,
            setup: attr(raw, "setup")
                .ok_or_else(|| missing("setup"))?
                .to_owned(),
            mid: attr(raw, "mid").ok_or_else(|| missing("mid"))?.to_owned(),
            candidates,
            opus_pt: payload_type_for(raw, "opus/48000").ok_or_else(|| missing("Opus codec"))?,
            telephone_event_pt: payload_type_for(raw, "telephone-event/8000"),
            ssrc,
        })
    }

    /// The address and port of the first candidate: Meta puts them in `m=` and `c=`.
    fn first_address(&self) -> (&str, &str) {
        let fields: Vec<&str> = self.candidates[0].split_whitespace().collect();
        (fields[4], fields[5])
    }

    /// Render in Meta's shape with `mid` as the section's mid and BUNDLE tag. `stream_id`
    /// names the `msid` (Meta: a UUID).
    pub fn render_meta_style(&self, mid: &str, stream_id: &str) -> String {
        let (ip, port) = self.first_address();
        let ip_kind = if ip.contains(':') { "IP6" } else { "IP4" };
        let mut pts = self.opus_pt.to_string();
        if let Some(te) = self.telephone_event_pt {
            pts.push_str(&format!(" {te}"));
        }
        let mut lines: Vec<String> = vec![
            "v=0".into(),
            format!("o=- {} 2 IN IP4 127.0.0.1", self.session_id),
            "s=-".into(),
            "t=0 0".into(),
            format!("a=group:BUNDLE {mid}"),
            format!("a=msid-semantic: WMS {stream_id}"),
            "a=ice-lite".into(),
            format!("m=audio {port} UDP/TLS/RTP/SAVPF {pts}"),
            format!("c=IN {ip_kind} {ip}"),
            "a=rtcp:9 IN IP4 0.0.0.0".into(),
        ];
        for c in &self.candidates {
            // Meta's candidates carry Chrome's extension attributes; add them if absent.
            if c.contains(" generation ") {
                lines.push(format!("a={c}"));
            } else {
                lines.push(format!("a={c} generation 0 network-cost 50"));
            }
        }
        lines.extend([
            format!("a=ice-ufrag:{}", self.ice_ufrag),
            format!("a=ice-pwd:{}", self.ice_pwd),
            format!("a=fingerprint:sha-256 {}", self.fingerprint),
            format!("a=setup:{}", self.setup),
            format!("a=mid:{mid}"),
            "a=sendrecv".into(),
            format!("a=msid:{stream_id} WhatsAppTrack1"),
            "a=rtcp-mux".into(),
            format!("a=rtpmap:{} opus/48000/2", self.opus_pt),
            format!("a=rtcp-fb:{} transport-cc", self.opus_pt),
            format!("a=fmtp:{} {META_OPUS_FMTP}", self.opus_pt),
        ]);
        if let Some(te) = self.telephone_event_pt {
            lines.push(format!("a=rtpmap:{te} telephone-event/8000"));
        }
        lines.extend([
            "a=maxptime:20".into(),
            "a=ptime:20".into(),
            format!("a=ssrc:{} cname:WhatsAppAudioStream1", self.ssrc),
        ]);
        let mut sdp = lines.join("\r\n");
        sdp.push_str("\r\n");
        sdp
    }
}

/// Rewrite the mid `from` to `to` in `a=mid:` lines and `a=group:BUNDLE` tags, leaving every
/// other byte (and the line ends) as they were.
///
/// Used because webrtc-rs names its section "0" while Meta's is "audio": the offer goes out
/// with "audio", and the business's answer (which echoes "audio") is renamed back to the mid
/// our peer connection knows before webrtc-rs sees it.
pub(crate) fn rename_mid(sdp: &str, from: &str, to: &str) -> String {
    sdp.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\r', '\n']);
            let ending = &line[body.len()..];
            if body.strip_prefix("a=mid:") == Some(from) {
                format!("a=mid:{to}{ending}")
            } else if let Some(tags) = body.strip_prefix("a=group:BUNDLE") {
                let renamed: Vec<&str> = tags
                    .split_whitespace()
                    .map(|t| if t == from { to } else { t })
                    .collect();
                format!("a=group:BUNDLE {}{ending}", renamed.join(" "))
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// Checks on the business's SDP that the phone needs before handing it to webrtc-rs, so a bad
/// SDP is refused with a reason rather than a generic negotiation error.
pub(crate) fn check_remote(sdp: &str) -> Result<(), PhoneError> {
    let audio_sections = sdp.lines().filter(|l| l.starts_with("m=audio ")).count();
    if audio_sections != 1 {
        return Err(PhoneError::RemoteSdp(format!(
            "expected exactly one m=audio section, found {audio_sections}"
        )));
    }
    if sdp
        .lines()
        .any(|l| l.starts_with("m=") && !l.starts_with("m=audio "))
    {
        return Err(PhoneError::RemoteSdp(
            "only one audio stream is allowed (no video or data sections)".into(),
        ));
    }
    if payload_type_for(sdp, "opus/48000").is_none() {
        return Err(PhoneError::RemoteSdp("no opus/48000 codec offered".into()));
    }
    if !sdp.lines().any(|l| l.starts_with("a=fingerprint:")) {
        return Err(PhoneError::RemoteSdp("No fingerprint found in SDP".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like webrtc-rs 0.21's output (LF ends, session-level fingerprint, extra attrs).
    const RAW: &str = "v=0\no=- 4242 2 IN IP4 0.0.0.0\ns=-\nt=0 0\n\
a=fingerprint:sha-256 AB:CD:EF\na=extmap-allow-mixed\na=ice-lite\na=group:BUNDLE audio\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 126\nc=IN IP4 0.0.0.0\na=setup:actpass\na=mid:audio\n\
a=ice-ufrag:uFrAg\na=ice-pwd:pAsSwOrD\na=rtcp-mux\na=rtcp-rsize\n\
a=rtpmap:111 opus/48000/2\na=fmtp:111 minptime=10;useinbandfec=1\n\
a=rtpmap:126 telephone-event/8000\na=ssrc:777 cname:x\na=ssrc:777 msid:s t\n\
a=msid:s t\na=sendrecv\n\
a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\n\
a=candidate:2 1 tcp 2130706431 127.0.0.1 50001 typ host tcptype passive\n\
a=candidate:1 2 udp 2130706431 127.0.0.1 50000 typ host\n\
a=end-of-candidates\n";

    #[test]
    fn facts_come_from_the_raw_sdp() {
        let f = SdpFacts::parse(RAW).unwrap();
        assert_eq!(f.session_id, "4242");
        assert_eq!(
            (f.ice_ufrag.as_str(), f.ice_pwd.as_str()),
            ("uFrAg", "pAsSwOrD")
        );
        assert_eq!(f.fingerprint, "AB:CD:EF");
        assert_eq!((f.setup.as_str(), f.mid.as_str()), ("actpass", "audio"));
        assert_eq!(
            (f.opus_pt, f.telephone_event_pt, f.ssrc),
            (111, Some(126), 777)
        );
        assert_eq!(
            f.candidates.len(),
            1,
            "TCP and RTCP-component candidates are dropped"
        );
    }

    #[test]
    fn render_is_meta_shaped() {
        let sdp = SdpFacts::parse(RAW)
            .unwrap()
            .render_meta_style(AUDIO_MID, "stream-1");
        assert!(sdp.ends_with("\r\n"));
        assert!(!sdp.replace("\r\n", "").contains('\n'), "bare LF in output");
        let lines: Vec<&str> = sdp.split("\r\n").collect();
        for expected in [
            "a=ice-lite",
            "a=group:BUNDLE audio",
            "m=audio 50000 UDP/TLS/RTP/SAVPF 111 126",
            "c=IN IP4 127.0.0.1",
            "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host generation 0 network-cost 50",
            "a=fingerprint:sha-256 AB:CD:EF",
            "a=setup:actpass",
            "a=mid:audio",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:126 telephone-event/8000",
            "a=ptime:20",
            "a=ssrc:777 cname:WhatsAppAudioStream1",
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{sdp}");
        }
        for absent in [
            "a=end-of-candidates",
            "a=rtcp-rsize",
            "trickle",
            "tcptype",
            " 2 udp ",
        ] {
            assert!(
                !sdp.contains(absent),
                "{absent:?} must not appear in\n{sdp}"
            );
        }
        let ssrcs: std::collections::HashSet<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("a=ssrc:")?.split(' ').next())
            .collect();
        assert_eq!(ssrcs.len(), 1);
    }

    #[test]
    fn ipv4_candidate_leads_a_dual_stack_offer() {
        let dual = RAW.replace(
            "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\n",
            "a=candidate:6 1 udp 2130706431 ::1 50002 typ host\n\
             a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\n",
        );
        let sdp = SdpFacts::parse(&dual)
            .unwrap()
            .render_meta_style(AUDIO_MID, "s");
        let lines: Vec<&str> = sdp.split("\r\n").collect();
        assert!(
            lines.contains(&"m=audio 50000 UDP/TLS/RTP/SAVPF 111 126"),
            "{sdp}"
        );
        assert!(lines.contains(&"c=IN IP4 127.0.0.1"), "{sdp}");
        let v4 = sdp.find("127.0.0.1 50000 typ host").unwrap();
        let v6 = sdp.find("::1 50002 typ host").unwrap();
        assert!(v4 < v6);
    }

    #[test]
    fn missing_pieces_are_refused_with_the_reason() {
        let no_candidates: String = RAW
            .lines()
            .filter(|l| !l.starts_with("a=candidate"))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = SdpFacts::parse(&no_candidates).unwrap_err();
        assert!(err.to_string().contains("candidate"), "{err}");
        let sha1 = RAW.replace("sha-256", "sha-1");
        assert!(SdpFacts::parse(&sha1)
            .unwrap_err()
            .to_string()
            .contains("sha-256"));
    }

    #[test]
    fn mid_is_renamed_only_where_it_is_the_mid() {
        let answer = "v=0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
a=mid:audio\r\na=msid:audio x\r\n";
        let renamed = rename_mid(answer, "audio", "0");
        assert_eq!(
            renamed,
            "v=0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
a=mid:0\r\na=msid:audio x\r\n"
        );
        assert_eq!(rename_mid("a=mid:audio2\n", "audio", "0"), "a=mid:audio2\n");
    }

    #[test]
    fn remote_sdp_checks_say_why() {
        assert!(check_remote(RAW).is_ok());
        let video = format!("{RAW}m=video 9 UDP/TLS/RTP/SAVPF 96\n");
        assert!(check_remote(&video).is_err());
        let no_fp: String = RAW
            .lines()
            .filter(|l| !l.starts_with("a=fingerprint"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(check_remote(&no_fp)
            .unwrap_err()
            .to_string()
            .contains("fingerprint"));
        let pcmu_only = RAW.replace("opus/48000/2", "PCMU/8000");
        assert!(check_remote(&pcmu_only).is_err());
        assert!(check_remote("garbage").is_err());
    }
}
