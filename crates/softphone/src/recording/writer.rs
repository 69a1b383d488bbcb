//! Stereo Ogg/Opus (RFC 7845) as the call goes: the `OpusHead` and `OpusTags` headers, then
//! one Opus packet per 20 ms stereo frame, a page ended and written through every second — so
//! a crash loses at most the last second. Muxing is the `ogg` crate's, encoding libopus's.

use std::io::Write;

use ogg::writing::{PacketWriteEndInfo, PacketWriter};

use crate::rtp::SAMPLES_20MS;

/// Frames per Ogg page (and so per write-through): one second.
pub const FRAMES_PER_PAGE: u32 = 50;
/// The Ogg stream's serial number (one logical stream per file).
const SERIAL: u32 = 0x5244_4b31; // "RDK1"
/// Opus at 32 kb/s for two voice channels: telephone speech, about 240 KB a minute.
const BITRATE: i32 = 32_000;

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("the recording's Opus encoder failed: {0}")]
    Codec(#[from] opus::Error),
    #[error("the recording could not be written: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes one call's stereo frames to `W` as Ogg/Opus.
pub struct OggOpusWriter<W: Write> {
    ogg: PacketWriter<'static, W>,
    encoder: opus::Encoder,
    pre_skip: u64,
    /// Samples per channel written so far.
    samples: u64,
    /// Packets since the last page was ended.
    in_page: u32,
    scratch: Vec<u8>,
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the two header pages; `tags` become `KEY=value` comments (e.g. the call id).
    pub fn new(out: W, tags: &[(&str, &str)]) -> Result<Self, RecordingError> {
        let mut encoder =
            opus::Encoder::new(48_000, opus::Channels::Stereo, opus::Application::Voip)?;
        encoder.set_bitrate(opus::Bitrate::Bits(BITRATE))?;
        let pre_skip = u16::try_from(encoder.get_lookahead()?.max(0)).unwrap_or(u16::MAX);
        let mut ogg = PacketWriter::new(out);
        ogg.write_packet(opus_head(pre_skip), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        ogg.write_packet(opus_tags(tags), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        ogg.inner_mut().flush()?;
        Ok(Self {
            ogg,
            encoder,
            pre_skip: u64::from(pre_skip),
            samples: 0,
            in_page: 0,
            scratch: vec![0; 4000],
        })
    }

    /// One 20 ms stereo frame (interleaved L/R, 2 × 960 samples).
    pub fn frame(&mut self, stereo: &[i16]) -> Result<(), RecordingError> {
        let length = self.encoder.encode(stereo, &mut self.scratch)?;
        self.samples += SAMPLES_20MS as u64;
        self.in_page += 1;
        let end = if self.in_page >= FRAMES_PER_PAGE {
            self.in_page = 0;
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        let granule = self.pre_skip + self.samples;
        self.ogg
            .write_packet(self.scratch[..length].to_vec(), SERIAL, end, granule)?;
        if end == PacketWriteEndInfo::EndPage {
            self.ogg.inner_mut().flush()?;
        }
        Ok(())
    }

    /// Seconds of audio written.
    pub fn seconds(&self) -> f64 {
        self.samples as f64 / 48_000.0
    }

    /// Ends the stream (the last page marked end-of-stream) and hands the output back.
    pub fn finish(mut self) -> Result<W, RecordingError> {
        // A last packet carries the end-of-stream flag: one frame of silence.
        let silence = vec![0i16; 2 * SAMPLES_20MS];
        let length = self.encoder.encode(&silence, &mut self.scratch)?;
        self.samples += SAMPLES_20MS as u64;
        let granule = self.pre_skip + self.samples;
        self.ogg.write_packet(
            self.scratch[..length].to_vec(),
            SERIAL,
            PacketWriteEndInfo::EndStream,
            granule,
        )?;
        let mut out = self.ogg.into_inner();
        out.flush()?;
        Ok(out)
    }
}

/// RFC 7845 §5.1: version 1, two channels, pre-skip, 48 kHz input, no gain, mapping family 0.
fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(2);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0);
    head
}

/// RFC 7845 §5.2: vendor string and `KEY=value` comments, lengths little-endian.
fn opus_tags(tags: &[(&str, &str)]) -> Vec<u8> {
    let vendor = concat!("ringdesk ", env!("CARGO_PKG_VERSION"));
    let mut packet = b"OpusTags".to_vec();
    let string = |packet: &mut Vec<u8>, text: &str| {
        packet.extend_from_slice(&(text.len() as u32).to_le_bytes());
        packet.extend_from_slice(text.as_bytes());
    };
    string(&mut packet, vendor);
    packet.extend_from_slice(&(tags.len() as u32).to_le_bytes());
    for (key, value) in tags {
        string(&mut packet, &format!("{key}={value}"));
    }
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::read::read_stereo;
    use crate::signal::{estimate_frequency, to_f32};

    fn tone(hz: f64, amplitude: f64, i: usize) -> i16 {
        ((2.0 * std::f64::consts::PI * hz * i as f64 / 48_000.0).sin() * amplitude) as i16
    }

    #[test]
    fn a_written_call_reads_back_with_each_side_on_its_own_channel() {
        // A quiet customer beside a loud agent: no side may leak into the other.
        let mut writer = OggOpusWriter::new(Vec::new(), &[("CALL_ID", "wacid.X")]).unwrap();
        for frame in 0..100 {
            let stereo: Vec<i16> = (0..SAMPLES_20MS)
                .flat_map(|i| {
                    let n = frame * SAMPLES_20MS + i;
                    [tone(440.0, 1_500.0, n), tone(1000.0, 10_000.0, n)]
                })
                .collect();
            writer.frame(&stereo).unwrap();
        }
        assert_eq!(writer.seconds(), 2.0);
        let bytes = writer.finish().unwrap();
        assert_eq!(
            crate::recording::pages::whole_pages(&bytes),
            bytes.len(),
            "every page whole"
        );
        let (tags, left, right) = read_stereo(&bytes).unwrap();
        assert!(tags.iter().any(|t| t == "CALL_ID=wacid.X"), "{tags:?}");
        assert!(left.len() >= 2 * 48_000, "{}", left.len());
        let last = |s: &[i16]| {
            s[s.len() - 48_000..]
                .iter()
                .map(|v| to_f32(*v))
                .collect::<Vec<_>>()
        };
        let hz = |s: &[i16]| estimate_frequency(&last(s), 48_000).expect("a tone");
        let (l, r) = (hz(&left), hz(&right));
        assert!((l - 440.0).abs() < 440.0 * 0.02, "left {l}");
        assert!((r - 1000.0).abs() < 1000.0 * 0.02, "right {r}");
    }

    #[test]
    fn a_silent_side_stays_silent_beside_a_loud_one() {
        let mut writer = OggOpusWriter::new(Vec::new(), &[]).unwrap();
        for frame in 0..100 {
            let stereo: Vec<i16> = (0..SAMPLES_20MS)
                .flat_map(|i| [0, tone(1000.0, 10_000.0, frame * SAMPLES_20MS + i)])
                .collect();
            writer.frame(&stereo).unwrap();
        }
        let (_, left, right) = read_stereo(&writer.finish().unwrap()).unwrap();
        let level = |s: &[i16]| {
            let tail: Vec<f32> = s[s.len() - 48_000..].iter().map(|v| to_f32(*v)).collect();
            crate::signal::rms_dbfs(&tail)
        };
        let (quiet, loud) = (level(&left), level(&right));
        eprintln!("silent side {quiet} dBFS beside {loud} dBFS");
        assert!(
            loud - quiet > 40.0,
            "crosstalk: {quiet} dBFS beside {loud} dBFS"
        );
    }

    #[test]
    fn pages_are_written_through_every_second_not_held_to_the_end() {
        let mut writer = OggOpusWriter::new(Vec::new(), &[]).unwrap();
        let headers = writer.ogg.inner_mut().len();
        let silence = vec![0i16; 2 * SAMPLES_20MS];
        for _ in 0..FRAMES_PER_PAGE - 1 {
            writer.frame(&silence).unwrap();
        }
        assert_eq!(writer.ogg.inner_mut().len(), headers, "a page ended early");
        writer.frame(&silence).unwrap();
        let written = writer.ogg.inner_mut().len();
        assert!(written > headers, "one second in, nothing written");
        let bytes = writer.ogg.inner_mut().clone();
        assert_eq!(crate::recording::pages::whole_pages(&bytes), written);
    }
}
