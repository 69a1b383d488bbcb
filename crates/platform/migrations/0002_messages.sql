-- Messages of a conversation, for the inbox. Meta's message id (wamid) deduplicates retries.
CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations (id),
    direction        TEXT NOT NULL,
    sent_at          BIGINT NOT NULL,
    -- `text`, or `other` with a one-line summary in body.
    kind             TEXT NOT NULL,
    body             TEXT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, sent_at);
