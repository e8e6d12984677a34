-- Only when the secret key is lost for good (no copy anywhere): every TOTP
-- secret and backup code is sealed with it and can never be opened again.
-- Stop every instance, run this against the database, then start: the
-- server makes a new key. Every user's 2FA is reset and every session
-- ends; users with 2FA enforced enrol again at their next sign-in.
BEGIN;
DELETE FROM meta WHERE key IN ('secret_key_fingerprint', 'code_hmac_key');
DELETE FROM totp_secrets;
DELETE FROM backup_codes;
DELETE FROM sessions;
COMMIT;
