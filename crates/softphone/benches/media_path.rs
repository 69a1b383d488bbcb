//! The softphone's media path: CPU per call-minute, engine-added one-way latency at zero network
//! jitter, and memory growth over sequential calls. Run by `cargo xtask bench` (or
//! `cargo xtask bench media_path`); see docs/BENCHMARKS.md, "Softphone media path".
//!
//! Four parts, each says what it measures:
//!
//! 1. **Pure pipeline, one thread** — 60 s of a −20 dBFS tone through the real pieces, as fast
//!    as they go: `FrameEncoder` (Opus, the session's settings) → `Packetizer` → `Playout::push`
//!    (jitter buffer) → `Playout::pull` 10 ms at a time (jitter buffer + Opus decode). No SRTP,
//!    no sockets. Timed with `Instant` per stage; this thread's CPU time from
//!    `/proc/thread-self/stat` as a cross-check.
//! 2. **Latency, real time, two threads** — the same pieces paced by the wall clock: a sender
//!    thread completes a 20 ms frame every 20 ms, encodes and packetizes it and hands it over
//!    (zero network delay, zero jitter); a receiver thread pushes each packet into the playout
//!    the moment it arrives and pulls 10 ms every 10 ms like an output device, at five phase
//!    offsets between the two clocks. Timestamps: first sample of a frame due → packet out;
//!    packet in → the pull that starts playing that frame.
//! 3. **Full call CPU** — our `WebRtcSession` against wa-sim's customer phone on 127.0.0.1,
//!    both talking (tones) for 20 s, our side with the desktop receive path (`SharedPlayout`
//!    pulled 10 ms every 10 ms). Each side runs on its own tokio runtime (one worker each,
//!    named threads), so `/proc/self/task/*/stat` splits the CPU between them; webrtc-rs drives
//!    each peer connection on the runtime that built it (ICE, DTLS, SRTP, sockets).
//! 4. **RSS over 200 sequential calls** — set up, 0.5 s of media both ways, closed, both sides;
//!    VmRSS from `/proc/self/status` before the first call, after call 10 and after call 200.
//!    The customer phone lives in the same process, so its memory is included.
//!
//! Results: `media_path.md` and `media_path.json` in `$RINGDESK_BENCH_OUT` (default
//! `<target>/bench/`). Nothing here asserts a timing. `RINGDESK_BENCH_CALL_ONLY=<seconds>` runs
//! only part 3, for profiling it (`perf record`), and writes no results.

use std::collections::{BTreeMap, VecDeque};
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use softphone::clock::{Clock, MonotonicClock};
use softphone::codec::{EncoderSettings, FrameEncoder, Packetizer, Playout};
use softphone::jitter::JitterConfig;
use softphone::media::{
    CallAudio, MediaSession, MediaStack, NullSink, SharedPlayout, ToneSource, WebRtcStack,
};
use softphone::rtp::{RtpPacket, SAMPLES_10MS, SAMPLES_20MS};
use softphone::signal::Sine;
use wa_sim::phone::{CustomerPhone, PhoneCall, PhoneConfig, Voice};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const WAIT: Duration = Duration::from_secs(30);
/// Clock ticks per second for /proc utime/stime (USER_HZ; 100 on every Linux we run on).
const USER_HZ: f64 = 100.0;

fn main() -> Result<()> {
    let quick = std::env::var_os("RINGDESK_BENCH_QUICK").is_some();
    let started = Instant::now();
    let machine = machine();
    println!("media_path: {}", machine["cpu"]);
    if std::env::var_os("RINGDESK_BENCH_COMPLEXITY_SWEEP").is_some() {
        for rate in [48_000, 16_000] {
            for complexity in [3, 5, 6, 7, 8, 9, 10] {
                let cpu = thread_cpu_seconds()?;
                let wall = encode_seconds(complexity, rate, 5_000)?;
                let cpu = thread_cpu_seconds()? - cpu;
                println!(
                    "max playback rate {rate}, complexity {complexity}: {:.1} µs CPU ({:.1} µs wall) per frame",
                    cpu / 5_000.0 * 1e6,
                    wall / 5_000.0 * 1e6
                );
            }
        }
        return Ok(());
    }
    if let Some(seconds) = std::env::var("RINGDESK_BENCH_CALL_ONLY")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        // For profiling (`perf record`): only part 3, for that many seconds; no result files.
        println!("full call CPU only, {seconds} s ...");
        println!("      {}", call_cpu(seconds)?);
        return Ok(());
    }

    println!("[1/4] pure pipeline, 60 s of audio, one thread ...");
    let pipeline = pure_pipeline(if quick { 10 } else { 60 })?;
    println!("      {pipeline}");

    println!("[2/4] latency at zero jitter, real time ...");
    let latency = latency(if quick { 1 } else { 3 })?;
    println!("      {latency}");

    println!("[3/4] full call CPU, 20 s ...");
    let call_cpu = call_cpu(if quick { 5 } else { 20 })?;
    println!("      {call_cpu}");

    println!("[4/4] RSS over sequential calls ...");
    let rss = rss_calls(if quick { 20 } else { 200 })?;
    println!("      {rss}");

    let total = started.elapsed().as_secs_f64();
    let results = json!({
        "machine": machine,
        "pure_pipeline": pipeline,
        "latency": latency,
        "call_cpu": call_cpu,
        "rss": rss,
        "total_seconds": total,
    });
    write_results(&results)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. Pure pipeline

fn pure_pipeline(seconds: usize) -> Result<Value> {
    let frames = seconds * 50;
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(pipeline_run(frames)?);
    }
    // The fastest run is the least disturbed by the other processes on this machine.
    runs.sort_by(|a, b| a.total.total_cmp(&b.total));
    let best = &runs[0];
    let audio_s = frames as f64 * 0.02;
    let per_min = |s: f64| s / audio_s * 60.0;
    Ok(json!({
        "audio_seconds": audio_s,
        "runs": runs.len(),
        "best_run": {
            "encode_s": best.encode, "packetize_s": best.packetize, "push_s": best.push,
            "pull_decode_s": best.pull, "total_s": best.total, "thread_cpu_s": best.thread_cpu,
        },
        "all_runs_total_s": runs.iter().map(|r| r.total).collect::<Vec<_>>(),
        "cpu_seconds_per_call_minute": per_min(best.total),
        "percent_of_one_core": best.total / audio_s * 100.0,
        "encode_us_per_frame": best.encode / frames as f64 * 1e6,
        "decode_us_per_frame": best.pull / frames as f64 * 1e6,
        "decoded_frames": best.decoded,
        "payload_bytes_mean": best.payload_bytes as f64 / frames as f64,
    }))
}

struct PipelineRun {
    encode: f64,
    packetize: f64,
    push: f64,
    pull: f64,
    total: f64,
    thread_cpu: f64,
    decoded: u64,
    payload_bytes: usize,
}

/// Seconds to encode `frames` frames of a tone with some noise at `complexity`.
fn encode_seconds(complexity: i32, max_playback_rate: u32, frames: usize) -> Result<f64> {
    let mut sine = Sine::new(300.0, 48_000, 0.1);
    let mut encoder = FrameEncoder::new(EncoderSettings {
        complexity,
        max_playback_rate,
        ..EncoderSettings::default()
    })?;
    let mut pcm = vec![0i16; SAMPLES_20MS];
    let mut seed = 1u32;
    let begin = Instant::now();
    for _ in 0..frames {
        sine.fill_i16(&mut pcm);
        for s in pcm.iter_mut() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *s = s.saturating_add((seed >> 24) as i16 - 128);
        }
        encoder.encode(&pcm)?;
    }
    Ok(begin.elapsed().as_secs_f64())
}

fn pipeline_run(frames: usize) -> Result<PipelineRun> {
    let mut sine = Sine::new(1000.0, 48_000, 0.1 * std::f64::consts::SQRT_2);
    let mut encoder = FrameEncoder::new(EncoderSettings::default())?;
    let mut packetizer = Packetizer::new(1_000, 123_456);
    let mut playout = Playout::new(JitterConfig::default())?;
    let mut pcm = vec![0i16; SAMPLES_20MS];
    let mut out = vec![0i16; SAMPLES_10MS];
    let (mut encode, mut packetize, mut push, mut pull) = (0.0, 0.0, 0.0, 0.0);
    let mut payload_bytes = 0;
    let cpu_before = thread_cpu_seconds()?;
    let begin = Instant::now();
    for n in 0..frames {
        sine.fill_i16(&mut pcm);
        let t0 = Instant::now();
        let payload = encoder.encode(&pcm)?;
        let t1 = Instant::now();
        payload_bytes += payload.len();
        let packet = packetizer.packet(payload);
        let t2 = Instant::now();
        // Zero jitter: packet n arrives exactly 20 ms after packet n-1.
        let arrival = softphone::clock::MonoTime::from_millis(n as u64 * 20);
        playout.push(packet, arrival);
        let t3 = Instant::now();
        playout.pull(&mut out);
        playout.pull(&mut out);
        let t4 = Instant::now();
        encode += (t1 - t0).as_secs_f64();
        packetize += (t2 - t1).as_secs_f64();
        push += (t3 - t2).as_secs_f64();
        pull += (t4 - t3).as_secs_f64();
    }
    let total = begin.elapsed().as_secs_f64();
    let thread_cpu = thread_cpu_seconds()? - cpu_before;
    Ok(PipelineRun {
        encode,
        packetize,
        push,
        pull,
        total,
        thread_cpu,
        decoded: playout.stats().decoded,
        payload_bytes,
    })
}

// ---------------------------------------------------------------------------------------------
// 2. Latency

fn latency(seconds_per_phase: u64) -> Result<Value> {
    let phases_ms = [0.0, 2.0, 4.0, 6.0, 8.0];
    let mut capture_to_packet = Vec::new();
    let mut encode = Vec::new();
    let mut packet_to_playout = Vec::new();
    let mut decode = Vec::new();
    let mut per_phase = Vec::new();
    let mut targets = Vec::new();
    let mut concealed = 0;
    for phase in phases_ms {
        let r = latency_run(seconds_per_phase, phase)?;
        per_phase.push(json!({
            "phase_ms": phase,
            "packet_to_playout_ms": summary(&r.packet_to_playout),
        }));
        capture_to_packet.extend(r.capture_to_packet);
        encode.extend(r.encode);
        packet_to_playout.extend(r.packet_to_playout);
        decode.extend(r.decode);
        targets.push(r.target_ms);
        concealed += r.concealed;
    }
    let c2p = summary(&capture_to_packet);
    let p2o = summary(&packet_to_playout);
    let total_p50 =
        c2p["p50"].as_f64().unwrap_or(f64::NAN) + p2o["p50"].as_f64().unwrap_or(f64::NAN);
    let total_p99 =
        c2p["p99"].as_f64().unwrap_or(f64::NAN) + p2o["p99"].as_f64().unwrap_or(f64::NAN);
    Ok(json!({
        "capture_to_packet_ms": c2p,
        "encode_ms": summary(&encode),
        "packet_to_playout_ms": p2o,
        "decode_pull_ms": summary(&decode),
        "one_way_oldest_sample_p50_ms": total_p50,
        "one_way_oldest_sample_p99_ms": total_p99,
        "per_phase": per_phase,
        "jitter_target_ms_at_end": targets,
        "concealed_or_silent_frames_after_start": concealed,
    }))
}

struct LatencyRun {
    capture_to_packet: Vec<f64>,
    encode: Vec<f64>,
    packet_to_playout: Vec<f64>,
    decode: Vec<f64>,
    target_ms: f64,
    concealed: u64,
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

fn latency_run(seconds: u64, phase_ms: f64) -> Result<LatencyRun> {
    let frames = seconds * 50;
    let (tx, rx) = mpsc::channel::<RtpPacket>();
    let start = Instant::now() + Duration::from_millis(50);
    let sender = std::thread::spawn(move || -> Result<(Vec<f64>, Vec<f64>)> {
        let mut sine = Sine::new(1000.0, 48_000, 0.1 * std::f64::consts::SQRT_2);
        let mut encoder = FrameEncoder::new(EncoderSettings::default())?;
        let mut packetizer = Packetizer::new(7, 960_000);
        let mut pcm = vec![0i16; SAMPLES_20MS];
        let mut c2p = Vec::new();
        let mut enc = Vec::new();
        for n in 0..frames {
            let first_sample = start + Duration::from_millis(n * 20);
            // The frame is complete when its last sample is due, 20 ms after its first.
            sleep_until(first_sample + Duration::from_millis(20));
            sine.fill_i16(&mut pcm);
            let t0 = Instant::now();
            let payload = encoder.encode(&pcm)?;
            let packet = packetizer.packet(payload);
            let out = Instant::now();
            c2p.push(ms(out - first_sample));
            enc.push(ms(out - t0));
            if tx.send(packet).is_err() {
                break;
            }
        }
        Ok((c2p, enc))
    });

    let clock = MonotonicClock::new();
    let mut playout = Playout::new(JitterConfig::default())?;
    let mut out = vec![0i16; SAMPLES_10MS];
    let mut pushed: VecDeque<Instant> = VecDeque::new();
    let mut p2o = Vec::new();
    let mut decode = Vec::new();
    let pull_start = start + Duration::from_secs_f64(phase_ms / 1000.0);
    let mut tick = 0u64;
    let mut last = (0u64, 0u64);
    let mut started_playing = false;
    let mut concealed = 0;
    let mut done = false;
    while !done {
        let deadline = pull_start + Duration::from_millis(tick * 10);
        // Take packets as they arrive until the device wants its next 10 ms.
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(packet) => {
                    let arrival = Instant::now();
                    playout.push(packet, clock.now());
                    pushed.push_back(arrival);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    done = true;
                    break;
                }
            }
        }
        let t0 = Instant::now();
        playout.pull(&mut out);
        let t1 = Instant::now();
        let stats = playout.jitter().stats();
        let (played, skipped) = (stats.played, stats.skipped);
        for _ in last.1..skipped {
            pushed.pop_front();
        }
        if played > last.0 {
            started_playing = true;
            for _ in last.0..played {
                if let Some(arrived) = pushed.pop_front() {
                    p2o.push(ms(t0 - arrived));
                }
            }
            decode.push(ms(t1 - t0));
        }
        let ps = playout.stats();
        if started_playing {
            concealed = ps.concealed_with_fec + ps.concealed_with_plc;
        }
        last = (played, skipped);
        tick += 1;
    }
    let (c2p, enc) = sender
        .join()
        .map_err(|_| "latency sender thread panicked")??;
    Ok(LatencyRun {
        capture_to_packet: c2p,
        encode: enc,
        packet_to_playout: p2o,
        decode,
        target_ms: ms(playout.jitter().target_delay()),
        concealed,
    })
}

// ---------------------------------------------------------------------------------------------
// 3. Full call CPU

fn runtime(name: &str) -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()?)
}

struct Runtimes {
    agent: tokio::runtime::Runtime,
    phone: tokio::runtime::Runtime,
}

struct Call {
    phone: PhoneCall,
    session: Box<dyn MediaSession>,
}

/// Ring, accept, connect, start media both ways. The phone is built on its runtime, our
/// session on ours, so each peer connection's driver runs there.
fn set_up_call(rt: &Runtimes, audio: CallAudio) -> Result<Call> {
    let config = PhoneConfig {
        voice: Voice::Tone {
            frequency_hz: 440.0,
            level_dbfs: -20.0,
        },
        ..PhoneConfig::default()
    };
    let (phone, offer) = rt.phone.block_on(CustomerPhone::offer(config))?;
    let session = rt
        .agent
        .block_on(async { WebRtcStack::default().prepare(&offer, audio).await })?;
    let answer = rt
        .agent
        .block_on(async { tokio::time::timeout(WAIT, session.answer()).await })??;
    rt.phone.block_on(phone.apply_answer(&answer))?;
    rt.agent
        .block_on(async { tokio::time::timeout(WAIT, session.connected()).await })??;
    rt.phone
        .block_on(async { tokio::time::timeout(WAIT, phone.connected()).await })?
        .map_err(|e| format!("phone did not connect: {e:?}"))?;
    phone.start_media();
    session.start_media();
    Ok(Call { phone, session })
}

fn tear_down(rt: &Runtimes, call: Call) {
    rt.agent.block_on(call.session.close());
    call.phone.hang_up();
    rt.phone.block_on(async {
        let _ = tokio::time::timeout(WAIT, call.phone.closed()).await;
    });
    drop(call.phone);
}

fn call_cpu(seconds: u64) -> Result<Value> {
    let rt = Runtimes {
        agent: runtime("agent-rt")?,
        phone: runtime("phone-rt")?,
    };
    let playout = SharedPlayout::new(JitterConfig::default())?;
    let audio = CallAudio {
        source: Box::new(ToneSource::new(1000.0, -20.0)?),
        sink: Box::new(NullSink),
        packets: Some(Box::new(playout.clone())),
    };
    let call = set_up_call(&rt, audio)?;
    // The output device: 10 ms every 10 ms, on our runtime.
    let puller = {
        let playout = playout.clone();
        rt.agent.spawn(async move {
            let mut out = vec![0i16; SAMPLES_10MS];
            let mut pace = tokio::time::interval(Duration::from_millis(10));
            loop {
                pace.tick().await;
                playout.pull(&mut out);
            }
        })
    };
    // Let the first packets flow, then measure a steady stretch.
    rt.agent
        .block_on(async { tokio::time::timeout(WAIT, call.session.heard_packets(25)).await })??;
    let threads_before = threads_cpu()?;
    let process_before = process_cpu()?;
    let sent_before = call.session.stats().sent_packets;
    let heard_before = call.session.stats().received_packets;
    let begin = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let wall = begin.elapsed().as_secs_f64();
    let threads_after = threads_cpu()?;
    let process = process_cpu()? - process_before;
    let sent = call.session.stats().sent_packets - sent_before;
    let heard = call.session.stats().received_packets - heard_before;
    puller.abort();
    let play = playout.stats();
    let phone_heard = call.phone.stats();
    tear_down(&rt, call);

    let mut by_group: BTreeMap<String, f64> = BTreeMap::new();
    for (tid, (name, cpu)) in &threads_after {
        let before = threads_before.get(tid).map_or(0.0, |(_, c)| *c);
        *by_group.entry(group_of(name)).or_default() += cpu - before;
    }
    let agent = by_group.get("agent-rt").copied().unwrap_or(0.0);
    let phone = by_group.get("phone-rt").copied().unwrap_or(0.0);
    Ok(json!({
        "wall_seconds": wall,
        "process_cpu_seconds": process,
        "cpu_seconds_by_thread_group": by_group,
        "agent_percent_of_one_core": agent / wall * 100.0,
        "agent_cpu_seconds_per_call_minute": agent / wall * 60.0,
        "phone_percent_of_one_core": phone / wall * 100.0,
        "process_percent_of_one_core": process / wall * 100.0,
        "agent_sent_packets": sent,
        "agent_received_packets": heard,
        "playout": {
            "decoded": play.decoded, "fec": play.concealed_with_fec,
            "plc": play.concealed_with_plc, "silent": play.silent_frames,
        },
        "phone_heard_hz": phone_heard.dominant_hz,
        "proc_clock_resolution_s": 1.0 / USER_HZ,
    }))
}

fn group_of(name: &str) -> String {
    for group in ["agent-rt", "phone-rt"] {
        if name.starts_with(group) {
            return group.into();
        }
    }
    if name.starts_with("media_path") {
        return "main".into();
    }
    "other".into()
}

// ---------------------------------------------------------------------------------------------
// 4. RSS over sequential calls

fn rss_calls(calls: usize) -> Result<Value> {
    let rt = Runtimes {
        agent: runtime("agent-rt")?,
        phone: runtime("phone-rt")?,
    };
    let before = vm_rss_kb()?;
    let mut after_10 = before;
    let mut samples = Vec::new();
    let begin = Instant::now();
    let mut failed = 0;
    for n in 1..=calls {
        let audio = CallAudio {
            source: Box::new(ToneSource::new(1000.0, -20.0)?),
            sink: Box::new(NullSink),
            packets: None,
        };
        match set_up_call(&rt, audio) {
            Ok(call) => {
                // 0.5 s of media: 25 packets heard on each side.
                let heard = rt.agent.block_on(async {
                    tokio::time::timeout(WAIT, call.session.heard_packets(25)).await
                });
                let phone_heard = rt.phone.block_on(async {
                    tokio::time::timeout(WAIT, call.phone.heard_packets(25)).await
                });
                if !matches!(heard, Ok(Ok(()))) || !matches!(phone_heard, Ok(Ok(()))) {
                    failed += 1;
                }
                tear_down(&rt, call);
            }
            Err(e) => {
                eprintln!("call {n} failed to set up: {e}");
                failed += 1;
            }
        }
        if n == 10 {
            after_10 = vm_rss_kb()?;
        }
        if n % 20 == 0 {
            let rss = vm_rss_kb()?;
            samples.push(json!({"calls": n, "vm_rss_kb": rss}));
        }
    }
    // Let background closes finish before the last reading.
    std::thread::sleep(Duration::from_millis(500));
    let after = vm_rss_kb()?;
    let hwm = status_kb("VmHWM")?;
    Ok(json!({
        "calls": calls,
        "failed_calls": failed,
        "seconds": begin.elapsed().as_secs_f64(),
        "vm_rss_kb_before": before,
        "vm_rss_kb_after_10": after_10,
        "vm_rss_kb_after_all": after,
        "growth_kb_from_start": after as i64 - before as i64,
        "growth_kb_from_call_10": after as i64 - after_10 as i64,
        "vm_hwm_kb": hwm,
        "samples": samples,
    }))
}

// ---------------------------------------------------------------------------------------------
// /proc readers, summaries, output

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(values: &[f64]) -> Value {
    if values.is_empty() {
        return json!({"count": 0});
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() - 1) as f64 * p / 100.0).round() as usize];
    json!({
        "count": v.len(),
        "min": v[0],
        "p50": at(50.0),
        "mean": v.iter().sum::<f64>() / v.len() as f64,
        "p99": at(99.0),
        "max": v[v.len() - 1],
    })
}

/// utime + stime of a `/proc/.../stat` line, in seconds; and the thread's name.
fn parse_stat(stat: &str) -> Result<(String, f64)> {
    let open = stat.find('(').ok_or("no ( in stat")?;
    let close = stat.rfind(')').ok_or("no ) in stat")?;
    let name = stat[open + 1..close].to_string();
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: f64 = fields.get(11).ok_or("short stat")?.parse()?;
    let stime: f64 = fields.get(12).ok_or("short stat")?.parse()?;
    Ok((name, (utime + stime) / USER_HZ))
}

fn thread_cpu_seconds() -> Result<f64> {
    Ok(parse_stat(&std::fs::read_to_string("/proc/thread-self/stat")?)?.1)
}

fn process_cpu() -> Result<f64> {
    Ok(parse_stat(&std::fs::read_to_string("/proc/self/stat")?)?.1)
}

fn threads_cpu() -> Result<BTreeMap<u64, (String, f64)>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task")? {
        let entry = entry?;
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        // A thread may exit between the listing and the read.
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            out.insert(tid, parse_stat(&stat)?);
        }
    }
    Ok(out)
}

fn status_kb(key: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        .ok_or_else(|| format!("no {key} in /proc/self/status"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("bad status line")?
        .parse()?)
}

fn vm_rss_kb() -> Result<u64> {
    status_kb("VmRSS")
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    json!({"cpu": cpu, "cores": cores, "loadavg_at_start": load.trim()})
}

fn output_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RINGDESK_BENCH_OUT") {
        return Ok(PathBuf::from(dir));
    }
    // The bench runs as <target>/release/deps/media_path-<hash>.
    let exe = std::env::current_exe()?;
    let target = exe.ancestors().nth(3).ok_or("unexpected bench location")?;
    Ok(target.join("bench"))
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for key in path {
        cur = &cur[*key];
    }
    cur.as_f64().unwrap_or(f64::NAN)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

fn write_results(results: &Value) -> Result<()> {
    let dir = output_dir()?;
    std::fs::create_dir_all(&dir)?;
    let r = results;
    let pure_pct = num(r, &["pure_pipeline", "percent_of_one_core"]);
    let agent_pct = num(r, &["call_cpu", "agent_percent_of_one_core"]);
    let one_way = num(r, &["latency", "one_way_oldest_sample_p99_ms"]);
    let growth_mb = num(r, &["rss", "growth_kb_from_start"]) / 1024.0;
    let mut md = String::new();
    writeln!(md, "| Measure | Measured | Target | |")?;
    writeln!(md, "|---|---|---|---|")?;
    writeln!(
        md,
        "| CPU, pure pipeline (encode + packetize + jitter buffer + decode, one thread, no SRTP) | {:.2} % of one core ({:.3} CPU-s per call-minute) | ≤ 1 % | {} |",
        pure_pct,
        num(r, &["pure_pipeline", "cpu_seconds_per_call_minute"]),
        verdict(pure_pct <= 1.0)
    )?;
    writeln!(
        md,
        "| CPU, full call: our session's runtime threads (Opus, SRTP, ICE/DTLS, sockets, playout) | {:.2} % of one core ({:.2} CPU-s per call-minute) | ≤ 1 % | {} |",
        agent_pct,
        num(r, &["call_cpu", "agent_cpu_seconds_per_call_minute"]),
        verdict(agent_pct <= 1.0)
    )?;
    writeln!(
        md,
        "| engine one-way, oldest sample, p50 / p99 (capture → packet + packet → playout) | {:.1} / {:.1} ms | ≤ 45 ms | {} |",
        num(r, &["latency", "one_way_oldest_sample_p50_ms"]),
        one_way,
        verdict(one_way <= 45.0)
    )?;
    writeln!(
        md,
        "| capture → packet, p50 / p99 | {:.1} / {:.1} ms | | |",
        num(r, &["latency", "capture_to_packet_ms", "p50"]),
        num(r, &["latency", "capture_to_packet_ms", "p99"])
    )?;
    writeln!(
        md,
        "| packet → playout, p50 / p99 | {:.1} / {:.1} ms | | |",
        num(r, &["latency", "packet_to_playout_ms", "p50"]),
        num(r, &["latency", "packet_to_playout_ms", "p99"])
    )?;
    writeln!(
        md,
        "| RSS growth over {} sequential calls (from before the first; from after call 10) | {:.1} MB; {:.1} MB | ≤ 5 MB | {} |",
        num(r, &["rss", "calls"]),
        growth_mb,
        num(r, &["rss", "growth_kb_from_call_10"]) / 1024.0,
        verdict(growth_mb <= 5.0)
    )?;
    let md_path = dir.join("media_path.md");
    let json_path = dir.join("media_path.json");
    std::fs::write(&md_path, &md)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(results)?)?;
    println!("\n{md}");
    println!("results: {}", md_path.display());
    println!("         {}", json_path.display());
    Ok(())
}
