//! What we take from Meta's offer before handing it to the WebRTC stack, and what we refuse.
//!
//! Meta's offer (reference §6.3): one `m=audio`, Opus/48000/2 (PT 111), telephone-event/8000
//! (PT 126), `a=ice-lite`, `a=setup:actpass`, candidates inline. We answer with exactly the
//! payload types the offer used, so they are read from it rather than assumed.

use super::MediaError;

/// Facts from the offer the answer must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfferFacts {
    pub mid: String,
    pub opus_pt: u8,
    /// The offer's Opus `a=fmtp` parameters ("" if none). webrtc-rs only negotiates a codec
    /// whose fmtp agrees on every shared key, so we register Opus with exactly these
    /// (Meta's doc sample says `minptime=10`, its live offers `minptime=20`).
    pub opus_fmtp: String,
    pub telephone_event_pt: Option<u8>,
}

fn refuse(reason: impl Into<String>) -> MediaError {
    MediaError::OfferRefused(reason.into())
}

/// The payload type whose `a=rtpmap` is `codec` (case-insensitive prefix, e.g. `opus/48000`).
pub(crate) fn payload_type_for(sdp: &str, codec: &str) -> Option<u8> {
    sdp.lines().find_map(|l| {
        let rest = l.trim_end().strip_prefix("a=rtpmap:")?;
        let (pt, name) = rest.split_once(' ')?;
        name.to_ascii_lowercase()
            .starts_with(&codec.to_ascii_lowercase())
            .then(|| pt.trim().parse().ok())
            .flatten()
    })
}

impl OfferFacts {
    pub fn parse(offer: &str) -> Result<Self, MediaError> {
        if !offer.trim_start().starts_with("v=0") {
            return Err(refuse("not an SDP (must start with v=0)"));
        }
        let media: Vec<&str> = offer.lines().filter(|l| l.starts_with("m=")).collect();
        match media.as_slice() {
            [one] if one.starts_with("m=audio ") => {}
            [] => return Err(refuse("no m=audio section")),
            [other] => {
                return Err(refuse(format!(
                    "the only media section is not audio: {other}"
                )))
            }
            many => {
                return Err(refuse(format!(
                    "{} media sections; Meta sends exactly one m=audio",
                    many.len()
                )))
            }
        }
        let opus_pt = payload_type_for(offer, "opus/48000")
            .ok_or_else(|| refuse("no Opus/48000 codec offered"))?;
        if !offer
            .lines()
            .any(|l| l.trim_end().starts_with("a=fingerprint:"))
        {
            return Err(refuse("no DTLS fingerprint"));
        }
        let mid = offer
            .lines()
            .find_map(|l| l.trim_end().strip_prefix("a=mid:"))
            .unwrap_or("audio")
            .to_owned();
        let fmtp_prefix = format!("a=fmtp:{opus_pt} ");
        let opus_fmtp = offer
            .lines()
            .find_map(|l| l.trim_end().strip_prefix(fmtp_prefix.as_str()))
            .unwrap_or("")
            .trim()
            .to_owned();
        Ok(Self {
            mid,
            opus_pt,
            opus_fmtp,
            telephone_event_pt: payload_type_for(offer, "telephone-event/8000"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META_DOC_OFFER: &str = "v=0\r\no=- 7602563789789945080 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\na=ice-lite\r\nm=audio 40012 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.60\r\na=candidate:1972637320 1 udp 2113937151 203.0.113.60 40012 typ host generation 0\r\na=ice-ufrag:6k2qP1R6kBfI/2\r\na=ice-pwd:UApvJw3NcwFRDvIMKdM0vWCdlXah25E9\r\na=fingerprint:sha-256 1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\na=ssrc:4208138518 cname:gAXq2V9TKltrnapv\r\n";

    #[test]
    fn metas_doc_offer_gives_its_payload_types_and_mid() {
        let facts = OfferFacts::parse(META_DOC_OFFER).unwrap();
        assert_eq!(
            facts,
            OfferFacts {
                mid: "audio".into(),
                opus_pt: 111,
                opus_fmtp: "minptime=10;useinbandfec=1".into(),
                telephone_event_pt: Some(126)
            }
        );
    }

    #[test]
    fn offers_we_cannot_answer_are_refused_with_the_reason() {
        let cases = [
            ("hello", "not an SDP"),
            ("v=0\r\ns=-\r\n", "no m=audio"),
            (
                &META_DOC_OFFER.replace("m=audio 40012", "m=video 40012"),
                "not audio",
            ),
            (
                &META_DOC_OFFER.replace("opus/48000/2", "PCMU/8000"),
                "no Opus",
            ),
            (
                &format!("{META_DOC_OFFER}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"),
                "2 media sections",
            ),
            (
                &META_DOC_OFFER.replace("a=fingerprint:", "a=x-fingerprint:"),
                "no DTLS fingerprint",
            ),
        ];
        for (offer, why) in cases {
            let e = OfferFacts::parse(offer).unwrap_err();
            assert!(e.to_string().contains(why), "{e} (expected {why:?})");
        }
    }
}
