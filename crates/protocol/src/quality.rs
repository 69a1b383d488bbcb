//! How a call sounded: the warnings the app raises while it lasts, and the summary it sends
//! once the call's media has ended (`call_quality`), which the platform keeps on the record.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A call-quality warning: raised while its condition holds (with hysteresis), shown in the
/// in-call bar, and kept on the record once it held during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QualityWarning {
    /// Audio lost in either direction above 5 %.
    HighLoss,
    HighJitter,
    /// Round trip above 400 ms.
    HighLatency,
    /// Estimated MOS at or below 3.
    PoorQuality,
    /// No audio from the customer for 5 s: an alarm, never to be taken for a quiet customer.
    NoInboundAudio,
    /// The agent's microphone has given nothing but silence for 10 s while not muted (a
    /// dead or muted-in-hardware headset): the customer hears nothing.
    MicSilent,
}

/// The figures of one call as the agent's app measured them (RTCP and its own receive
/// statistics), over the seconds it had media.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CallQuality {
    /// Seconds measured (one figure a second from the start of media).
    pub measured_secs: u32,
    /// Mean estimated MOS (E-model, 1–4.5).
    pub mos_avg: f64,
    /// The worst second's MOS.
    pub mos_min: f64,
    /// The customer's audio lost over the whole call, %.
    pub loss_pct: f64,
    /// The highest loss of our audio Meta reported, %, when it reported any.
    pub remote_loss_pct_max: Option<f64>,
    /// Mean round trip to Meta's relay, when RTCP measured one.
    pub rtt_ms_avg: Option<f64>,
    /// The highest interarrival jitter of the customer's audio.
    pub jitter_ms_max: f64,
    /// Every warning that held at some point, each once, in a fixed order.
    pub warnings: Vec<QualityWarning>,
}

impl CallQuality {
    /// Why the summary cannot be true, if it cannot: figures outside what they measure
    /// (not finite, negative, MOS outside 1–4.5, loss over 100 %, a minute of round trip or
    /// jitter) or a warning named twice.
    pub fn implausible(&self) -> Option<String> {
        let percent = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
        let millis = |v: f64| v.is_finite() && (0.0..=60_000.0).contains(&v);
        let mos = |v: f64| v.is_finite() && (1.0..=4.5).contains(&v);
        if !mos(self.mos_avg) || !mos(self.mos_min) || self.mos_min > self.mos_avg {
            return Some(format!(
                "MOS must be within 1–4.5 with the minimum at most the mean (got mean {}, minimum {})",
                self.mos_avg, self.mos_min
            ));
        }
        if !percent(self.loss_pct) || !self.remote_loss_pct_max.is_none_or(percent) {
            return Some("loss must be a percentage, 0–100".into());
        }
        if !millis(self.jitter_ms_max) || !self.rtt_ms_avg.is_none_or(millis) {
            return Some("round trip and jitter must be 0–60,000 ms".into());
        }
        let mut seen = self.warnings.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.warnings.len() {
            return Some("a warning is named more than once".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sound() -> CallQuality {
        CallQuality {
            measured_secs: 60,
            mos_avg: 4.3,
            mos_min: 4.1,
            loss_pct: 0.5,
            remote_loss_pct_max: Some(1.0),
            rtt_ms_avg: Some(40.0),
            jitter_ms_max: 12.0,
            warnings: vec![QualityWarning::HighLoss],
        }
    }

    #[test]
    fn a_plausible_summary_passes_and_each_impossible_figure_is_named() {
        assert_eq!(sound().implausible(), None);
        type Spoil = fn(&mut CallQuality);
        let cases: [(&str, Spoil); 7] = [
            ("MOS", |q| q.mos_avg = 5.0),
            ("MOS", |q| q.mos_min = 4.4),
            ("MOS", |q| q.mos_min = f64::NAN),
            ("loss", |q| q.loss_pct = 101.0),
            ("loss", |q| q.remote_loss_pct_max = Some(-1.0)),
            ("jitter", |q| q.jitter_ms_max = f64::INFINITY),
            ("more than once", |q| {
                q.warnings.push(QualityWarning::HighLoss)
            }),
        ];
        for (word, spoil) in cases {
            let mut quality = sound();
            spoil(&mut quality);
            let why = quality.implausible().expect("refused");
            assert!(why.contains(word), "{why}");
        }
    }
}
