use std::time::Duration;

use super::*;
use crate::clock::MonoTime;
use crate::jitter::sim::SplitMix64;
use crate::jitter::JitterConfig;
use crate::rtp::{RtpPacket, FRAME_TICKS, SAMPLES_10MS, SAMPLES_20MS};
use crate::signal::{estimate_frequency, goertzel_power, rms_dbfs, to_f32, Sine};

const TONE_HZ: f64 = 1_000.0;
const AMPLITUDE: f64 = 0.3; // −13.5 dBFS RMS
const TONE_DBFS: f32 = -13.47;

/// Encodes `frames` frames of the test tone; frames in `muted` are sent while muted.
fn encode_tone(
    frames: usize,
    muted: std::ops::Range<usize>,
    settings: EncoderSettings,
) -> Vec<RtpPacket> {
    let mut encoder = FrameEncoder::new(settings).unwrap();
    let mut packetizer = Packetizer::new(65_530, u32::MAX - 2_000);
    let mut sine = Sine::new(TONE_HZ, 48_000, AMPLITUDE);
    let mut frame = [0i16; SAMPLES_20MS];
    (0..frames)
        .map(|i| {
            sine.fill_i16(&mut frame);
            encoder.set_muted(muted.contains(&i));
            let payload = encoder.encode(&frame).unwrap();
            packetizer.packet(payload)
        })
        .collect()
}

fn decode_all(packets: &[RtpPacket]) -> Vec<f32> {
    let mut decoder = FrameDecoder::new().unwrap();
    packets
        .iter()
        .flat_map(|p| {
            decoder
                .decode(&p.payload)
                .unwrap()
                .iter()
                .map(|s| to_f32(*s))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_tone(samples: &[f32], what: &str) {
    let freq = estimate_frequency(samples, 48_000).unwrap_or(0.0);
    assert!((freq - TONE_HZ).abs() / TONE_HZ < 0.02, "{what}: {freq} Hz");
    let level = rms_dbfs(samples);
    assert!((level - TONE_DBFS).abs() < 2.0, "{what}: {level} dBFS");
    let on = goertzel_power(samples, TONE_HZ, 48_000);
    let off = goertzel_power(samples, TONE_HZ * 1.5, 48_000);
    assert!(on > 100.0 * off, "{what}: tone {on} vs elsewhere {off}");
}

#[test]
fn packets_advance_by_one_sequence_and_960_ticks_across_the_wrap() {
    let packets = encode_tone(20, 0..0, EncoderSettings::default());
    for pair in packets.windows(2) {
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
        assert_eq!(
            pair[1].timestamp,
            pair[0].timestamp.wrapping_add(FRAME_TICKS)
        );
        assert!(!pair[1].payload.is_empty());
    }
    assert!(
        packets.iter().any(|p| p.sequence == 0),
        "the sequence wrapped"
    );
    assert!(
        packets.iter().any(|p| p.timestamp < 1_000_000),
        "the timestamp wrapped"
    );
}

#[test]
fn decoding_what_was_encoded_gives_back_the_tone() {
    let packets = encode_tone(50, 0..0, EncoderSettings::default());
    let pcm = decode_all(&packets);
    assert_eq!(pcm.len(), 50 * SAMPLES_20MS);
    // Skip the codec's start-up (first 100 ms).
    assert_tone(&pcm[4_800..], "decoded");
}

#[test]
fn muted_frames_keep_flowing_and_decode_to_silence() {
    let packets = encode_tone(60, 10..40, EncoderSettings::default());
    assert_eq!(packets.len(), 60, "a packet for every frame, muted or not");
    let pcm = decode_all(&packets);
    let frame = |i: usize| i * SAMPLES_20MS;
    // Allow three frames for the codec to settle after each switch.
    let muted = rms_dbfs(&pcm[frame(13)..frame(40)]);
    assert!(muted < -60.0, "muted part at {muted} dBFS");
    assert_tone(&pcm[frame(43)..frame(60)], "after unmute");
}

#[test]
fn a_frame_of_the_wrong_size_is_refused_with_the_reason() {
    let mut encoder = FrameEncoder::new(EncoderSettings::default()).unwrap();
    let err = encoder.encode(&[0; SAMPLES_10MS]).unwrap_err();
    assert_eq!(
        err,
        CodecError::FrameSize {
            expected: 960,
            got: 480
        }
    );
    assert!(err.to_string().contains("got 480"));
}

#[test]
fn fec_from_the_next_packet_rebuilds_a_lost_frame() {
    let settings = EncoderSettings {
        expected_loss_percent: 20,
        ..EncoderSettings::default()
    };
    let packets = encode_tone(40, 0..0, settings);
    let mut decoder = FrameDecoder::new().unwrap();
    let mut pcm = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let frame: Vec<f32> = if i == 25 {
            let next = &packets[26].payload;
            decoder
                .conceal(Some(next))
                .unwrap()
                .iter()
                .map(|s| to_f32(*s))
                .collect()
        } else {
            decoder
                .decode(&p.payload)
                .unwrap()
                .iter()
                .map(|s| to_f32(*s))
                .collect()
        };
        assert_eq!(frame.len(), SAMPLES_20MS);
        pcm.push(frame);
    }
    assert_tone(&pcm[25], "rebuilt frame");
    assert_tone(&pcm[26..].concat(), "after the loss");
}

#[test]
fn plc_covers_a_lost_frame_without_the_next_packet() {
    let packets = encode_tone(30, 0..0, EncoderSettings::default());
    let mut decoder = FrameDecoder::new().unwrap();
    for p in &packets[..20] {
        decoder.decode(&p.payload).unwrap();
    }
    let concealed: Vec<f32> = decoder
        .conceal(None)
        .unwrap()
        .iter()
        .map(|s| to_f32(*s))
        .collect();
    assert_eq!(concealed.len(), SAMPLES_20MS);
    // PLC extrapolates the tone: same frequency, not silence.
    let freq = estimate_frequency(&concealed, 48_000).unwrap();
    assert!((freq - TONE_HZ).abs() / TONE_HZ < 0.02, "{freq}");
    assert!(rms_dbfs(&concealed) > TONE_DBFS - 10.0);
}

#[test]
fn garbage_packets_are_refused_and_playout_goes_on() {
    let mut decoder = FrameDecoder::new().unwrap();
    let mut rng = SplitMix64::new(5);
    for len in 0..200usize {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let _ = decoder.decode(&bytes); // Ok or Err, never a panic
    }
    let mut playout = Playout::new(JitterConfig::default()).unwrap();
    for i in 0..10u16 {
        playout.push(
            RtpPacket {
                sequence: i,
                timestamp: u32::from(i) * 960,
                payload: vec![0xff; 3],
            },
            MonoTime::from_millis(u64::from(i) * 20),
        );
    }
    let mut out = [1i16; SAMPLES_10MS];
    for _ in 0..20 {
        playout.pull(&mut out);
    }
    assert!(playout.stats().undecodable > 0);
}

#[test]
fn playout_over_a_lossy_jittery_network_keeps_the_tone() {
    let packets = encode_tone(500, 0..0, EncoderSettings::default());
    let mut rng = SplitMix64::new(42);
    // 5 % loss, 0–40 ms jitter on a 30 ms path.
    let mut arrivals: Vec<(u64, RtpPacket)> = Vec::new();
    for (i, p) in packets.into_iter().enumerate() {
        if !rng.chance(0.05) {
            arrivals.push((
                i as u64 * 20_000 + 30_000 + (rng.unit() * 40_000.0) as u64,
                p,
            ));
        }
    }
    arrivals.sort_by_key(|(at, _)| *at);

    let mut playout = Playout::new(JitterConfig::default()).unwrap();
    let mut arrivals = arrivals.into_iter().peekable();
    let mut out = Vec::new();
    let mut chunk = [0i16; SAMPLES_10MS];
    for tick in 0..1_000u64 {
        let now_us = tick * 10_000;
        while arrivals.peek().is_some_and(|(at, _)| *at <= now_us) {
            let (at, p) = arrivals.next().unwrap();
            playout.push(p, MonoTime::ZERO + Duration::from_micros(at));
        }
        playout.pull(&mut chunk);
        out.extend(chunk.iter().map(|s| to_f32(*s)));
        if tick == 500 {
            let meter = playout.output_dbfs();
            assert!(
                (meter - TONE_DBFS).abs() < 3.0,
                "output meter at {meter} dBFS"
            );
        }
    }
    let stats = playout.stats();
    assert!(
        stats.concealed_with_fec + stats.concealed_with_plc > 10,
        "{stats:?}"
    );
    assert!(stats.decoded > 400, "{stats:?}");
    // From 0.5 s to 9.5 s the tone plays through loss and jitter.
    assert_tone(&out[24_000..456_000], "played out");
}

#[test]
fn encoder_settings_follow_the_far_ends_fmtp() {
    let meta = EncoderSettings::for_fmtp(
        "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1",
    );
    assert_eq!(meta.bitrate_bps, 20_000);
    assert_eq!(meta.max_playback_rate, 16_000);
    assert!(meta.inband_fec);
    // Nothing said: the defaults. A higher cap does not raise our bitrate; nonsense is ignored.
    assert_eq!(
        EncoderSettings::for_fmtp("minptime=10;useinbandfec=1"),
        EncoderSettings::default()
    );
    assert_eq!(
        EncoderSettings::for_fmtp("maxaveragebitrate=64000; maxplaybackrate=x;;=;junk"),
        EncoderSettings::default()
    );
    assert_eq!(
        EncoderSettings::for_fmtp("maxaveragebitrate=1").bitrate_bps,
        6_000
    );
    // The encoder takes them and still makes 20 ms packets.
    let mut enc = FrameEncoder::new(meta).unwrap();
    let pcm = vec![0i16; 960];
    assert!(!enc.encode(&pcm).unwrap().is_empty());
}
