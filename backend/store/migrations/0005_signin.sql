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

-- A session is a person's (an address): it may act as the contacts of that
-- address that the code was mailed for (session_contacts, each revocable on
-- its own), and contact_id is the one chosen now, NULL until chosen. The
-- table is rebuilt because contact_id becomes nullable.
CREATE TABLE sessions_new (
	id          INTEGER PRIMARY KEY,
	contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	token_hash  BLOB    NOT NULL UNIQUE,
	csrf_token  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	revoked_at  INTEGER,
	user_agent  TEXT    NOT NULL DEFAULT '',
	remote_addr TEXT    NOT NULL DEFAULT '',
	email_key   TEXT    NOT NULL DEFAULT '' -- the person: the address signed in with
);
INSERT INTO sessions_new (id, contact_id, token_hash, csrf_token, created_at, last_seen, expires_at, revoked_at,
	user_agent, remote_addr, email_key)
	SELECT s.id, s.contact_id, s.token_hash, s.csrf_token, s.created_at, s.last_seen, s.expires_at, s.revoked_at,
		s.user_agent, s.remote_addr, coalesce(c.email_key, '')
	FROM sessions s LEFT JOIN contacts c ON c.id = s.contact_id;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_contact ON sessions(contact_id);

CREATE TABLE session_contacts (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	revoked_at INTEGER, -- the owner signed this contact out of the session
	PRIMARY KEY (session_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX session_contacts_contact ON session_contacts(contact_id);
INSERT INTO session_contacts (session_id, contact_id, revoked_at)
	SELECT id, contact_id, revoked_at FROM sessions WHERE contact_id IS NOT NULL;
