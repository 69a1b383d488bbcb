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

/// One of the platform's long-lived tasks, boxed so each kind fits one spawner.
type CriticalTask = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

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
    #[error(transparent)]
    Tls(#[from] crate::http::tls::TlsSetupError),
    #[error("cannot use {} for call recordings: {source}", dir.display())]
    Recordings {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
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
    /// The first critical task that ended before stop (see [`crate::supervise`]).
    died: watch::Receiver<Option<&'static str>>,
    /// Each critical task by name, to kill one in tests.
    aborts: Vec<(&'static str, tokio::task::AbortHandle)>,
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
        mut settings: Settings,
        graph: Arc<dyn Graph>,
    ) -> Result<Self, StartError> {
        // Unusable TLS files are refused before anything starts.
        let tls = settings
            .tls
            .as_ref()
            .map(crate::http::tls::server_config)
            .transpose()?;
        let serve_lock = ServeLock::acquire(&settings.database_url)?;
        let store = Store::open(&settings.database_url).await?;
        // The numbers as the database holds them (the file seeds them; admins change them).
        settings.numbers = store.seed_numbers(&settings.numbers).await?;
        let settings = Arc::new(settings);
        let (stop, shutdown) = watch::channel(false);
        let (processed_tx, processed) = watch::channel(0u64);
        let mut tasks = Vec::new();
        let mut aborts = Vec::new();
        let (died_tx, died) = watch::channel(None);
        let mut critical = |name: &'static str, task: CriticalTask| {
            let (watcher, abort) =
                crate::supervise::critical(name, task, shutdown.clone(), died_tx.clone());
            aborts.push((name, abort));
            watcher
        };

        let ring_timing =
            crate::config::ring_timing(&settings.timers).map_err(StartError::Timers)?;
        let (switchboard, handle, commands) =
            Switchboard::new(store.clone(), graph.clone(), settings.clone(), ring_timing);
        let heartbeat = switchboard.heartbeat();
        tasks.push(critical(
            "switchboard",
            Box::pin(switchboard.run(commands, shutdown.clone())),
        ));
        tasks.push(critical(
            "revocation sweep",
            Box::pin(crate::switchboard::revocation::sweep(
                store.clone(),
                handle.clone(),
                settings.revocation_check,
                shutdown.clone(),
            )),
        ));

        let wake = Arc::new(Notify::new());
        if settings.process_inbox {
            tasks.push(critical(
                "inbox",
                Box::pin(crate::inbox::run(
                    store.clone(),
                    handle.clone(),
                    wake.clone(),
                    processed_tx,
                    shutdown.clone(),
                )),
            ));
        } else {
            tracing::warn!("inbox processing is off: webhooks are stored, not applied");
        }

        let recordings =
            crate::recordings::Directory::open(&settings.recordings_dir).map_err(|source| {
                StartError::Recordings {
                    dir: settings.recordings_dir.clone(),
                    source,
                }
            })?;
        let recordings: Arc<dyn crate::recordings::RecordingStore> = Arc::new(recordings);
        tasks.push(critical(
            "recording retention",
            Box::pin(crate::recordings::retention::sweep(
                store.clone(),
                recordings.clone(),
                shutdown.clone(),
            )),
        ));
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
            recordings,
            graph,
            number_changes: Arc::new(tokio::sync::Mutex::new(())),
        });
        let mut http_shutdown = shutdown.clone();
        let stopped = async move { stopped(&mut http_shutdown).await };
        let serving: CriticalTask = match tls {
            Some(config) => {
                let listener = crate::http::tls::TlsListener::new(listener, config)
                    .map_err(|source| StartError::Listen { addr, source })?;
                Box::pin(async move {
                    let served = axum::serve(listener, app).with_graceful_shutdown(stopped);
                    if let Err(error) = served.await {
                        tracing::error!(%error, "HTTPS server failed");
                    }
                })
            }
            None => Box::pin(async move {
                let served = axum::serve(listener, app).with_graceful_shutdown(stopped);
                if let Err(error) = served.await {
                    tracing::error!(%error, "HTTP server failed");
                }
            }),
        };
        tasks.push(critical("HTTP server", serving));
        let scheme = if settings.tls.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::info!(%addr, scheme, "ringdesk-platform listening");
        Ok(Self {
            addr,
            store,
            stop,
            processed,
            tasks,
            died,
            aborts,
            serve_lock,
        })
    }

    /// Resolves with the name of the first critical task (switchboard, inbox, revocation
    /// sweep, HTTP server) that ended before [`Platform::shutdown`]; `serve` then exits with an
    /// error so its service manager restarts it. Never resolves while all is well.
    pub async fn failed(&self) -> &'static str {
        let mut died = self.died.clone();
        let name = match died.wait_for(Option::is_some).await {
            Ok(name) => *name,
            Err(_) => None,
        };
        match name {
            Some(name) => name,
            // The sender lives in the tasks' watchers; gone means stopped, never died.
            None => std::future::pending().await,
        }
    }

    /// Kills the critical task `name` (a test seam for [`Platform::failed`]).
    #[doc(hidden)]
    pub fn kill_task_for_test(&self, name: &str) {
        for (task, abort) in &self.aborts {
            if *task == name {
                abort.abort();
            }
        }
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
