//! Puts the call's two sides side by side: 20 ms mono frames of the customer (as decoded) and
//! of the agent (as sent) become 20 ms stereo frames, customer left, agent right. Pure.
//!
//! The two sides arrive on their own tasks and clocks, each about 50 frames a second. A
//! stereo frame is made as soon as both sides have one; a side that falls silent (no customer
//! audio, a stalled capture) must not hold the other up, so once one side is [`MAX_LAG`]
//! frames ahead the missing side is filled with silence. A late frame of the silent side is
//! then dropped rather than shifting everything after it.

use std::collections::VecDeque;

use crate::rtp::SAMPLES_20MS;

/// How many frames one side may get ahead before the other is taken as silent (500 ms:
/// more than the arrival jitter of a loaded machine or a poor network, so bursts pair up).
pub const MAX_LAG: usize = 25;

/// The two sides, queued until they can be paired.
#[derive(Debug, Default)]
pub struct StereoMixer {
    customer: VecDeque<Vec<i16>>,
    agent: VecDeque<Vec<i16>>,
    /// Frames of each side filled with silence and not yet arrived (dropped when they do).
    customer_owed: usize,
    agent_owed: usize,
}

/// Which side a frame is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Left: what the customer said, as the agent heard it.
    Customer,
    /// Right: what the agent said, as it was sent (silence while muted).
    Agent,
}

impl StereoMixer {
    /// Takes one 20 ms mono frame (shorter ones are padded with silence, longer cut) and
    /// returns the stereo frames (interleaved L/R, 2 × 960 samples) now complete.
    pub fn push(&mut self, side: Side, pcm: &[i16]) -> Vec<Vec<i16>> {
        let mut frame = pcm[..pcm.len().min(SAMPLES_20MS)].to_vec();
        frame.resize(SAMPLES_20MS, 0);
        let (queue, owed) = match side {
            Side::Customer => (&mut self.customer, &mut self.customer_owed),
            Side::Agent => (&mut self.agent, &mut self.agent_owed),
        };
        if *owed > 0 {
            *owed -= 1; // Its place was already filled with silence.
        } else {
            queue.push_back(frame);
        }
        let mut out = Vec::new();
        while let Some(stereo) = self.pair() {
            out.push(stereo);
        }
        out
    }

    /// Everything still queued, the other side silent (at the end of the call).
    pub fn drain(&mut self) -> Vec<Vec<i16>> {
        let mut out = Vec::new();
        while !self.customer.is_empty() || !self.agent.is_empty() {
            let left = self.customer.pop_front();
            let right = self.agent.pop_front();
            out.push(interleave(left.as_deref(), right.as_deref()));
        }
        self.customer_owed = 0;
        self.agent_owed = 0;
        out
    }

    fn pair(&mut self) -> Option<Vec<i16>> {
        match (self.customer.len(), self.agent.len()) {
            (0, 0) => None,
            (c, a) if c > 0 && a > 0 => {
                let left = self.customer.pop_front();
                let right = self.agent.pop_front();
                Some(interleave(left.as_deref(), right.as_deref()))
            }
            (c, 0) if c >= MAX_LAG => {
                self.agent_owed += 1;
                let left = self.customer.pop_front();
                Some(interleave(left.as_deref(), None))
            }
            (0, a) if a >= MAX_LAG => {
                self.customer_owed += 1;
                let right = self.agent.pop_front();
                Some(interleave(None, right.as_deref()))
            }
            _ => None,
        }
    }
}

fn interleave(left: Option<&[i16]>, right: Option<&[i16]>) -> Vec<i16> {
    let silence = [0i16; SAMPLES_20MS];
    let (left, right) = (left.unwrap_or(&silence), right.unwrap_or(&silence));
    left.iter().zip(right).flat_map(|(l, r)| [*l, *r]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(value: i16) -> Vec<i16> {
        vec![value; SAMPLES_20MS]
    }

    fn sides(stereo: &[i16]) -> (i16, i16) {
        assert_eq!(stereo.len(), 2 * SAMPLES_20MS);
        (stereo[0], stereo[1])
    }

    #[test]
    fn frames_of_both_sides_pair_in_order_customer_left() {
        let mut mixer = StereoMixer::default();
        assert!(mixer.push(Side::Customer, &frame(1)).is_empty());
        assert!(mixer.push(Side::Customer, &frame(2)).is_empty());
        let out = mixer.push(Side::Agent, &frame(-1));
        assert_eq!(out.iter().map(|f| sides(f)).collect::<Vec<_>>(), [(1, -1)]);
        let out = mixer.push(Side::Agent, &frame(-2));
        assert_eq!(out.iter().map(|f| sides(f)).collect::<Vec<_>>(), [(2, -2)]);
        // Interleaved L, R, L, R...
        assert!(out[0].chunks(2).all(|lr| lr == [2, -2]));
    }

    #[test]
    fn a_silent_side_is_filled_once_the_other_is_max_lag_ahead_and_its_late_frames_dropped() {
        let mut mixer = StereoMixer::default();
        let mut out = Vec::new();
        for i in 0..MAX_LAG as i16 {
            out.extend(mixer.push(Side::Agent, &frame(10 + i)));
        }
        // The customer is silent: the first agent frame goes out with silence on the left.
        assert_eq!(out.iter().map(|f| sides(f)).collect::<Vec<_>>(), [(0, 10)]);
        // The customer's frame for that slot turns up late: dropped, not shifting the rest.
        assert!(mixer.push(Side::Customer, &frame(7)).is_empty());
        let out = mixer.push(Side::Customer, &frame(8));
        assert_eq!(out.iter().map(|f| sides(f)).collect::<Vec<_>>(), [(8, 11)]);
    }

    #[test]
    fn short_frames_are_padded_and_drain_flushes_what_is_left() {
        let mut mixer = StereoMixer::default();
        mixer.push(Side::Customer, &[5; 100]);
        let out = mixer.drain();
        assert_eq!(out.len(), 1);
        assert_eq!(sides(&out[0]), (5, 0));
        assert_eq!(out[0][2 * 100], 0, "padded with silence");
        assert!(mixer.drain().is_empty());
    }
}
