-- What Dosvid read in each comment at ingest: its sentiment (−1…1) and, for text that is not
-- readable language, why (mojibake, latin_lookalikes, keyboard_mashing).
ALTER TABLE feedback ADD COLUMN sentiment DOUBLE PRECISION, ADD COLUMN garbage TEXT;
