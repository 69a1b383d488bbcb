//! Meter readings for the UI: the engine measures dBFS; bars want 0..1.

/// The quietest level a meter shows; anything below reads as 0.
pub const FLOOR_DBFS: f32 = -60.0;

/// dBFS to a meter position: linear in dB from −60 dBFS (0) to 0 dBFS (1), so speech
/// (about −30..−10 dBFS) fills the middle of the bar. Not-a-number reads as silence.
pub fn meter(dbfs: f32) -> f32 {
    if dbfs.is_nan() {
        return 0.0;
    }
    ((dbfs - FLOOR_DBFS) / -FLOOR_DBFS).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_is_one_silence_is_zero_and_the_rest_is_linear_in_db() {
        assert_eq!(meter(0.0), 1.0);
        assert_eq!(meter(6.0), 1.0);
        assert_eq!(meter(-60.0), 0.0);
        assert_eq!(meter(-120.0), 0.0);
        assert_eq!(meter(f32::NEG_INFINITY), 0.0);
        assert_eq!(meter(f32::NAN), 0.0);
        assert!((meter(-30.0) - 0.5).abs() < 1e-6);
    }
}
