//! TURN over a byte stream (TCP or TLS), RFC 8656 §12.5: the datagrams a UDP TURN client sends
//! — STUN messages and ChannelData messages — go onto the stream back to back; the receiver
//! finds their boundaries from their own length fields. ChannelData is padded to a multiple of
//! four bytes on a stream (it need not be on UDP). Pure: no I/O, no clock.
//!
//! Which is which, from the first two bits (RFC 7983 §7): `00` a STUN message (20-byte header,
//! length at bytes 2–3, a multiple of four), `01` ChannelData (channel 0x4000–0x4FFF, 4-byte
//! header, length at bytes 2–3). Anything else on a TURN stream is a broken peer: the stream
//! must be closed, there is no way to find the next boundary.

/// Why a datagram or the stream cannot be framed. The stream is unusable after a
/// [`Deframer`] error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("a {len}-byte datagram is neither STUN nor ChannelData (first byte {first:#04x})")]
    NotTurn { first: u8, len: usize },
    #[error("a {kind} message says {declared} bytes but the datagram holds {actual}")]
    BadLength {
        kind: &'static str,
        declared: usize,
        actual: usize,
    },
    #[error("the TURN stream carries a message starting with {first:#04x}, neither STUN nor ChannelData")]
    StreamCorrupt { first: u8 },
}

const STUN_HEADER: usize = 20;
const CHANNEL_HEADER: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stun,
    ChannelData,
}

fn kind(first: u8) -> Option<Kind> {
    match first >> 6 {
        0b00 => Some(Kind::Stun),
        0b01 => Some(Kind::ChannelData),
        _ => None,
    }
}

fn declared(header: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([header[2], header[3]]))
}

/// The bytes to write on the stream for one datagram from the UDP side: a STUN message as it
/// is, a ChannelData message cut to its declared length and padded to four bytes.
pub fn to_stream(datagram: &[u8]) -> Result<Vec<u8>, FramingError> {
    let not_turn = || FramingError::NotTurn {
        first: datagram.first().copied().unwrap_or(0),
        len: datagram.len(),
    };
    let first = *datagram.first().ok_or_else(not_turn)?;
    match kind(first).ok_or_else(not_turn)? {
        Kind::Stun => {
            if datagram.len() < STUN_HEADER {
                return Err(not_turn());
            }
            let total = STUN_HEADER + declared(datagram);
            if total != datagram.len() {
                return Err(FramingError::BadLength {
                    kind: "STUN",
                    declared: total,
                    actual: datagram.len(),
                });
            }
            Ok(datagram.to_vec())
        }
        Kind::ChannelData => {
            if datagram.len() < CHANNEL_HEADER {
                return Err(not_turn());
            }
            let total = CHANNEL_HEADER + declared(datagram);
            if total > datagram.len() {
                return Err(FramingError::BadLength {
                    kind: "ChannelData",
                    declared: total,
                    actual: datagram.len(),
                });
            }
            let mut framed = datagram[..total].to_vec();
            framed.resize(total.next_multiple_of(4), 0);
            Ok(framed)
        }
    }
}

/// Splits what arrives on the stream back into datagrams (padding removed).
#[derive(Debug, Default)]
pub struct Deframer {
    buffer: Vec<u8>,
}

impl Deframer {
    /// Bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole datagram, `None` until one has fully arrived.
    pub fn next_datagram(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let Some(&first) = self.buffer.first() else {
            return Ok(None);
        };
        let kind = kind(first).ok_or(FramingError::StreamCorrupt { first })?;
        let header = match kind {
            Kind::Stun => STUN_HEADER,
            Kind::ChannelData => CHANNEL_HEADER,
        };
        if self.buffer.len() < header {
            return Ok(None);
        }
        let length = header + declared(&self.buffer);
        let on_stream = match kind {
            Kind::Stun => length,
            Kind::ChannelData => length.next_multiple_of(4),
        };
        if self.buffer.len() < on_stream {
            return Ok(None);
        }
        let datagram = self.buffer[..length].to_vec();
        self.buffer.drain(..on_stream);
        Ok(Some(datagram))
    }

    /// Bytes held that do not yet make a whole message.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A STUN Binding request header with `body` bytes of attributes.
    fn stun(body: usize) -> Vec<u8> {
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(body as u16).to_be_bytes());
        m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
        m.extend_from_slice(&[7; 12]);
        m.extend(std::iter::repeat_n(0xAB, body));
        m
    }

    fn channel_data(channel: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = channel.to_be_bytes().to_vec();
        m.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        m.extend_from_slice(payload);
        m
    }

    #[test]
    fn stun_goes_on_the_stream_as_it_is() {
        let m = stun(8);
        assert_eq!(to_stream(&m).unwrap(), m);
    }

    #[test]
    fn channel_data_is_padded_to_four_bytes_on_the_stream() {
        let m = channel_data(0x4001, &[1, 2, 3, 4, 5]);
        let framed = to_stream(&m).unwrap();
        assert_eq!(framed.len(), 12);
        assert_eq!(&framed[..9], &m[..]);
        assert_eq!(&framed[9..], &[0, 0, 0]);
    }

    #[test]
    fn channel_data_with_udp_padding_is_cut_to_its_length() {
        let mut m = channel_data(0x4001, &[9; 6]);
        m.extend_from_slice(&[0, 0]); // padded on UDP already
        m.extend_from_slice(&[0; 4]); // and more
        assert_eq!(to_stream(&m).unwrap().len(), 12);
    }

    #[test]
    fn a_datagram_that_is_not_turn_is_refused_with_its_first_byte() {
        let rtp = [0x80, 0x6f, 0, 1, 0, 0, 0, 0];
        let error = to_stream(&rtp).unwrap_err();
        assert_eq!(
            error,
            FramingError::NotTurn {
                first: 0x80,
                len: 8
            }
        );
        assert!(to_stream(&[]).is_err());
        assert!(
            to_stream(&[0x00, 0x01]).is_err(),
            "shorter than a STUN header"
        );
    }

    #[test]
    fn a_stun_message_whose_length_disagrees_is_refused() {
        let mut m = stun(8);
        m.pop();
        assert!(matches!(
            to_stream(&m),
            Err(FramingError::BadLength { kind: "STUN", .. })
        ));
        let short = channel_data(0x4000, &[1, 2, 3])[..5].to_vec();
        assert!(matches!(
            to_stream(&short),
            Err(FramingError::BadLength {
                kind: "ChannelData",
                ..
            })
        ));
    }

    #[test]
    fn the_stream_splits_back_into_the_datagrams_whatever_the_read_sizes() {
        let messages = [
            stun(0),
            channel_data(0x4000, &[1, 2, 3]),
            stun(12),
            channel_data(0x4FFF, &[]),
            channel_data(0x4002, &[5; 100]),
        ];
        let stream: Vec<u8> = messages
            .iter()
            .flat_map(|m| to_stream(m).unwrap())
            .collect();
        for chunk in [1, 2, 3, 7, 64, stream.len()] {
            let mut deframer = Deframer::default();
            let mut out = Vec::new();
            for piece in stream.chunks(chunk) {
                deframer.push(piece);
                while let Some(d) = deframer.next_datagram().unwrap() {
                    out.push(d);
                }
            }
            assert_eq!(out, messages, "read {chunk} bytes at a time");
            assert_eq!(deframer.pending(), 0);
        }
    }

    #[test]
    fn a_corrupt_stream_is_an_error_not_a_guess() {
        let mut deframer = Deframer::default();
        deframer.push(&[0xC0, 0, 0, 0]);
        assert_eq!(
            deframer.next_datagram(),
            Err(FramingError::StreamCorrupt { first: 0xC0 })
        );
    }

    #[test]
    fn half_a_message_waits_for_the_rest() {
        let m = stun(40);
        let mut deframer = Deframer::default();
        deframer.push(&m[..30]);
        assert_eq!(deframer.next_datagram(), Ok(None));
        deframer.push(&m[30..]);
        assert_eq!(deframer.next_datagram(), Ok(Some(m)));
    }
}
