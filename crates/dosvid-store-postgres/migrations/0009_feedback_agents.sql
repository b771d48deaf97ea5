-- Feedback about an interaction (issue 17): the interaction it answers for, and the agent and
-- team who served the customer (taken from the interaction unless the record names its own).
ALTER TABLE feedback ADD COLUMN interaction_id BIGINT;
ALTER TABLE feedback ADD COLUMN agent TEXT;
ALTER TABLE feedback ADD COLUMN team TEXT;
