-- The Open Referral HSDS 3.0 directory: one table per HSDS object, one column
-- per scalar field, ids are UUIDs held as text. Foreign keys are deferred to
-- commit so that an import may write its tables in any order inside one
-- transaction; the import validates references first and reports them by name.

CREATE TABLE taxonomy (
    id TEXT PRIMARY KEY,
    name TEXT,
    description TEXT,
    uri TEXT,
    version TEXT
);

CREATE TABLE taxonomy_term (
    id TEXT PRIMARY KEY,
    code TEXT,
    name TEXT,
    description TEXT,
    parent_id TEXT REFERENCES taxonomy_term (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    taxonomy TEXT,
    language TEXT,
    taxonomy_id TEXT REFERENCES taxonomy (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    term_uri TEXT
);

CREATE TABLE organization (
    id TEXT PRIMARY KEY,
    name TEXT,
    alternate_name TEXT,
    description TEXT,
    email TEXT,
    website TEXT,
    tax_status TEXT,
    tax_id TEXT,
    year_incorporated DOUBLE PRECISION,
    legal_status TEXT,
    logo TEXT,
    uri TEXT,
    parent_organization_id TEXT REFERENCES organization (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE organization_identifier (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    identifier_scheme TEXT,
    identifier_type TEXT,
    identifier TEXT
);

CREATE TABLE program (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    alternate_name TEXT,
    description TEXT
);

CREATE TABLE service (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organization (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    program_id TEXT REFERENCES program (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    alternate_name TEXT,
    description TEXT,
    url TEXT,
    email TEXT,
    status TEXT,
    interpretation_services TEXT,
    application_process TEXT,
    fees_description TEXT,
    wait_time TEXT,
    fees TEXT,
    accreditations TEXT,
    eligibility_description TEXT,
    minimum_age DOUBLE PRECISION,
    maximum_age DOUBLE PRECISION,
    assured_date TEXT,
    assurer_email TEXT,
    licenses TEXT,
    alert TEXT,
    last_modified TEXT
);

CREATE TABLE location (
    id TEXT PRIMARY KEY,
    location_type TEXT,
    url TEXT,
    organization_id TEXT REFERENCES organization (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    alternate_name TEXT,
    description TEXT,
    transportation TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    external_identifier TEXT,
    external_identifier_type TEXT
);

CREATE TABLE service_at_location (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    description TEXT
);

CREATE TABLE address (
    id TEXT PRIMARY KEY,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    attention TEXT,
    address_1 TEXT,
    address_2 TEXT,
    city TEXT,
    region TEXT,
    state_province TEXT,
    postal_code TEXT,
    country TEXT,
    address_type TEXT
);

CREATE TABLE contact (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_at_location_id TEXT REFERENCES service_at_location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    title TEXT,
    department TEXT,
    email TEXT
);

CREATE TABLE phone (
    id TEXT PRIMARY KEY,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    organization_id TEXT REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    contact_id TEXT REFERENCES contact (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_at_location_id TEXT REFERENCES service_at_location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    number TEXT,
    extension DOUBLE PRECISION,
    type TEXT,
    description TEXT
);

CREATE TABLE schedule (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_at_location_id TEXT REFERENCES service_at_location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    valid_from TEXT,
    valid_to TEXT,
    dtstart TEXT,
    timezone DOUBLE PRECISION,
    until TEXT,
    count DOUBLE PRECISION,
    wkst TEXT,
    freq TEXT,
    interval DOUBLE PRECISION,
    byday TEXT,
    byweekno TEXT,
    bymonthday TEXT,
    byyearday TEXT,
    description TEXT,
    opens_at TEXT,
    closes_at TEXT,
    schedule_link TEXT,
    attending_type TEXT,
    notes TEXT
);

CREATE TABLE service_area (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    description TEXT,
    extent TEXT,
    extent_type TEXT,
    uri TEXT
);

CREATE TABLE language (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    phone_id TEXT REFERENCES phone (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    code TEXT,
    note TEXT
);

CREATE TABLE accessibility (
    id TEXT PRIMARY KEY,
    location_id TEXT REFERENCES location (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    description TEXT,
    details TEXT,
    url TEXT
);

CREATE TABLE cost_option (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    valid_from TEXT,
    valid_to TEXT,
    option TEXT,
    currency TEXT,
    amount DOUBLE PRECISION,
    amount_description TEXT
);

CREATE TABLE funding (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    source TEXT
);

CREATE TABLE required_document (
    id TEXT PRIMARY KEY,
    service_id TEXT REFERENCES service (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    document TEXT,
    uri TEXT
);

CREATE TABLE attribute (
    id TEXT PRIMARY KEY,
    link_id TEXT,
    taxonomy_term_id TEXT REFERENCES taxonomy_term (id) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    link_type TEXT,
    link_entity TEXT,
    value TEXT
);

CREATE TABLE metadata (
    id TEXT PRIMARY KEY,
    resource_id TEXT,
    resource_type TEXT,
    last_action_date TEXT,
    last_action_type TEXT,
    field_name TEXT,
    previous_value TEXT,
    replacement_value TEXT,
    updated_by TEXT
);

CREATE INDEX attribute_link_id_idx ON attribute (link_id);
CREATE INDEX metadata_resource_id_idx ON metadata (resource_id);
CREATE INDEX taxonomy_term_parent_id_idx ON taxonomy_term (parent_id);
CREATE INDEX taxonomy_term_taxonomy_id_idx ON taxonomy_term (taxonomy_id);
CREATE INDEX organization_parent_organization_id_idx ON organization (parent_organization_id);
CREATE INDEX organization_identifier_organization_id_idx ON organization_identifier (organization_id);
CREATE INDEX program_organization_id_idx ON program (organization_id);
CREATE INDEX service_organization_id_idx ON service (organization_id);
CREATE INDEX service_program_id_idx ON service (program_id);
CREATE INDEX location_organization_id_idx ON location (organization_id);
CREATE INDEX service_at_location_service_id_idx ON service_at_location (service_id);
CREATE INDEX service_at_location_location_id_idx ON service_at_location (location_id);
CREATE INDEX address_location_id_idx ON address (location_id);
CREATE INDEX contact_organization_id_idx ON contact (organization_id);
CREATE INDEX contact_service_id_idx ON contact (service_id);
CREATE INDEX contact_service_at_location_id_idx ON contact (service_at_location_id);
CREATE INDEX contact_location_id_idx ON contact (location_id);
CREATE INDEX phone_location_id_idx ON phone (location_id);
CREATE INDEX phone_service_id_idx ON phone (service_id);
CREATE INDEX phone_organization_id_idx ON phone (organization_id);
CREATE INDEX phone_contact_id_idx ON phone (contact_id);
CREATE INDEX phone_service_at_location_id_idx ON phone (service_at_location_id);
CREATE INDEX schedule_service_id_idx ON schedule (service_id);
CREATE INDEX schedule_location_id_idx ON schedule (location_id);
CREATE INDEX schedule_service_at_location_id_idx ON schedule (service_at_location_id);
CREATE INDEX service_area_service_id_idx ON service_area (service_id);
CREATE INDEX language_service_id_idx ON language (service_id);
CREATE INDEX language_location_id_idx ON language (location_id);
CREATE INDEX language_phone_id_idx ON language (phone_id);
CREATE INDEX accessibility_location_id_idx ON accessibility (location_id);
CREATE INDEX cost_option_service_id_idx ON cost_option (service_id);
CREATE INDEX funding_organization_id_idx ON funding (organization_id);
CREATE INDEX funding_service_id_idx ON funding (service_id);
CREATE INDEX required_document_service_id_idx ON required_document (service_id);
CREATE INDEX attribute_taxonomy_term_id_idx ON attribute (taxonomy_term_id);

-- One row per run of an import, so an operator can see what came from where.
CREATE TABLE import_run (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    unchanged INTEGER NOT NULL
);
