-- Outbound webhooks (issue 7): endpoints, one delivery per event and endpoint (the outbox the
-- dispatcher drains; a delivery is leased by pushing next_attempt_at forward while it is sent,
-- so a crash leaves it to be retried), and the log of every attempt.
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES organisations (id),
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,
    description          TEXT,
    enabled              INTEGER NOT NULL,
    secret               TEXT NOT NULL,
    disabled_reason      TEXT,
    failing_since        INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations (id),
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Alerts fired by aggregate rules: one per rule, scope (a touchpoint) and problem; a problem
-- lasts while evaluations keep firing (last_firing), until it has been quiet for the cool-down.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    rule_id     INTEGER REFERENCES alert_rules (id) ON DELETE SET NULL,
    scope       TEXT NOT NULL,
    fired_at    INTEGER NOT NULL,
    window_from INTEGER NOT NULL,
    window_to   INTEGER NOT NULL,
    last_firing INTEGER NOT NULL,
    message     TEXT NOT NULL,
    details     TEXT NOT NULL,
    case_id     INTEGER REFERENCES cases (id)
);
CREATE INDEX alerts_rule ON alerts (org_id, rule_id, scope, window_to);
