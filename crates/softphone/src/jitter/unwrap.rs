//! Extending wrapping RTP counters (16-bit sequence numbers, 32-bit timestamps) to 64 bits.

/// Turns a wrapping `BITS`-bit counter into a monotonic-ish 64-bit one.
///
/// Each value is placed at the extended position closest to the highest value seen so far
/// (a forward jump of less than half the range counts as forward, anything else as backward),
/// so reordering across a wrap is handled. The first value is taken as is.
#[derive(Debug, Clone, Default)]
pub struct Unwrapper<const BITS: u32> {
    highest: Option<i64>,
}

impl<const BITS: u32> Unwrapper<BITS> {
    const RANGE: i64 = 1 << BITS;
    const HALF: i64 = 1 << (BITS - 1);

    pub fn new() -> Self {
        Unwrapper { highest: None }
    }

    /// The extended value of `value`; updates the reference when it is the newest seen.
    pub fn unwrap(&mut self, value: u32) -> i64 {
        let value = i64::from(value) & (Self::RANGE - 1);
        let extended = match self.highest {
            None => value,
            Some(highest) => {
                let last = highest.rem_euclid(Self::RANGE);
                // Signed distance from the last value, in [-HALF, HALF).
                let delta = (value - last + Self::HALF).rem_euclid(Self::RANGE) - Self::HALF;
                highest + delta
            }
        };
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        extended
    }
}

/// 16-bit RTP sequence numbers.
pub type SequenceUnwrapper = Unwrapper<16>;
/// 32-bit RTP timestamps.
pub type TimestampUnwrapper = Unwrapper<32>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_continue_across_the_wrap() {
        let mut u = SequenceUnwrapper::new();
        assert_eq!(u.unwrap(65_534), 65_534);
        assert_eq!(u.unwrap(65_535), 65_535);
        assert_eq!(u.unwrap(0), 65_536);
        assert_eq!(u.unwrap(1), 65_537);
    }

    #[test]
    fn reordering_across_the_wrap_goes_backwards_not_forwards() {
        let mut u = SequenceUnwrapper::new();
        u.unwrap(65_535);
        assert_eq!(u.unwrap(2), 65_538);
        assert_eq!(u.unwrap(65_534), 65_534);
        assert_eq!(u.unwrap(0), 65_536);
        assert_eq!(u.unwrap(3), 65_539);
    }

    #[test]
    fn timestamps_continue_across_the_32_bit_wrap() {
        let mut u = TimestampUnwrapper::new();
        let start = u32::MAX - 959;
        assert_eq!(u.unwrap(start), i64::from(start));
        assert_eq!(u.unwrap(start.wrapping_add(960)), i64::from(u32::MAX) + 1);
        assert_eq!(
            u.unwrap(start.wrapping_add(1920)),
            i64::from(u32::MAX) + 961
        );
    }
}
