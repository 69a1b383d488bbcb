-- Call recordings uploaded by the agents' apps (bytes in the recording store, by call id):
-- who uploaded them, their SHA-256 (an upload is idempotent by call and checksum) and size.
CREATE TABLE recordings (
    call_id TEXT PRIMARY KEY REFERENCES calls (id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES agents (id),
    stored_at INTEGER NOT NULL
);
