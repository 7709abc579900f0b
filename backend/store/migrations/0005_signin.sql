-- Sign-in codes belong to the browser that asked for them: nonce_hash is
-- the hash of the HttpOnly cookie set with the request. Codes from before
-- have none and never verify.
ALTER TABLE signin_codes ADD COLUMN nonce_hash BLOB;
CREATE INDEX signin_codes_nonce ON signin_codes(nonce_hash);
CREATE INDEX signin_codes_created ON signin_codes(contact_id, created_at);

-- A sign-in code's mail is composed at send time from memory; the ones
-- written before held the code in clear, so their content goes, and those
-- not yet sent (their codes cannot verify any more) are not sent.
UPDATE outbox SET raw = x'',
	last_error = CASE state WHEN 'pending' THEN 'not sent: sign-in codes from before this version no longer work' ELSE last_error END,
	state = CASE state WHEN 'pending' THEN 'cancelled' ELSE state END
	WHERE kind = 'signin_code';
