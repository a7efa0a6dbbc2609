-- API tokens: long-lived secrets that let machine clients act for a user
-- through the JSON API, limited to the actions in scopes. The token itself
-- is never stored: hash is the lower-case hexadecimal SHA-256 of it
-- (account.HashToken), which is what a request is looked up by. scopes is
-- a comma-separated list of account actions. Times are fixed-width UTC
-- text; last_used_at, expires_at and revoked_at are NULL until they apply.

CREATE TABLE api_token (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE INDEX api_token_by_user ON api_token (user_id, created_at);
