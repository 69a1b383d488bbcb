-- Ringdesk platform schema. Portable SQL (SQLite and PostgreSQL): text ids chosen by the
-- application, BIGINT unix milliseconds for times, ON CONFLICT upserts, no AUTOINCREMENT.

CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    team        TEXT,
    -- sha256 of the agent's bearer token, lower-case hex. The token itself is never stored.
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Raw verified webhook bodies, written before Meta gets its 200 (docs/adr/0008-platform.md).
CREATE TABLE webhook_inbox (
    id            TEXT PRIMARY KEY,
    received_at   BIGINT NOT NULL,
    body          TEXT NOT NULL,
    processed_at  BIGINT,
    -- Why processing gave up on this body, if it did (the row is still marked processed).
    error         TEXT
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox (processed_at, received_at);

-- One row per (call, event) ever seen: deduplicates Meta's retries and remembers a terminate
-- that arrived before its connect (the tombstone).
CREATE TABLE call_events (
    call_id      TEXT NOT NULL,
    event        TEXT NOT NULL,
    event_time   BIGINT,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (call_id, event)
);

CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    direction        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    phone_number_id  TEXT NOT NULL,
    business_number  TEXT NOT NULL,
    customer_number  TEXT NOT NULL,
    customer_name    TEXT,
    status           TEXT NOT NULL,
    ended_by         TEXT,
    answered_by      TEXT REFERENCES agents (id),
    offered_at       BIGINT NOT NULL,
    answered_at      BIGINT,
    ended_at         BIGINT,
    duration_secs    BIGINT,
    meta_error_code  BIGINT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX calls_offered_at ON calls (offered_at);

CREATE TABLE call_rings (
    call_id         TEXT NOT NULL REFERENCES calls (id),
    seq             BIGINT NOT NULL,
    agent_id        TEXT NOT NULL REFERENCES agents (id),
    routed_because  TEXT NOT NULL,
    rung_at         BIGINT NOT NULL,
    ended_at        BIGINT,
    outcome         TEXT NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX call_rings_agent ON call_rings (agent_id);

CREATE TABLE conversations (
    id                 TEXT PRIMARY KEY,
    phone_number_id    TEXT NOT NULL,
    customer_number    TEXT NOT NULL,
    customer_name      TEXT,
    last_inbound_at    BIGINT,
    assigned_agent_id  TEXT REFERENCES agents (id),
    updated_at         BIGINT NOT NULL,
    UNIQUE (phone_number_id, customer_number)
);

-- The agent who owns a customer's contact, across business numbers.
CREATE TABLE contact_owners (
    customer_number  TEXT PRIMARY KEY,
    agent_id         TEXT NOT NULL REFERENCES agents (id),
    updated_at       BIGINT NOT NULL
);
