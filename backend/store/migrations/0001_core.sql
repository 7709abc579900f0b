-- Accounts, their services, contacts with their grants, and the audit log.
-- Times are unix seconds (UTC).
CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL CHECK (length(trim(name)) > 0),
	created_at INTEGER NOT NULL
);

CREATE TABLE services (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name       TEXT    NOT NULL CHECK (length(trim(name)) > 0),
	kind       TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX services_account ON services(account_id);

CREATE TABLE contacts (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	account_type TEXT    NOT NULL,
	first_name   TEXT    NOT NULL,
	last_name    TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	-- lower-cased email: uniqueness per account ignores case, Unicode included
	email_key    TEXT    NOT NULL,
	phone        TEXT    NOT NULL DEFAULT '',
	company      TEXT    NOT NULL DEFAULT '',
	role         TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL CHECK (status IN ('active', 'invited', 'suspended')),
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_account_email ON contacts(account_id, email_key);
CREATE INDEX contacts_email ON contacts(email_key);

-- One grant per contact: client-area permissions and optional admin access.
CREATE TABLE grants (
	contact_id   INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	preset       TEXT    NOT NULL,
	permissions  TEXT    NOT NULL, -- space-separated catalog names
	all_services INTEGER NOT NULL,
	expires_at   INTEGER,          -- NULL: never
	admin_all    INTEGER NOT NULL DEFAULT 0,
	admin_areas  TEXT              -- NULL: no admin access; else space-separated areas
);
CREATE INDEX grants_preset ON grants(preset);

CREATE TABLE grant_services (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
	PRIMARY KEY (contact_id, service_id)
) WITHOUT ROWID;
CREATE INDEX grant_services_service ON grant_services(service_id);

CREATE TABLE audit_log (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	entity    TEXT    NOT NULL,
	entity_id INTEGER NOT NULL,
	summary   TEXT    NOT NULL,
	before    TEXT, -- JSON
	after     TEXT  -- JSON
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
