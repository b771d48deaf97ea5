-- Diagnosing the company (issue 22): readiness assessments and their answers, service
-- standards, promises, maturity thresholds, studies and analytical templates. Each is kept as the
-- JSON of the API under its kind; an answer sits under its assessment (parent_id) and goes with it.
CREATE TABLE diagnosis_documents (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES diagnosis_documents (id) ON DELETE CASCADE,
    document    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX diagnosis_documents_kind ON diagnosis_documents (org_id, kind, id);
CREATE INDEX diagnosis_documents_parent ON diagnosis_documents (parent_id);
