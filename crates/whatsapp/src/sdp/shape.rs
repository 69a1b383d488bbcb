//! `shape_for_meta`: the community fixes from the reference (§6.2–6.4), applied to an SDP before it
//! is sent to (or after it is received from) Meta.
//!
//! For every role: CRLF line ends, no blank lines or trailing spaces, and only the first `sha-256`
//! fingerprint kept (pipecat's fix for aiortc answers carrying sha-256/384/512, which Meta refuses
//! with "Fingerprint algo is not SHA256"). For SDPs we send, additionally: drop
//! `a=ice-options:trickle`, answers get `a=setup:active`, unsupported codecs (red, G722,
//! telephone-event/48000, …) are pruned from the audio section when Opus stays, `a=ptime:20` is
//! set, and only the first SSRC is kept. Shaping never invents candidates or fingerprints: what it
//! cannot fix, [`crate::sdp::validate_for_meta`] still reports.

use crate::sdp::parse::parse_rtpmap;
use crate::sdp::validate::SdpRole;

/// Returns `sdp` shaped for `role` (see the module docs for what changes).
pub fn shape_for_meta(sdp: &str, role: SdpRole) -> String {
    let lines: Vec<String> = sdp
        .lines()
        .map(|line| line.trim_end().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    let mut lines = keep_one_sha256_fingerprint(lines);
    if role.is_ours() {
        lines = drop_trickle(lines);
        if role == SdpRole::AnswerToMeta {
            lines = set_setup_active(lines);
        }
        if let Some((start, end)) = audio_section(&lines) {
            let mut section: Vec<String> = lines.drain(start..end).collect();
            section = prune_unsupported_codecs(section);
            section = set_ptime_20(section);
            section = keep_first_ssrc(section);
            lines.splice(start..start, section);
        }
    }
    if lines.is_empty() {
        // Nothing but blank lines: stay empty rather than become one blank line.
        return String::new();
    }
    let mut shaped = lines.join("\r\n");
    shaped.push_str("\r\n");
    shaped
}

fn fingerprint_algorithm(line: &str) -> Option<&str> {
    line.strip_prefix("a=fingerprint:")
        .map(|value| value.split_ascii_whitespace().next().unwrap_or(""))
}

fn keep_one_sha256_fingerprint(lines: Vec<String>) -> Vec<String> {
    let is_sha256 = |line: &str| {
        fingerprint_algorithm(line).is_some_and(|algo| algo.eq_ignore_ascii_case("sha-256"))
    };
    if !lines.iter().any(|line| is_sha256(line)) {
        return lines; // nothing safe to keep; the validator reports it
    }
    let mut kept = false;
    lines
        .into_iter()
        .filter(|line| {
            if fingerprint_algorithm(line).is_none() {
                return true;
            }
            let keep = is_sha256(line) && !kept;
            kept |= keep;
            keep
        })
        .collect()
}

fn drop_trickle(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter_map(|line| match line.strip_prefix("a=ice-options:") {
            Some(options) => {
                let rest: Vec<&str> = options
                    .split_ascii_whitespace()
                    .filter(|option| !option.eq_ignore_ascii_case("trickle"))
                    .collect();
                (!rest.is_empty()).then(|| format!("a=ice-options:{}", rest.join(" ")))
            }
            None => Some(line),
        })
        .collect()
}

fn set_setup_active(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|line| {
            if line.starts_with("a=setup:") {
                "a=setup:active".to_owned()
            } else {
                line
            }
        })
        .collect()
}

/// (start, end) line indexes of the first `m=audio` section, `m=` line included.
fn audio_section(lines: &[String]) -> Option<(usize, usize)> {
    let start = lines.iter().position(|line| line.starts_with("m=audio"))?;
    let end = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, line)| line.starts_with("m="))
        .map_or(lines.len(), |(index, _)| index);
    Some((start, end))
}

/// The payload type an `a=rtpmap:`/`a=fmtp:`/`a=rtcp-fb:` line is about. Split at any Unicode
/// whitespace, as [`parse_rtpmap`] (and so the validator) reads it: with ASCII-only splitting,
/// `a=rtpmap:111\u{3000}opus/48000/2` named "payload type `111\u{3000}opus/48000/2`" here and
/// 111 there, and pruning dropped the Opus line of a valid SDP.
fn payload_type_of(line: &str) -> Option<&str> {
    ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
        .iter()
        .find_map(|prefix| line.strip_prefix(prefix))
        .and_then(|rest| {
            rest.split(char::is_whitespace)
                .find(|token| !token.is_empty())
        })
}

fn prune_unsupported_codecs(section: Vec<String>) -> Vec<String> {
    let Some(m_line) = section.first() else {
        return section;
    };
    let fields: Vec<&str> = m_line.split_ascii_whitespace().collect();
    if fields.len() < 4 {
        return section;
    }
    let supported = |format: &str| {
        if format == "0" || format == "8" {
            return true;
        }
        section
            .iter()
            .filter_map(|line| line.strip_prefix("a=rtpmap:"))
            .filter_map(parse_rtpmap)
            .any(|map| {
                let encoding = map.encoding.to_ascii_lowercase();
                map.payload_type == format
                    && matches!(
                        (encoding.as_str(), map.clock_rate),
                        ("opus", Some(48000))
                            | ("pcma", Some(8000))
                            | ("pcmu", Some(8000))
                            | ("telephone-event", Some(8000))
                    )
            })
    };
    let kept: Vec<&str> = fields[3..]
        .iter()
        .copied()
        .filter(|format| supported(format))
        .collect();
    if !kept.contains(&"111") {
        return section; // pruning would leave no Opus; leave it for the validator to report
    }
    let new_m_line = format!(
        "{} {} {} {}",
        fields[0],
        fields[1],
        fields[2],
        kept.join(" ")
    );
    let mut shaped = vec![new_m_line];
    shaped.extend(
        section
            .iter()
            .skip(1)
            .filter(|line| payload_type_of(line).is_none_or(|pt| kept.contains(&pt)))
            .cloned(),
    );
    shaped
}

fn set_ptime_20(mut section: Vec<String>) -> Vec<String> {
    let mut had_ptime = false;
    for line in section
        .iter_mut()
        .filter(|line| line.starts_with("a=ptime:"))
    {
        *line = "a=ptime:20".to_owned();
        had_ptime = true;
    }
    if !had_ptime {
        let after = section
            .iter()
            .rposition(|line| line.starts_with("a=rtpmap:") || line.starts_with("a=fmtp:"))
            .map_or(section.len(), |index| index + 1);
        section.insert(after, "a=ptime:20".to_owned());
    }
    section
}

fn keep_first_ssrc(section: Vec<String>) -> Vec<String> {
    let ssrc_id = |line: &str| {
        line.strip_prefix("a=ssrc:")
            .and_then(|rest| rest.split_ascii_whitespace().next())
            .map(str::to_owned)
    };
    let Some(first) = section.iter().find_map(|line| ssrc_id(line)) else {
        return section;
    };
    let several = section
        .iter()
        .filter_map(|line| ssrc_id(line))
        .any(|id| id != first);
    if !several {
        return section;
    }
    section
        .into_iter()
        .filter(|line| {
            !line.starts_with("a=ssrc-group:") && ssrc_id(line).is_none_or(|id| id == first)
        })
        .collect()
}
