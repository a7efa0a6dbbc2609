-- Provider self-service (package listing): changes to directory listings
-- awaiting review or already decided, the link from each metadata row a
-- published change or an assurance wrote to the service it belongs to, and
-- subscriptions to the weekly digest of new and changed services. Ids are
-- UUIDs held as text; times are fixed-width UTC text.

-- draft holds the proposed records (listing.Draft as JSON) and diff what
-- they change (a JSON array of listing.FieldChange). base is the
-- fingerprint of the stored listing the draft was made from.
CREATE TABLE listing_change (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisation (id),
    hsds_organization_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('update', 'create')),
    base TEXT NOT NULL DEFAULT '',
    draft TEXT NOT NULL,
    diff TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'published', 'withdrawn')),
    submitted_by TEXT NOT NULL REFERENCES app_user (id),
    submitted_at TEXT NOT NULL,
    reviewed_by TEXT REFERENCES app_user (id),
    reviewed_at TEXT,
    review_note TEXT NOT NULL DEFAULT ''
);

CREATE INDEX listing_change_status ON listing_change (status, submitted_at);
CREATE INDEX listing_change_org ON listing_change (org_id, submitted_at);
CREATE INDEX listing_change_service ON listing_change (service_id, submitted_at);

-- One change per service may await review at a time.
CREATE UNIQUE INDEX listing_change_one_pending ON listing_change (service_id) WHERE status = 'pending';

-- HSDS metadata rows name only the record they describe; a phone or a
-- schedule that was later deleted can no longer be traced to its service.
-- This table keeps that link for the rows listing changes and assurances
-- write, so a service's history can be read back whole.
CREATE TABLE listing_metadata (
    metadata_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    change_id TEXT REFERENCES listing_change (id)
);

CREATE INDEX listing_metadata_service ON listing_metadata (service_id);

CREATE TABLE subscription (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL DEFAULT '',
    service_type_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (user_id, area_code, service_type_id)
);

-- When each subscriber was last sent a digest.
CREATE TABLE digest_state (
    user_id TEXT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    last_digest_at TEXT NOT NULL
);
