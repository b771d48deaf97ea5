-- Themes and emotions read in each comment at ingest, and each organisation's theme taxonomy.
-- themes: the matched theme keys, space-separated ('' when none; NULL for no comment, garbage,
-- or a comment stored before themes existed, which the server tags at its next start).
-- emotions: the emotions shown, as bits (anger, frustration, anxiety, confusion, joy, gratitude,
-- surprise). taxonomy: JSON in the API's shape; NULL means the default taxonomy.
ALTER TABLE feedback ADD COLUMN themes TEXT, ADD COLUMN emotions SMALLINT;
ALTER TABLE organisations ADD COLUMN taxonomy TEXT;
