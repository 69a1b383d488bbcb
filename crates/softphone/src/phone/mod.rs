//! The phone engine: what the desktop app (and the headless `ringdesk-agent`) drive.
//!
//! [`Phone::start`] spawns one engine task and returns a cloneable [`Phone`] handle plus a
//! channel of [`PhoneEvent`]s. The owner sends commands (accept, reject, hang up, mute,
//! presence, device selection) and renders events; it never touches signaling, media or
//! devices itself. [`call_history`] is the REST side (no engine needed).
//!
//! # The run-loop contract
//!
//! 1. **One task owns all call state.** Owner commands, signaling events (the platform's
//!    messages, connects and disconnects) and notes from per-call media work (answer ready,
//!    transport up, first audio heard, media failed) arrive on channels and are handled one at
//!    a time, in arrival order. Each call's progress is checked by the typed state machine
//!    ([`crate::call`]); an event that does not fit is logged and ignored, never a panic.
//! 2. **Ringing prepares media.** An `incoming_call` (live, or in the `hello` snapshot after a
//!    reconnect) is reported as [`PhoneEvent::Incoming`] and its WebRTC session is prepared at
//!    once (sockets bound, answer created) with the call's audio from the [`AudioPlan`]. A call
//!    whose audio or offer is unusable is reported, rejected (so the platform routes it on)
//!    and ended.
//! 3. **Accepting** applies the answer, waits for ICE gathering on a side task, then sends
//!    `accept_call` ([`Phone::accept`] resolves here) and emits [`PhoneEvent::Answered`]; when
//!    ICE + DTLS are up it sends `media_ready`; on `start_media` audio flows and, with the
//!    first customer audio, [`PhoneEvent::MediaConnected`]. With [`AudioPlan::Devices`] the
//!    microphone and speaker open on accept and close when no call needs them.
//! 4. **Every call ends exactly once**, with one [`PhoneEvent::Ended`] after its media is
//!    closed: by the owner (reject / hang up end it locally at once, whatever happens to the
//!    request), by the platform (`call_update`, `call_cancelled` — preceded by
//!    [`PhoneEvent::Cancelled`]), by a refused `accept_call`/`media_ready` (an `Error` with
//!    the platform's code, then `Ended` as `refused_by_platform`), by failed media, or by
//!    [`Phone::shutdown`].
//! 5. **Placing a call** ([`Phone::place_call`]) makes our offer on a side task (peer
//!    connection, gathering, Meta's shape checked), sends `place_call`, and resolves with the
//!    platform's call id or its refusal (the platform refuses before Meta is asked: no
//!    permission, not the conversation's agent, limits). Then `remote_answer` is applied,
//!    `call_update ringing` is [`PhoneEvent::RemoteRinging`], `accepted` (the customer picked
//!    up) is [`PhoneEvent::RemoteAccepted`], `start_media` starts audio; the end is as above.
//!    [`Phone::request_permission`] and [`Phone::send_text`] resolve with the platform's reply.
//! 6. **Signaling may drop at any time; media does not care.** While reconnecting, requests
//!    are refused with [`PhoneError::NotConnected`] (pending presence requests too). The
//!    `hello` after a reconnect is authoritative: calls it no longer lists end as
//!    `gone_after_reconnect`, ringing calls are offered (again if our accept was lost), calls
//!    in progress keep their media.
//! 7. **Events are never lost, meters may be.** Every event but [`PhoneEvent::Levels`] waits
//!    for room in the channel; levels (every 50 ms per call with media) are dropped while the
//!    owner lags. The channel closes after the engine stopped.
//! 8. Nothing on the network path panics; refusals are typed ([`PhoneError::code`] is the
//!    stable code).

mod calls;
mod commands;
mod config;
mod conversations;
mod devices;
mod engine;
mod error;
mod events;
mod history;
mod kpis;
mod mapping;
mod rest;

pub use commands::Phone;
pub use config::{AudioPlan, CallAudioFactory, PhoneConfig};
pub use conversations::{conversation_with, conversations};
pub use error::PhoneError;
pub use events::{ConnectionStatus, EndReason, IncomingCallInfo, PhoneEvent};
pub use history::{call_history, call_recording, export_history_csv};
pub use kpis::team_figures;

pub use crate::audio_io::{DeviceChoice, Direction};
pub use crate::media::WebRtcConfig;
