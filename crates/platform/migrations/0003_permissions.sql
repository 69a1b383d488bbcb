-- The inputs of the call-permission ledger of each business number + customer pair
-- (src/permissions): permission replies, permission requests sent, connected calls and
-- unanswered business-initiated calls. Read back oldest first and replayed into a
-- PermissionLedger; nothing here expires or counts by itself. The customer's last message or
-- call is conversations.last_inbound_at, not repeated here.
CREATE TABLE permission_events (
    -- Meta's message id for a reply (deduplicates Meta's retries), `<call id>:<kind>` for an
    -- event of a call, so applying a webhook twice stores each fact once.
    id               TEXT PRIMARY KEY,
    phone_number_id  TEXT NOT NULL,
    customer_number  TEXT NOT NULL,
    -- accepted_temporary, accepted_permanent, rejected, callback_granted, revoked,
    -- request_sent, business_call_unanswered, call_connected, customer_messaged,
    -- customer_called.
    kind             TEXT NOT NULL,
    at               BIGINT NOT NULL,
    -- A temporary grant's expiry as Meta sent it; null for the standard lifetime.
    expires_at       BIGINT,
    -- call_connected only: inbound or outbound.
    direction        TEXT,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX permission_events_pair ON permission_events (phone_number_id, customer_number, at);
