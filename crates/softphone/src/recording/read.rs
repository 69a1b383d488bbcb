//! Reads a stereo Ogg/Opus recording back into its two channels: how tests (and anyone
//! checking a file) see what was recorded. Refuses what is not a two-channel Opus stream.

use std::io::Cursor;

use ogg::reading::PacketReader;

/// The comments, the left (customer) and the right (agent) channel at 48 kHz, pre-skip
/// removed.
pub type Stereo = (Vec<String>, Vec<i16>, Vec<i16>);

/// Decodes a whole recording.
pub fn read_stereo(bytes: &[u8]) -> Result<Stereo, String> {
    let mut reader = PacketReader::new(Cursor::new(bytes));
    let head = next(&mut reader)?.ok_or("empty file: no OpusHead")?;
    if head.len() < 19 || &head[..8] != b"OpusHead" {
        return Err("the first packet is not an OpusHead".into());
    }
    if head[9] != 2 {
        return Err(format!("{} channels, expected 2", head[9]));
    }
    let pre_skip = usize::from(u16::from_le_bytes([head[10], head[11]]));
    let tags = next(&mut reader)?.ok_or("no OpusTags")?;
    let comments = comments(&tags).ok_or("the OpusTags packet is malformed")?;
    let mut decoder = opus::Decoder::new(48_000, opus::Channels::Stereo)
        .map_err(|e| format!("Opus decoder: {e}"))?;
    let mut pcm = vec![0i16; 2 * 5760];
    let (mut left, mut right) = (Vec::new(), Vec::new());
    while let Some(packet) = next(&mut reader)? {
        let samples = decoder
            .decode(&packet, &mut pcm, false)
            .map_err(|e| format!("undecodable Opus packet: {e}"))?;
        for frame in pcm[..2 * samples].chunks_exact(2) {
            left.push(frame[0]);
            right.push(frame[1]);
        }
    }
    let skip = pre_skip.min(left.len());
    Ok((comments, left.split_off(skip), right.split_off(skip)))
}

fn next(reader: &mut PacketReader<Cursor<&[u8]>>) -> Result<Option<Vec<u8>>, String> {
    reader
        .read_packet()
        .map(|p| p.map(|p| p.data))
        .map_err(|e| format!("not a valid Ogg stream: {e}"))
}

/// The `KEY=value` comments of an OpusTags packet.
fn comments(packet: &[u8]) -> Option<Vec<String>> {
    let rest = packet.strip_prefix(b"OpusTags")?;
    let (_vendor, mut rest) = string(rest)?;
    let count = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?);
    rest = &rest[4..];
    let mut out = Vec::new();
    for _ in 0..count {
        let (comment, after) = string(rest)?;
        out.push(comment);
        rest = after;
    }
    Some(out)
}

fn string(bytes: &[u8]) -> Option<(String, &[u8])> {
    let length = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let text = bytes.get(4..4 + length)?;
    Some((
        String::from_utf8_lossy(text).into_owned(),
        &bytes[4 + length..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_stereo_opus_recording_is_refused_with_the_reason() {
        for not_ogg in [&b""[..], b"RIFF....WAVEfmt "] {
            let why = read_stereo(not_ogg).unwrap_err();
            assert!(why.contains("Ogg") || why.contains("OpusHead"), "{why}");
        }
    }
}
