//! The device audio plan: the real microphone and speaker through [`crate::audio_io`].
//!
//! One manager task per phone owns the open device streams and the preferences. Calls get a
//! [`CallAudio`] whose source is the shared microphone ([`mic::MicSource`], read on the media
//! task) and whose inbound packets go to the call's own [`SharedPlayout`] (`sink` is
//! [`NullSink`], so the session decodes only once, in the playout). The speaker task
//! ([`speaker::Speaker`]) tops up the output ring from the active call's playout every 10 ms.
//!
//! Devices open when a call is accepted (not while it rings: no microphone indicator for a
//! call that is not taken) and close when no call needs them. A device whose stream reports a
//! fatal error is replaced by the first other preference that opens (the failed one is tried
//! last), and the call continues; while no device of a direction is open the manager retries
//! every [`RETRY`]. Opening and closing run on blocking threads, never on the speaker's tick.

mod mic;
mod speaker;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::audio_io::{
    start_capture, start_playback, AudioIoError, CaptureReader, DeviceChoice, DeviceStream,
    Direction, PlaybackWriter,
};
use crate::jitter::JitterConfig;
use crate::media::{CallAudio, NullSink, SharedPlayout};

use super::commands::Reply;
use super::{PhoneError, PhoneEvent};
use mic::Mic;
use speaker::Speaker;

/// How often open streams are checked for failure.
const POLL: Duration = Duration::from_millis(200);
/// How often a direction with no open device is retried while a call needs it.
const RETRY: Duration = Duration::from_secs(2);

/// The order in which to try devices: the preferences, then the system default as the last
/// resort (unless listed), with `failed` (the device that just failed) moved to the end.
pub(crate) fn fallback_order(
    preferences: &[DeviceChoice],
    failed: Option<&DeviceChoice>,
) -> Vec<DeviceChoice> {
    let mut order: Vec<DeviceChoice> = preferences.to_vec();
    if !order.contains(&DeviceChoice::Default) {
        order.push(DeviceChoice::Default);
    }
    if let Some(failed) = failed {
        if let Some(i) = order.iter().position(|c| c == failed) {
            let c = order.remove(i);
            order.push(c);
        }
    }
    order
}

/// `choice` first, then the other preferences in their order.
pub(crate) fn prefer(preferences: &[DeviceChoice], choice: &DeviceChoice) -> Vec<DeviceChoice> {
    std::iter::once(choice.clone())
        .chain(preferences.iter().filter(|c| *c != choice).cloned())
        .collect()
}

fn choice_name(choice: &DeviceChoice) -> String {
    match choice {
        DeviceChoice::Default => "the system default".into(),
        DeviceChoice::Named(n) => format!("{n:?}"),
    }
}

enum Cmd {
    Activate {
        call_id: String,
        playout: SharedPlayout,
    },
    Deactivate,
    Select {
        direction: Direction,
        choice: DeviceChoice,
        reply: Reply,
    },
    Stop {
        done: oneshot::Sender<()>,
    },
}

/// The engine's handle on the device manager.
pub(crate) struct Devices {
    commands: mpsc::Sender<Cmd>,
    mic: Mic,
}

impl Devices {
    pub fn start(
        input: Vec<DeviceChoice>,
        output: Vec<DeviceChoice>,
        events: mpsc::Sender<PhoneEvent>,
    ) -> Self {
        let (commands, rx) = mpsc::channel(16);
        let mic = Mic::new();
        let speaker = Speaker::default();
        let owner = DeviceOwner {
            input,
            output,
            mic: mic.clone(),
            speaker,
            capture: None,
            playback: None,
            speaker_task: None,
            active: None,
            events,
        };
        tokio::spawn(owner.run(rx));
        Devices { commands, mic }
    }

    /// A call's audio: the shared microphone, and a playout of its own for the speaker.
    pub fn call_audio(&self) -> Result<(CallAudio, SharedPlayout), String> {
        let playout = SharedPlayout::new(JitterConfig::default()).map_err(|e| e.to_string())?;
        Ok((
            CallAudio {
                source: Box::new(self.mic.source()),
                sink: Box::new(NullSink),
                packets: Some(Box::new(playout.clone())),
            },
            playout,
        ))
    }

    /// Open the devices (if not open) and play this call's playout.
    pub async fn activate(&self, call_id: &str, playout: SharedPlayout) {
        let _ = self
            .commands
            .send(Cmd::Activate {
                call_id: call_id.to_owned(),
                playout,
            })
            .await;
    }

    /// No call needs the devices any more: close them.
    pub async fn deactivate(&self) {
        let _ = self.commands.send(Cmd::Deactivate).await;
    }

    /// Forward a device selection; the manager answers `reply`.
    pub async fn select(&self, direction: Direction, choice: DeviceChoice, reply: Reply) {
        if let Err(mpsc::error::SendError(Cmd::Select { reply, .. })) = self
            .commands
            .send(Cmd::Select {
                direction,
                choice,
                reply,
            })
            .await
        {
            let _ = reply.send(Err(PhoneError::Stopped));
        }
    }

    /// Microphone level (what calls are given, before muting), dBFS.
    pub fn input_dbfs(&self) -> f32 {
        self.mic.level_dbfs()
    }

    /// Close every device; returns when they are closed.
    pub async fn stop(self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Cmd::Stop { done }).await.is_ok() {
            let _ = finished.await;
        }
    }
}

/// An open device stream and the preference it was opened for.
struct Open {
    stream: DeviceStream,
    choice: DeviceChoice,
}

struct DeviceOwner {
    input: Vec<DeviceChoice>,
    output: Vec<DeviceChoice>,
    mic: Mic,
    speaker: Speaker,
    capture: Option<Open>,
    playback: Option<Open>,
    speaker_task: Option<tokio::task::JoinHandle<()>>,
    /// The call the devices are open for.
    active: Option<String>,
    events: mpsc::Sender<PhoneEvent>,
}

type Opened<T> = Result<(DeviceStream, T, DeviceChoice), AudioIoError>;

/// Tries `order` on a blocking thread; the first device that opens wins.
async fn open_first<T: Send + 'static>(
    order: Vec<DeviceChoice>,
    open: fn(&DeviceChoice) -> Result<(DeviceStream, T), AudioIoError>,
) -> Opened<T> {
    let task = tokio::task::spawn_blocking(move || {
        let mut last = AudioIoError::DeviceThread;
        for choice in order {
            match open(&choice) {
                Ok((stream, end)) => return Ok((stream, end, choice)),
                Err(e) => {
                    tracing::info!(?choice, error = %e, "audio device unavailable, trying the next");
                    last = e;
                }
            }
        }
        Err(last)
    });
    task.await.unwrap_or(Err(AudioIoError::DeviceThread))
}

/// Drops device streams (joining their threads) off the async threads.
async fn close<T: Send + 'static>(what: T) {
    let _ = tokio::task::spawn_blocking(move || drop(what)).await;
}

impl DeviceOwner {
    async fn run(mut self, mut commands: mpsc::Receiver<Cmd>) {
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_retry = tokio::time::Instant::now();
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(Cmd::Stop { done }) => {
                        self.close_all().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(Cmd::Activate { call_id, playout }) => self.activate(call_id, playout).await,
                    Some(Cmd::Deactivate) => self.close_all().await,
                    Some(Cmd::Select { direction, choice, reply }) => {
                        let result = self.select(direction, choice).await;
                        let _ = reply.send(result);
                    }
                },
                _ = poll.tick(), if self.active.is_some() => {
                    self.check_failed().await;
                    if last_retry.elapsed() >= RETRY {
                        last_retry = tokio::time::Instant::now();
                        self.retry_missing().await;
                    }
                }
            }
        }
        self.close_all().await;
    }

    async fn emit(&self, event: PhoneEvent) {
        let _ = self.events.send(event).await;
    }

    async fn activate(&mut self, call_id: String, playout: SharedPlayout) {
        self.speaker.lock().playout = Some(playout);
        self.active = Some(call_id.clone());
        if self.speaker_task.is_none() {
            self.speaker_task = Some(tokio::spawn(self.speaker.clone().run()));
        }
        for direction in [Direction::Input, Direction::Output] {
            if self.is_open(direction) {
                continue;
            }
            if let Err(e) = self.open(direction, None).await {
                self.emit(PhoneEvent::Error {
                    call_id: Some(call_id.clone()),
                    code: "device".into(),
                    message: format!("no {direction} device could be opened: {e}"),
                })
                .await;
            }
        }
    }

    fn is_open(&self, direction: Direction) -> bool {
        match direction {
            Direction::Input => self.capture.is_some(),
            Direction::Output => self.playback.is_some(),
        }
    }

    /// Open the first device of `direction` that works (`failed` last) and install it.
    async fn open(
        &mut self,
        direction: Direction,
        failed: Option<&DeviceChoice>,
    ) -> Result<DeviceChoice, AudioIoError> {
        match direction {
            Direction::Input => {
                let order = fallback_order(&self.input, failed);
                let (stream, reader, choice) = open_first(order, start_capture).await?;
                self.install_capture(stream, reader, choice.clone()).await;
                Ok(choice)
            }
            Direction::Output => {
                let order = fallback_order(&self.output, failed);
                let (stream, writer, choice) = open_first(order, start_playback).await?;
                self.install_playback(stream, writer, choice.clone()).await;
                Ok(choice)
            }
        }
    }

    async fn install_capture(
        &mut self,
        stream: DeviceStream,
        reader: CaptureReader,
        choice: DeviceChoice,
    ) {
        let old_reader = self.mic.swap(Some(reader));
        let old = self.capture.replace(Open { stream, choice });
        close((old_reader, old.map(|o| o.stream))).await;
    }

    async fn install_playback(
        &mut self,
        stream: DeviceStream,
        writer: PlaybackWriter,
        choice: DeviceChoice,
    ) {
        let old_writer = self.speaker.lock().writer.replace(writer);
        let old = self.playback.replace(Open { stream, choice });
        close((old_writer, old.map(|o| o.stream))).await;
    }

    async fn close_direction(&mut self, direction: Direction) -> Option<DeviceChoice> {
        match direction {
            Direction::Input => {
                let reader = self.mic.swap(None);
                let open = self.capture.take();
                let choice = open.as_ref().map(|o| o.choice.clone());
                close((reader, open.map(|o| o.stream))).await;
                choice
            }
            Direction::Output => {
                let writer = self.speaker.lock().writer.take();
                let open = self.playback.take();
                let choice = open.as_ref().map(|o| o.choice.clone());
                close((writer, open.map(|o| o.stream))).await;
                choice
            }
        }
    }

    async fn close_all(&mut self) {
        self.active = None;
        if let Some(task) = self.speaker_task.take() {
            task.abort();
        }
        self.speaker.lock().playout = None;
        self.close_direction(Direction::Input).await;
        self.close_direction(Direction::Output).await;
    }

    /// A stream that reported a fatal error is replaced by the next preference that opens.
    async fn check_failed(&mut self) {
        for direction in [Direction::Input, Direction::Output] {
            let failed = match direction {
                Direction::Input => self.capture.as_ref(),
                Direction::Output => self.playback.as_ref(),
            }
            .is_some_and(|o| o.stream.has_failed());
            if !failed {
                continue;
            }
            let Some(lost) = self.close_direction(direction).await else {
                continue;
            };
            let message = match self.open(direction, Some(&lost)).await {
                Ok(now) => format!(
                    "{direction} device {} failed; now using {}",
                    choice_name(&lost),
                    choice_name(&now)
                ),
                Err(e) => format!(
                    "{direction} device {} failed and no other could be opened ({e}); retrying",
                    choice_name(&lost)
                ),
            };
            tracing::warn!(%message, "audio device failed");
            self.emit(PhoneEvent::DeviceFailed { direction, message })
                .await;
        }
    }

    /// While a call needs them, directions with no open device are retried quietly.
    async fn retry_missing(&mut self) {
        for direction in [Direction::Input, Direction::Output] {
            if !self.is_open(direction) {
                if let Ok(choice) = self.open(direction, None).await {
                    tracing::info!(%direction, ?choice, "audio device opened on retry");
                }
            }
        }
    }

    async fn select(
        &mut self,
        direction: Direction,
        choice: DeviceChoice,
    ) -> Result<(), PhoneError> {
        if self.active.is_some() {
            // Open exactly the chosen device; on failure the current one stays.
            match direction {
                Direction::Input => {
                    let (stream, reader, chosen) =
                        open_first(vec![choice.clone()], start_capture).await?;
                    self.install_capture(stream, reader, chosen).await;
                }
                Direction::Output => {
                    let (stream, writer, chosen) =
                        open_first(vec![choice.clone()], start_playback).await?;
                    self.install_playback(stream, writer, chosen).await;
                }
            }
        }
        match direction {
            Direction::Input => self.input = prefer(&self.input, &choice),
            Direction::Output => self.output = prefer(&self.output, &choice),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> DeviceChoice {
        DeviceChoice::Named(n.into())
    }

    #[test]
    fn a_failed_device_is_tried_last_and_no_preferences_mean_the_default() {
        let prefs = [named("headset"), named("speakers"), DeviceChoice::Default];
        assert_eq!(
            fallback_order(&prefs, Some(&named("headset"))),
            vec![named("speakers"), DeviceChoice::Default, named("headset")]
        );
        assert_eq!(fallback_order(&prefs, None), prefs.to_vec());
        assert_eq!(
            fallback_order(&[named("usb")], Some(&named("usb"))),
            vec![DeviceChoice::Default, named("usb")],
            "the system default is the last resort"
        );
        assert_eq!(fallback_order(&[], None), vec![DeviceChoice::Default]);
        assert_eq!(
            fallback_order(&[], Some(&DeviceChoice::Default)),
            vec![DeviceChoice::Default]
        );
    }

    #[test]
    fn a_selected_device_becomes_the_first_preference_without_duplicates() {
        let prefs = [named("headset"), named("speakers")];
        assert_eq!(
            prefer(&prefs, &named("speakers")),
            vec![named("speakers"), named("headset")]
        );
        assert_eq!(prefer(&[], &named("usb")), vec![named("usb")]);
    }
}
