-- Who placed a business-initiated call. An outbound call the customer declined or never
-- picked up has no `answered_by` and no rings, yet it is the placing agent's call: their
-- history shows it, and so does their supervisor's team view. NULL for inbound calls.
ALTER TABLE calls ADD COLUMN placed_by TEXT REFERENCES agents (id);
