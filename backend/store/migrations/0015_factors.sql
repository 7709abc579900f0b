-- Second factors of contacts (issue 17): passkeys and authenticator apps.
-- They belong to the person, the address signed in with, as sessions do:
-- one passkey opens every client area of that address.

-- The WebAuthn user handle of a person: random, never the address.
CREATE TABLE person_handles (
	email_key TEXT NOT NULL PRIMARY KEY,
	handle    BLOB NOT NULL UNIQUE
) WITHOUT ROWID;

CREATE TABLE passkeys (
	id            INTEGER PRIMARY KEY,
	email_key     TEXT    NOT NULL,
	credential_id BLOB    NOT NULL UNIQUE,
	credential    TEXT    NOT NULL, -- the library's credential record (JSON): public key, counter, flags
	name          TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER
);
CREATE INDEX passkeys_person ON passkeys(email_key);

-- An authenticator app (TOTP): the secret is sealed by the vault; a code
-- works once (last_step); wrong codes are counted.
CREATE TABLE totp_factors (
	email_key    TEXT    NOT NULL PRIMARY KEY,
	secret_ref   TEXT    NOT NULL,
	confirmed_at INTEGER, -- NULL: shown, not confirmed with a first code yet
	last_step    INTEGER NOT NULL DEFAULT 0,
	failures     INTEGER NOT NULL DEFAULT 0,
	failed_at    INTEGER,
	created_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- The second factor a session proved: '' (the emailed code only),
-- 'passkey' or 'totp'.
ALTER TABLE sessions ADD COLUMN factor TEXT NOT NULL DEFAULT '' CHECK (factor IN ('', 'passkey', 'totp'));
