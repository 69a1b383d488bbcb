//! Typed SDP rule violations, each with a stable machine code and a human message.

use std::fmt;

/// One broken Meta SDP rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpViolation {
    /// The SDP is empty.
    Empty,
    /// A line is not `x=value`.
    MalformedLine {
        /// 1-based line number.
        line: usize,
        /// The raw text.
        text: String,
    },
    /// Lines end in bare LF (Meta wants CRLF), or the last line has no line end.
    NotCrlf {
        /// Lines ending in a bare LF.
        lf_only_lines: usize,
        /// True when the final line is unterminated.
        unterminated_last_line: bool,
    },
    /// The first line is not `v=0`.
    MissingVersion,
    /// Not exactly one `m=audio` section.
    AudioSectionCount {
        /// How many were found.
        found: usize,
    },
    /// A non-audio `m=` section (Meta supports one audio stream only).
    NonAudioSection {
        /// Its media type.
        media: String,
    },
    /// No `a=rtpmap:111 opus/48000/2`.
    OpusMissing,
    /// Opus is mapped to a payload type other than 111.
    OpusWrongPayloadType {
        /// The payload type used.
        payload_type: String,
    },
    /// Opus is mapped with a clock rate other than 48000.
    OpusWrongClockRate {
        /// The clock rate found.
        clock_rate: String,
    },
    /// PT 111 is mapped but not listed on the `m=audio` line.
    OpusNotOnMediaLine,
    /// No `a=ptime` in an SDP we send (Meta requires 20 ms).
    PtimeMissing,
    /// `a=ptime` is not 20.
    PtimeNot20 {
        /// The value found.
        value: String,
    },
    /// No `telephone-event/8000` payload type listed on the `m=audio` line.
    TelephoneEventMissing,
    /// A codec Meta does not support (only Opus, PCMA, PCMU, telephone-event/8000).
    UnsupportedCodec {
        /// Payload type.
        payload_type: String,
        /// What it maps to (`unmapped` when there is no rtpmap).
        codec: String,
    },
    /// Not exactly one SSRC.
    SsrcCount {
        /// Distinct SSRC ids found.
        found: usize,
    },
    /// Not exactly one `a=fingerprint`.
    FingerprintCount {
        /// How many were found.
        found: usize,
    },
    /// A fingerprint uses another hash than sha-256 (Meta: "Fingerprint algo is not SHA256").
    FingerprintNotSha256 {
        /// The algorithm written.
        algorithm: String,
    },
    /// No `a=setup`.
    SetupMissing,
    /// `a=setup` has a value not allowed for this role.
    SetupNotAllowed {
        /// The value found.
        found: String,
        /// What this role allows.
        allowed: &'static [&'static str],
    },
    /// `a=ice-options:trickle` in an SDP we send (there is no way to send later candidates).
    TrickleNotAllowed,
    /// `a=ice-lite` in an SDP we send (Meta is ICE-lite; we must be full ICE and controlling).
    IceLiteNotAllowed,
    /// No `a=candidate` line.
    CandidatesMissing,
    /// `a=ice-ufrag` or `a=ice-pwd` missing.
    IceCredentialsMissing {
        /// Which attribute.
        attribute: &'static str,
    },
}

impl SdpViolation {
    /// A stable machine code, e.g. `sdp.fingerprint_algorithm`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "sdp.empty",
            Self::MalformedLine { .. } => "sdp.malformed_line",
            Self::NotCrlf { .. } => "sdp.line_endings",
            Self::MissingVersion => "sdp.missing_version",
            Self::AudioSectionCount { .. } => "sdp.audio_section_count",
            Self::NonAudioSection { .. } => "sdp.non_audio_section",
            Self::OpusMissing => "sdp.opus_missing",
            Self::OpusWrongPayloadType { .. } => "sdp.opus_payload_type",
            Self::OpusWrongClockRate { .. } => "sdp.opus_clock_rate",
            Self::OpusNotOnMediaLine => "sdp.opus_not_on_media_line",
            Self::PtimeMissing => "sdp.ptime_missing",
            Self::PtimeNot20 { .. } => "sdp.ptime_not_20",
            Self::TelephoneEventMissing => "sdp.telephone_event_missing",
            Self::UnsupportedCodec { .. } => "sdp.unsupported_codec",
            Self::SsrcCount { .. } => "sdp.ssrc_count",
            Self::FingerprintCount { .. } => "sdp.fingerprint_count",
            Self::FingerprintNotSha256 { .. } => "sdp.fingerprint_algorithm",
            Self::SetupMissing => "sdp.setup_missing",
            Self::SetupNotAllowed { .. } => "sdp.setup_role",
            Self::TrickleNotAllowed => "sdp.trickle",
            Self::IceLiteNotAllowed => "sdp.ice_lite",
            Self::CandidatesMissing => "sdp.candidates_missing",
            Self::IceCredentialsMissing { .. } => "sdp.ice_credentials_missing",
        }
    }
}

impl fmt::Display for SdpViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the SDP is empty"),
            Self::MalformedLine { line, text } => write!(f, "line {line} is not an SDP line: {text:?}"),
            Self::NotCrlf { lf_only_lines, unterminated_last_line } => write!(
                f,
                "SDP lines must end in CRLF ({lf_only_lines} end in a bare LF{})",
                if *unterminated_last_line { ", last line unterminated" } else { "" }
            ),
            Self::MissingVersion => write!(f, "the SDP must start with v=0"),
            Self::AudioSectionCount { found } => {
                write!(f, "Meta needs exactly one m=audio section, found {found}")
            }
            Self::NonAudioSection { media } => {
                write!(f, "Meta supports a single audio stream; found m={media}")
            }
            Self::OpusMissing => write!(f, "no Opus codec: expected a=rtpmap:111 opus/48000/2"),
            Self::OpusWrongPayloadType { payload_type } => {
                write!(f, "Opus must use payload type 111, found {payload_type}")
            }
            Self::OpusWrongClockRate { clock_rate } => {
                write!(f, "Opus must use clock rate 48000, found {clock_rate}")
            }
            Self::OpusNotOnMediaLine => write!(f, "payload type 111 (Opus) is not listed on the m=audio line"),
            Self::PtimeMissing => write!(f, "a=ptime:20 is required (Meta's Opus ptime is 20 ms)"),
            Self::PtimeNot20 { value } => write!(f, "a=ptime must be 20, found {value}"),
            Self::TelephoneEventMissing => write!(f, "telephone-event/8000 (DTMF) is missing from the m=audio line"),
            Self::UnsupportedCodec { payload_type, codec } => write!(
                f,
                "payload type {payload_type} ({codec}) is not supported by Meta (Opus/48000, PCMA, PCMU, telephone-event/8000 only)"
            ),
            Self::SsrcCount { found } => write!(f, "Meta needs exactly one audio SSRC, found {found}"),
            Self::FingerprintCount { found } => {
                write!(f, "Meta needs exactly one a=fingerprint, found {found}")
            }
            Self::FingerprintNotSha256 { algorithm } => {
                write!(f, "fingerprint algorithm must be sha-256, found {algorithm}")
            }
            Self::SetupMissing => write!(f, "a=setup (DTLS role) is missing"),
            Self::SetupNotAllowed { found, allowed } => {
                write!(f, "a=setup:{found} is not allowed here; expected {}", allowed.join(" or "))
            }
            Self::TrickleNotAllowed => write!(
                f,
                "a=ice-options:trickle is not allowed: Meta has no way to receive later candidates"
            ),
            Self::IceLiteNotAllowed => {
                write!(f, "a=ice-lite is not allowed: Meta is ICE-lite, our side must run full ICE")
            }
            Self::CandidatesMissing => write!(f, "no a=candidate lines: gather candidates before sending"),
            Self::IceCredentialsMissing { attribute } => write!(f, "a={attribute} is missing"),
        }
    }
}

/// Every violation found in one SDP; the error type of [`crate::sdp::validate_for_meta`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpViolations(pub Vec<SdpViolation>);

impl SdpViolations {
    /// The stable codes, in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(SdpViolation::code).collect()
    }

    /// True if a violation with this code was found.
    pub fn contains_code(&self, code: &str) -> bool {
        self.0.iter().any(|violation| violation.code() == code)
    }
}

impl fmt::Display for SdpViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SDP breaks {} Meta rule(s): ", self.0.len())?;
        for (index, violation) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "[{}] {violation}", violation.code())?;
        }
        Ok(())
    }
}

impl std::error::Error for SdpViolations {}
