//! Delivers webhooks to the business's URL the way Meta does: signed, one POST per event, retried
//! on a non-2xx answer or a timeout, possibly duplicated or late (quirks).
//!
//! Deliveries leave in the order they were queued; a retrying delivery holds back the ones behind
//! it (Meta gives no ordering guarantee, so the business must not rely on it either way).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub url: String,
    pub app_secret: String,
    /// Meta gives up on a webhook request after about 20 s.
    pub timeout: Duration,
    /// Total tries per webhook, the first included.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles for each further retry.
    pub retry_base: Duration,
    /// Extra CA certificates (PEM) to trust for an https:// webhook URL, besides the system's
    /// (a test CA; Meta itself trusts only public CAs).
    pub webhook_ca: Option<std::path::PathBuf>,
}

/// The HTTP client webhooks are posted with: `timeout` per request, plus the extra CA if any.
pub fn webhook_client(
    timeout: Duration,
    extra_ca: Option<&std::path::Path>,
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder().timeout(timeout);
    if let Some(path) = extra_ca {
        let pem =
            std::fs::read(path).map_err(|e| format!("webhook CA file {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("webhook CA file {}: {e}", path.display()))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Misbehaviour on demand, as Meta shows it in production.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Quirks {
    /// Deliver every webhook twice.
    pub duplicate_webhooks: bool,
    /// Deliver a user-initiated call's terminate before its connect when the caller hangs up
    /// before the connect went out (applied by the server when it queues events).
    pub terminate_before_connect: bool,
    /// Wait this long before each delivery.
    pub slow_webhook_ms: u64,
}

/// What happened to one webhook.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub seq: u64,
    pub field: String,
    pub call_id: Option<String>,
    /// One entry per try: the HTTP status, or the transport error.
    pub attempts: Vec<String>,
    pub delivered: bool,
}

/// How many delivery records are kept; the older half is dropped when full.
const MAX_LOG_RECORDS: usize = 20_000;

/// Recent deliveries, newest last (read by the control API).
pub type DeliveryLog = Arc<Mutex<Vec<DeliveryRecord>>>;

struct Job {
    seq: u64,
    body: Vec<u8>,
    field: String,
    call_id: Option<String>,
}

/// Queue of outgoing webhooks with its delivery task.
#[derive(Clone)]
pub struct WebhookSender {
    queue: mpsc::UnboundedSender<Job>,
    log: DeliveryLog,
    quirks: Arc<Mutex<Quirks>>,
    next_seq: Arc<Mutex<u64>>,
}

impl WebhookSender {
    /// Starts the delivery task on the current tokio runtime.
    pub fn spawn(config: DeliveryConfig, quirks: Arc<Mutex<Quirks>>) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        let log: DeliveryLog = Arc::default();
        tokio::spawn(deliver_all(config, jobs, log.clone(), quirks.clone()));
        Self {
            queue,
            log,
            quirks,
            next_seq: Arc::default(),
        }
    }

    /// Queues one webhook body.
    pub fn send(&self, body: &Value, field: &str, call_id: Option<&str>) {
        let seq = {
            let mut next = self.next_seq.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let job = Job {
            seq,
            body: body.to_string().into_bytes(),
            field: field.to_owned(),
            call_id: call_id.map(str::to_owned),
        };
        if self.queue.send(job).is_err() {
            tracing::warn!("webhook delivery task has stopped; webhook {seq} dropped");
        }
    }

    pub fn log(&self) -> DeliveryLog {
        self.log.clone()
    }

    pub fn quirks(&self) -> Quirks {
        self.quirks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn deliver_all(
    config: DeliveryConfig,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    log: DeliveryLog,
    quirks: Arc<Mutex<Quirks>>,
) {
    let client = match webhook_client(config.timeout, config.webhook_ca.as_deref()) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the webhook HTTP client; no webhooks will be delivered");
            return;
        }
    };
    while let Some(job) = jobs.recv().await {
        let current = quirks.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let copies = if current.duplicate_webhooks { 2 } else { 1 };
        for _ in 0..copies {
            if current.slow_webhook_ms > 0 {
                tokio::time::sleep(Duration::from_millis(current.slow_webhook_ms)).await;
            }
            deliver_one(&client, &config, &job, &log).await;
        }
    }
}

async fn deliver_one(
    client: &reqwest::Client,
    config: &DeliveryConfig,
    job: &Job,
    log: &DeliveryLog,
) {
    let signature = match whatsapp::sign_body(config.app_secret.as_bytes(), &job.body) {
        Ok(signature) => signature,
        Err(error) => {
            tracing::error!(%error, seq = job.seq, "cannot sign webhook; not delivered");
            return;
        }
    };
    let index = {
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: a long demo must not grow the log forever.
        if log.len() >= MAX_LOG_RECORDS {
            log.drain(..MAX_LOG_RECORDS / 2);
        }
        log.push(DeliveryRecord {
            seq: job.seq,
            field: job.field.clone(),
            call_id: job.call_id.clone(),
            attempts: Vec::new(),
            delivered: false,
        });
        log.len() - 1
    };
    let mut backoff = config.retry_base;
    for attempt in 1..=config.max_attempts.max(1) {
        let result = client
            .post(&config.url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &signature)
            .body(job.body.clone())
            .send()
            .await;
        let (outcome, ok) = match result {
            Ok(response) => (
                response.status().as_u16().to_string(),
                response.status().is_success(),
            ),
            Err(error) if error.is_timeout() => ("timeout".to_owned(), false),
            Err(error) => (format!("error: {error}"), false),
        };
        {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(record) = log.get_mut(index) {
                record.attempts.push(outcome.clone());
                record.delivered = ok;
            }
        }
        if ok {
            return;
        }
        tracing::warn!(seq = job.seq, attempt, %outcome, "webhook delivery failed");
        if attempt < config.max_attempts {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }
}
