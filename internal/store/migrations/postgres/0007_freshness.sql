-- Keeping listings fresh: when the owners of a stale listing were last
-- reminded to confirm it, so that the reminder job, however often it runs
-- and on however many servers, reminds them at most once a period. Times
-- are fixed-width UTC text, as elsewhere.

-- One row per service that has been reminded about: the last reminder's
-- time, and the account organisation reminded.
CREATE TABLE listing_reminder (
    service_id TEXT PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    org_id TEXT NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    sent_at TEXT NOT NULL
);
