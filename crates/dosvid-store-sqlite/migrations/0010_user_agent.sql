-- The agent id a user is known by in interactions and feedback (issue 17): their own view.
ALTER TABLE users ADD COLUMN agent TEXT;
