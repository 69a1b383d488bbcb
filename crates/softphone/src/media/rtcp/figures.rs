//! What RTCP reports say about a call, both ways (RFC 3550 §6.4). Pure: fed the report blocks
//! and sender-report times the tap sees, with their instants.
//!
//! - Reports **we send** (in our SR or RR) describe what we receive: cumulative loss and
//!   interarrival jitter of the customer's audio.
//! - Reports **Meta sends** describe what it receives of ours (fraction lost since its last
//!   report, jitter) and carry LSR/DLSR, from which the round trip is
//!   `arrival − (when we sent the SR named by LSR) − DLSR` — measured on our own monotonic
//!   clock, so neither side's wall clock matters.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// RTP clock of Opus (jitter is in timestamp units).
const OPUS_CLOCK: f64 = 48_000.0;
/// Sender reports remembered for matching LSR (one a second: ample).
const SENT_KEPT: usize = 16;

/// One report block's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reception {
    /// Fraction lost since the previous report (0–1).
    pub fraction_lost: f64,
    /// Cumulative packets lost (RFC 3550 allows it to dip with late arrivals).
    pub total_lost: i64,
    pub jitter: Duration,
}

/// The latest figures of a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RtcpFigures {
    /// Our own latest report on the customer's audio.
    pub ours: Option<Reception>,
    /// Meta's latest report on our audio.
    pub theirs: Option<Reception>,
    /// Round trip from Meta's latest report that named one of our sender reports.
    pub rtt: Option<Duration>,
    /// Our sender reports: (middle 32 bits of their NTP time, when sent).
    sent: VecDeque<(u32, Instant)>,
}

/// A report block as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub fraction_lost: u8,
    /// 24-bit signed on the wire, as webrtc-rs decodes it into a `u32`.
    pub total_lost: u32,
    pub jitter: u32,
    pub last_sender_report: u32,
    pub delay: u32,
}

fn reception(block: &Block) -> Reception {
    // Sign-extend the 24-bit cumulative loss.
    let lost = (block.total_lost & 0x00FF_FFFF) as i64;
    let total_lost = if lost & 0x0080_0000 != 0 {
        lost - 0x0100_0000
    } else {
        lost
    };
    Reception {
        fraction_lost: f64::from(block.fraction_lost) / 256.0,
        total_lost,
        jitter: Duration::from_secs_f64(f64::from(block.jitter) / OPUS_CLOCK),
    }
}

impl RtcpFigures {
    /// We sent a sender report with this 64-bit NTP time at `at`.
    pub fn sent_sender_report(&mut self, ntp_time: u64, at: Instant) {
        let middle = (ntp_time >> 16) as u32;
        self.sent.push_back((middle, at));
        while self.sent.len() > SENT_KEPT {
            self.sent.pop_front();
        }
    }

    /// We sent a report block about what we receive.
    pub fn sent_block(&mut self, block: &Block) {
        self.ours = Some(reception(block));
    }

    /// Meta's report block about what it receives of ours arrived at `at`.
    pub fn received_block(&mut self, block: &Block, at: Instant) {
        self.theirs = Some(reception(block));
        if block.last_sender_report == 0 {
            return; // no SR of ours received yet
        }
        let Some(&(_, sent_at)) = self
            .sent
            .iter()
            .find(|(middle, _)| *middle == block.last_sender_report)
        else {
            return;
        };
        let held = Duration::from_secs_f64(f64::from(block.delay) / 65_536.0);
        if let Some(rtt) = at
            .checked_duration_since(sent_at)
            .and_then(|d| d.checked_sub(held))
        {
            self.rtt = Some(rtt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lsr: u32, dlsr: u32) -> Block {
        Block {
            fraction_lost: 64,
            total_lost: 12,
            jitter: 480,
            last_sender_report: lsr,
            delay: dlsr,
        }
    }

    #[test]
    fn the_round_trip_is_arrival_minus_our_send_minus_their_hold() {
        let t0 = Instant::now();
        let mut f = RtcpFigures::default();
        let ntp: u64 = 0x1122_3344_5566_7788;
        f.sent_sender_report(ntp, t0);
        // Meta held our SR 0.5 s (32768/65536) and its report arrived 0.58 s after we sent it.
        f.received_block(&block(0x3344_5566, 32_768), t0 + Duration::from_millis(580));
        let rtt = f.rtt.unwrap();
        assert!((rtt.as_secs_f64() - 0.080).abs() < 1e-6, "{rtt:?}");
        let theirs = f.theirs.unwrap();
        assert_eq!(theirs.fraction_lost, 0.25);
        assert_eq!(theirs.total_lost, 12);
        assert_eq!(theirs.jitter, Duration::from_millis(10));
    }

    #[test]
    fn a_report_naming_no_sr_of_ours_gives_loss_but_no_round_trip() {
        let t0 = Instant::now();
        let mut f = RtcpFigures::default();
        f.sent_sender_report(0x0000_0001_0000_0000, t0);
        f.received_block(&block(0, 0), t0 + Duration::from_millis(10));
        f.received_block(&block(0xDEAD_BEEF, 0), t0 + Duration::from_millis(10));
        assert_eq!(f.rtt, None);
        assert!(f.theirs.is_some());
    }

    #[test]
    fn a_hold_longer_than_the_elapsed_time_is_ignored_not_negative() {
        let t0 = Instant::now();
        let mut f = RtcpFigures::default();
        f.sent_sender_report(0x0000_0001_0000_0000, t0);
        f.received_block(&block(0x0001_0000, 65_536 * 5), t0 + Duration::from_secs(1));
        assert_eq!(f.rtt, None);
    }

    #[test]
    fn cumulative_loss_is_24_bit_signed() {
        let mut f = RtcpFigures::default();
        f.sent_block(&Block {
            total_lost: 0x00FF_FFFF,
            ..block(0, 0)
        });
        assert_eq!(f.ours.unwrap().total_lost, -1);
    }

    #[test]
    fn only_the_latest_sender_reports_are_remembered() {
        let t0 = Instant::now();
        let mut f = RtcpFigures::default();
        for i in 0..40u64 {
            f.sent_sender_report(i << 16, t0 + Duration::from_secs(i));
        }
        f.received_block(&block(1, 0), t0 + Duration::from_secs(41));
        assert_eq!(f.rtt, None, "SR 1 was forgotten");
        f.received_block(&block(39, 0), t0 + Duration::from_millis(39_050));
        assert_eq!(f.rtt, Some(Duration::from_millis(50)));
    }
}
