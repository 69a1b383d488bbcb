//! The microphone test in Settings: the selected microphone opened on its own (no call), its
//! level sent as `MicTestLevel` every 50 ms until stopped. Refused during a call (the call owns
//! the microphone); a call being answered stops it.

use crate::error::CommandError;
use crate::levels::meter;
use softphone::audio_io::{start_capture, DeviceChoice};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a level is reported.
pub const INTERVAL: Duration = Duration::from_millis(50);
/// A test left running (the window closed mid-test) stops by itself after this long.
pub const LONGEST: Duration = Duration::from_secs(120);

#[derive(Debug, Default)]
pub struct MicTest {
    running: Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl MicTest {
    /// Opens the microphone and reports its level (0..1) to `report` until [`MicTest::stop`].
    /// A test already running is replaced (the device may have changed).
    pub fn start(
        &self,
        device: Option<String>,
        report: impl Fn(f32) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.stop();
        let choice = device.map_or(DeviceChoice::Default, DeviceChoice::Named);
        let (stream, mut reader) =
            start_capture(&choice).map_err(|e| CommandError::DeviceFailed(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ringdesk-mic-test".into())
            .spawn(move || {
                let _stream = stream;
                let started = Instant::now();
                let mut frame = vec![0i16; 960];
                while !stopped.load(Ordering::Relaxed) && started.elapsed() < LONGEST {
                    std::thread::sleep(INTERVAL);
                    loop {
                        match reader.read_frame(&mut frame) {
                            Ok(true) => {}
                            Ok(false) => break,
                            Err(error) => {
                                tracing::warn!(%error, "the microphone test lost its device");
                                return;
                            }
                        }
                    }
                    report(meter(reader.level_dbfs()));
                }
            })
            .map_err(|e| CommandError::DeviceFailed(e.to_string()))?;
        *self.lock() = Some(Running { stop, thread });
        Ok(())
    }

    /// Stops the test and closes the microphone; nothing happens when none runs.
    pub fn stop(&self) {
        let running = self.lock().take();
        if let Some(running) = running {
            running.stop.store(true, Ordering::Relaxed);
            if running.thread.join().is_err() {
                tracing::warn!("the microphone test thread panicked");
            }
        }
    }

    #[cfg(test)]
    pub fn is_running(&self) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|running| !running.thread.is_finished())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_microphone_is_a_device_error_and_nothing_runs() {
        let test = MicTest::default();
        let error = test
            .start(Some("no such microphone ✗ 0000".into()), |_| {})
            .unwrap_err();
        assert_eq!(error.code(), "device_failed");
        assert!(!test.is_running());
        test.stop();
    }

    /// Hears a tone played into a loopback device. Runs only with `RINGDESK_AUDIO_TEST=1` and
    /// PulseAudio (a null sink whose monitor is the default source).
    #[test]
    fn reports_levels_from_the_real_microphone_until_stopped() {
        if std::env::var("RINGDESK_AUDIO_TEST").as_deref() != Ok("1") {
            println!("skipped: set RINGDESK_AUDIO_TEST=1 with a loopback sound server to run it");
            return;
        }
        let levels = Arc::new(Mutex::new(Vec::new()));
        let seen = levels.clone();
        let test = MicTest::default();
        test.start(None, move |level| seen.lock().unwrap().push(level))
            .unwrap();
        let ringer = crate::ringtone::Ringer::spawn(|why| panic!("{why}"));
        ringer.test(None);
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline && !levels.lock().unwrap().iter().any(|l| *l > 0.4) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(test.is_running());
        test.stop();
        assert!(!test.is_running());
        let count = {
            let levels = levels.lock().unwrap();
            assert!(levels.iter().any(|l| *l > 0.4), "{levels:?}");
            assert!(levels.iter().all(|l| (0.0..=1.0).contains(l)));
            levels.len()
        };
        std::thread::sleep(INTERVAL * 3);
        assert_eq!(levels.lock().unwrap().len(), count, "levels after stop");
    }
}
