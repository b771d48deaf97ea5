-- Cases that close the loop (issue 7), and what happened on each: notes, contacts with the
-- customer, changes. due_at = opened_at + the priority's SLA. Alert rules on single records
-- open cases at ingest; a rule opens at most one case per record.
CREATE TABLE alert_rules (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    name          TEXT NOT NULL,
    enabled       INTEGER NOT NULL,
    definition    TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    title         TEXT NOT NULL,
    description   TEXT,
    status        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    team          TEXT,
    owner         TEXT,
    customer_id   INTEGER REFERENCES customers (id),
    touchpoint_id INTEGER REFERENCES touchpoints (id),
    feedback_id   INTEGER REFERENCES feedback (id),
    opened_at     INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    resolved_at   INTEGER,
    closed_at     INTEGER,
    root_cause    TEXT,
    resolution    TEXT,
    contacts      INTEGER NOT NULL DEFAULT 0,
    rule_id       INTEGER REFERENCES alert_rules (id),
    -- The survey (its key) the customer is invited to when the case is resolved, and the invitation.
    follow_up_survey        TEXT,
    follow_up_invitation_id INTEGER REFERENCES survey_invitations (id)
);
CREATE UNIQUE INDEX cases_rule_record ON cases (org_id, rule_id, feedback_id);
CREATE INDEX cases_open ON cases (org_id, status, due_at);

CREATE TABLE case_events (
    id       INTEGER PRIMARY KEY,
    org_id   INTEGER NOT NULL REFERENCES organisations (id),
    case_id  INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    by_whom  TEXT,
    text     TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);
