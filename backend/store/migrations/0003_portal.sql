-- What a contact sees in the portal (invoices, quotes, support requests,
-- the account's profile), sign-in codes and sessions.
ALTER TABLE accounts ADD COLUMN email   TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN phone   TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN address TEXT NOT NULL DEFAULT '';

CREATE TABLE invoices (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	service_id   INTEGER REFERENCES services(id) ON DELETE SET NULL,
	number       TEXT    NOT NULL,
	amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
	currency     TEXT    NOT NULL DEFAULT 'EUR',
	status       TEXT    NOT NULL CHECK (status IN ('unpaid', 'paid')),
	issued_at    INTEGER NOT NULL,
	due_at       INTEGER,
	paid_at      INTEGER,
	paid_by      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX invoices_account ON invoices(account_id);

CREATE TABLE quotes (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	number       TEXT    NOT NULL,
	title        TEXT    NOT NULL,
	amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
	currency     TEXT    NOT NULL DEFAULT 'EUR',
	issued_at    INTEGER NOT NULL
);
CREATE INDEX quotes_account ON quotes(account_id);

CREATE TABLE support_requests (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	service_id INTEGER REFERENCES services(id) ON DELETE SET NULL, -- NULL: not about a service
	subject    TEXT    NOT NULL,
	body       TEXT    NOT NULL,
	status     TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
	opened_by  TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX support_account ON support_requests(account_id);

-- One-time sign-in codes: only a hash is kept.
CREATE TABLE signin_codes (
	id         INTEGER PRIMARY KEY,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	code_hash  BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	used_at    INTEGER
);
CREATE INDEX signin_codes_contact ON signin_codes(contact_id);

-- Contact sessions: only a hash of the cookie value is kept.
CREATE TABLE sessions (
	id          INTEGER PRIMARY KEY,
	contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	token_hash  BLOB    NOT NULL UNIQUE,
	csrf_token  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	revoked_at  INTEGER,
	user_agent  TEXT    NOT NULL DEFAULT '',
	remote_addr TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_contact ON sessions(contact_id);
