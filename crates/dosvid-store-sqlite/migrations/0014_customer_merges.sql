-- Merged customer profiles (issue 19): what the survivor was, the merged profile whole, and the
-- ids of the records moved, so that a merge can be undone for 30 days.
CREATE TABLE customer_merges (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations (id),
    survivor_id     INTEGER NOT NULL,
    merged_id       INTEGER NOT NULL,
    survivor_before TEXT NOT NULL,
    merged_customer TEXT NOT NULL,
    moved           TEXT NOT NULL,
    merged_at       INTEGER NOT NULL,
    undone_at       INTEGER
);
CREATE INDEX customer_merges_org ON customer_merges (org_id, id);
