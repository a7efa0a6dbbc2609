-- Tell listening servers when the directory changes. Every change to the
-- directory commits with a new import_run row (DirectoryVersion is its
-- largest id), so one statement-level trigger there covers imports, approved
-- listing changes and assurances alike. NOTIFY is delivered on commit, and
-- not at all if the transaction rolls back.

CREATE FUNCTION throughcare_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('throughcare_directory', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER import_run_notify AFTER INSERT ON import_run
    FOR EACH STATEMENT EXECUTE FUNCTION throughcare_directory_changed();
