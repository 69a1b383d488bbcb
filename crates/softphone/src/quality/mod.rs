//! Call quality for the in-call bar: MOS estimate and warnings that are raised and cleared.
//!
//! Pure: the call's quality watcher (`phone::engine::quality`) reads [`QualityCounters`] once a
//! second (RTCP-fed statistics: our receive loss and jitter, Meta's reports of our stream and
//! the round trip), [`interval::sample`] turns two readings into a [`QualitySample`], and
//! [`QualityMonitor::update`] returns the MOS and the warnings that changed. Warnings use
//! hysteresis (a higher threshold to raise than to clear) and persistence (several bad intervals
//! to raise, several good ones to clear) so they do not flap on a borderline network — except
//! "no inbound audio", raised as soon as the silence reaches its bound and cleared by the first
//! packet: it is an alarm, never to be mistaken for a quiet customer. [`QualitySummary`] folds
//! the intervals into the call's `protocol::CallQuality`, which the platform keeps.

pub mod interval;
mod mos;
mod summary;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use interval::QualityCounters;
pub use mos::{estimate_mos, r_factor};
pub use summary::QualitySummary;

/// Input at or below this is silence (a live microphone in a quiet room reads -60..-45).
pub const MIC_SILENCE_DBFS: f32 = -70.0;

/// How long the microphone has been silent while not muted, from once-a-second readings
/// of its level (before muting) and the mute switch. Pure: time is given.
#[derive(Debug, Clone, Copy)]
pub struct MicWatch<T> {
    quiet_since: Option<T>,
}

impl<T> Default for MicWatch<T> {
    fn default() -> Self {
        Self { quiet_since: None }
    }
}

impl<T: Copy + std::ops::Sub<Output = Duration> + PartialOrd> MicWatch<T> {
    /// The reading at `now`; returns how long the silence has lasted (zero if there is sound
    /// or the agent muted: a muted microphone is meant to be silent).
    pub fn update(&mut self, now: T, input_dbfs: f32, muted: bool) -> Duration {
        // NaN (no reading) counts as silence: a dead device gives none.
        let silent = input_dbfs.is_nan() || input_dbfs <= MIC_SILENCE_DBFS;
        if muted || !silent {
            self.quiet_since = None;
            return Duration::ZERO;
        }
        let since = *self.quiet_since.get_or_insert(now);
        now - since
    }
}

/// Network conditions over one reporting interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QualitySample {
    /// Round-trip time from RTCP, when known.
    pub rtt: Option<Duration>,
    /// Interarrival jitter (RFC 3550).
    pub jitter: Duration,
    /// Fraction of expected packets that did not play (lost or late), 0–1.
    pub loss: f64,
    /// What the far end lost of ours (its last receiver report), 0–1, when known.
    pub remote_loss: Option<f64>,
    /// How long no inbound audio packet has arrived (zero if one came this interval).
    pub silent_for: Duration,
    /// How long the microphone has been silent while not muted (zero otherwise; see
    /// [`MicWatch`]).
    pub mic_silent_for: Duration,
}

impl QualitySample {
    /// The worse of the two directions: either one makes the call hard to follow.
    pub fn worst_loss(&self) -> f64 {
        let clean = |v: f64| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        clean(self.loss).max(self.remote_loss.map_or(0.0, clean))
    }
}

/// Something the agent should know about the call's audio (the protocol's type: the same
/// names reach the platform's record).
pub use protocol::QualityWarning;

/// A warning that appeared or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningChange {
    Raised(QualityWarning),
    Cleared(QualityWarning),
}

/// Thresholds: (raise at or above, clear at or below) for each measure; MOS is the other way
/// round (raise at or below, clear at or above).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityThresholds {
    pub loss: (f64, f64),
    pub jitter_ms: (f64, f64),
    pub rtt_ms: (f64, f64),
    pub mos: (f64, f64),
    /// Consecutive bad intervals before a warning is raised.
    pub raise_after: u32,
    /// Consecutive good intervals before it is cleared.
    pub clear_after: u32,
    /// Silence from the far end that raises [`QualityWarning::NoInboundAudio`].
    pub no_audio: Duration,
    /// Microphone silence (not muted) that raises [`QualityWarning::MicSilent`].
    pub mic_silent: Duration,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        QualityThresholds {
            loss: (0.05, 0.02),
            jitter_ms: (50.0, 30.0),
            rtt_ms: (400.0, 300.0),
            mos: (3.0, 3.4),
            raise_after: 2,
            clear_after: 3,
            no_audio: Duration::from_secs(5),
            mic_silent: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct WarningState {
    active: bool,
    bad_streak: u32,
    good_streak: u32,
}

/// What one interval produced.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub mos: f64,
    pub changes: Vec<WarningChange>,
}

/// Tracks warnings across intervals.
#[derive(Debug, Clone)]
pub struct QualityMonitor {
    thresholds: QualityThresholds,
    states: [WarningState; 6],
}

const ALL: [QualityWarning; 6] = [
    QualityWarning::HighLoss,
    QualityWarning::HighJitter,
    QualityWarning::HighLatency,
    QualityWarning::PoorQuality,
    QualityWarning::NoInboundAudio,
    QualityWarning::MicSilent,
];

/// Where a measure stands against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Bad,
    Good,
    /// Between the clear and raise thresholds: keeps streaks as they are.
    Borderline,
}

fn higher_is_worse(value: f64, (raise, clear): (f64, f64)) -> Verdict {
    if value >= raise {
        Verdict::Bad
    } else if value <= clear {
        Verdict::Good
    } else {
        Verdict::Borderline
    }
}

/// A silence that is an alarm once it lasts `bound`, and over as soon as it stops.
fn alarm(silent_for: Duration, bound: Duration) -> Verdict {
    if silent_for >= bound {
        Verdict::Bad
    } else if silent_for.is_zero() {
        Verdict::Good
    } else {
        Verdict::Borderline
    }
}

fn lower_is_worse(value: f64, (raise, clear): (f64, f64)) -> Verdict {
    if value <= raise {
        Verdict::Bad
    } else if value >= clear {
        Verdict::Good
    } else {
        Verdict::Borderline
    }
}

impl QualityMonitor {
    pub fn new(thresholds: QualityThresholds) -> Self {
        QualityMonitor {
            thresholds,
            states: [WarningState::default(); 6],
        }
    }

    /// Warnings active now.
    pub fn active(&self) -> Vec<QualityWarning> {
        ALL.iter()
            .zip(&self.states)
            .filter(|(_, s)| s.active)
            .map(|(w, _)| *w)
            .collect()
    }

    /// Takes one interval's sample; returns its MOS and the warnings raised or cleared.
    pub fn update(&mut self, sample: QualitySample) -> QualityReport {
        let t = self.thresholds;
        let loss = sample.worst_loss();
        let mos = estimate_mos(sample.rtt, sample.jitter, loss);
        let verdicts = [
            higher_is_worse(loss, t.loss),
            higher_is_worse(sample.jitter.as_secs_f64() * 1_000.0, t.jitter_ms),
            match sample.rtt {
                Some(rtt) => higher_is_worse(rtt.as_secs_f64() * 1_000.0, t.rtt_ms),
                None => Verdict::Borderline,
            },
            lower_is_worse(mos, t.mos),
            // An alarm: no streaks, raised at the bound, cleared by the first packet.
            alarm(sample.silent_for, t.no_audio),
            // Likewise for the microphone: cleared by the first sound (or muting).
            alarm(sample.mic_silent_for, t.mic_silent),
        ];
        let mut changes = Vec::new();
        for ((warning, state), verdict) in ALL.iter().zip(self.states.iter_mut()).zip(verdicts) {
            let (raise_after, clear_after) = match warning {
                QualityWarning::NoInboundAudio | QualityWarning::MicSilent => (1, 1),
                _ => (t.raise_after, t.clear_after),
            };
            match verdict {
                Verdict::Bad => {
                    state.bad_streak += 1;
                    state.good_streak = 0;
                    if !state.active && state.bad_streak >= raise_after {
                        state.active = true;
                        changes.push(WarningChange::Raised(*warning));
                    }
                }
                Verdict::Good => {
                    state.good_streak += 1;
                    state.bad_streak = 0;
                    if state.active && state.good_streak >= clear_after {
                        state.active = false;
                        changes.push(WarningChange::Cleared(*warning));
                    }
                }
                Verdict::Borderline => {}
            }
        }
        QualityReport { mos, changes }
    }
}

impl Default for QualityMonitor {
    fn default() -> Self {
        Self::new(QualityThresholds::default())
    }
}
