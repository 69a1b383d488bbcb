//! A call's quality over its whole length, folded from its intervals: what the app reports
//! to the platform once the media has ended (`protocol::CallQuality`). Pure.

use protocol::{CallQuality, QualityWarning};

use super::{QualityCounters, QualitySample};

/// The running figures of one call.
#[derive(Debug, Clone, Default)]
pub struct QualitySummary {
    intervals: u32,
    mos_sum: f64,
    mos_min: Option<f64>,
    rtt_ms_sum: f64,
    rtt_samples: u32,
    jitter_ms_max: f64,
    remote_loss_max: Option<f64>,
    /// Counters at the start of media and now, for the whole call's loss.
    first: Option<QualityCounters>,
    last: Option<QualityCounters>,
    warnings: Vec<QualityWarning>,
}

/// Two decimals: what a report needs, and figures that read well on the record.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

impl QualitySummary {
    /// Counters at the start of media (the whole call's loss counts from here).
    pub fn start(counters: QualityCounters) -> Self {
        QualitySummary {
            first: Some(counters),
            last: Some(counters),
            ..QualitySummary::default()
        }
    }

    /// One interval: its sample, its MOS, the counters at its end and the warnings active.
    /// An interval in which no customer audio arrived counts as MOS 1 (nothing was heard,
    /// though no packet was "lost" to lower the estimate).
    pub fn add(
        &mut self,
        sample: &QualitySample,
        mos: f64,
        counters: QualityCounters,
        active: &[QualityWarning],
    ) {
        self.intervals += 1;
        let mos = if sample.silent_for.is_zero() {
            mos
        } else {
            1.0
        };
        if mos.is_finite() {
            self.mos_sum += mos;
            self.mos_min = Some(self.mos_min.map_or(mos, |m| m.min(mos)));
        }
        if let Some(rtt) = sample.rtt {
            self.rtt_ms_sum += rtt.as_secs_f64() * 1_000.0;
            self.rtt_samples += 1;
        }
        self.jitter_ms_max = self
            .jitter_ms_max
            .max(sample.jitter.as_secs_f64() * 1_000.0);
        if let Some(remote) = sample.remote_loss.filter(|l| l.is_finite()) {
            let remote = remote.clamp(0.0, 1.0);
            self.remote_loss_max = Some(self.remote_loss_max.map_or(remote, |m| m.max(remote)));
        }
        self.first.get_or_insert(counters);
        self.last = Some(counters);
        for warning in active {
            if !self.warnings.contains(warning) {
                self.warnings.push(*warning);
            }
        }
    }

    /// The call's summary; `None` before the first interval (a call without media says
    /// nothing rather than something made up).
    pub fn finish(&self) -> Option<CallQuality> {
        let mos_min = self.mos_min?;
        let (first, last) = (self.first?, self.last?);
        let received = last.received.saturating_sub(first.received) as f64;
        let lost = (last.lost - first.lost).max(0) as f64;
        let loss = if received + lost > 0.0 {
            lost / (received + lost)
        } else {
            0.0
        };
        let mos_avg = (self.mos_sum / f64::from(self.intervals)).clamp(1.0, 4.5);
        let mut warnings = self.warnings.clone();
        warnings.sort();
        Some(CallQuality {
            measured_secs: self.intervals,
            mos_avg: round2(mos_avg),
            mos_min: round2(mos_min.clamp(1.0, mos_avg)),
            loss_pct: round2(loss * 100.0),
            remote_loss_pct_max: self.remote_loss_max.map(|l| round2(l * 100.0)),
            rtt_ms_avg: (self.rtt_samples > 0)
                .then(|| round2(self.rtt_ms_sum / f64::from(self.rtt_samples))),
            jitter_ms_max: round2(self.jitter_ms_max.min(60_000.0)),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn counters(received: u64, lost: i64) -> QualityCounters {
        QualityCounters {
            received,
            lost,
            ..QualityCounters::default()
        }
    }

    #[test]
    fn nothing_measured_is_no_summary() {
        assert_eq!(QualitySummary::start(counters(0, 0)).finish(), None);
    }

    #[test]
    fn the_summary_folds_every_interval_and_keeps_each_warning_once() {
        let mut summary = QualitySummary::start(counters(10, 1));
        let calm = QualitySample {
            rtt: Some(Duration::from_millis(40)),
            jitter: Duration::from_millis(5),
            remote_loss: Some(0.0),
            ..QualitySample::default()
        };
        let rough = QualitySample {
            rtt: Some(Duration::from_millis(80)),
            jitter: Duration::from_millis(30),
            loss: 0.2,
            remote_loss: Some(0.125),
            ..QualitySample::default()
        };
        summary.add(&calm, 4.4, counters(60, 1), &[]);
        summary.add(&rough, 3.0, counters(100, 11), &[QualityWarning::HighLoss]);
        summary.add(&rough, 3.2, counters(140, 21), &[QualityWarning::HighLoss]);
        let quality = summary.finish().expect("a summary");
        assert_eq!(quality.measured_secs, 3);
        assert_eq!(quality.mos_avg, 3.53);
        assert_eq!(quality.mos_min, 3.0);
        // 130 received and 20 lost since the start of media.
        assert_eq!(quality.loss_pct, 13.33);
        assert_eq!(quality.remote_loss_pct_max, Some(12.5));
        assert_eq!(quality.rtt_ms_avg, Some(66.67));
        assert_eq!(quality.jitter_ms_max, 30.0);
        assert_eq!(quality.warnings, vec![QualityWarning::HighLoss]);
        assert_eq!(quality.implausible(), None, "{quality:?}");
    }

    #[test]
    fn silence_from_the_start_is_kept_as_the_alarm_with_no_loss_to_show() {
        let mut summary = QualitySummary::start(counters(0, 0));
        let silent = QualitySample {
            silent_for: Duration::from_secs(6),
            ..QualitySample::default()
        };
        summary.add(
            &silent,
            4.4,
            counters(0, 0),
            &[QualityWarning::NoInboundAudio],
        );
        let quality = summary.finish().expect("a summary");
        assert_eq!(quality.loss_pct, 0.0);
        assert_eq!((quality.mos_avg, quality.mos_min), (1.0, 1.0));
        assert_eq!(quality.rtt_ms_avg, None);
        assert_eq!(quality.warnings, vec![QualityWarning::NoInboundAudio]);
    }
}
