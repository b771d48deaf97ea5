-- Names in the three languages of the interface (issue 21) for the company's own data: a JSON
-- object {"uk": …, "en": …, "ru": …}; `name` stays what integrators and the API see first.
ALTER TABLE channels ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE journeys ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE stages ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE touchpoints ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
