-- Managing the experience (issue 18): goals with the baseline measured when they were set,
-- initiatives with the log of their status changes, and strategy cycles with their eight stages.
-- Definitions are kept as the JSON of the API; the columns beside them are what is looked up.
CREATE TABLE strategy_cycles (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    document    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE goals (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    parent_id   INTEGER REFERENCES goals (id),
    cycle_id    INTEGER REFERENCES strategy_cycles (id),
    definition  TEXT NOT NULL,
    baseline    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX goals_org ON goals (org_id, id);

CREATE TABLE initiatives (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    goal_id     INTEGER REFERENCES goals (id),
    cycle_id    INTEGER REFERENCES strategy_cycles (id),
    status      TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX initiatives_org ON initiatives (org_id, id);

CREATE TABLE initiative_status_log (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT
);
CREATE INDEX initiative_status_log_initiative ON initiative_status_log (initiative_id, id);
