-- The optional second factor of signing in (issue 19): a TOTP secret (base32) and the last
-- 30-second step a code was accepted for, so that a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
