-- Accounts: organisations whose staff sign in, users, their secrets and
-- memberships, sign-in sessions, and the hash-chained audit log. Ids are
-- UUIDs held as text; times are fixed-width UTC text; audit hashes are
-- lower-case hexadecimal text, so both engines store and compare them alike.

CREATE TABLE organisation (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    hsds_organization_id TEXT,
    trusted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE UNIQUE INDEX organisation_name ON organisation (name);

-- email is stored lower-cased (account.NormalizeEmail), so the unique index
-- stops one person holding two accounts by changing case.
CREATE TABLE app_user (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

-- recovery_hashes holds the unused recovery-code hashes as comma-separated
-- hexadecimal.
CREATE TABLE credential (
    user_id TEXT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL DEFAULT '',
    totp_secret TEXT NOT NULL DEFAULT '',
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    recovery_hashes TEXT NOT NULL DEFAULT '',
    failed_count INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

CREATE TABLE membership (
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

CREATE INDEX membership_org ON membership (org_id);

-- id is the SHA-256 of the session token (hexadecimal); the token itself
-- is never stored.
CREATE TABLE session (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX session_by_user ON session (user_id);

-- The audit log (package audit). Rows are only ever appended: the trigger
-- below refuses to change or delete one.
CREATE TABLE audit_event (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_role TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    record_type TEXT NOT NULL DEFAULT '',
    record_id TEXT NOT NULL DEFAULT '',
    org_id TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX audit_event_action ON audit_event (action, seq);
CREATE INDEX audit_event_actor ON audit_event (actor_id, seq);
CREATE INDEX audit_event_record ON audit_event (record_id, seq);

CREATE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
