//! `validate_for_meta`: Meta's media rules (reference §6) as code.
//!
//! The role decides which rules apply. SDPs *we send* (`OfferToMeta`, `AnswerToMeta`) get every
//! rule, because a violation makes Meta refuse or break the call. SDPs *Meta sends* are checked
//! only for what Meta's own samples satisfy (its doc offer has no `a=ptime`; its answers may lack
//! telephone-event), so the simulator's output and real Meta offers validate alike.

use std::collections::BTreeSet;

use crate::sdp::parse::{MediaSection, ParsedSdp};
use crate::sdp::violation::{SdpViolation, SdpViolations};

/// Which SDP is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdpRole {
    /// Meta's offer in a user-initiated `connect` webhook (ICE-lite, `setup:actpass`).
    OfferFromMeta,
    /// Meta's answer in a business-initiated `connect` webhook.
    AnswerFromMeta,
    /// Our offer in `action: connect`.
    OfferToMeta,
    /// Our answer in `pre_accept`/`accept` to Meta's `actpass` offer.
    AnswerToMeta,
}

impl SdpRole {
    /// True for SDPs we send to Meta.
    pub fn is_ours(self) -> bool {
        matches!(self, Self::OfferToMeta | Self::AnswerToMeta)
    }

    /// The `a=setup` values allowed. Our answers must be `active` (we are the DTLS client against
    /// Meta's `actpass`); our offers may say `actpass` (Meta's doc) or `active` (community fix).
    pub fn allowed_setup(self) -> &'static [&'static str] {
        match self {
            Self::AnswerToMeta => &["active"],
            Self::OfferToMeta => &["actpass", "active"],
            Self::OfferFromMeta => &["actpass", "active", "passive"],
            Self::AnswerFromMeta => &["active", "passive", "actpass"],
        }
    }
}

/// Checks `sdp` against Meta's rules for `role`; on failure returns every violation found.
pub fn validate_for_meta(sdp: &str, role: SdpRole) -> Result<(), SdpViolations> {
    let violations = violations_for_meta(sdp, role);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(SdpViolations(violations))
    }
}

/// Every violation of Meta's rules for `role` (empty when the SDP is fine).
pub fn violations_for_meta(sdp: &str, role: SdpRole) -> Vec<SdpViolation> {
    if sdp.trim().is_empty() {
        return vec![SdpViolation::Empty];
    }
    let parsed = ParsedSdp::parse(sdp);
    let mut found = Vec::new();
    check_syntax(&parsed, &mut found);
    check_sections(&parsed, role, &mut found);
    check_security(&parsed, role, &mut found);
    check_ice(&parsed, role, &mut found);
    found
}

fn check_syntax(parsed: &ParsedSdp<'_>, found: &mut Vec<SdpViolation>) {
    for malformed in &parsed.malformed {
        found.push(SdpViolation::MalformedLine {
            line: malformed.number,
            text: malformed.text.to_owned(),
        });
    }
    if parsed.endings.lf_only > 0 || parsed.endings.unterminated_last_line {
        found.push(SdpViolation::NotCrlf {
            lf_only_lines: parsed.endings.lf_only,
            unterminated_last_line: parsed.endings.unterminated_last_line,
        });
    }
    let first = parsed.lines().into_iter().next();
    if !first.is_some_and(|line| line.number == 1 && line.kind == 'v' && line.value.trim() == "0") {
        found.push(SdpViolation::MissingVersion);
    }
}

fn check_sections(parsed: &ParsedSdp<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    for section in parsed
        .media
        .iter()
        .filter(|section| section.media != "audio")
    {
        found.push(SdpViolation::NonAudioSection {
            media: section.media.to_owned(),
        });
    }
    let audio: Vec<&MediaSection<'_>> = parsed.audio_sections().collect();
    if audio.len() != 1 {
        found.push(SdpViolation::AudioSectionCount { found: audio.len() });
    }
    if let Some(section) = audio.first() {
        check_codecs(section, role, found);
        check_ptime(section, role, found);
        check_ssrc(section, role, found);
    }
}

fn is_supported(encoding: &str, clock_rate: Option<u32>) -> bool {
    let encoding = encoding.to_ascii_lowercase();
    matches!(
        (encoding.as_str(), clock_rate),
        ("opus", Some(48000))
            | ("pcma", Some(8000))
            | ("pcmu", Some(8000))
            | ("telephone-event", Some(8000))
    )
}

fn check_codecs(section: &MediaSection<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    let rtpmaps = section.rtpmaps();
    let opus: Vec<_> = rtpmaps
        .iter()
        .filter(|map| map.encoding.eq_ignore_ascii_case("opus"))
        .collect();
    match opus.iter().find(|map| map.payload_type == "111") {
        Some(map) => {
            if map.clock_rate != Some(48000) {
                let clock_rate = map
                    .clock_rate
                    .map_or_else(|| "none".to_owned(), |rate| rate.to_string());
                found.push(SdpViolation::OpusWrongClockRate { clock_rate });
            }
            if !section.formats.contains(&"111") {
                found.push(SdpViolation::OpusNotOnMediaLine);
            }
        }
        None => match opus.first() {
            Some(map) => found.push(SdpViolation::OpusWrongPayloadType {
                payload_type: map.payload_type.to_owned(),
            }),
            None => found.push(SdpViolation::OpusMissing),
        },
    }
    // Only a payload type listed on the m= line is offered; an rtpmap for another one is inert
    // (and `shape_for_meta` prunes it).
    let has_dtmf_8000 = rtpmaps.iter().any(|map| {
        map.encoding.eq_ignore_ascii_case("telephone-event")
            && map.clock_rate == Some(8000)
            && section.formats.contains(&map.payload_type)
    });
    if !has_dtmf_8000 && role != SdpRole::AnswerFromMeta {
        found.push(SdpViolation::TelephoneEventMissing);
    }
    if role.is_ours() {
        for format in &section.formats {
            let codec = match rtpmaps.iter().find(|map| map.payload_type == *format) {
                Some(map) if is_supported(map.encoding, map.clock_rate) => continue,
                Some(map) => format!(
                    "{}/{}",
                    map.encoding,
                    map.clock_rate
                        .map_or_else(|| "?".to_owned(), |rate| rate.to_string())
                ),
                // Static payload types 0 and 8 are PCMU/PCMA without an rtpmap.
                None if *format == "0" || *format == "8" => continue,
                None => "unmapped".to_owned(),
            };
            found.push(SdpViolation::UnsupportedCodec {
                payload_type: (*format).to_owned(),
                codec,
            });
        }
    }
}

fn check_ptime(section: &MediaSection<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    let ptimes: Vec<&str> = section
        .attributes("ptime")
        .flatten()
        .map(str::trim)
        .collect();
    if ptimes.is_empty() && role.is_ours() {
        found.push(SdpViolation::PtimeMissing);
    }
    for value in ptimes.into_iter().filter(|value| *value != "20") {
        found.push(SdpViolation::PtimeNot20 {
            value: value.to_owned(),
        });
    }
}

fn check_ssrc(section: &MediaSection<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    let ids: BTreeSet<&str> = section
        .attributes("ssrc")
        .flatten()
        .filter_map(|value| value.split_ascii_whitespace().next())
        .collect();
    // Meta's answers are only required not to carry several SSRCs.
    let wrong = match role {
        SdpRole::AnswerFromMeta => ids.len() > 1,
        _ => ids.len() != 1,
    };
    if wrong {
        found.push(SdpViolation::SsrcCount { found: ids.len() });
    }
}

fn check_security(parsed: &ParsedSdp<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    let fingerprints = parsed.all_attributes("fingerprint");
    if fingerprints.len() != 1 {
        found.push(SdpViolation::FingerprintCount {
            found: fingerprints.len(),
        });
    }
    for fingerprint in fingerprints {
        let algorithm = fingerprint
            .and_then(|value| value.split_ascii_whitespace().next())
            .unwrap_or("");
        if !algorithm.eq_ignore_ascii_case("sha-256") {
            found.push(SdpViolation::FingerprintNotSha256 {
                algorithm: algorithm.to_owned(),
            });
        }
    }
    let setups = parsed.all_attributes("setup");
    if setups.is_empty() {
        found.push(SdpViolation::SetupMissing);
    }
    let allowed = role.allowed_setup();
    for setup in setups {
        let value = setup.unwrap_or("").trim();
        if !allowed.iter().any(|ok| ok.eq_ignore_ascii_case(value)) {
            found.push(SdpViolation::SetupNotAllowed {
                found: value.to_owned(),
                allowed,
            });
        }
    }
}

fn check_ice(parsed: &ParsedSdp<'_>, role: SdpRole, found: &mut Vec<SdpViolation>) {
    if role.is_ours() {
        let trickle = parsed
            .all_attributes("ice-options")
            .into_iter()
            .flatten()
            .any(|options| {
                options
                    .split_ascii_whitespace()
                    .any(|option| option.eq_ignore_ascii_case("trickle"))
            });
        if trickle {
            found.push(SdpViolation::TrickleNotAllowed);
        }
        if !parsed.all_attributes("ice-lite").is_empty() {
            found.push(SdpViolation::IceLiteNotAllowed);
        }
    }
    if parsed.all_attributes("candidate").is_empty() {
        found.push(SdpViolation::CandidatesMissing);
    }
    for attribute in ["ice-ufrag", "ice-pwd"] {
        if parsed.all_attributes(attribute).is_empty() {
            found.push(SdpViolation::IceCredentialsMissing { attribute });
        }
    }
}
