//! Serving HTTPS and WSS: the platform's own TLS, for deployments without a terminator in
//! front (`[tls]` in the config). With it, axum serves exactly as over plain TCP.
//!
//! [`TlsListener`] is an [`axum::serve::Listener`] whose `accept` yields connections that have
//! already finished their handshake. Handshakes run on their own tasks, each bounded by
//! [`HANDSHAKE_TIMEOUT`] and at most [`MAX_HANDSHAKES`] at once, so a client that opens a TCP
//! connection and never speaks (or speaks slowly) holds neither the accept loop nor other
//! clients up; a failed handshake is logged at debug level and dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// Bound on one client's TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's backlog.
pub const MAX_HANDSHAKES: usize = 512;

/// Why the TLS files cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("TLS certificate file {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("TLS private key file {path}: {reason}")]
    PrivateKey { path: String, reason: String },
    #[error("the TLS certificate and private key do not go together: {0}")]
    Mismatch(String),
}

/// The rustls server configuration for `files` (HTTP/1.1 only: WebSocket upgrades need it).
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
    let certs = read_certificates(&files.certificate)?;
    let key = read_key(&files.private_key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsSetupError::Mismatch(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let refuse = |reason: String| TlsSetupError::Certificate {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refuse(format!("is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(refuse("holds no CERTIFICATE block".into()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let refuse = |reason: String| TlsSetupError::PrivateKey {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| refuse(format!("holds no usable private key ({e})")))
}

/// A listener that hands axum connections whose TLS handshake is done.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    /// Ends the accept task when the listener is dropped.
    _accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let accepting = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(Self {
            local,
            ready,
            _accepting: accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self._accepting.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // EMFILE and friends: back off briefly instead of spinning (as axum does).
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            let _slot = slot;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept task only ends with the runtime: wait for shutdown.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_files_say_which_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let files = |cert: &str, key: &str| TlsFiles {
            certificate: dir.path().join(cert),
            private_key: dir.path().join(key),
        };
        let err = server_config(&files("none.pem", "none.key"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("certificate file") && err.contains("cannot be read"),
            "{err}"
        );

        std::fs::write(dir.path().join("text.pem"), "not a certificate\n").unwrap();
        let err = server_config(&files("text.pem", "none.key"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no CERTIFICATE"), "{err}");
    }
}
