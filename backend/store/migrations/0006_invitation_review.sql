-- Invitations the owner must look at: a reply that could not be verified
-- waits for the owner's confirmation ('awaiting', with what it said in
-- review), a suspended or removed contact's invitation is 'voided', and a
-- delivery report that may not change the state by itself is kept as a
-- notice (a possible bounce, or a delay).
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
-- Its children are set aside first, because dropping a parent table with
-- foreign keys on would delete (or null) their rows; ids are kept, so the
-- children come back unchanged.
CREATE TABLE invitation_tokens_keep AS SELECT * FROM invitation_tokens;
CREATE TABLE mail_events_keep AS SELECT * FROM mail_events;
DROP TABLE invitation_tokens;
DROP TABLE mail_events;

CREATE TABLE invitations_new (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	contact_id    INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	email         TEXT    NOT NULL,
	token         TEXT    NOT NULL UNIQUE, -- the current token; older ones are in invitation_tokens
	message_id    TEXT    NOT NULL UNIQUE, -- of the newest invitation message, without <>
	state         TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'awaiting', 'accepted', 'declined', 'expired', 'revoked', 'bounced', 'voided')),
	detail        TEXT    NOT NULL DEFAULT '',
	note          TEXT    NOT NULL DEFAULT '', -- the owner's personal message
	created_at    INTEGER NOT NULL,
	sent_at       INTEGER,
	expires_at    INTEGER NOT NULL,
	decided_at    INTEGER,
	review        TEXT    NOT NULL DEFAULT '' CHECK (review IN ('', 'accept', 'decline')), -- what an awaiting reply said
	notice        TEXT    NOT NULL DEFAULT '' CHECK (notice IN ('', 'possible_bounce', 'delayed')),
	notice_detail TEXT    NOT NULL DEFAULT '',
	notice_at     INTEGER
);
INSERT INTO invitations_new (id, account_id, contact_id, email, token, message_id, state, detail, note,
	created_at, sent_at, expires_at, decided_at)
	SELECT id, account_id, contact_id, email, token, message_id, state, detail, note,
	created_at, sent_at, expires_at, decided_at FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE INDEX invitations_contact ON invitations(contact_id);
CREATE INDEX invitations_state ON invitations(state);
-- The watcher asks for the addresses with a pending invitation.
CREATE INDEX invitations_pending_email ON invitations(email COLLATE NOCASE) WHERE state IN ('queued', 'sent', 'awaiting');

-- As in 0002.
CREATE TABLE invitation_tokens (
	token         TEXT    PRIMARY KEY,
	invitation_id INTEGER NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
	message_id    TEXT    NOT NULL UNIQUE,
	issued_at     INTEGER NOT NULL,
	voided_at     INTEGER
) WITHOUT ROWID;
INSERT INTO invitation_tokens SELECT token, invitation_id, message_id, issued_at, voided_at FROM invitation_tokens_keep;
DROP TABLE invitation_tokens_keep;

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
INSERT INTO mail_events SELECT id, at, invitation_id, uid, message_id, from_addr, subject, verdict, reason FROM mail_events_keep;
DROP TABLE mail_events_keep;
CREATE INDEX mail_events_invitation ON mail_events(invitation_id);
