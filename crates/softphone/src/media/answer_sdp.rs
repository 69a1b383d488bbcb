//! Re-renders the answer (or, for a call we place, the offer) webrtc-rs produced in the shape
//! Meta requires (reference §6.1–6.4).
//!
//! Why re-render: webrtc-rs 0.21 cannot be told to emit `a=ptime:20`/`a=maxptime:20`, and it
//! adds attributes Meta's validator is known to dislike (`a=extmap-allow-mixed`,
//! `a=rtcp-rsize`, `a=end-of-candidates`, several candidates per family). Every fact the
//! transport depends on is copied verbatim from webrtc-rs's SDP — ICE ufrag/pwd, the sha-256
//! fingerprint, the DTLS setup role, the SSRC and the host candidates — so Meta negotiates with
//! exactly the transport our peer connection has. The payload types and mid echo the offer.
//!
//! Output invariants: CRLF line ends; one `m=audio` (UDP/TLS/RTP/SAVPF) with Opus/48000/2 and
//! telephone-event/8000 when offered; `a=ptime:20`; `a=setup:active`; exactly one `sha-256`
//! fingerprint; one SSRC; inline host candidates (at most one IPv4 and one IPv6, the same
//! format as Meta's offer); no `a=ice-lite`, no trickle option, no end-of-candidates.

use super::offer::OfferFacts;
use super::MediaError;

/// Transport facts from webrtc-rs's local answer (after gathering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFacts {
    pub session_id: String,
    pub ice_ufrag: String,
    pub ice_pwd: String,
    /// Hex sha-256 fingerprint, without the algorithm name.
    pub fingerprint: String,
    pub setup: String,
    /// `candidate:...` values, UDP host only, at most one IPv4 and one IPv6.
    pub candidates: Vec<String>,
    pub ssrc: u32,
    pub cname: String,
}

fn missing(what: &str) -> MediaError {
    MediaError::LocalSdp(format!("webrtc-rs SDP has no {what}"))
}

fn attr<'a>(sdp: &'a str, key: &str) -> Option<&'a str> {
    sdp.lines()
        .map(str::trim_end)
        .find_map(|l| l.strip_prefix("a=")?.strip_prefix(key)?.strip_prefix(':'))
}

/// Fields of a `candidate:` value: foundation, component, transport, priority, address, port,
/// "typ", type.
fn candidate_fields(value: &str) -> Option<(&str, u16, &str)> {
    let f: Vec<&str> = value.split_whitespace().collect();
    if f.len() < 8 || !f[2].eq_ignore_ascii_case("udp") || f[6] != "typ" || f[1] != "1" {
        return None;
    }
    Some((f[4], f[5].parse().ok()?, f[7]))
}

impl LocalFacts {
    pub fn parse(raw: &str) -> Result<Self, MediaError> {
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
        let (mut v4, mut v6) = (None, None);
        for value in raw
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("a="))
            .filter(|v| v.starts_with("candidate:"))
        {
            let Some((address, _, typ)) = candidate_fields(value) else {
                continue;
            };
            if typ != "host" {
                continue;
            }
            let slot = if address.contains(':') {
                &mut v6
            } else {
                &mut v4
            };
            if slot.is_none() {
                *slot = Some(value.to_owned());
            }
        }
        let candidates: Vec<String> = v4.into_iter().chain(v6).collect();
        if candidates.is_empty() {
            return Err(missing("UDP host candidate (was gathering complete?)"));
        }
        let (ssrc, cname) = raw
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("a=ssrc:"))
            .find_map(|v| {
                let (id, rest) = v.split_once(' ')?;
                Some((id.parse().ok()?, rest.strip_prefix("cname:")?.to_owned()))
            })
            .ok_or_else(|| missing("a=ssrc cname line"))?;
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
                .ok_or_else(|| missing("a=setup"))?
                .to_owned(),
            candidates,
            ssrc,
            cname,
        })
    }
}

/// The answer for Meta: `offer`'s payload types and mid, `local`'s transport.
pub(crate) fn render(
    offer: &OfferFacts,
    local: &LocalFacts,
    stream_id: &str,
) -> Result<String, MediaError> {
    if local.setup != "active" {
        return Err(MediaError::LocalSdp(format!(
            "webrtc-rs chose a=setup:{}; Meta needs the business to be the DTLS client (active)",
            local.setup
        )));
    }
    render_with(offer, local, stream_id, "active")
}

/// Our offer for a call we place: `ours`' payload types and mid, `local`'s transport, and
/// `a=setup:actpass` (Meta's documented sample; Meta answers `active`). The same lines as an
/// answer otherwise, so one renderer gives both the shape Meta's rules ask for.
pub(crate) fn render_offer(
    ours: &OfferFacts,
    local: &LocalFacts,
    stream_id: &str,
) -> Result<String, MediaError> {
    if local.setup != "actpass" {
        return Err(MediaError::LocalSdp(format!(
            "webrtc-rs offered a=setup:{}; an offer must leave the DTLS role open (actpass)",
            local.setup
        )));
    }
    render_with(ours, local, stream_id, "actpass")
}

/// The `a=mid` of webrtc-rs's SDP (our offer keeps webrtc-rs's own; Meta's answer echoes it).
pub(crate) fn local_mid(raw: &str) -> Option<String> {
    attr(raw, "mid").map(str::to_owned)
}

fn render_with(
    offer: &OfferFacts,
    local: &LocalFacts,
    stream_id: &str,
    setup: &str,
) -> Result<String, MediaError> {
    let first = local
        .candidates
        .first()
        .and_then(|c| candidate_fields(c))
        .ok_or_else(|| missing("usable candidate"))?;
    let (address, port, _) = first;
    let family = if address.contains(':') { "IP6" } else { "IP4" };
    let mut formats = offer.opus_pt.to_string();
    if let Some(pt) = offer.telephone_event_pt {
        formats.push_str(&format!(" {pt}"));
    }
    let mut l: Vec<String> = vec![
        "v=0".into(),
        format!("o=- {} 2 IN IP4 127.0.0.1", local.session_id),
        "s=-".into(),
        "t=0 0".into(),
        format!("a=group:BUNDLE {}", offer.mid),
        format!("a=msid-semantic: WMS {stream_id}"),
        format!("m=audio {port} UDP/TLS/RTP/SAVPF {formats}"),
        format!("c=IN {family} {address}"),
        "a=rtcp:9 IN IP4 0.0.0.0".into(),
    ];
    l.extend(local.candidates.iter().map(|c| format!("a={c}")));
    l.extend([
        format!("a=ice-ufrag:{}", local.ice_ufrag),
        format!("a=ice-pwd:{}", local.ice_pwd),
        format!("a=fingerprint:sha-256 {}", local.fingerprint),
        format!("a=setup:{setup}"),
        format!("a=mid:{}", offer.mid),
        "a=sendrecv".into(),
        "a=rtcp-mux".into(),
        format!("a=rtpmap:{} opus/48000/2", offer.opus_pt),
        format!("a=fmtp:{} minptime=20;useinbandfec=1", offer.opus_pt),
    ]);
    if let Some(pt) = offer.telephone_event_pt {
        l.push(format!("a=rtpmap:{pt} telephone-event/8000"));
    }
    l.extend([
        "a=ptime:20".into(),
        "a=maxptime:20".into(),
        format!("a=ssrc:{} cname:{}", local.ssrc, local.cname),
        format!("a=ssrc:{} msid:{stream_id} {stream_id}-audio", local.ssrc),
    ]);
    let mut sdp = l.join("\r\n");
    sdp.push_str("\r\n");
    Ok(sdp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEBRTC_RS_ANSWER: &str = "v=0\r\no=- 123456 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\na=extmap-allow-mixed\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=setup:active\r\na=mid:audio\r\na=ice-ufrag:uFrAg\r\na=ice-pwd:pAsSwOrDpAsSwOrDpAsSwOrD\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ssrc:42 cname:abc\r\na=ssrc:42 msid:s t\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\na=candidate:2 1 udp 2130706431 127.0.0.2 50001 typ host\r\na=candidate:3 1 udp 2130706431 ::1 50002 typ host\r\na=candidate:4 1 udp 1694498815 198.51.100.1 50003 typ srflx raddr 0.0.0.0 rport 0\r\na=end-of-candidates\r\na=sendrecv\r\n";

    fn offer() -> OfferFacts {
        OfferFacts {
            mid: "audio".into(),
            opus_pt: 111,
            opus_fmtp: "minptime=10;useinbandfec=1".into(),
            telephone_event_pt: Some(126),
        }
    }

    #[test]
    fn facts_keep_one_host_candidate_per_family() {
        let facts = LocalFacts::parse(WEBRTC_RS_ANSWER).unwrap();
        assert_eq!(
            facts.candidates,
            [
                "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
                "candidate:3 1 udp 2130706431 ::1 50002 typ host"
            ]
        );
        assert_eq!((facts.ssrc, facts.cname.as_str()), (42, "abc"));
        assert_eq!(facts.fingerprint, "AA:BB");
    }

    #[test]
    fn rendered_answer_has_metas_shape() {
        let facts = LocalFacts::parse(WEBRTC_RS_ANSWER).unwrap();
        let sdp = render(&offer(), &facts, "stream").unwrap();
        assert!(sdp.ends_with("\r\n") && !sdp.replace("\r\n", "").contains('\n'));
        for line in [
            "m=audio 50000 UDP/TLS/RTP/SAVPF 111 126",
            "c=IN IP4 127.0.0.1",
            "a=setup:active",
            "a=ptime:20",
            "a=fingerprint:sha-256 AA:BB",
            "a=rtpmap:126 telephone-event/8000",
        ] {
            assert!(sdp.lines().any(|l| l == line), "missing {line:?} in\n{sdp}");
        }
        for absent in [
            "ice-lite",
            "trickle",
            "end-of-candidates",
            "rtcp-rsize",
            "srflx",
            "extmap",
        ] {
            assert!(!sdp.contains(absent), "{absent} in\n{sdp}");
        }
    }

    #[test]
    fn a_passive_local_role_is_refused() {
        let raw = WEBRTC_RS_ANSWER.replace("a=setup:active", "a=setup:passive");
        let facts = LocalFacts::parse(&raw).unwrap();
        let e = render(&offer(), &facts, "s").unwrap_err();
        assert!(e.to_string().contains("DTLS client"), "{e}");
    }

    #[test]
    fn an_answer_without_candidates_is_refused() {
        let raw: String = WEBRTC_RS_ANSWER
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with("a=candidate"))
            .collect();
        let e = LocalFacts::parse(&raw).unwrap_err();
        assert!(e.to_string().contains("candidate"), "{e}");
    }
}
