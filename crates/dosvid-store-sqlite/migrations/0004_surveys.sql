-- Surveys (issue 4): versioned definitions, personal invitations, responses. Definitions and
-- answers are JSON text in the API's shape. survey_secret signs links and forms (hex, made by
-- the store on first use); survey_fatigue_days is the organisation-wide fatigue rule.
ALTER TABLE organisations ADD COLUMN survey_secret TEXT;
ALTER TABLE organisations ADD COLUMN survey_fatigue_days INTEGER NOT NULL DEFAULT 30;

CREATE TABLE surveys (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    key           TEXT NOT NULL,
    status        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    touchpoint_id INTEGER REFERENCES touchpoints (id),
    channel_id    INTEGER REFERENCES channels (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE survey_versions (
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    survey_id   INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (survey_id, version)
);

CREATE TABLE survey_invitations (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations (id),
    survey_id      INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    customer_id    INTEGER REFERENCES customers (id),
    interaction_id INTEGER REFERENCES interactions (id),
    language       TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX survey_invitations_customer ON survey_invitations (org_id, customer_id, created_at);

CREATE TABLE survey_responses (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations (id),
    survey_id      INTEGER NOT NULL REFERENCES surveys (id),
    version        INTEGER NOT NULL,
    invitation_id  INTEGER UNIQUE REFERENCES survey_invitations (id),
    customer_id    INTEGER REFERENCES customers (id),
    interaction_id INTEGER REFERENCES interactions (id),
    language       TEXT NOT NULL,
    status         TEXT NOT NULL,
    position       INTEGER,
    answers        TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    feedback_id    INTEGER REFERENCES feedback (id)
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);
