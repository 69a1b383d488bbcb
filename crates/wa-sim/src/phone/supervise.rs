//! The call's two background duties: enforce the no-media rule, and release everything
//! (peer connection, recording) once the call has ended for any reason.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use webrtc::peer_connection::PeerConnection;

use super::state::{CallShared, CallState, EndReason, PhoneEvent};
use super::watchdog::InboundWatchdog;

/// Drives [`InboundWatchdog`]: armed by `start_media`, fed by inbound packet counts, ends the
/// call with [`EndReason::MediaTimeout`] when it expires.
pub(crate) async fn watch_inbound_media(
    shared: Arc<CallShared>,
    at_start: Duration,
    mid_call: Duration,
) {
    let mut dog = InboundWatchdog::new(at_start, mid_call);
    let mut state = shared.state.subscribe();
    let mut started = shared.media_started.subscribe();
    let mut packets = shared.inbound_packets.subscribe();
    if *packets.borrow_and_update() > 0 {
        dog.on_media(Instant::now().into_std());
    }
    loop {
        if matches!(*state.borrow_and_update(), CallState::Ended(_)) {
            return;
        }
        if *started.borrow_and_update() {
            dog.arm(Instant::now().into_std());
        }
        let deadline = dog.deadline().map(Instant::from_std);
        tokio::select! {
            r = state.changed() => if r.is_err() { return },
            r = started.changed() => if r.is_err() { return },
            r = packets.changed() => {
                if r.is_err() { return }
                packets.borrow_and_update();
                dog.on_media(Instant::now().into_std());
            }
            _ = sleep_until_some(deadline) => {
                if let Some(phase) = dog.expired(Instant::now().into_std()) {
                    if !matches!(shared.current(), CallState::Ended(_)) {
                        shared.announce(PhoneEvent::MediaTimeout(phase));
                        shared.end(EndReason::MediaTimeout(phase));
                    }
                    return;
                }
            }
        }
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Waits for the end of the call, then closes the peer connection and finalizes the recording.
pub(crate) async fn release_on_end(shared: Arc<CallShared>, pc: Arc<dyn PeerConnection>) {
    let mut state = shared.state.subscribe();
    let _ = state.wait_for(|s| matches!(s, CallState::Ended(_))).await;
    if let Err(e) = pc.close().await {
        tracing::debug!(error = %e, "closing the phone's peer connection");
    }
    let recorder = match shared.recorder.lock() {
        Ok(mut r) => r.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    if let Some(rec) = recorder {
        if let Err(e) = rec.finish() {
            tracing::warn!(error = %e, "recording could not be finalized");
        }
    }
    shared.released.send_replace(true);
}
