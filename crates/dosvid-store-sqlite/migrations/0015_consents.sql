-- Consents (issue 19): what a customer agreed to or withdrew, when and through which channel.
-- The latest record of a purpose is in force; survey invitations respect a withdrawal.
CREATE TABLE consents (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    granted     INTEGER NOT NULL,
    channel     TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX consents_customer ON consents (customer_id, purpose, at);
