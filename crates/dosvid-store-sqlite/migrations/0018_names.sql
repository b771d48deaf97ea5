-- Names in the three languages of the interface (issue 21) for the company's own data: a JSON
-- object {"uk": …, "en": …, "ru": …}; `name` stays what integrators and the API see first.
ALTER TABLE channels ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE journeys ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE stages ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE touchpoints ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
-- The company's names for values of its data that are not things of its own (segments,
-- regions, plans, departments, interaction kinds…), by kind and key.
CREATE TABLE vocabulary (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    names  TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, key)
);
