//! The ringtone: a generated two-tone ring (no asset to ship), played with rodio on the ring
//! device while a call rings, and for three seconds by the Settings test.
//!
//! rodio 0.23 is built on cpal 0.18, the same cpal (and alsa-sys) as softphone's audio I/O, so
//! both live in one build. A rodio output stream is not `Send` everywhere, so one thread owns
//! it; [`Ringer`] is the cloneable handle that sends that thread orders.

use rodio::cpal::traits::{DeviceTrait, HostTrait};
use rodio::source::Source;
use std::num::NonZero;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The ring's sample rate (rodio resamples to the device).
pub const SAMPLE_RATE: u32 = 48_000;
/// How long the Settings test rings.
pub const TEST_LENGTH: Duration = Duration::from_secs(3);

/// One ring cycle, in seconds: ring, pause, ring, long pause (the British double ring).
const CADENCE: &[(bool, f32)] = &[(true, 0.4), (false, 0.2), (true, 0.4), (false, 2.0)];
const TONES_HZ: (f32, f32) = (400.0, 450.0);
/// Peak amplitude of the mix (two tones at half this each): loud enough, never clipping.
const AMPLITUDE: f32 = 0.5;
/// Fade in and out of each burst, so bursts start and stop without a click.
const FADE_SECONDS: f32 = 0.01;

/// One cycle of the ring at `rate` Hz, mono, −1..1.
pub fn ring_cycle(rate: u32) -> Vec<f32> {
    let rate_f = rate as f32;
    let mut samples = Vec::new();
    for &(on, seconds) in CADENCE {
        let len = (seconds * rate_f).round() as usize;
        if !on {
            samples.extend(std::iter::repeat_n(0.0, len));
            continue;
        }
        let fade = ((FADE_SECONDS * rate_f) as usize).max(1);
        samples.extend((0..len).map(|i| {
            let t = i as f32 / rate_f;
            let tone = (std::f32::consts::TAU * TONES_HZ.0 * t).sin()
                + (std::f32::consts::TAU * TONES_HZ.1 * t).sin();
            let envelope = (i.min(len - 1 - i) as f32 / fade as f32).min(1.0);
            tone * AMPLITUDE / 2.0 * envelope
        }));
    }
    samples
}

/// What the ring thread is told.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Order {
    /// Ring until stopped, on the named output device (`None`: the default).
    Ring(Option<String>),
    /// Ring for `TEST_LENGTH` on that device, then stop by itself.
    Test(Option<String>),
    Stop,
}

/// Handle to the ring thread; dropping every handle ends the thread.
#[derive(Debug, Clone)]
pub struct Ringer {
    orders: Sender<Order>,
}

impl Ringer {
    /// Starts the ring thread (idle until told to ring). `on_failure` hears why a device could
    /// not ring, on the ring thread.
    pub fn spawn(on_failure: impl Fn(String) + Send + 'static) -> Ringer {
        let (orders, inbox) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ringdesk-ringtone".into())
            .spawn(move || ring_loop(&inbox, &on_failure));
        if let Err(error) = spawned {
            tracing::warn!(%error, "no ringtone: could not start its thread");
        }
        Ringer { orders }
    }

    pub fn ring(&self, device: Option<String>) {
        self.send(Order::Ring(device));
    }

    pub fn test(&self, device: Option<String>) {
        self.send(Order::Test(device));
    }

    pub fn stop(&self) {
        self.send(Order::Stop);
    }

    fn send(&self, order: Order) {
        if self.orders.send(order).is_err() {
            tracing::debug!("the ringtone thread is gone");
        }
    }
}

/// A ring in progress: dropping it silences the device.
struct Playing {
    _sink: rodio::MixerDeviceSink,
    _player: rodio::Player,
    device: Option<String>,
    /// When a test ring stops by itself.
    until: Option<Instant>,
    /// [`STREAM_ERRORS`] when this stream opened.
    errors_before: u64,
    /// How often this ring was reopened because its stream was stuck.
    reopens: u32,
}

/// How often the ring thread looks at a playing stream's health.
const CHECK_EVERY: Duration = Duration::from_millis(250);
/// A stream that reported more errors than this is stuck in an error loop (ALSA's PulseAudio
/// plugin can fail every poll): it is reopened.
const STUCK_AFTER_ERRORS: u64 = 50;
/// Reopening does not help a device that fails for good: the ring then plays on as it can.
const MAX_REOPENS: u32 = 2;

fn ring_loop(inbox: &Receiver<Order>, on_failure: &dyn Fn(String)) {
    let mut playing: Option<Playing> = None;
    loop {
        let order = match &playing {
            Some(ring) => match inbox.recv_timeout(CHECK_EVERY) {
                Ok(order) => order,
                Err(RecvTimeoutError::Timeout) => {
                    if ring.until.is_some_and(|until| Instant::now() >= until) {
                        playing = None;
                    } else if ring.reopens < MAX_REOPENS
                        && stream_errors() - ring.errors_before > STUCK_AFTER_ERRORS
                    {
                        tracing::warn!("the ring stream kept failing; reopening it");
                        if let Some(stuck) = playing.take() {
                            let (device, until, reopens) =
                                (stuck.device.clone(), stuck.until, stuck.reopens + 1);
                            drop(stuck);
                            playing = open(device, until, reopens).map_err(on_failure).ok();
                        }
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match inbox.recv() {
                Ok(order) => order,
                Err(_) => return,
            },
        };
        // Whatever comes next replaces what plays now: close it before opening anew.
        drop(playing.take());
        playing = match order {
            Order::Stop => None,
            Order::Ring(device) => open(device, None, 0).map_err(on_failure).ok(),
            Order::Test(device) => open(device, Some(Instant::now() + TEST_LENGTH), 0)
                .map_err(on_failure)
                .ok(),
        };
    }
}

fn open(device: Option<String>, until: Option<Instant>, reopens: u32) -> Result<Playing, String> {
    let errors_before = stream_errors();
    let (sink, player) = start(device.as_deref())?;
    Ok(Playing {
        _sink: sink,
        _player: player,
        device,
        until,
        errors_before,
        reopens,
    })
}

fn start(device: Option<&str>) -> Result<(rodio::MixerDeviceSink, rodio::Player), String> {
    let device = find_output(device)?;
    let mut sink = rodio::DeviceSinkBuilder::from_device(device)
        .and_then(|builder| {
            builder
                // The device's own period: rodio's fixed 50 ms buffer makes PulseAudio's ALSA
                // plugin fail `snd_pcm_avail_delay` over and over.
                .with_buffer_size(rodio::cpal::BufferSize::Default)
                .with_error_callback(log_stream_error)
                .open_sink_or_fallback()
        })
        .map_err(|e| format!("the ring device would not open ({e})"))?;
    sink.log_on_drop(false);
    let player = rodio::Player::connect_new(sink.mixer());
    let (Some(channels), Some(rate)) = (NonZero::new(1), NonZero::new(SAMPLE_RATE)) else {
        return Err("invalid ring format".into());
    };
    let cycle = rodio::buffer::SamplesBuffer::new(channels, rate, ring_cycle(SAMPLE_RATE));
    player.append(cycle.repeat_infinite());
    Ok((sink, player))
}

/// Stream errors while ringing (an xrun, a device hiccup) are logged, not shown: a device
/// that is gone shows as silence and the popup still rings visually.
fn log_stream_error(error: rodio::cpal::Error) {
    let seen = STREAM_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if seen.is_power_of_two() {
        tracing::debug!(%error, count = seen + 1, "ringtone stream error");
    }
}

fn stream_errors() -> u64 {
    STREAM_ERRORS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Stream errors seen so far (tests read it).
static STREAM_ERRORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The output device with this name (exact, then case-insensitive substring, as the call
/// audio picks devices), or the default one.
fn find_output(name: Option<&str>) -> Result<rodio::cpal::Device, String> {
    let host = rodio::cpal::default_host();
    let Some(wanted) = name else {
        return host
            .default_output_device()
            .ok_or_else(|| "there is no default sound output".to_owned());
    };
    let devices: Vec<rodio::cpal::Device> = host
        .output_devices()
        .map_err(|e| format!("could not list sound outputs ({e})"))?
        .collect();
    let names: Vec<String> = devices.iter().map(device_name).collect();
    let lower = wanted.to_lowercase();
    let index = names
        .iter()
        .position(|n| n == wanted)
        .or_else(|| names.iter().position(|n| n.to_lowercase().contains(&lower)))
        .ok_or_else(|| format!("the ring device \"{wanted}\" is not connected"))?;
    devices
        .into_iter()
        .nth(index)
        .ok_or_else(|| format!("the ring device \"{wanted}\" is not connected"))
}

/// The same name softphone's device list shows.
fn device_name(device: &rodio::cpal::Device) -> String {
    device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| device.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    #[test]
    fn a_cycle_is_a_double_ring_then_silence() {
        let rate = 8_000;
        let cycle = ring_cycle(rate);
        let at = |seconds: f32| (seconds * rate as f32) as usize;
        assert_eq!(cycle.len(), at(3.0));
        assert!(
            rms(&cycle[at(0.05)..at(0.35)]) > 0.2,
            "first burst is audible"
        );
        assert_eq!(rms(&cycle[at(0.4)..at(0.6)]), 0.0, "short pause is silent");
        assert!(
            rms(&cycle[at(0.65)..at(0.95)]) > 0.2,
            "second burst is audible"
        );
        assert_eq!(rms(&cycle[at(1.0)..]), 0.0, "long pause is silent");
    }

    #[test]
    fn never_clips_and_bursts_start_and_end_softly() {
        let rate = 48_000;
        let cycle = ring_cycle(rate);
        assert!(cycle.iter().all(|s| s.abs() <= AMPLITUDE + 1e-6));
        assert!(cycle[0].abs() < 1e-3);
        let burst_end = (0.4 * rate as f32) as usize - 1;
        assert!(cycle[burst_end].abs() < 1e-2, "{}", cycle[burst_end]);
        // Neighbouring samples never jump (a click would).
        let biggest_step = cycle
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        assert!(biggest_step < 0.1, "{biggest_step}");
    }

    #[test]
    fn a_missing_ring_device_is_reported_not_panicked() {
        let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = failures.clone();
        let ringer = Ringer::spawn(move |why| seen.lock().unwrap().push(why));
        ringer.ring(Some("no such device ✗ 0000".into()));
        ringer.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while failures.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let failures = failures.lock().unwrap();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("no such device") || failures[0].contains("sound outputs"),
            "{}",
            failures[0]
        );
    }

    /// Rings through the real default output and hears it on the default input. Runs only with
    /// `RINGDESK_AUDIO_TEST=1` and a loopback (PulseAudio with a null sink whose monitor is the
    /// default source).
    #[test]
    fn the_ring_is_heard_through_a_loopback_device() {
        if std::env::var("RINGDESK_AUDIO_TEST").as_deref() != Ok("1") {
            println!("skipped: set RINGDESK_AUDIO_TEST=1 with a loopback sound server to run it");
            return;
        }
        use softphone::audio_io::{start_capture, DeviceChoice};
        let (_stream, mut mic) = start_capture(&DeviceChoice::Default).unwrap();
        let ringer = Ringer::spawn(|why| panic!("{why}"));
        ringer.test(None);
        let mut frame = vec![0i16; 960];
        let mut loudest = f32::NEG_INFINITY;
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline && loudest < -30.0 {
            while mic.read_frame(&mut frame).unwrap() {}
            loudest = loudest.max(mic.level_dbfs());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(loudest >= -30.0, "the ring was not heard: {loudest} dBFS");
        println!("{} stream errors while ringing", stream_errors());
    }
}
