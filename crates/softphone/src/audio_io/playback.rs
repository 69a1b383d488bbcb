//! Speaker playback: 48 kHz playout → resampler → lock-free ring → cpal output callback.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::DeviceTrait;
use cpal::{FromSample, Sample, SizedSample};
use rtrb::{Consumer, Producer, RingBuffer};

use super::device_thread::{error_callback, DeviceStream, FailureFlag, StreamInfo};
use super::devices::{device_name, find_device, DeviceChoice};
use super::resample::StreamResampler;
use super::{AudioIoError, Direction};
use crate::rtp::OPUS_CLOCK_RATE;
use crate::signal::to_f32;

/// Ring capacity in seconds of device audio (the media task keeps far less queued).
const RING_SECONDS: f32 = 0.5;

/// The media task's end of a playback stream.
pub struct PlaybackWriter {
    ring: Producer<f32>,
    resampler: StreamResampler,
    device_rate: u32,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    underruns: Arc<AtomicU64>,
    overflows: u64,
    /// The playback speed the resampler runs at (1.0 nominal).
    speed: f64,
}

/// Opens the chosen output device and starts playing (silence until audio is written).
pub fn start_playback(
    choice: &DeviceChoice,
) -> Result<(DeviceStream, PlaybackWriter), AudioIoError> {
    let choice = choice.clone();
    let underruns = Arc::new(AtomicU64::new(0));
    let counter = underruns.clone();
    let (stream, (ring, rate)) = DeviceStream::spawn("ringdesk-playback", move |failed| {
        open(&choice, counter, failed)
    })?;
    let writer = PlaybackWriter {
        ring,
        // Always adjustable, so drift is absorbed by resampling even on a 48 kHz device.
        resampler: StreamResampler::adjustable(OPUS_CLOCK_RATE, rate)?,
        device_rate: rate,
        floats: Vec::with_capacity(OPUS_CLOCK_RATE as usize / 10),
        resampled: Vec::with_capacity(rate as usize / 10),
        underruns,
        overflows: 0,
        speed: 1.0,
    };
    Ok((stream, writer))
}

type Opened = (cpal::Stream, StreamInfo, (Producer<f32>, u32));

fn open(
    choice: &DeviceChoice,
    underruns: Arc<AtomicU64>,
    failed: FailureFlag,
) -> Result<Opened, AudioIoError> {
    let device = find_device(Direction::Output, choice)?;
    let name = device_name(&device);
    let config = device
        .default_output_config()
        .map_err(|e| AudioIoError::Config {
            direction: Direction::Output,
            device: name.clone(),
            reason: e.to_string(),
        })?;
    let info = StreamInfo {
        device: name.clone(),
        sample_rate: config.sample_rate(),
        channels: config.channels(),
    };
    let capacity = ((info.sample_rate as f32 * RING_SECONDS) as usize).max(1_024);
    let (producer, consumer) = RingBuffer::<f32>::new(capacity);
    let channels = usize::from(info.channels.max(1));
    let stream_config = config.config();
    let on_error = error_callback(Direction::Output, failed);
    use cpal::SampleFormat as F;
    let stream = match config.sample_format() {
        F::F32 => device.build_output_stream(
            stream_config,
            callback::<f32>(channels, consumer, underruns),
            on_error,
            None,
        ),
        F::I16 => device.build_output_stream(
            stream_config,
            callback::<i16>(channels, consumer, underruns),
            on_error,
            None,
        ),
        F::U16 => device.build_output_stream(
            stream_config,
            callback::<u16>(channels, consumer, underruns),
            on_error,
            None,
        ),
        F::I32 => device.build_output_stream(
            stream_config,
            callback::<i32>(channels, consumer, underruns),
            on_error,
            None,
        ),
        other => {
            return Err(AudioIoError::Format {
                direction: Direction::Output,
                device: name,
                format: other.to_string(),
            })
        }
    }
    .map_err(|e| AudioIoError::Open {
        direction: Direction::Output,
        device: name,
        reason: e.to_string(),
    })?;
    let rate = info.sample_rate;
    Ok((stream, info, (producer, rate)))
}

/// The real-time callback: pop mono samples, copy to every channel, silence when starved.
/// No locks, no allocation, no blocking.
fn callback<T>(
    channels: usize,
    mut ring: Consumer<f32>,
    underruns: Arc<AtomicU64>,
) -> impl FnMut(&mut [T], &cpal::OutputCallbackInfo) + Send + 'static
where
    T: Sample + SizedSample + FromSample<f32> + Send + 'static,
{
    move |data: &mut [T], _| {
        let mut starved = false;
        for frame in data.chunks_mut(channels) {
            let s = match ring.pop() {
                Ok(s) => s,
                Err(_) => {
                    starved = true;
                    0.0
                }
            };
            let v = T::from_sample(s);
            for out in frame {
                *out = v;
            }
        }
        if starved {
            underruns.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl PlaybackWriter {
    /// A writer whose ring is read by the caller instead of a device (tests of the media
    /// tick's pacing on simulated time).
    #[cfg(test)]
    pub(crate) fn detached(device_rate: u32) -> Result<(Self, Consumer<f32>), AudioIoError> {
        let capacity = ((device_rate as f32 * RING_SECONDS) as usize).max(1_024);
        let (ring, consumer) = RingBuffer::<f32>::new(capacity);
        let writer = PlaybackWriter {
            ring,
            resampler: StreamResampler::adjustable(OPUS_CLOCK_RATE, device_rate)?,
            device_rate,
            floats: Vec::new(),
            resampled: Vec::new(),
            underruns: Arc::new(AtomicU64::new(0)),
            overflows: 0,
            speed: 1.0,
        };
        Ok((writer, consumer))
    }

    /// Audio queued for the device and not yet played.
    pub fn queued(&self) -> Duration {
        let queued = self.ring.buffer().capacity() - self.ring.slots();
        Duration::from_micros(queued as u64 * 1_000_000 / u64::from(self.device_rate.max(1)))
    }

    /// Queues 48 kHz samples for playback. If the ring is full the excess is dropped (counted):
    /// callers keep `queued()` near their target instead.
    pub fn write(&mut self, pcm_48k: &[i16]) -> Result<(), AudioIoError> {
        self.floats.clear();
        self.floats.extend(pcm_48k.iter().map(|s| to_f32(*s)));
        self.resampled.clear();
        self.resampler.process(&self.floats, &mut self.resampled)?;
        let (_, rest) = self.ring.push_partial_slice(&self.resampled);
        self.overflows += rest.len() as u64;
        Ok(())
    }

    /// Play the 48 kHz stream `speed` times as fast as nominal (1.0; > 1 consumes it faster),
    /// by resampling: how the jitter buffer's [`playback_speed`] absorbs clock drift. Changes
    /// below a millionth are ignored.
    ///
    /// [`playback_speed`]: crate::jitter::JitterBuffer::playback_speed
    pub fn set_playback_speed(&mut self, speed: f64) -> Result<(), AudioIoError> {
        if !speed.is_finite() || speed <= 0.0 || (speed - self.speed).abs() < 1e-6 {
            return Ok(());
        }
        self.resampler.adjust_ratio(1.0 / speed)?;
        self.speed = speed;
        Ok(())
    }

    /// The playback speed in effect.
    pub fn playback_speed(&self) -> f64 {
        self.speed
    }

    /// Output callbacks that found the ring empty (heard as gaps).
    pub fn underruns(&self) -> u64 {
        self.underruns.load(Ordering::Relaxed)
    }

    /// Samples dropped because the ring was full.
    pub fn overflows(&self) -> u64 {
        self.overflows
    }
}
