-- Invitations, the mail outbox, the inbox cursor, mail decisions and settings.
CREATE TABLE invitations (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	email      TEXT    NOT NULL,
	token      TEXT    NOT NULL UNIQUE, -- the current token; older ones are in invitation_tokens
	message_id TEXT    NOT NULL UNIQUE, -- of the newest invitation message, without <>
	state      TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'accepted', 'declined', 'expired', 'revoked', 'bounced')),
	detail     TEXT    NOT NULL DEFAULT '',
	note       TEXT    NOT NULL DEFAULT '', -- the owner's personal message
	created_at INTEGER NOT NULL,
	sent_at    INTEGER,
	expires_at INTEGER NOT NULL,
	decided_at INTEGER
);
CREATE INDEX invitations_contact ON invitations(contact_id);
CREATE INDEX invitations_state ON invitations(state);

-- Every token ever issued, so a reply to a voided one is recognised and refused.
CREATE TABLE invitation_tokens (
	token         TEXT    PRIMARY KEY,
	invitation_id INTEGER NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
	message_id    TEXT    NOT NULL UNIQUE,
	issued_at     INTEGER NOT NULL,
	voided_at     INTEGER
) WITHOUT ROWID;

-- Mail is written here first and sent by the outbox worker.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	message_id      TEXT    NOT NULL UNIQUE,
	kind            TEXT    NOT NULL,   -- invitation, signin_code
	ref_id          INTEGER,            -- the invitation's id for kind invitation
	mail_from       TEXT    NOT NULL,
	rcpt            TEXT    NOT NULL,
	raw             BLOB    NOT NULL,
	state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Where the inbox watcher is: nothing below last_uid is looked at again
-- while uidvalidity holds.
CREATE TABLE inbox_cursor (
	mailbox     TEXT    PRIMARY KEY,
	uidvalidity INTEGER NOT NULL,
	last_uid    INTEGER NOT NULL
);

-- What the classifier decided about each incoming message it looked at.
CREATE TABLE mail_events (
	id            INTEGER PRIMARY KEY,
	at            INTEGER NOT NULL,
	invitation_id INTEGER REFERENCES invitations(id) ON DELETE SET NULL,
	uid           INTEGER NOT NULL,
	message_id    TEXT    NOT NULL,
	from_addr     TEXT    NOT NULL,
	subject       TEXT    NOT NULL,
	verdict       TEXT    NOT NULL,
	reason        TEXT    NOT NULL
);
CREATE INDEX mail_events_invitation ON mail_events(invitation_id);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
