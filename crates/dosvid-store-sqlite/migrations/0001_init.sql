-- Dosvid schema, version 1 (SQLite). Times are integer microseconds since the Unix epoch (UTC);
-- attributes are JSON text. Every table carries org_id.

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE journeys (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE stages (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    journey_id  INTEGER NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX stages_journey ON stages (journey_id, position);

CREATE TABLE touchpoints (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organisations (id),
    journey_id       INTEGER NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    stage_id         INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    parent_id        INTEGER REFERENCES touchpoints (id) ON DELETE CASCADE,
    key              TEXT NOT NULL,
    name             TEXT NOT NULL,
    moment_of_truth  INTEGER NOT NULL DEFAULT 0,
    owner_department TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (org_id, key)
);
CREATE INDEX touchpoints_parent ON touchpoints (parent_id);
CREATE INDEX touchpoints_stage ON touchpoints (stage_id);

CREATE TABLE touchpoint_channels (
    touchpoint_id INTEGER NOT NULL REFERENCES touchpoints (id) ON DELETE CASCADE,
    channel_id    INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (touchpoint_id, channel_id)
);
CREATE INDEX touchpoint_channels_channel ON touchpoint_channels (channel_id);

-- AUTOINCREMENT: an erased customer's id must never be given to someone else.
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    external_id TEXT,
    name        TEXT,
    language    TEXT,
    segment     TEXT,
    region      TEXT,
    plan        TEXT,
    attributes  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
);

CREATE TABLE customer_identities (
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

-- Signals. Touchpoints and channels are RESTRICTed: deleting one that signals refer to fails.
-- There is no index on occurred_at: time questions are answered by the analytics index, lists
-- page by id, and an index on a random-order key would cost every insert several page writes.
CREATE TABLE interactions (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organisations (id),
    external_id      TEXT,
    customer_id      INTEGER REFERENCES customers (id),
    touchpoint_id    INTEGER REFERENCES touchpoints (id),
    channel_id       INTEGER NOT NULL REFERENCES channels (id),
    kind             TEXT NOT NULL,
    occurred_at      INTEGER NOT NULL,
    duration_seconds INTEGER,
    outcome          TEXT,
    agent            TEXT,
    team             TEXT,
    attributes       TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX interactions_customer ON interactions (customer_id);

CREATE TABLE feedback (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    external_id   TEXT,
    customer_id   INTEGER REFERENCES customers (id),
    touchpoint_id INTEGER REFERENCES touchpoints (id),
    channel_id    INTEGER REFERENCES channels (id),
    source        TEXT NOT NULL,
    occurred_at   INTEGER NOT NULL,
    nps           INTEGER CHECK (nps BETWEEN 0 AND 10),
    csat          INTEGER CHECK (csat BETWEEN 1 AND 5),
    ces           INTEGER CHECK (ces BETWEEN 1 AND 7),
    rating        INTEGER,
    rating_scale  INTEGER,
    comment       TEXT,
    language      TEXT,
    attributes    TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX feedback_customer ON feedback (customer_id);

CREATE TABLE transactions (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations (id),
    external_id  TEXT,
    customer_id  INTEGER REFERENCES customers (id),
    occurred_at  INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    product      TEXT,
    attributes   TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX transactions_customer ON transactions (customer_id);

CREATE TABLE idempotency_keys (
    org_id       INTEGER NOT NULL REFERENCES organisations (id),
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    report       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
);
