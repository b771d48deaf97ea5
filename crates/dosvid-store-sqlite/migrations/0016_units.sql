-- Organisation units (issue 19): a tree of units, each with the rules that say which records
-- it sees (the filters of /query as JSON); people and API keys belong to at most one unit.
CREATE TABLE units (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organisations (id),
    parent_id  INTEGER REFERENCES units (id),
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX units_org ON units (org_id, id);
ALTER TABLE users ADD COLUMN unit_id INTEGER REFERENCES units (id);
ALTER TABLE api_keys ADD COLUMN unit_id INTEGER REFERENCES units (id);
