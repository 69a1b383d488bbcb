//! Which recent sequence numbers were already played, to tell a duplicate from a late packet.

/// A 64-packet sliding window over extended sequence numbers (like SRTP's replay window).
#[derive(Debug, Clone, Default)]
pub struct PlayedWindow {
    highest: Option<i64>,
    /// Bit `n` set = `highest - n` was played.
    mask: u64,
}

impl PlayedWindow {
    pub fn mark(&mut self, seq: i64) {
        match self.highest {
            None => {
                self.highest = Some(seq);
                self.mask = 1;
            }
            Some(h) if seq > h => {
                let shift = seq - h;
                self.mask = if shift >= 64 { 0 } else { self.mask << shift };
                self.mask |= 1;
                self.highest = Some(seq);
            }
            Some(h) => {
                let back = h - seq;
                if back < 64 {
                    self.mask |= 1 << back;
                }
            }
        }
    }

    /// Whether `seq` was played. Older than the window counts as not known to be played.
    pub fn contains(&self, seq: i64) -> bool {
        match self.highest {
            Some(h) if seq <= h && h - seq < 64 => self.mask & (1 << (h - seq)) != 0,
            _ => false,
        }
    }

    pub fn clear(&mut self) {
        *self = PlayedWindow::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_played_numbers_within_the_window_only() {
        let mut w = PlayedWindow::default();
        w.mark(10);
        w.mark(12);
        assert!(w.contains(10));
        assert!(!w.contains(11));
        assert!(w.contains(12));
        assert!(!w.contains(13));
        w.mark(11);
        assert!(w.contains(11));
        w.mark(200);
        assert!(!w.contains(12), "pushed out of the window");
        assert!(w.contains(200));
    }
}
