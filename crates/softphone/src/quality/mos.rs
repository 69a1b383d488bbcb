//! Mean opinion score from network measures: a simplified ITU-T G.107 E-model.
//!
//! Delay impairment follows the widely used simplification of G.107 (Cole & Rosenbluth):
//! `Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)` with `d` the one-way mouth-to-ear delay in ms;
//! loss impairment uses `Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl + Bpl)` with values suited to Opus
//! with PLC/FEC (`Ie` = 0 at our bitrate, `Bpl` = 20). Absolute values are an estimate; what the
//! UI needs is the ordering (worse network → lower score) and the usual bands (> 4 good, < 3
//! poor).

use std::time::Duration;

/// Default R for narrowband-equivalent conditions with no impairment (G.107).
const R0: f64 = 93.2;
/// Opus equipment impairment at ~24 kbit/s (near transparent for speech).
const OPUS_IE: f64 = 0.0;
/// Packet-loss robustness of Opus with PLC and in-band FEC.
const OPUS_BPL: f64 = 20.0;
/// Encoder frame + lookahead + playout processing, ms.
const CODEC_DELAY_MS: f64 = 30.0;

/// The E-model rating R (0–100).
pub fn r_factor(rtt: Option<Duration>, jitter: Duration, loss: f64) -> f64 {
    let rtt_ms = rtt.map_or(0.0, |r| r.as_secs_f64() * 1_000.0);
    let jitter_ms = jitter.as_secs_f64() * 1_000.0;
    // One-way delay: half the round trip, the jitter buffer's share (about twice the jitter),
    // and the codec.
    let d = rtt_ms / 2.0 + 2.0 * jitter_ms + CODEC_DELAY_MS;
    let id = 0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 };
    let ppl = (loss.clamp(0.0, 1.0)) * 100.0;
    let ie_eff = OPUS_IE + (95.0 - OPUS_IE) * ppl / (ppl + OPUS_BPL);
    (R0 - id - ie_eff).clamp(0.0, 100.0)
}

/// MOS (1–4.5) from the R factor (G.107 Annex B).
pub fn estimate_mos(rtt: Option<Duration>, jitter: Duration, loss: f64) -> f64 {
    let r = r_factor(rtt, jitter, loss);
    if r <= 0.0 {
        return 1.0;
    }
    (1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r)).clamp(1.0, 4.5)
}
