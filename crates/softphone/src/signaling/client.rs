//! [`SignalingClient`]: the handle, and the task that connects, reconnects and backs off.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{ClientMessage, Hello, ServerMessage};
use tokio::sync::{mpsc, watch, Notify};

use super::backoff::{random_jitter, Backoff};
use super::connection::{self, Outgoing};
use super::SignalingError;
use crate::transport::{PlatformLink, TlsOptions};

/// How to reach the platform. `Debug` leaves the token out.
#[derive(Clone)]
pub struct SignalingConfig {
    /// The platform's base URL (`http://host:port`) or its `ws://` endpoint.
    pub url: String,
    /// The agent token (sent as `Authorization: Bearer`; never logged).
    pub token: String,
    pub backoff: Backoff,
    /// Silence after which the connection is considered dead.
    pub heartbeat_timeout: Duration,
    /// Extra CA and the "insecure http" switch (see [`crate::transport`]).
    pub tls: TlsOptions,
}

impl std::fmt::Debug for SignalingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalingConfig")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("backoff", &self.backoff)
            .field("heartbeat_timeout", &self.heartbeat_timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

impl SignalingConfig {
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: token.into(),
            backoff: Backoff::default(),
            heartbeat_timeout: Duration::from_secs(u64::from(protocol::HEARTBEAT_TIMEOUT_SECS)),
            tls: TlsOptions::default(),
        }
    }
}

/// What the client reports, in order.
#[derive(Debug)]
pub enum SignalingEvent {
    /// A connection is up and the platform sent its `hello` snapshot (after every reconnect).
    Connected(Box<Hello>),
    /// Any other platform message (`pong` is handled here and not reported).
    Message(Box<ServerMessage>),
    /// A frame could not be decoded; the connection stays up.
    BadMessage(SignalingError),
    /// The connection is down (or could not be made); the next attempt is in `retry_in`.
    Disconnected {
        error: SignalingError,
        retry_in: Duration,
    },
}

/// Handle to the background connection task. Dropping it shuts the task down.
#[derive(Debug)]
pub struct SignalingClient {
    outgoing: Outgoing,
    reconnect: Arc<Notify>,
    shutdown: watch::Sender<bool>,
}

impl SignalingClient {
    /// Start connecting. Refuses a URL or token that can never work; everything else
    /// (platform down, 401, drops) is reported as events and retried.
    pub fn start(
        config: SignalingConfig,
    ) -> Result<(Self, mpsc::Receiver<SignalingEvent>), SignalingError> {
        if !config.token.bytes().all(|b| b.is_ascii_graphic()) || config.token.is_empty() {
            return Err(SignalingError::BadToken);
        }
        let link = PlatformLink::new(&config.url, &config.tls)?;
        let (events_tx, events) = mpsc::channel(256);
        let outgoing: Outgoing = Arc::new(Mutex::new(None));
        let reconnect = Arc::new(Notify::new());
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(run(
            link,
            config,
            outgoing.clone(),
            reconnect.clone(),
            shutdown_rx,
            events_tx,
        ));
        Ok((
            Self {
                outgoing,
                reconnect,
                shutdown,
            },
            events,
        ))
    }

    /// Send a message on the current connection; refused with `NotConnected` while
    /// reconnecting (the caller decides whether to retry after the next `hello`).
    pub fn send(&self, message: &ClientMessage) -> Result<(), SignalingError> {
        let frame = protocol::encode(message)?;
        let guard = match self.outgoing.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        match guard.as_ref() {
            Some(tx) if tx.send(frame).is_ok() => Ok(()),
            _ => Err(SignalingError::NotConnected),
        }
    }

    /// Drop the current connection (if any) and reconnect now, skipping the backoff delay.
    pub fn reconnect_now(&self) {
        self.reconnect.notify_one();
    }

    /// Stop the background task and close the connection.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Drop for SignalingClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn run(
    link: PlatformLink,
    config: SignalingConfig,
    outgoing: Outgoing,
    reconnect: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    events: mpsc::Sender<SignalingEvent>,
) {
    let mut attempt: u32 = 0;
    loop {
        let error = tokio::select! {
            e = connection::run(&link, &config, &outgoing, &reconnect, &events, &mut attempt) => e,
            _ = shutdown.wait_for(|s| *s) => return,
        };
        if *shutdown.borrow() {
            return;
        }
        // A requested reconnect skips the delay; everything else backs off.
        let retry_in = match error {
            SignalingError::ReconnectRequested => Duration::ZERO,
            _ => config.backoff.delay(attempt, random_jitter()),
        };
        attempt = attempt.saturating_add(1);
        tracing::info!(%error, ?retry_in, "signaling disconnected");
        if events
            .send(SignalingEvent::Disconnected { error, retry_in })
            .await
            .is_err()
        {
            return; // nobody listens any more
        }
        tokio::select! {
            _ = tokio::time::sleep(retry_in) => {}
            _ = reconnect.notified() => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}
