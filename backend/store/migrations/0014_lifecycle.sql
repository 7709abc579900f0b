-- Access that looks after itself (issue 17): reminders before a grant
-- ends, invitation reminders, access requests, owner confirmation of high
-- privilege and periodic access reviews.

-- The length, in days, an expiry was given for: "extend by the original
-- length" reuses it. Grants made before count from the contact's creation.
ALTER TABLE grants ADD COLUMN term_days INTEGER;
UPDATE grants SET term_days = max(1, (expires_at - (SELECT created_at FROM contacts WHERE id = grants.contact_id) + 43200) / 86400)
	WHERE expires_at IS NOT NULL;

-- One reminder per grant end and offset: a restart or an offline week
-- never sends one twice, and a new end (an extension) starts afresh. The
-- contact's copy has a token of its own, so a reply to it is recognised.
CREATE TABLE grant_reminders (
	id         INTEGER PRIMARY KEY,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	ends_at    INTEGER NOT NULL,
	days       INTEGER NOT NULL,
	token      TEXT UNIQUE,
	message_id TEXT UNIQUE,
	created_at INTEGER NOT NULL,
	UNIQUE (contact_id, ends_at, days)
);

-- An invitation gets one reminder; an awaiting one says why it waits.
ALTER TABLE invitations ADD COLUMN reminded_at INTEGER;
ALTER TABLE invitations ADD COLUMN awaiting_reason TEXT NOT NULL DEFAULT ''
	CHECK (awaiting_reason IN ('', 'unverified', 'high_privilege'));
UPDATE invitations SET awaiting_reason = 'unverified' WHERE state = 'awaiting';

-- A contact asks for what the client area refused; only the owner's
-- decision changes the grant.
CREATE TABLE access_requests (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	kind        TEXT    NOT NULL CHECK (kind IN ('permission', 'service', 'admin_area', 'admin_all', 'billing_account', 'extend')),
	item        TEXT    NOT NULL DEFAULT '', -- a permission, service id, area key or site id
	adds        TEXT    NOT NULL DEFAULT '', -- permissions granted on approval: the item and what it needs
	label       TEXT    NOT NULL,
	denial      TEXT    NOT NULL DEFAULT '', -- what the client area said
	note        TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL CHECK (source IN ('portal', 'mail')),
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'expired')),
	reason      TEXT    NOT NULL DEFAULT '', -- the owner's words on declining
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	decided_at  INTEGER,
	decided_by  TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX access_requests_open ON access_requests(contact_id, kind, item) WHERE state = 'pending';
CREATE INDEX access_requests_state ON access_requests(state, expires_at);
CREATE INDEX access_requests_contact ON access_requests(contact_id, created_at);

-- Access reviews: each contact as it stood when the review opened, and the
-- owner's decision. Items outlive their contact (the review is history).
CREATE TABLE access_reviews (
	id          INTEGER PRIMARY KEY,
	opened_at   INTEGER NOT NULL,
	period_days INTEGER NOT NULL,
	finished_at INTEGER,
	finished_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX access_reviews_open ON access_reviews((1)) WHERE finished_at IS NULL;

CREATE TABLE access_review_items (
	review_id    INTEGER NOT NULL REFERENCES access_reviews(id) ON DELETE CASCADE,
	position     INTEGER NOT NULL,
	contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	account_id   INTEGER NOT NULL,
	name         TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	access       TEXT    NOT NULL, -- the grant in words
	flags        TEXT    NOT NULL DEFAULT '', -- space-separated: unused high_privilege
	last_signin  INTEGER,
	last_action  INTEGER,
	decision     TEXT    NOT NULL DEFAULT '' CHECK (decision IN ('', 'keep', 'reduce', 'revoke')),
	decided_at   INTEGER,
	PRIMARY KEY (review_id, position)
) WITHOUT ROWID;
