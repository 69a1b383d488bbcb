//! Microphone capture: cpal input callback → lock-free ring → 48 kHz frames for the encoder.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cpal::traits::DeviceTrait;
use cpal::{FromSample, Sample, SizedSample};
use rtrb::{Consumer, Producer, RingBuffer};

use super::device_thread::{error_callback, DeviceStream, FailureFlag, StreamInfo};
use super::devices::{device_name, find_device, DeviceChoice};
use super::resample::StreamResampler;
use super::{AudioIoError, Direction};
use crate::level::LevelWindow;
use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};
use crate::signal::to_i16;

/// Ring capacity in seconds of device audio: room for the media task to be late by this much.
const RING_SECONDS: f32 = 0.5;

/// The media task's end of a capture stream.
pub struct CaptureReader {
    ring: Consumer<f32>,
    resampler: StreamResampler,
    device_chunk: Vec<f32>,
    at_48k: Vec<f32>,
    level: LevelWindow,
    overflows: Arc<AtomicU64>,
}

/// Opens the chosen input device and starts capturing.
pub fn start_capture(choice: &DeviceChoice) -> Result<(DeviceStream, CaptureReader), AudioIoError> {
    let choice = choice.clone();
    let overflows = Arc::new(AtomicU64::new(0));
    let counter = overflows.clone();
    let (stream, (ring, rate)) = DeviceStream::spawn("ringdesk-capture", move |failed| {
        open(&choice, counter, failed)
    })?;
    let reader = CaptureReader {
        ring,
        resampler: StreamResampler::new(rate, OPUS_CLOCK_RATE)?,
        device_chunk: Vec::with_capacity(rate as usize),
        at_48k: Vec::with_capacity(OPUS_CLOCK_RATE as usize),
        level: LevelWindow::new(OPUS_CLOCK_RATE),
        overflows,
    };
    Ok((stream, reader))
}

type Opened = (cpal::Stream, StreamInfo, (Consumer<f32>, u32));

fn open(
    choice: &DeviceChoice,
    overflows: Arc<AtomicU64>,
    failed: FailureFlag,
) -> Result<Opened, AudioIoError> {
    let device = find_device(Direction::Input, choice)?;
    let name = device_name(&device);
    let config = device
        .default_input_config()
        .map_err(|e| AudioIoError::Config {
            direction: Direction::Input,
            device: name.clone(),
            reason: e.to_string(),
        })?;
    let info = StreamInfo {
        device: name.clone(),
        sample_rate: config.sample_rate(),
        channels: config.channels(),
    };
    let capacity = ((info.sample_rate as f32 * RING_SECONDS) as usize).max(SAMPLES_20MS);
    let (producer, consumer) = RingBuffer::<f32>::new(capacity);
    let channels = usize::from(info.channels.max(1));
    let stream_config = config.config();
    let on_error = error_callback(Direction::Input, failed);
    use cpal::SampleFormat as F;
    let stream = match config.sample_format() {
        F::F32 => device.build_input_stream(
            stream_config,
            callback::<f32>(channels, producer, overflows),
            on_error,
            None,
        ),
        F::I16 => device.build_input_stream(
            stream_config,
            callback::<i16>(channels, producer, overflows),
            on_error,
            None,
        ),
        F::U16 => device.build_input_stream(
            stream_config,
            callback::<u16>(channels, producer, overflows),
            on_error,
            None,
        ),
        F::I32 => device.build_input_stream(
            stream_config,
            callback::<i32>(channels, producer, overflows),
            on_error,
            None,
        ),
        other => {
            return Err(AudioIoError::Format {
                direction: Direction::Input,
                device: name,
                format: other.to_string(),
            })
        }
    }
    .map_err(|e| AudioIoError::Open {
        direction: Direction::Input,
        device: name,
        reason: e.to_string(),
    })?;
    let rate = info.sample_rate;
    Ok((stream, info, (consumer, rate)))
}

/// The real-time callback: downmix to mono and push. No locks, no allocation, no blocking;
/// when the ring is full (media task stalled) samples are dropped and counted.
fn callback<T>(
    channels: usize,
    mut ring: Producer<f32>,
    overflows: Arc<AtomicU64>,
) -> impl FnMut(&[T], &cpal::InputCallbackInfo) + Send + 'static
where
    T: Sample + SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    move |data: &[T], _| {
        let scale = 1.0 / channels as f32;
        let mut dropped = 0u64;
        for frame in data.chunks(channels) {
            let sum: f32 = frame.iter().map(|s| f32::from_sample(*s)).sum();
            if ring.push(sum * scale).is_err() {
                dropped += 1;
            }
        }
        if dropped > 0 {
            overflows.fetch_add(dropped, Ordering::Relaxed);
        }
    }
}

impl CaptureReader {
    /// Moves everything captured so far out of the ring and converts it to 48 kHz.
    fn drain(&mut self) -> Result<(), AudioIoError> {
        let available = self.ring.slots();
        if available == 0 {
            return Ok(());
        }
        self.device_chunk.resize(available, 0.0);
        let (read, _) = self.ring.pop_partial_slice(&mut self.device_chunk);
        let read = read.len();
        self.device_chunk.truncate(read);
        self.resampler.process(&self.device_chunk, &mut self.at_48k)
    }

    /// 48 kHz samples ready to be read.
    pub fn available(&mut self) -> Result<usize, AudioIoError> {
        self.drain()?;
        Ok(self.at_48k.len())
    }

    /// Takes the next 20 ms frame (960 samples at 48 kHz) if one is ready; `Ok(false)` if not.
    pub fn read_frame(&mut self, frame: &mut [i16]) -> Result<bool, AudioIoError> {
        let n = frame.len();
        if self.available()? < n {
            return Ok(false);
        }
        for (out, s) in frame.iter_mut().zip(&self.at_48k[..n]) {
            *out = to_i16(*s);
        }
        self.level.push(&self.at_48k[..n]);
        self.at_48k.drain(..n);
        Ok(true)
    }

    /// Microphone level over the last 50 ms read, dBFS.
    pub fn level_dbfs(&self) -> f32 {
        self.level.last_dbfs()
    }

    /// Device samples dropped because the media task did not keep up.
    pub fn overflows(&self) -> u64 {
        self.overflows.load(Ordering::Relaxed)
    }
}
