-- The change log (issue 18): what changed in the replicated tables, for
-- the hub and the owner's desktop to exchange. Triggers write an unsigned
-- row (seq NULL) in the same transaction as the change; just before the
-- transaction commits, backend/changelog numbers, clocks, chains and signs
-- those rows (store.Tx's commit hook). Events applied from another device
-- are kept here too, with their origin's numbers, and are not logged again
-- (change_state.applying is set while they are written).
-- docs/sync.md lists the replicated tables and why.
CREATE TABLE change_log (
	id     INTEGER PRIMARY KEY,
	origin TEXT    NOT NULL DEFAULT '', -- device id; '' while unsigned
	epoch  INTEGER NOT NULL DEFAULT 0,
	seq    INTEGER,                     -- NULL until numbered
	hlc    INTEGER NOT NULL DEFAULT 0,
	entity TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	op     TEXT    NOT NULL CHECK (op IN ('upsert', 'delete')),
	fields TEXT,                        -- JSON: the whole row when new, else the changed columns
	base   TEXT,                        -- JSON: Event.Base
	prev   TEXT    NOT NULL DEFAULT '', -- hex sha256 of the predecessor's canonical bytes
	hash   TEXT    NOT NULL DEFAULT '', -- hex sha256 of this event's canonical bytes
	sig    BLOB
);
CREATE UNIQUE INDEX change_log_seq ON change_log (origin, epoch, seq);
CREATE INDEX change_log_pending ON change_log (id) WHERE seq IS NULL;
CREATE INDEX change_log_row ON change_log (entity, key);

-- This device: whether capture is on (a change log was opened), whether
-- an apply is running (its writes are not logged again), and the id range
-- its new rows of two-writer tables take (the hub's is above 1<<40).
CREATE TABLE change_state (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	origin   TEXT    NOT NULL DEFAULT '',
	epoch    INTEGER NOT NULL DEFAULT 0,
	role     TEXT    NOT NULL DEFAULT '',
	capture  INTEGER NOT NULL DEFAULT 0,
	applying INTEGER NOT NULL DEFAULT 0,
	id_lo    INTEGER NOT NULL DEFAULT 0,
	id_hi    INTEGER NOT NULL DEFAULT 1099511627776
);
INSERT INTO change_state (id) VALUES (1);

-- How far each other device's events have been applied.
CREATE TABLE change_applied (
	origin TEXT    NOT NULL,
	epoch  INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	hash   TEXT    NOT NULL, -- of the event at seq: the next one's prev
	PRIMARY KEY (origin, epoch)
) WITHOUT ROWID;

-- Devices trusted at pairing: their key and what they may change.
CREATE TABLE change_peers (
	origin     TEXT    PRIMARY KEY,
	public_key BLOB    NOT NULL,
	role       TEXT    NOT NULL CHECK (role IN ('owner', 'hub')),
	pinned_at  INTEGER NOT NULL
);

-- Events refused for good, with the reason, for the owner to see.
CREATE TABLE change_rejected (
	id     INTEGER PRIMARY KEY,
	event  TEXT    NOT NULL,
	reason TEXT    NOT NULL,
	at     INTEGER NOT NULL
);

-- On the hub: contacts, grants and grant_services rows as the owner's
-- verified events (and the hub's own reductions) left them. Access is
-- computed only for rows equal to these: a row edited behind the log's
-- back grants nothing.
CREATE TABLE change_verified (
	entity TEXT NOT NULL,
	key    TEXT NOT NULL,
	fields TEXT NOT NULL, -- JSON: the whole row
	PRIMARY KEY (entity, key)
) WITHOUT ROWID;

-- A field both sides changed since they last synced: the newer clock won.
CREATE TABLE change_conflicts (
	id     INTEGER PRIMARY KEY,
	entity TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	field  TEXT    NOT NULL,
	local  TEXT,
	remote TEXT,
	winner TEXT    NOT NULL, -- origin whose value was kept
	at     INTEGER NOT NULL
);

-- When and by whom each field of a two-writer row was last written.
CREATE TABLE change_fields (
	entity TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	field  TEXT    NOT NULL,
	hlc    INTEGER NOT NULL,
	origin TEXT    NOT NULL,
	PRIMARY KEY (entity, key, field)
) WITHOUT ROWID;

CREATE TRIGGER accounts_log_insert AFTER INSERT ON accounts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('accounts', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'name', NEW.name, 'created_at', NEW.created_at, 'email', NEW.email, 'phone', NEW.phone, 'address', NEW.address, 'holder_contact_id', NEW.holder_contact_id));
END;
CREATE TRIGGER accounts_log_update AFTER UPDATE ON accounts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'accounts', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('accounts', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'name' AS k, NEW.name AS v WHERE OLD.name IS NOT NEW.name UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'email' AS k, NEW.email AS v WHERE OLD.email IS NOT NEW.email UNION ALL SELECT 'phone' AS k, NEW.phone AS v WHERE OLD.phone IS NOT NEW.phone UNION ALL SELECT 'address' AS k, NEW.address AS v WHERE OLD.address IS NOT NEW.address UNION ALL SELECT 'holder_contact_id' AS k, NEW.holder_contact_id AS v WHERE OLD.holder_contact_id IS NOT NEW.holder_contact_id)) ELSE json_object('id', NEW.id, 'name', NEW.name, 'created_at', NEW.created_at, 'email', NEW.email, 'phone', NEW.phone, 'address', NEW.address, 'holder_contact_id', NEW.holder_contact_id) END);
END;
CREATE TRIGGER accounts_log_delete AFTER DELETE ON accounts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('accounts', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER services_log_insert AFTER INSERT ON services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('services', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'name', NEW.name, 'kind', NEW.kind, 'status', NEW.status, 'created_at', NEW.created_at, 'settings', NEW.settings, 'product_id', NEW.product_id, 'renews_at', NEW.renews_at, 'cancel_at', NEW.cancel_at));
END;
CREATE TRIGGER services_log_update AFTER UPDATE ON services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'services', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('services', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'name' AS k, NEW.name AS v WHERE OLD.name IS NOT NEW.name UNION ALL SELECT 'kind' AS k, NEW.kind AS v WHERE OLD.kind IS NOT NEW.kind UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'settings' AS k, NEW.settings AS v WHERE OLD.settings IS NOT NEW.settings UNION ALL SELECT 'product_id' AS k, NEW.product_id AS v WHERE OLD.product_id IS NOT NEW.product_id UNION ALL SELECT 'renews_at' AS k, NEW.renews_at AS v WHERE OLD.renews_at IS NOT NEW.renews_at UNION ALL SELECT 'cancel_at' AS k, NEW.cancel_at AS v WHERE OLD.cancel_at IS NOT NEW.cancel_at)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'name', NEW.name, 'kind', NEW.kind, 'status', NEW.status, 'created_at', NEW.created_at, 'settings', NEW.settings, 'product_id', NEW.product_id, 'renews_at', NEW.renews_at, 'cancel_at', NEW.cancel_at) END);
END;
CREATE TRIGGER services_log_delete AFTER DELETE ON services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('services', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER contacts_log_insert AFTER INSERT ON contacts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('contacts', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'account_type', NEW.account_type, 'first_name', NEW.first_name, 'last_name', NEW.last_name, 'email', NEW.email, 'email_key', NEW.email_key, 'phone', NEW.phone, 'company', NEW.company, 'role', NEW.role, 'status', NEW.status, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'search_key', NEW.search_key, 'suspended_by', NEW.suspended_by));
END;
CREATE TRIGGER contacts_log_update AFTER UPDATE ON contacts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'contacts', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('contacts', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'account_type' AS k, NEW.account_type AS v WHERE OLD.account_type IS NOT NEW.account_type UNION ALL SELECT 'first_name' AS k, NEW.first_name AS v WHERE OLD.first_name IS NOT NEW.first_name UNION ALL SELECT 'last_name' AS k, NEW.last_name AS v WHERE OLD.last_name IS NOT NEW.last_name UNION ALL SELECT 'email' AS k, NEW.email AS v WHERE OLD.email IS NOT NEW.email UNION ALL SELECT 'email_key' AS k, NEW.email_key AS v WHERE OLD.email_key IS NOT NEW.email_key UNION ALL SELECT 'phone' AS k, NEW.phone AS v WHERE OLD.phone IS NOT NEW.phone UNION ALL SELECT 'company' AS k, NEW.company AS v WHERE OLD.company IS NOT NEW.company UNION ALL SELECT 'role' AS k, NEW.role AS v WHERE OLD.role IS NOT NEW.role UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'updated_at' AS k, NEW.updated_at AS v WHERE OLD.updated_at IS NOT NEW.updated_at UNION ALL SELECT 'search_key' AS k, NEW.search_key AS v WHERE OLD.search_key IS NOT NEW.search_key UNION ALL SELECT 'suspended_by' AS k, NEW.suspended_by AS v WHERE OLD.suspended_by IS NOT NEW.suspended_by)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'account_type', NEW.account_type, 'first_name', NEW.first_name, 'last_name', NEW.last_name, 'email', NEW.email, 'email_key', NEW.email_key, 'phone', NEW.phone, 'company', NEW.company, 'role', NEW.role, 'status', NEW.status, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'search_key', NEW.search_key, 'suspended_by', NEW.suspended_by) END);
END;
CREATE TRIGGER contacts_log_delete AFTER DELETE ON contacts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('contacts', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER grants_log_insert AFTER INSERT ON grants WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('grants', CAST(NEW.contact_id AS TEXT), 'upsert', json_object('contact_id', NEW.contact_id, 'preset', NEW.preset, 'permissions', NEW.permissions, 'all_services', NEW.all_services, 'expires_at', NEW.expires_at, 'admin_all', NEW.admin_all, 'admin_areas', NEW.admin_areas, 'billing_scope', NEW.billing_scope, 'term_days', NEW.term_days));
END;
CREATE TRIGGER grants_log_update AFTER UPDATE ON grants WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'grants', CAST(OLD.contact_id AS TEXT), 'delete' WHERE CAST(OLD.contact_id AS TEXT) IS NOT CAST(NEW.contact_id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('grants', CAST(NEW.contact_id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.contact_id AS TEXT) IS CAST(NEW.contact_id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'preset' AS k, NEW.preset AS v WHERE OLD.preset IS NOT NEW.preset UNION ALL SELECT 'permissions' AS k, NEW.permissions AS v WHERE OLD.permissions IS NOT NEW.permissions UNION ALL SELECT 'all_services' AS k, NEW.all_services AS v WHERE OLD.all_services IS NOT NEW.all_services UNION ALL SELECT 'expires_at' AS k, NEW.expires_at AS v WHERE OLD.expires_at IS NOT NEW.expires_at UNION ALL SELECT 'admin_all' AS k, NEW.admin_all AS v WHERE OLD.admin_all IS NOT NEW.admin_all UNION ALL SELECT 'admin_areas' AS k, NEW.admin_areas AS v WHERE OLD.admin_areas IS NOT NEW.admin_areas UNION ALL SELECT 'billing_scope' AS k, NEW.billing_scope AS v WHERE OLD.billing_scope IS NOT NEW.billing_scope UNION ALL SELECT 'term_days' AS k, NEW.term_days AS v WHERE OLD.term_days IS NOT NEW.term_days)) ELSE json_object('contact_id', NEW.contact_id, 'preset', NEW.preset, 'permissions', NEW.permissions, 'all_services', NEW.all_services, 'expires_at', NEW.expires_at, 'admin_all', NEW.admin_all, 'admin_areas', NEW.admin_areas, 'billing_scope', NEW.billing_scope, 'term_days', NEW.term_days) END);
END;
CREATE TRIGGER grants_log_delete AFTER DELETE ON grants WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('grants', CAST(OLD.contact_id AS TEXT), 'delete');
END;
CREATE TRIGGER grant_services_log_insert AFTER INSERT ON grant_services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('grant_services', json_array(NEW.contact_id, NEW.service_id), 'upsert', json_object('contact_id', NEW.contact_id, 'service_id', NEW.service_id));
END;
CREATE TRIGGER grant_services_log_update AFTER UPDATE ON grant_services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'grant_services', json_array(OLD.contact_id, OLD.service_id), 'delete' WHERE json_array(OLD.contact_id, OLD.service_id) IS NOT json_array(NEW.contact_id, NEW.service_id);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('grant_services', json_array(NEW.contact_id, NEW.service_id), 'upsert',
		CASE WHEN json_array(OLD.contact_id, OLD.service_id) IS json_array(NEW.contact_id, NEW.service_id) THEN (SELECT json_group_object(k, v) FROM (SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id)) ELSE json_object('contact_id', NEW.contact_id, 'service_id', NEW.service_id) END);
END;
CREATE TRIGGER grant_services_log_delete AFTER DELETE ON grant_services WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('grant_services', json_array(OLD.contact_id, OLD.service_id), 'delete');
END;
CREATE TRIGGER settings_log_insert AFTER INSERT ON settings WHEN (SELECT capture AND NOT applying FROM change_state) AND NEW.key IN ('client_area', 'lifecycle.settings', 'notices.settings', 'billing.payment_methods', 'mail.invitation_template') BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('settings', CAST(NEW.key AS TEXT), 'upsert', json_object('key', NEW.key, 'value', NEW.value));
END;
CREATE TRIGGER settings_log_update AFTER UPDATE ON settings WHEN (SELECT capture AND NOT applying FROM change_state) AND NEW.key IN ('client_area', 'lifecycle.settings', 'notices.settings', 'billing.payment_methods', 'mail.invitation_template') BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'settings', CAST(OLD.key AS TEXT), 'delete' WHERE CAST(OLD.key AS TEXT) IS NOT CAST(NEW.key AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('settings', CAST(NEW.key AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.key AS TEXT) IS CAST(NEW.key AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'key' AS k, NEW.key AS v WHERE OLD.key IS NOT NEW.key UNION ALL SELECT 'value' AS k, NEW.value AS v WHERE OLD.value IS NOT NEW.value)) ELSE json_object('key', NEW.key, 'value', NEW.value) END);
END;
CREATE TRIGGER settings_log_delete AFTER DELETE ON settings WHEN (SELECT capture AND NOT applying FROM change_state) AND OLD.key IN ('client_area', 'lifecycle.settings', 'notices.settings', 'billing.payment_methods', 'mail.invitation_template') BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('settings', CAST(OLD.key AS TEXT), 'delete');
END;
CREATE TRIGGER invoices_log_insert AFTER INSERT ON invoices WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('invoices', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'service_id', NEW.service_id, 'number', NEW.number, 'amount_cents', NEW.amount_cents, 'currency', NEW.currency, 'status', NEW.status, 'issued_at', NEW.issued_at, 'due_at', NEW.due_at, 'paid_at', NEW.paid_at, 'paid_by', NEW.paid_by, 'reminded_at', NEW.reminded_at));
END;
CREATE TRIGGER invoices_log_update AFTER UPDATE ON invoices WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'invoices', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('invoices', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id UNION ALL SELECT 'number' AS k, NEW.number AS v WHERE OLD.number IS NOT NEW.number UNION ALL SELECT 'amount_cents' AS k, NEW.amount_cents AS v WHERE OLD.amount_cents IS NOT NEW.amount_cents UNION ALL SELECT 'currency' AS k, NEW.currency AS v WHERE OLD.currency IS NOT NEW.currency UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'issued_at' AS k, NEW.issued_at AS v WHERE OLD.issued_at IS NOT NEW.issued_at UNION ALL SELECT 'due_at' AS k, NEW.due_at AS v WHERE OLD.due_at IS NOT NEW.due_at UNION ALL SELECT 'paid_at' AS k, NEW.paid_at AS v WHERE OLD.paid_at IS NOT NEW.paid_at UNION ALL SELECT 'paid_by' AS k, NEW.paid_by AS v WHERE OLD.paid_by IS NOT NEW.paid_by UNION ALL SELECT 'reminded_at' AS k, NEW.reminded_at AS v WHERE OLD.reminded_at IS NOT NEW.reminded_at)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'service_id', NEW.service_id, 'number', NEW.number, 'amount_cents', NEW.amount_cents, 'currency', NEW.currency, 'status', NEW.status, 'issued_at', NEW.issued_at, 'due_at', NEW.due_at, 'paid_at', NEW.paid_at, 'paid_by', NEW.paid_by, 'reminded_at', NEW.reminded_at) END);
END;
CREATE TRIGGER invoices_log_delete AFTER DELETE ON invoices WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('invoices', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER quotes_log_insert AFTER INSERT ON quotes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('quotes', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'number', NEW.number, 'title', NEW.title, 'amount_cents', NEW.amount_cents, 'currency', NEW.currency, 'issued_at', NEW.issued_at, 'status', NEW.status, 'decided_at', NEW.decided_at, 'decided_by', NEW.decided_by, 'decision_note', NEW.decision_note));
END;
CREATE TRIGGER quotes_log_update AFTER UPDATE ON quotes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'quotes', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('quotes', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'number' AS k, NEW.number AS v WHERE OLD.number IS NOT NEW.number UNION ALL SELECT 'title' AS k, NEW.title AS v WHERE OLD.title IS NOT NEW.title UNION ALL SELECT 'amount_cents' AS k, NEW.amount_cents AS v WHERE OLD.amount_cents IS NOT NEW.amount_cents UNION ALL SELECT 'currency' AS k, NEW.currency AS v WHERE OLD.currency IS NOT NEW.currency UNION ALL SELECT 'issued_at' AS k, NEW.issued_at AS v WHERE OLD.issued_at IS NOT NEW.issued_at UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'decided_at' AS k, NEW.decided_at AS v WHERE OLD.decided_at IS NOT NEW.decided_at UNION ALL SELECT 'decided_by' AS k, NEW.decided_by AS v WHERE OLD.decided_by IS NOT NEW.decided_by UNION ALL SELECT 'decision_note' AS k, NEW.decision_note AS v WHERE OLD.decision_note IS NOT NEW.decision_note)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'number', NEW.number, 'title', NEW.title, 'amount_cents', NEW.amount_cents, 'currency', NEW.currency, 'issued_at', NEW.issued_at, 'status', NEW.status, 'decided_at', NEW.decided_at, 'decided_by', NEW.decided_by, 'decision_note', NEW.decision_note) END);
END;
CREATE TRIGGER quotes_log_delete AFTER DELETE ON quotes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('quotes', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER products_log_insert AFTER INSERT ON products WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('products', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'name', NEW.name, 'kind', NEW.kind, 'description', NEW.description, 'price_cents', NEW.price_cents, 'currency', NEW.currency, 'billing_cycle', NEW.billing_cycle, 'active', NEW.active, 'created_at', NEW.created_at));
END;
CREATE TRIGGER products_log_update AFTER UPDATE ON products WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'products', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('products', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'name' AS k, NEW.name AS v WHERE OLD.name IS NOT NEW.name UNION ALL SELECT 'kind' AS k, NEW.kind AS v WHERE OLD.kind IS NOT NEW.kind UNION ALL SELECT 'description' AS k, NEW.description AS v WHERE OLD.description IS NOT NEW.description UNION ALL SELECT 'price_cents' AS k, NEW.price_cents AS v WHERE OLD.price_cents IS NOT NEW.price_cents UNION ALL SELECT 'currency' AS k, NEW.currency AS v WHERE OLD.currency IS NOT NEW.currency UNION ALL SELECT 'billing_cycle' AS k, NEW.billing_cycle AS v WHERE OLD.billing_cycle IS NOT NEW.billing_cycle UNION ALL SELECT 'active' AS k, NEW.active AS v WHERE OLD.active IS NOT NEW.active UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at)) ELSE json_object('id', NEW.id, 'name', NEW.name, 'kind', NEW.kind, 'description', NEW.description, 'price_cents', NEW.price_cents, 'currency', NEW.currency, 'billing_cycle', NEW.billing_cycle, 'active', NEW.active, 'created_at', NEW.created_at) END);
END;
CREATE TRIGGER products_log_delete AFTER DELETE ON products WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('products', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER sites_log_insert AFTER INSERT ON sites WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('sites', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'name', NEW.name, 'base_url', NEW.base_url, 'unlisted', NEW.unlisted, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;
CREATE TRIGGER sites_log_update AFTER UPDATE ON sites WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'sites', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('sites', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'name' AS k, NEW.name AS v WHERE OLD.name IS NOT NEW.name UNION ALL SELECT 'base_url' AS k, NEW.base_url AS v WHERE OLD.base_url IS NOT NEW.base_url UNION ALL SELECT 'unlisted' AS k, NEW.unlisted AS v WHERE OLD.unlisted IS NOT NEW.unlisted UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'updated_at' AS k, NEW.updated_at AS v WHERE OLD.updated_at IS NOT NEW.updated_at)) ELSE json_object('id', NEW.id, 'name', NEW.name, 'base_url', NEW.base_url, 'unlisted', NEW.unlisted, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) END);
END;
CREATE TRIGGER sites_log_delete AFTER DELETE ON sites WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('sites', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER site_areas_log_insert AFTER INSERT ON site_areas WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('site_areas', CAST(NEW.name AS TEXT), 'upsert', json_object('site_id', NEW.site_id, 'name', NEW.name, 'label', NEW.label, 'prefixes', NEW.prefixes, 'position', NEW.position));
END;
CREATE TRIGGER site_areas_log_update AFTER UPDATE ON site_areas WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'site_areas', CAST(OLD.name AS TEXT), 'delete' WHERE CAST(OLD.name AS TEXT) IS NOT CAST(NEW.name AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('site_areas', CAST(NEW.name AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.name AS TEXT) IS CAST(NEW.name AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'site_id' AS k, NEW.site_id AS v WHERE OLD.site_id IS NOT NEW.site_id UNION ALL SELECT 'name' AS k, NEW.name AS v WHERE OLD.name IS NOT NEW.name UNION ALL SELECT 'label' AS k, NEW.label AS v WHERE OLD.label IS NOT NEW.label UNION ALL SELECT 'prefixes' AS k, NEW.prefixes AS v WHERE OLD.prefixes IS NOT NEW.prefixes UNION ALL SELECT 'position' AS k, NEW.position AS v WHERE OLD.position IS NOT NEW.position)) ELSE json_object('site_id', NEW.site_id, 'name', NEW.name, 'label', NEW.label, 'prefixes', NEW.prefixes, 'position', NEW.position) END);
END;
CREATE TRIGGER site_areas_log_delete AFTER DELETE ON site_areas WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('site_areas', CAST(OLD.name AS TEXT), 'delete');
END;
CREATE TRIGGER support_requests_log_insert AFTER INSERT ON support_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('support_requests', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'service_id', NEW.service_id, 'subject', NEW.subject, 'body', NEW.body, 'status', NEW.status, 'opened_by', NEW.opened_by, 'opened_by_contact_id', NEW.opened_by_contact_id, 'opened_by_name', NEW.opened_by_name, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at));
END;
CREATE TRIGGER support_requests_log_update AFTER UPDATE ON support_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'support_requests', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('support_requests', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id UNION ALL SELECT 'subject' AS k, NEW.subject AS v WHERE OLD.subject IS NOT NEW.subject UNION ALL SELECT 'body' AS k, NEW.body AS v WHERE OLD.body IS NOT NEW.body UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'opened_by' AS k, NEW.opened_by AS v WHERE OLD.opened_by IS NOT NEW.opened_by UNION ALL SELECT 'opened_by_contact_id' AS k, NEW.opened_by_contact_id AS v WHERE OLD.opened_by_contact_id IS NOT NEW.opened_by_contact_id UNION ALL SELECT 'opened_by_name' AS k, NEW.opened_by_name AS v WHERE OLD.opened_by_name IS NOT NEW.opened_by_name UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'updated_at' AS k, NEW.updated_at AS v WHERE OLD.updated_at IS NOT NEW.updated_at)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'service_id', NEW.service_id, 'subject', NEW.subject, 'body', NEW.body, 'status', NEW.status, 'opened_by', NEW.opened_by, 'opened_by_contact_id', NEW.opened_by_contact_id, 'opened_by_name', NEW.opened_by_name, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) END);
END;
CREATE TRIGGER support_requests_log_delete AFTER DELETE ON support_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('support_requests', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER support_replies_log_insert AFTER INSERT ON support_replies WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('support_replies', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'request_id', NEW.request_id, 'contact_id', NEW.contact_id, 'from_owner', NEW.from_owner, 'author_name', NEW.author_name, 'body', NEW.body, 'created_at', NEW.created_at));
END;
CREATE TRIGGER support_replies_log_update AFTER UPDATE ON support_replies WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'support_replies', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('support_replies', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'request_id' AS k, NEW.request_id AS v WHERE OLD.request_id IS NOT NEW.request_id UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'from_owner' AS k, NEW.from_owner AS v WHERE OLD.from_owner IS NOT NEW.from_owner UNION ALL SELECT 'author_name' AS k, NEW.author_name AS v WHERE OLD.author_name IS NOT NEW.author_name UNION ALL SELECT 'body' AS k, NEW.body AS v WHERE OLD.body IS NOT NEW.body UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at)) ELSE json_object('id', NEW.id, 'request_id', NEW.request_id, 'contact_id', NEW.contact_id, 'from_owner', NEW.from_owner, 'author_name', NEW.author_name, 'body', NEW.body, 'created_at', NEW.created_at) END);
END;
CREATE TRIGGER support_replies_log_delete AFTER DELETE ON support_replies WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('support_replies', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER payment_reports_log_insert AFTER INSERT ON payment_reports WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('payment_reports', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'invoice_id', NEW.invoice_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'method', NEW.method, 'paid_on', NEW.paid_on, 'reference', NEW.reference, 'state', NEW.state, 'note', NEW.note, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at));
END;
CREATE TRIGGER payment_reports_log_update AFTER UPDATE ON payment_reports WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'payment_reports', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('payment_reports', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'invoice_id' AS k, NEW.invoice_id AS v WHERE OLD.invoice_id IS NOT NEW.invoice_id UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'contact_name' AS k, NEW.contact_name AS v WHERE OLD.contact_name IS NOT NEW.contact_name UNION ALL SELECT 'method' AS k, NEW.method AS v WHERE OLD.method IS NOT NEW.method UNION ALL SELECT 'paid_on' AS k, NEW.paid_on AS v WHERE OLD.paid_on IS NOT NEW.paid_on UNION ALL SELECT 'reference' AS k, NEW.reference AS v WHERE OLD.reference IS NOT NEW.reference UNION ALL SELECT 'state' AS k, NEW.state AS v WHERE OLD.state IS NOT NEW.state UNION ALL SELECT 'note' AS k, NEW.note AS v WHERE OLD.note IS NOT NEW.note UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'decided_at' AS k, NEW.decided_at AS v WHERE OLD.decided_at IS NOT NEW.decided_at)) ELSE json_object('id', NEW.id, 'invoice_id', NEW.invoice_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'method', NEW.method, 'paid_on', NEW.paid_on, 'reference', NEW.reference, 'state', NEW.state, 'note', NEW.note, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at) END);
END;
CREATE TRIGGER payment_reports_log_delete AFTER DELETE ON payment_reports WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('payment_reports', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER orders_log_insert AFTER INSERT ON orders WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('orders', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'product_id', NEW.product_id, 'product_name', NEW.product_name, 'kind', NEW.kind, 'price_cents', NEW.price_cents, 'currency', NEW.currency, 'billing_cycle', NEW.billing_cycle, 'upgrade', NEW.upgrade, 'label', NEW.label, 'note', NEW.note, 'state', NEW.state, 'reason', NEW.reason, 'service_id', NEW.service_id, 'invoice_id', NEW.invoice_id, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at));
END;
CREATE TRIGGER orders_log_update AFTER UPDATE ON orders WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'orders', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('orders', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'contact_name' AS k, NEW.contact_name AS v WHERE OLD.contact_name IS NOT NEW.contact_name UNION ALL SELECT 'product_id' AS k, NEW.product_id AS v WHERE OLD.product_id IS NOT NEW.product_id UNION ALL SELECT 'product_name' AS k, NEW.product_name AS v WHERE OLD.product_name IS NOT NEW.product_name UNION ALL SELECT 'kind' AS k, NEW.kind AS v WHERE OLD.kind IS NOT NEW.kind UNION ALL SELECT 'price_cents' AS k, NEW.price_cents AS v WHERE OLD.price_cents IS NOT NEW.price_cents UNION ALL SELECT 'currency' AS k, NEW.currency AS v WHERE OLD.currency IS NOT NEW.currency UNION ALL SELECT 'billing_cycle' AS k, NEW.billing_cycle AS v WHERE OLD.billing_cycle IS NOT NEW.billing_cycle UNION ALL SELECT 'upgrade' AS k, NEW.upgrade AS v WHERE OLD.upgrade IS NOT NEW.upgrade UNION ALL SELECT 'label' AS k, NEW.label AS v WHERE OLD.label IS NOT NEW.label UNION ALL SELECT 'note' AS k, NEW.note AS v WHERE OLD.note IS NOT NEW.note UNION ALL SELECT 'state' AS k, NEW.state AS v WHERE OLD.state IS NOT NEW.state UNION ALL SELECT 'reason' AS k, NEW.reason AS v WHERE OLD.reason IS NOT NEW.reason UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id UNION ALL SELECT 'invoice_id' AS k, NEW.invoice_id AS v WHERE OLD.invoice_id IS NOT NEW.invoice_id UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'decided_at' AS k, NEW.decided_at AS v WHERE OLD.decided_at IS NOT NEW.decided_at)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'product_id', NEW.product_id, 'product_name', NEW.product_name, 'kind', NEW.kind, 'price_cents', NEW.price_cents, 'currency', NEW.currency, 'billing_cycle', NEW.billing_cycle, 'upgrade', NEW.upgrade, 'label', NEW.label, 'note', NEW.note, 'state', NEW.state, 'reason', NEW.reason, 'service_id', NEW.service_id, 'invoice_id', NEW.invoice_id, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at) END);
END;
CREATE TRIGGER orders_log_delete AFTER DELETE ON orders WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('orders', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER access_requests_log_insert AFTER INSERT ON access_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('access_requests', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'contact_id', NEW.contact_id, 'kind', NEW.kind, 'item', NEW.item, 'adds', NEW.adds, 'label', NEW.label, 'denial', NEW.denial, 'note', NEW.note, 'source', NEW.source, 'state', NEW.state, 'reason', NEW.reason, 'created_at', NEW.created_at, 'expires_at', NEW.expires_at, 'decided_at', NEW.decided_at, 'decided_by', NEW.decided_by));
END;
CREATE TRIGGER access_requests_log_update AFTER UPDATE ON access_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'access_requests', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('access_requests', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'kind' AS k, NEW.kind AS v WHERE OLD.kind IS NOT NEW.kind UNION ALL SELECT 'item' AS k, NEW.item AS v WHERE OLD.item IS NOT NEW.item UNION ALL SELECT 'adds' AS k, NEW.adds AS v WHERE OLD.adds IS NOT NEW.adds UNION ALL SELECT 'label' AS k, NEW.label AS v WHERE OLD.label IS NOT NEW.label UNION ALL SELECT 'denial' AS k, NEW.denial AS v WHERE OLD.denial IS NOT NEW.denial UNION ALL SELECT 'note' AS k, NEW.note AS v WHERE OLD.note IS NOT NEW.note UNION ALL SELECT 'source' AS k, NEW.source AS v WHERE OLD.source IS NOT NEW.source UNION ALL SELECT 'state' AS k, NEW.state AS v WHERE OLD.state IS NOT NEW.state UNION ALL SELECT 'reason' AS k, NEW.reason AS v WHERE OLD.reason IS NOT NEW.reason UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'expires_at' AS k, NEW.expires_at AS v WHERE OLD.expires_at IS NOT NEW.expires_at UNION ALL SELECT 'decided_at' AS k, NEW.decided_at AS v WHERE OLD.decided_at IS NOT NEW.decided_at UNION ALL SELECT 'decided_by' AS k, NEW.decided_by AS v WHERE OLD.decided_by IS NOT NEW.decided_by)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'contact_id', NEW.contact_id, 'kind', NEW.kind, 'item', NEW.item, 'adds', NEW.adds, 'label', NEW.label, 'denial', NEW.denial, 'note', NEW.note, 'source', NEW.source, 'state', NEW.state, 'reason', NEW.reason, 'created_at', NEW.created_at, 'expires_at', NEW.expires_at, 'decided_at', NEW.decided_at, 'decided_by', NEW.decided_by) END);
END;
CREATE TRIGGER access_requests_log_delete AFTER DELETE ON access_requests WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('access_requests', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER cancellations_log_insert AFTER INSERT ON cancellations WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('cancellations', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'service_id', NEW.service_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'timing', NEW.timing, 'reason', NEW.reason, 'state', NEW.state, 'note', NEW.note, 'effective_at', NEW.effective_at, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at));
END;
CREATE TRIGGER cancellations_log_update AFTER UPDATE ON cancellations WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'cancellations', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('cancellations', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'contact_name' AS k, NEW.contact_name AS v WHERE OLD.contact_name IS NOT NEW.contact_name UNION ALL SELECT 'timing' AS k, NEW.timing AS v WHERE OLD.timing IS NOT NEW.timing UNION ALL SELECT 'reason' AS k, NEW.reason AS v WHERE OLD.reason IS NOT NEW.reason UNION ALL SELECT 'state' AS k, NEW.state AS v WHERE OLD.state IS NOT NEW.state UNION ALL SELECT 'note' AS k, NEW.note AS v WHERE OLD.note IS NOT NEW.note UNION ALL SELECT 'effective_at' AS k, NEW.effective_at AS v WHERE OLD.effective_at IS NOT NEW.effective_at UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'decided_at' AS k, NEW.decided_at AS v WHERE OLD.decided_at IS NOT NEW.decided_at)) ELSE json_object('id', NEW.id, 'service_id', NEW.service_id, 'contact_id', NEW.contact_id, 'contact_name', NEW.contact_name, 'timing', NEW.timing, 'reason', NEW.reason, 'state', NEW.state, 'note', NEW.note, 'effective_at', NEW.effective_at, 'created_at', NEW.created_at, 'decided_at', NEW.decided_at) END);
END;
CREATE TRIGGER cancellations_log_delete AFTER DELETE ON cancellations WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('cancellations', CAST(OLD.id AS TEXT), 'delete');
END;
CREATE TRIGGER service_changes_log_insert AFTER INSERT ON service_changes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('service_changes', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'service_id', NEW.service_id, 'field', NEW.field, 'before', NEW.before, 'after', NEW.after, 'actor', NEW.actor, 'actor_name', NEW.actor_name, 'contact_id', NEW.contact_id, 'created_at', NEW.created_at, 'reverts', NEW.reverts, 'reverted_by', NEW.reverted_by));
END;
CREATE TRIGGER service_changes_log_update AFTER UPDATE ON service_changes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'service_changes', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('service_changes', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'service_id' AS k, NEW.service_id AS v WHERE OLD.service_id IS NOT NEW.service_id UNION ALL SELECT 'field' AS k, NEW.field AS v WHERE OLD.field IS NOT NEW.field UNION ALL SELECT 'before' AS k, NEW.before AS v WHERE OLD.before IS NOT NEW.before UNION ALL SELECT 'after' AS k, NEW.after AS v WHERE OLD.after IS NOT NEW.after UNION ALL SELECT 'actor' AS k, NEW.actor AS v WHERE OLD.actor IS NOT NEW.actor UNION ALL SELECT 'actor_name' AS k, NEW.actor_name AS v WHERE OLD.actor_name IS NOT NEW.actor_name UNION ALL SELECT 'contact_id' AS k, NEW.contact_id AS v WHERE OLD.contact_id IS NOT NEW.contact_id UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'reverts' AS k, NEW.reverts AS v WHERE OLD.reverts IS NOT NEW.reverts UNION ALL SELECT 'reverted_by' AS k, NEW.reverted_by AS v WHERE OLD.reverted_by IS NOT NEW.reverted_by)) ELSE json_object('id', NEW.id, 'service_id', NEW.service_id, 'field', NEW.field, 'before', NEW.before, 'after', NEW.after, 'actor', NEW.actor, 'actor_name', NEW.actor_name, 'contact_id', NEW.contact_id, 'created_at', NEW.created_at, 'reverts', NEW.reverts, 'reverted_by', NEW.reverted_by) END);
END;
CREATE TRIGGER service_changes_log_delete AFTER DELETE ON service_changes WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) VALUES ('service_changes', CAST(OLD.id AS TEXT), 'delete');
END;
