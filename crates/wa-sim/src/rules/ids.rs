//! Meta-looking identifiers (`wacid.…` for calls, `wamid.…` for messages).
//!
//! Deterministic for a given seed so tests can reason about them, distinct across seeds so two
//! simulator runs do not reuse ids.

/// Issues unique ids.
#[derive(Debug, Clone)]
pub struct IdSource {
    seed: u64,
    next: u64,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl IdSource {
    pub fn new(seed: u64) -> Self {
        Self { seed, next: 0 }
    }

    fn token(&mut self) -> String {
        self.next += 1;
        let mut out = String::with_capacity(32);
        // The counter first keeps ids unique; the mixed seed makes them look opaque.
        for word in [
            self.next,
            splitmix(self.seed ^ self.next),
            splitmix(self.seed.wrapping_add(self.next)),
        ] {
            let mut w = word;
            for _ in 0..10 {
                out.push(char::from(ALPHABET[(w & 63) as usize]));
                w >>= 6;
            }
        }
        out
    }

    /// A new call id.
    pub fn call_id(&mut self) -> String {
        format!("wacid.HBgL{}", self.token())
    }

    /// A new message id.
    pub fn message_id(&mut self) -> String {
        format!("wamid.HBgL{}", self.token())
    }

    /// A Graph `fbtrace_id`.
    pub fn trace_id(&mut self) -> String {
        self.token()
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let mut ids = IdSource::new(7);
        let a = ids.call_id();
        let b = ids.call_id();
        assert!(a.starts_with("wacid.") && b.starts_with("wacid."));
        assert_ne!(a, b);
        assert!(ids.message_id().starts_with("wamid."));
        assert_ne!(IdSource::new(1).call_id(), IdSource::new(2).call_id());
    }
}
