-- History views (docs/adr/0017-history-paging-and-csv.md).
-- The agent who asked for a call permission: a permission request is that agent's, their
-- supervisor's team view shows it. NULL for other facts and for requests stored before this
-- migration (only admins see those).
ALTER TABLE permission_events ADD COLUMN agent_id TEXT REFERENCES agents (id);
CREATE INDEX permission_events_requests ON permission_events (kind, at);
-- The involvement conditions of the role scopes and of the agent filter.
CREATE INDEX calls_answered_by ON calls (answered_by);
CREATE INDEX calls_placed_by ON calls (placed_by);
CREATE INDEX calls_phone_number_id ON calls (phone_number_id, offered_at);
