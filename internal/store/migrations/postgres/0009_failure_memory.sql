-- When the last failed sign-in was, so that failures long past are
-- forgotten rather than counting toward a lock-out months later.
ALTER TABLE credential ADD COLUMN last_failed_at TEXT;
