//! Real sound devices, without a sound card: a tone goes out through the cpal playback path
//! into a PulseAudio null sink and comes back through the cpal capture path from the sink's
//! monitor. Ignored unless built with `RINGDESK_AUDIO_TEST=1` (see build.rs); needs
//! `pulseaudio` and `pactl` (Debian: pulseaudio pulseaudio-utils libasound2-plugins).

// Test helpers too: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

mod null_sink;

use null_sink::ensure_null_sink;
use std::time::{Duration, Instant};

use softphone::audio_io::{
    list_devices, open_capture, open_playback, start_capture, start_playback, AudioIoError,
    DeviceChoice, Direction,
};
use softphone::signal::{median_frequency, rms_dbfs, to_f32, Sine};

#[test]
#[cfg_attr(
    not(ringdesk_audio_test),
    ignore = "set RINGDESK_AUDIO_TEST=1 to use PulseAudio"
)]
fn tones_come_back_through_the_real_device_paths() {
    // One test for everything that plays into the shared null sink (parallel tests would hear
    // each other); each part has its own frequency so leftovers of one cannot pass the next.
    ensure_null_sink();
    a_tone_played_out_comes_back_through_capture_at_the_same_frequency(697.0);
    an_opus_call_leg_through_jitter_buffer_and_devices_keeps_the_tone(1_209.0);
}

/// The raw device paths: a 48 kHz tone through playback (resampled to the device rate) into
/// the sink, back from its monitor through capture (resampled to 48 kHz).
fn a_tone_played_out_comes_back_through_capture_at_the_same_frequency(tone_hz: f64) {
    let devices = list_devices().unwrap();
    assert!(devices.iter().any(|d| d.output), "{devices:?}");
    assert!(devices.iter().any(|d| d.input), "{devices:?}");

    let (out_stream, mut writer) = start_playback(&DeviceChoice::Default).unwrap();
    let (in_stream, mut reader) = start_capture(&DeviceChoice::Default).unwrap();

    // The media loop: keep ~60 ms queued for the speaker (the output callback drains it at the
    // device's pace, 10 ms pulls) and collect what the microphone path hands back, until the
    // tone has arrived and half a second of it is in. Start-up takes about 2 s here.
    let mut sine = Sine::new(tone_hz, 48_000, 0.3);
    let mut out10 = [0i16; 480];
    let mut frame = [0i16; 960];
    let mut heard: Vec<f32> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while writer.queued() < Duration::from_millis(60) {
            sine.fill_i16(&mut out10);
            writer.write(&out10).unwrap();
        }
        while reader.read_frame(&mut frame).unwrap() {
            let floats: Vec<f32> = frame.iter().map(|s| to_f32(*s)).collect();
            // Keep only once the tone is there (skip start-up silence).
            if !heard.is_empty() || rms_dbfs(&floats) > -40.0 {
                heard.extend(floats);
            }
        }
        if heard.len() >= 48_000 / 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no tone came back within 30 s ({} samples heard, mic at {} dBFS)",
            heard.len(),
            reader.level_dbfs()
        );
        assert!(!out_stream.has_failed() && !in_stream.has_failed());
        // Pace the loop like the media task's 10 ms tick.
        std::thread::sleep(Duration::from_millis(5));
    }

    // Skip the first 100 ms (ramp-up) and measure.
    let tone = &heard[4_800..];
    // Median over 20 ms pieces: a scheduling hiccup on a loaded machine (a dropout) must not
    // pass for a wrong frequency.
    let freq = median_frequency(tone, 48_000, 960, -40.0).unwrap();
    assert!(
        (freq - tone_hz).abs() / tone_hz < 0.02,
        "sent {tone_hz} Hz, heard {freq} Hz"
    );
    let level = rms_dbfs(tone);
    assert!(
        level > -25.0 && level < -5.0,
        "heard the tone at {level} dBFS (sent at -13.5)"
    );
    assert!(reader.level_dbfs() > -40.0);
}

#[test]
#[cfg_attr(
    not(ringdesk_audio_test),
    ignore = "set RINGDESK_AUDIO_TEST=1 to use PulseAudio"
)]
fn an_unknown_device_name_is_refused_with_the_reason() {
    ensure_null_sink();
    let err = start_capture(&DeviceChoice::Named("no such microphone 42".into()))
        .err()
        .unwrap();
    assert_eq!(
        err,
        AudioIoError::NotFound {
            direction: Direction::Input,
            name: "no such microphone 42".into()
        }
    );
    assert!(err.to_string().contains("no input device named"));
}

/// The whole receive and send path on real devices: an Opus-encoded tone crosses a jittery,
/// lossy simulated network into the jitter buffer, is played out 10 ms at a time paced by the
/// output device, comes back through capture, is encoded and decoded again, and still has the
/// tone's frequency.
fn an_opus_call_leg_through_jitter_buffer_and_devices_keeps_the_tone(tone_hz: f64) {
    use softphone::audio_io::top_up;
    use softphone::clock::{Clock, MonotonicClock};
    use softphone::codec::{EncoderSettings, FrameDecoder, FrameEncoder, Packetizer, Playout};
    use softphone::jitter::JitterConfig;

    // Preferred devices that are missing fall through to the default.
    let missing = DeviceChoice::Named("unplugged headset 42".into());
    let (out_stream, mut writer) =
        open_playback(&[missing.clone(), DeviceChoice::Default]).unwrap();
    let (in_stream, mut reader) = open_capture(&[missing, DeviceChoice::Default]).unwrap();

    let clock = MonotonicClock::new();
    let mut far_end = FrameEncoder::new(EncoderSettings::default()).unwrap();
    let mut far_packets = Packetizer::new(60_000, 4_000_000_000);
    let mut far_tone = Sine::new(tone_hz, 48_000, 0.3);
    let mut playout = Playout::new(JitterConfig::default()).unwrap();

    let mut mic = FrameEncoder::new(EncoderSettings::default()).unwrap();
    let mut mic_packets = Packetizer::new(1, 1);
    let mut decoder = FrameDecoder::new().unwrap();

    let start = Instant::now();
    let mut sent_frames = 0u32;
    // Frames "in flight": (due time, packet). Every 4th frame is delayed by 30 ms (reordering),
    // every 25th is lost.
    let mut in_flight: Vec<(Duration, softphone::rtp::RtpPacket)> = Vec::new();
    let mut pcm = [0i16; 960];
    let mut heard: Vec<f32> = Vec::new();
    let deadline = start + Duration::from_secs(30);
    while heard.len() < 48_000 / 2 {
        let elapsed = start.elapsed();
        // The far end sends in real time.
        while Duration::from_millis(20 * u64::from(sent_frames)) <= elapsed {
            far_tone.fill_i16(&mut pcm);
            let packet = far_packets.packet(far_end.encode(&pcm).unwrap());
            let delay = if sent_frames % 4 == 3 { 50 } else { 20 };
            if sent_frames % 25 != 24 {
                let due = Duration::from_millis(20 * u64::from(sent_frames) + delay);
                in_flight.push((due, packet));
            }
            sent_frames += 1;
        }
        in_flight.sort_by_key(|(due, _)| *due);
        while in_flight.first().is_some_and(|(due, _)| *due <= elapsed) {
            let (_, packet) = in_flight.remove(0);
            playout.push(packet, clock.now());
        }
        top_up(&mut playout, &mut writer, Duration::from_millis(40)).unwrap();
        // The agent's microphone (the sink's monitor) goes through our own encoder and back.
        while reader.read_frame(&mut pcm).unwrap() {
            let packet = mic_packets.packet(mic.encode(&pcm).unwrap());
            let decoded: Vec<f32> = decoder
                .decode(&packet.payload)
                .unwrap()
                .iter()
                .map(|s| to_f32(*s))
                .collect();
            if !heard.is_empty() || rms_dbfs(&decoded) > -40.0 {
                heard.extend(decoded);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the tone did not come back within 30 s ({} samples, playout {:?})",
            heard.len(),
            playout.stats()
        );
        assert!(!out_stream.has_failed() && !in_stream.has_failed());
        std::thread::sleep(Duration::from_millis(5)); // the media task's tick
    }
    let tone = &heard[4_800..];
    // Median over 20 ms pieces: a scheduling hiccup on a loaded machine (a dropout) must not
    // pass for a wrong frequency.
    let freq = median_frequency(tone, 48_000, 960, -40.0).unwrap();
    assert!(
        (freq - tone_hz).abs() / tone_hz < 0.02,
        "sent {tone_hz} Hz, heard {freq} Hz"
    );
    let level = rms_dbfs(tone);
    assert!(level > -25.0 && level < -5.0, "{level} dBFS");
    let stats = playout.stats();
    assert!(stats.decoded > 0, "{stats:?}");
    assert!(
        stats.concealed_with_fec + stats.concealed_with_plc > 0,
        "every 25th packet was lost, yet nothing was concealed: {stats:?}"
    );
}
