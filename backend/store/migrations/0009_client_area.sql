-- The client area: every client permission has its action (issue 11).

-- A grant says whether billing (invoices.view, invoices.pay) follows its
-- service selection or covers the whole account.
ALTER TABLE grants ADD COLUMN billing_scope TEXT NOT NULL DEFAULT 'services' CHECK (billing_scope IN ('services', 'account'));
-- Full is everything a contact can do: Full grants gain the new action.
UPDATE grants SET permissions = permissions || ' quotes.accept'
	WHERE preset = 'full' AND ' ' || permissions || ' ' NOT LIKE '% quotes.accept %';

-- The account holder is never managed by another contact. It starts as the
-- contact with the account's email, if any; the owner may name another.
ALTER TABLE accounts ADD COLUMN holder_contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL;
UPDATE accounts SET holder_contact_id = (SELECT c.id FROM contacts c
	WHERE c.account_id = accounts.id AND c.email_key = unicode_lower(trim(accounts.email)))
	WHERE trim(email) != '';

-- Who suspended a contact ('owner ...' or 'contact ...'): a contact may not
-- lift the owner's suspension.
ALTER TABLE contacts ADD COLUMN suspended_by TEXT NOT NULL DEFAULT '';

-- The owner's catalogue.
CREATE TABLE products (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL CHECK (length(trim(name)) > 0),
	kind          TEXT    NOT NULL,
	description   TEXT    NOT NULL DEFAULT '',
	price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
	currency      TEXT    NOT NULL,
	billing_cycle TEXT    NOT NULL CHECK (billing_cycle IN ('one_time', 'monthly', 'quarterly', 'yearly')),
	active        INTEGER NOT NULL DEFAULT 1,
	created_at    INTEGER NOT NULL
);

-- A service's settings are a JSON object of its kind's fields; the term
-- ends at renews_at; a confirmed end-of-term cancellation sets cancel_at.
ALTER TABLE services ADD COLUMN settings   TEXT NOT NULL DEFAULT '{}';
ALTER TABLE services ADD COLUMN product_id INTEGER REFERENCES products(id) ON DELETE SET NULL;
ALTER TABLE services ADD COLUMN renews_at  INTEGER;
ALTER TABLE services ADD COLUMN cancel_at  INTEGER;

-- Every change of a setting, with before and after (JSON values).
CREATE TABLE service_changes (
	id          INTEGER PRIMARY KEY,
	service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
	field       TEXT    NOT NULL,
	before      TEXT    NOT NULL,
	after       TEXT    NOT NULL,
	actor       TEXT    NOT NULL, -- as in the audit log
	actor_name  TEXT    NOT NULL, -- what a contact is shown
	contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL,
	reverts     INTEGER REFERENCES service_changes(id) ON DELETE SET NULL,
	reverted_by INTEGER REFERENCES service_changes(id) ON DELETE SET NULL
);
CREATE INDEX service_changes_service ON service_changes(service_id, id);

CREATE TABLE cancellations (
	id           INTEGER PRIMARY KEY,
	service_id   INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
	contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	contact_name TEXT    NOT NULL,
	timing       TEXT    NOT NULL CHECK (timing IN ('now', 'end_of_term')),
	reason       TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('requested', 'confirmed', 'declined', 'withdrawn')),
	note         TEXT    NOT NULL DEFAULT '', -- the owner's words on declining
	effective_at INTEGER,                     -- when the service ends, once confirmed
	created_at   INTEGER NOT NULL,
	decided_at   INTEGER
);
CREATE INDEX cancellations_service ON cancellations(service_id);
CREATE UNIQUE INDEX cancellations_open ON cancellations(service_id) WHERE state = 'requested';

-- Invoices may be "payment reported"; overdue reminders go once.
CREATE TABLE invoices_new (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	service_id   INTEGER REFERENCES services(id) ON DELETE SET NULL,
	number       TEXT    NOT NULL,
	amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
	currency     TEXT    NOT NULL DEFAULT 'EUR',
	status       TEXT    NOT NULL CHECK (status IN ('unpaid', 'reported', 'paid')),
	issued_at    INTEGER NOT NULL,
	due_at       INTEGER,
	paid_at      INTEGER,
	paid_by      TEXT    NOT NULL DEFAULT '',
	reminded_at  INTEGER
);
INSERT INTO invoices_new (id, account_id, service_id, number, amount_cents, currency, status, issued_at, due_at, paid_at, paid_by)
	SELECT id, account_id, service_id, number, amount_cents, currency, status, issued_at, due_at, paid_at, paid_by FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_new RENAME TO invoices;
CREATE INDEX invoices_account ON invoices(account_id);

CREATE TABLE payment_reports (
	id           INTEGER PRIMARY KEY,
	invoice_id   INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
	contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	contact_name TEXT    NOT NULL,
	method       TEXT    NOT NULL CHECK (method IN ('bank_transfer', 'payment_link')),
	paid_on      TEXT    NOT NULL, -- the day the contact says they paid, YYYY-MM-DD
	reference    TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('reported', 'confirmed', 'rejected')),
	note         TEXT    NOT NULL DEFAULT '', -- the owner's words on rejecting
	created_at   INTEGER NOT NULL,
	decided_at   INTEGER
);
CREATE INDEX payment_reports_invoice ON payment_reports(invoice_id);
CREATE UNIQUE INDEX payment_reports_open ON payment_reports(invoice_id) WHERE state = 'reported';

CREATE TABLE orders (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	contact_id    INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	contact_name  TEXT    NOT NULL,
	product_id    INTEGER REFERENCES products(id) ON DELETE SET NULL,
	-- the product as ordered: later catalogue changes do not alter an order
	product_name  TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
	currency      TEXT    NOT NULL,
	billing_cycle TEXT    NOT NULL,
	upgrade       INTEGER NOT NULL DEFAULT 0, -- 1: changes service_id to this product
	label         TEXT    NOT NULL DEFAULT '', -- the name the contact gives (a domain, a site)
	note          TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'declined', 'withdrawn')),
	reason        TEXT    NOT NULL DEFAULT '', -- the owner's words on declining
	service_id    INTEGER REFERENCES services(id) ON DELETE SET NULL, -- upgraded, or created on acceptance
	invoice_id    INTEGER REFERENCES invoices(id) ON DELETE SET NULL,
	created_at    INTEGER NOT NULL,
	decided_at    INTEGER
);
CREATE INDEX orders_account ON orders(account_id, id);

-- Quotes can be accepted or declined by a contact with quotes.accept.
ALTER TABLE quotes ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined'));
ALTER TABLE quotes ADD COLUMN decided_at INTEGER;
ALTER TABLE quotes ADD COLUMN decided_by TEXT NOT NULL DEFAULT ''; -- a name, never an address
ALTER TABLE quotes ADD COLUMN decision_note TEXT NOT NULL DEFAULT '';

-- A support request is a conversation: status answered, and who opened it
-- by contact and name (contacts are shown names, never others' addresses).
CREATE TABLE support_requests_new (
	id                   INTEGER PRIMARY KEY,
	account_id           INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	service_id           INTEGER REFERENCES services(id) ON DELETE SET NULL, -- NULL: not about a service
	subject              TEXT    NOT NULL,
	body                 TEXT    NOT NULL,
	status               TEXT    NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
	opened_by            TEXT    NOT NULL,
	opened_by_contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	opened_by_name       TEXT    NOT NULL DEFAULT '',
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL DEFAULT 0
);
INSERT INTO support_requests_new (id, account_id, service_id, subject, body, status, opened_by, opened_by_contact_id,
		opened_by_name, created_at, updated_at)
	SELECT s.id, s.account_id, s.service_id, s.subject, s.body, s.status, s.opened_by, c.id,
		CASE WHEN c.id IS NOT NULL THEN trim(c.first_name || ' ' || c.last_name)
			WHEN s.opened_by LIKE 'owner%' THEN 'Support' ELSE '' END,
		s.created_at, s.created_at
	FROM support_requests s
	LEFT JOIN contacts c ON c.account_id = s.account_id AND c.email_key = unicode_lower(s.opened_by);
DROP TABLE support_requests;
ALTER TABLE support_requests_new RENAME TO support_requests;
CREATE INDEX support_account ON support_requests(account_id);

CREATE TABLE support_replies (
	id          INTEGER PRIMARY KEY,
	request_id  INTEGER NOT NULL REFERENCES support_requests(id) ON DELETE CASCADE,
	contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL, -- NULL: the owner
	from_owner  INTEGER NOT NULL,
	author_name TEXT    NOT NULL,
	body        TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX support_replies_request ON support_replies(request_id, id);

-- The account's mail history: every notice Grantbook mailed about it, to
-- whom, and the outbox row that carries each copy.
CREATE TABLE notices (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	service_id INTEGER REFERENCES services(id) ON DELETE SET NULL,
	kind       TEXT    NOT NULL,
	audience   TEXT    NOT NULL CHECK (audience IN ('client', 'owner')),
	subject    TEXT    NOT NULL,
	body       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX notices_account ON notices(account_id, id);

CREATE TABLE notice_recipients (
	notice_id  INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
	email_key  TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	outbox_id  INTEGER REFERENCES outbox(id) ON DELETE SET NULL, -- NULL: not mailed (no mail server)
	PRIMARY KEY (notice_id, email_key)
) WITHOUT ROWID;
