-- Issue 16: the roster pulled from the clinic's FHIR server (schema version 13).

-- A patient the FHIR server manages: 'active', 'inactive' (active: false or
-- deceased) or 'deleted' (gone from the server). Inactive and deleted
-- patients are not texted or called. NULL for patients the server does not
-- manage (CSV, staff, the file import).
ALTER TABLE patients ADD COLUMN fhir_status TEXT CHECK (fhir_status IN ('active', 'inactive', 'deleted'));

-- Every Patient and RelatedPerson the server sent, as the roster reads it:
-- the version seen (meta.versionId, else meta.lastUpdated, else a digest of
-- the resource), so a resource read again in the overlap of an incremental
-- pull changes nothing; the Patient it belongs to; and the mapped record
-- (rules::fhir::roster, JSON), from which a patient's numbers are made
-- again whenever their Patient or one of their RelatedPersons changes.
CREATE TABLE fhir_resources (
    type         TEXT NOT NULL CHECK (type IN ('Patient', 'RelatedPerson')),
    id           TEXT NOT NULL,
    version      TEXT NOT NULL,
    last_updated TEXT,
    patient      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('active', 'inactive', 'deleted')),
    record       TEXT,
    seen_at      TEXT NOT NULL,
    PRIMARY KEY (type, id)
) STRICT;
CREATE INDEX fhir_resources_patient ON fhir_resources(patient);

-- The pull's own state: the _lastUpdated cursor of each type, the server
-- it was pulled from, the last pull and its report.
CREATE TABLE fhir_sync (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
