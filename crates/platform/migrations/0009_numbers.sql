-- Business numbers' settings, kept here so admins change them through the API without a
-- restart. The settings file seeds them (`store::numbers::seed_numbers`).

CREATE TABLE numbers (
    phone_number_id TEXT PRIMARY KEY,
    -- JSON: `config::NumberSettings`.
    settings TEXT NOT NULL,
    -- `file`: as the settings file says (a changed file updates it at the next start);
    -- `api`: changed by an admin since, and no longer taken from the file.
    source TEXT NOT NULL CHECK (source IN ('file', 'api')),
    -- Unix ms.
    updated_at INTEGER NOT NULL
);
