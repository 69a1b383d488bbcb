//! A small, forgiving SDP line parser (RFC 8866 `<type>=<value>` lines).
//!
//! It never fails and never panics: lines that are not `x=...` are collected as malformed, line
//! endings are counted so the validator can insist on CRLF, and the text is split into the
//! session part and one section per `m=` line.

/// One `x=value` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpLine<'a> {
    /// 1-based line number in the input.
    pub number: usize,
    /// The type letter (`v`, `o`, `m`, `a`, …).
    pub kind: char,
    /// Everything after `=`.
    pub value: &'a str,
}

impl<'a> SdpLine<'a> {
    /// For `a=` lines: the attribute name and optional value (`a=name:value` or `a=name`).
    pub fn attribute(&self) -> Option<(&'a str, Option<&'a str>)> {
        if self.kind != 'a' {
            return None;
        }
        Some(match self.value.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (self.value, None),
        })
    }
}

/// A line that is not `x=value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedLine<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The raw text.
    pub text: &'a str,
}

/// An `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap<'a> {
    /// Payload type as written.
    pub payload_type: &'a str,
    /// Encoding name, e.g. `opus`.
    pub encoding: &'a str,
    /// Clock rate, if numeric.
    pub clock_rate: Option<u32>,
    /// Channels, if given.
    pub channels: Option<&'a str>,
}

/// One `m=` section with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection<'a> {
    /// The `m=` line.
    pub m_line: SdpLine<'a>,
    /// `audio`, `video`, ….
    pub media: &'a str,
    /// Port as written.
    pub port: &'a str,
    /// Transport protocol, e.g. `UDP/TLS/RTP/SAVPF`.
    pub proto: &'a str,
    /// Payload types listed on the `m=` line.
    pub formats: Vec<&'a str>,
    /// Lines after the `m=` line up to the next one.
    pub lines: Vec<SdpLine<'a>>,
}

impl<'a> MediaSection<'a> {
    /// Values of every `a=<name>` attribute in this section (`None` for flag attributes).
    pub fn attributes(&self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + '_ {
        attributes_in(&self.lines, name)
    }

    /// All `a=rtpmap` entries in this section.
    pub fn rtpmaps(&self) -> Vec<RtpMap<'a>> {
        self.attributes("rtpmap")
            .flatten()
            .filter_map(parse_rtpmap)
            .collect()
    }
}

/// Counts of line endings seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineEndings {
    /// Lines ending in CRLF.
    pub crlf: usize,
    /// Lines ending in a bare LF.
    pub lf_only: usize,
    /// True when the last line has no line end at all.
    pub unterminated_last_line: bool,
}

/// A parsed SDP: session lines, media sections, and what could not be parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedSdp<'a> {
    /// Lines before the first `m=`.
    pub session: Vec<SdpLine<'a>>,
    /// One entry per `m=` line.
    pub media: Vec<MediaSection<'a>>,
    /// Lines that are not `x=value` (including empty lines inside the text).
    pub malformed: Vec<MalformedLine<'a>>,
    /// Line ending statistics.
    pub endings: LineEndings,
}

impl<'a> ParsedSdp<'a> {
    /// Parses any text; never fails.
    pub fn parse(text: &'a str) -> Self {
        let mut parsed = ParsedSdp::default();
        let mut pieces = text.split('\n').peekable();
        let mut number = 0;
        while let Some(piece) = pieces.next() {
            let is_last = pieces.peek().is_none();
            if is_last && piece.is_empty() {
                break; // text ended with a line end
            }
            number += 1;
            let line = match piece.strip_suffix('\r') {
                Some(stripped) => {
                    if !is_last {
                        parsed.endings.crlf += 1;
                    }
                    stripped
                }
                None => {
                    if !is_last {
                        parsed.endings.lf_only += 1;
                    }
                    piece
                }
            };
            if is_last {
                parsed.endings.unterminated_last_line = true;
            }
            parsed.push_line(number, line);
        }
        parsed
    }

    fn push_line(&mut self, number: usize, line: &'a str) {
        let mut chars = line.chars();
        let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
            self.malformed.push(MalformedLine { number, text: line });
            return;
        };
        if !kind.is_ascii_lowercase() {
            self.malformed.push(MalformedLine { number, text: line });
            return;
        }
        let sdp_line = SdpLine {
            number,
            kind,
            value: &line[2..],
        };
        if kind == 'm' {
            let mut fields = sdp_line.value.split_ascii_whitespace();
            let media = fields.next().unwrap_or("");
            let port = fields.next().unwrap_or("");
            let proto = fields.next().unwrap_or("");
            let formats = fields.collect();
            self.media.push(MediaSection {
                m_line: sdp_line,
                media,
                port,
                proto,
                formats,
                lines: Vec::new(),
            });
        } else if let Some(section) = self.media.last_mut() {
            section.lines.push(sdp_line);
        } else {
            self.session.push(sdp_line);
        }
    }

    /// Values of every session-level `a=<name>` attribute.
    pub fn session_attributes(&self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + '_ {
        attributes_in(&self.session, name)
    }

    /// Values of `a=<name>` at session level and in every media section.
    pub fn all_attributes(&self, name: &'a str) -> Vec<Option<&'a str>> {
        let mut values: Vec<Option<&'a str>> = self.session_attributes(name).collect();
        for section in &self.media {
            values.extend(section.attributes(name));
        }
        values
    }

    /// Every line in input order (session first, then each section with its `m=` line).
    pub fn lines(&self) -> Vec<SdpLine<'a>> {
        let mut lines = self.session.clone();
        for section in &self.media {
            lines.push(section.m_line);
            lines.extend(section.lines.iter().copied());
        }
        lines
    }

    /// The `m=audio` sections.
    pub fn audio_sections(&self) -> impl Iterator<Item = &MediaSection<'a>> {
        self.media.iter().filter(|section| section.media == "audio")
    }
}

fn attributes_in<'a, 'b>(
    lines: &'b [SdpLine<'a>],
    name: &'a str,
) -> impl Iterator<Item = Option<&'a str>> + 'b
where
    'a: 'b,
{
    lines.iter().filter_map(move |line| match line.attribute() {
        Some((found, value)) if found == name => Some(value),
        _ => None,
    })
}

/// Parses the value of an `a=rtpmap:` attribute.
pub fn parse_rtpmap(value: &str) -> Option<RtpMap<'_>> {
    let (payload_type, codec) = value.trim().split_once(char::is_whitespace)?;
    let mut parts = codec.trim().split('/');
    let encoding = parts.next()?;
    let clock_rate = parts.next().and_then(|rate| rate.trim().parse().ok());
    let channels = parts.next();
    Some(RtpMap {
        payload_type,
        encoding,
        clock_rate,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_session_and_media_and_counts_endings() {
        let parsed = ParsedSdp::parse(
            "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\na=rtpmap:111 opus/48000/2\n",
        );
        assert_eq!(parsed.session.len(), 2);
        assert_eq!(parsed.media.len(), 1);
        assert_eq!(parsed.media[0].formats, vec!["111", "126"]);
        assert_eq!(
            parsed.endings,
            LineEndings {
                crlf: 3,
                lf_only: 1,
                unterminated_last_line: false
            }
        );
        let rtpmap = &parsed.media[0].rtpmaps()[0];
        assert_eq!(
            (rtpmap.payload_type, rtpmap.encoding, rtpmap.clock_rate),
            ("111", "opus", Some(48000))
        );
    }

    #[test]
    fn garbage_never_panics() {
        for garbage in [
            "",
            "\n",
            "\r\n\r\n",
            "=",
            "m=",
            "a",
            "é=x",
            "a=rtpmap:",
            "a=rtpmap:111",
            "m=audio",
            "\u{0}\r",
        ] {
            let parsed = ParsedSdp::parse(garbage);
            for section in &parsed.media {
                let _ = section.rtpmaps();
            }
        }
        let parsed = ParsedSdp::parse("hello\r\nv=0\r\n\r\nX=1\r\n");
        assert_eq!(
            parsed
                .malformed
                .iter()
                .map(|m| m.number)
                .collect::<Vec<_>>(),
            vec![1, 3, 4]
        );
    }

    #[test]
    fn unterminated_last_line_is_noticed() {
        let parsed = ParsedSdp::parse("v=0\r\ns=-");
        assert!(parsed.endings.unterminated_last_line);
        assert_eq!(parsed.session.len(), 2);
    }
}
