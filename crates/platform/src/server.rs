//! Starting and stopping the platform: store, switchboard, inbox processor, HTTP server.
//!
//! Graceful shutdown (the tokio mini-redis pattern): one `watch` channel carries "stop". Every
//! long-lived task holds a receiver and leaves its loop when it fires — the HTTP server stops
//! accepting and finishes in-flight requests, WebSocket tasks close their sockets, the inbox
//! processor finishes the body it is applying (or leaves it pending, which is safe), and the
//! switchboard stops after its current command. [`Platform::shutdown`] then waits for every task
//! and closes the database pool, so the last writes are committed before the process exits.
//!
//! A platform holds the database's [`ServeLock`] from before it opens the store until after it
//! has closed it, so a second `serve` on the same database refuses to start (admin commands do
//! not lock).

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::graph::{Graph, GraphFailure, MetaGraph};
use crate::http::{router, AppState};
use crate::store::serve_lock::{ServeLock, ServeLockError};
use crate::store::{Store, StoreError};
use crate::switchboard::Switchboard;

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Another platform serves this database (or the lock could not be taken).
    #[error(transparent)]
    Locked(#[from] ServeLockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("call timers are unusable: {0}")]
    Timers(String),
    #[error("cannot set up the Graph API client")]
    Graph(#[from] GraphFailure),
}

/// Resolves once the shutdown signal has fired (or its sender is gone, which also means stop).
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// A running platform.
pub struct Platform {
    addr: SocketAddr,
    store: Store,
    stop: watch::Sender<bool>,
    processed: watch::Receiver<u64>,
    tasks: Vec<JoinHandle<()>>,
    /// Held for the platform's life; `None` for an in-memory database.
    serve_lock: Option<ServeLock>,
}

impl Platform {
    /// Opens the store, starts every task and listens on `settings.listen` (port 0 picks one).
    pub async fn start(settings: Settings) -> Result<Self, StartError> {
        let graph = MetaGraph::new(&settings)?;
        Self::start_with_graph(settings, Arc::new(graph)).await
    }

    /// Like [`Platform::start`] with another Graph implementation.
    pub async fn start_with_graph(
        settings: Settings,
        graph: Arc<dyn Graph>,
    ) -> Result<Self, StartError> {
        let settings = Arc::new(settings);
        let serve_lock = ServeLock::acquire(&settings.database_url)?;
        let store = Store::open(&settings.database_url).await?;
        let (stop, shutdown) = watch::channel(false);
        let (processed_tx, processed) = watch::channel(0u64);
        let mut tasks = Vec::new();

        let ring_timing =
            crate::config::ring_timing(&settings.timers).map_err(StartError::Timers)?;
        let (switchboard, handle, commands) =
            Switchboard::new(store.clone(), graph, settings.clone(), ring_timing);
        let heartbeat = switchboard.heartbeat();
        tasks.push(tokio::spawn(switchboard.run(commands, shutdown.clone())));
        tasks.push(tokio::spawn(crate::switchboard::revocation::sweep(
            store.clone(),
            handle.clone(),
            settings.revocation_check,
            shutdown.clone(),
        )));

        let wake = Arc::new(Notify::new());
        if settings.process_inbox {
            tasks.push(tokio::spawn(crate::inbox::run(
                store.clone(),
                handle.clone(),
                wake.clone(),
                processed_tx,
                shutdown.clone(),
            )));
        } else {
            tracing::warn!("inbox processing is off: webhooks are stored, not applied");
        }

        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: settings.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: settings.listen,
            source,
        })?;
        let app = router(AppState {
            store: store.clone(),
            settings: settings.clone(),
            switchboard: handle,
            inbox_wake: wake,
            shutdown: shutdown.clone(),
            connection_ids: Arc::new(AtomicU64::new(1)),
            heartbeat,
        });
        let mut http_shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let stopped = async move { stopped(&mut http_shutdown).await };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(%error, "HTTP server failed");
            }
        }));
        tracing::info!(%addr, "ringdesk-platform listening");
        Ok(Self {
            addr,
            store,
            stop,
            processed,
            tasks,
            serve_lock,
        })
    }

    /// The address the HTTP server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The store (for tests and the CLI).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits until this run has processed at least `count` inbox bodies.
    pub async fn processed(&self, count: u64) {
        let mut processed = self.processed.clone();
        let _ = processed.wait_for(|done| *done >= count).await;
    }

    /// Stops every task, waits for them, closes the database, then releases the database lock
    /// (so a server started after this returns finds it free).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.store.close().await;
        drop(self.serve_lock);
    }
}
