-- Administration: teams as entities, token expiry and last use, and the audit log of every
-- administrative write (who, when, what).

CREATE TABLE teams (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- The teams agents already name (free text until now) become entities.
INSERT INTO teams (name, created_at)
    SELECT DISTINCT team, 0 FROM agents WHERE team IS NOT NULL;

-- Unix ms after which the agent's token authenticates nothing; NULL: it does not expire.
ALTER TABLE agents ADD COLUMN token_expires_at INTEGER;
-- Unix ms of the last rotation: sockets signed in before it used the old token.
ALTER TABLE agents ADD COLUMN token_changed_at INTEGER;
-- Unix ms of the token's last successful use (to the minute: see `store::agents`).
ALTER TABLE agents ADD COLUMN last_used_at INTEGER;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    -- The agent who did it; NULL for the command line on the platform's host.
    actor_id TEXT REFERENCES agents (id),
    actor_name TEXT NOT NULL,
    -- e.g. `agent.create`, `agent.rotate_token`, `team.delete`, `number.update`.
    action TEXT NOT NULL,
    -- What it was done to: an agent id, a team name, a phone_number_id.
    target TEXT NOT NULL,
    -- JSON: the change (never a token).
    detail TEXT NOT NULL
);
