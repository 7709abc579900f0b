-- The owner's own websites, whose administration admin access opens.
CREATE TABLE sites (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL,
	base_url   TEXT    NOT NULL DEFAULT '', -- scheme://host[:port]; '' until set up
	unlisted   TEXT    NOT NULL DEFAULT 'any_admin' CHECK (unlisted IN ('any_admin', 'all_areas')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Area names are the keys grants store (contacts' admin_areas): unique
-- across sites, never renamed.
CREATE TABLE site_areas (
	site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	name     TEXT    NOT NULL PRIMARY KEY,
	label    TEXT    NOT NULL,
	prefixes TEXT    NOT NULL DEFAULT '', -- cleaned path prefixes, one a line
	position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX site_areas_site ON site_areas(site_id, position);

-- The eight areas grants could name so far become the first site's, so
-- existing grants keep their meaning; the owner sets its address.
INSERT INTO sites (id, name, created_at, updated_at) VALUES (1, 'Your site', strftime('%s', 'now'), strftime('%s', 'now'));
INSERT INTO site_areas (site_id, name, label, prefixes, position) VALUES
	(1, 'dashboard', 'Dashboard', '/admin/dashboard', 0),
	(1, 'content', 'Pages and content', '/admin/content', 1),
	(1, 'orders', 'Orders', '/admin/orders', 2),
	(1, 'customers', 'Customers', '/admin/customers', 3),
	(1, 'products', 'Products and prices', '/admin/products', 4),
	(1, 'reports', 'Reports', '/admin/reports', 5),
	(1, 'settings', 'Site settings', '/admin/settings', 6),
	(1, 'users', 'Admin users', '/admin/users', 7);

-- Forward authentication: a sign-in at Grantbook hands the site a one-time
-- ticket (its hash here), which the site's callback (served by Grantbook
-- through the proxy) trades for a cookie of the site's own.
CREATE TABLE site_tickets (
	id          INTEGER PRIMARY KEY,
	ticket_hash BLOB    NOT NULL UNIQUE,
	site_id     INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	state_hash  BLOB    NOT NULL, -- the site-side cookie that started the sign-in
	return_url  TEXT    NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER
);

-- A site cookie stands for a portal session on one site only: it cannot
-- open the client area, and ends with the session.
CREATE TABLE site_sessions (
	id         INTEGER PRIMARY KEY,
	token_hash BLOB    NOT NULL UNIQUE,
	site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
);
CREATE INDEX site_sessions_session ON site_sessions(session_id);

-- OpenID Connect: relying parties the owner registered for a site.
CREATE TABLE oidc_clients (
	id            TEXT    NOT NULL PRIMARY KEY, -- client_id
	site_id       INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
	name          TEXT    NOT NULL,
	secret_hash   BLOB    NOT NULL,
	redirect_uris TEXT    NOT NULL, -- one a line, matched exactly
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_clients_site ON oidc_clients(site_id);

-- An authorization request from its validation to the token it is traded
-- for; the code is kept as a hash only.
CREATE TABLE oidc_requests (
	id         TEXT    NOT NULL PRIMARY KEY,
	client_id  TEXT    NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
	request    TEXT    NOT NULL, -- the validated request (JSON)
	contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
	session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
	auth_time  INTEGER,
	code_hash  BLOB UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Access tokens (opaque; the token carries this id, encrypted).
CREATE TABLE oidc_tokens (
	id         TEXT    NOT NULL PRIMARY KEY,
	client_id  TEXT    NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	scopes     TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
) WITHOUT ROWID;

-- The subject a contact has towards every relying party: random, so it is
-- never reused for someone else, whatever happens to contact ids.
CREATE TABLE oidc_subjects (
	contact_id INTEGER NOT NULL PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	subject    TEXT    NOT NULL UNIQUE
);
