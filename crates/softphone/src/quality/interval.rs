//! From two readings of a call's counters to one interval's [`QualitySample`]. Pure.

use std::time::Duration;

use super::QualitySample;

/// One reading of what quality is judged on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QualityCounters {
    /// Inbound audio packets received so far (our own count).
    pub received: u64,
    /// Inbound packets lost so far (RFC 3550 cumulative lost, from our receiver reports; may
    /// dip when late packets turn up).
    pub lost: i64,
    /// Interarrival jitter of what we receive (RFC 3550, as our last receiver report).
    pub jitter: Duration,
    /// What the far end lost of ours, from its last receiver report (0–1).
    pub remote_loss: Option<f64>,
    /// Round trip from the far end's receiver report (LSR/DLSR), once measured.
    pub rtt: Option<Duration>,
}

/// The interval between `before` and `now`; `silent_for` as the watcher measured it.
pub fn sample(
    before: &QualityCounters,
    now: &QualityCounters,
    silent_for: Duration,
) -> QualitySample {
    let received = now.received.saturating_sub(before.received) as f64;
    let lost = (now.lost - before.lost).max(0) as f64;
    let expected = received + lost;
    QualitySample {
        rtt: now.rtt,
        jitter: now.jitter,
        loss: if expected > 0.0 { lost / expected } else { 0.0 },
        remote_loss: now.remote_loss,
        silent_for,
        mic_silent_for: Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(received: u64, lost: i64) -> QualityCounters {
        QualityCounters {
            received,
            lost,
            ..QualityCounters::default()
        }
    }

    #[test]
    fn loss_is_the_intervals_share_of_expected_packets() {
        let s = sample(&reading(100, 2), &reading(145, 7), Duration::ZERO);
        assert!((s.loss - 5.0 / 50.0).abs() < 1e-9, "{}", s.loss);
    }

    #[test]
    fn late_packets_that_lower_the_lost_count_are_no_negative_loss() {
        let s = sample(&reading(100, 7), &reading(150, 5), Duration::ZERO);
        assert_eq!(s.loss, 0.0);
    }

    #[test]
    fn an_interval_without_packets_has_no_loss_figure_to_give() {
        let s = sample(&reading(100, 7), &reading(100, 7), Duration::from_secs(2));
        assert_eq!((s.loss, s.silent_for), (0.0, Duration::from_secs(2)));
    }

    #[test]
    fn the_far_ends_figures_are_carried_as_they_are() {
        let now = QualityCounters {
            remote_loss: Some(0.25),
            rtt: Some(Duration::from_millis(80)),
            jitter: Duration::from_millis(12),
            ..reading(10, 0)
        };
        let s = sample(&reading(0, 0), &now, Duration::ZERO);
        assert_eq!(
            (s.remote_loss, s.rtt, s.jitter),
            (
                Some(0.25),
                Some(Duration::from_millis(80)),
                Duration::from_millis(12)
            )
        );
    }
}
