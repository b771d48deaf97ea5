-- The audit log (issue 19): who did what, when, from where. Append-only: an update is refused;
-- entries are dropped only after the organisation's retention period.
ALTER TABLE organisations ADD COLUMN audit_retention_days INTEGER NOT NULL DEFAULT 365;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor       TEXT,
    address     TEXT,
    action      TEXT NOT NULL,
    object      TEXT,
    status      INTEGER NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_at ON audit_log (org_id, at);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
