-- A delivery retried by hand keeps the count of every attempt made (issue 21: it showed
-- `attempts: 1` with three attempts in its log); the retry policy counts from the hand's retry.
ALTER TABLE webhook_deliveries ADD COLUMN retried_from INTEGER NOT NULL DEFAULT 0;
