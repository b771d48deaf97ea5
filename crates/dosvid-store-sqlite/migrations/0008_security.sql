-- Rotating the survey secret (issue 16): the secret it replaced keeps being accepted for links
-- already sent until survey_secret_retired_until.
ALTER TABLE organisations ADD COLUMN survey_secret_retired TEXT;
ALTER TABLE organisations ADD COLUMN survey_secret_retired_until INTEGER;
