-- Search in list order (issue 16). The trigram index's rowid becomes a
-- contact's search rank, search_group << 26 | id: search_group
-- (searchorder.go, written by Grantbook with search_key) grows with the
-- contact's place in list order, so a MATCH yields its candidates in that
-- order and a page stops after it is full, instead of reading and sorting
-- every candidate (a common last name is 5 % of a million rows).
-- NULL (a row written without it) and ids past 2^26 are left out of the
-- index and read directly, like the rows above search_state's mark.
DROP TRIGGER contacts_search_insert;
DROP TRIGGER contacts_search_update;
DROP TRIGGER contacts_search_delete;
DROP TABLE contacts_search;

ALTER TABLE contacts ADD COLUMN search_group INTEGER;
-- Without noting every contact for the caches (which start empty), nor
-- logging it as a change (each side computes it from the names); the
-- change log's triggers (migration 18) then log the column with the others.
DROP TRIGGER contacts_cache_update;
DROP TRIGGER contacts_log_insert;
DROP TRIGGER contacts_log_update;
UPDATE contacts SET search_group = search_group(last_name, first_name);
CREATE TRIGGER contacts_cache_update AFTER UPDATE ON contacts BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.id), ('contact', NEW.id), ('account', OLD.account_id), ('account', NEW.account_id);
END;
CREATE TRIGGER contacts_log_insert AFTER INSERT ON contacts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op, fields) VALUES ('contacts', CAST(NEW.id AS TEXT), 'upsert', json_object('id', NEW.id, 'account_id', NEW.account_id, 'account_type', NEW.account_type, 'first_name', NEW.first_name, 'last_name', NEW.last_name, 'email', NEW.email, 'email_key', NEW.email_key, 'phone', NEW.phone, 'company', NEW.company, 'role', NEW.role, 'status', NEW.status, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'search_key', NEW.search_key, 'search_group', NEW.search_group, 'suspended_by', NEW.suspended_by));
END;
CREATE TRIGGER contacts_log_update AFTER UPDATE ON contacts WHEN (SELECT capture AND NOT applying FROM change_state) BEGIN
	INSERT INTO change_log (entity, key, op) SELECT 'contacts', CAST(OLD.id AS TEXT), 'delete' WHERE CAST(OLD.id AS TEXT) IS NOT CAST(NEW.id AS TEXT);
	INSERT INTO change_log (entity, key, op, fields) VALUES ('contacts', CAST(NEW.id AS TEXT), 'upsert',
		CASE WHEN CAST(OLD.id AS TEXT) IS CAST(NEW.id AS TEXT) THEN (SELECT json_group_object(k, v) FROM (SELECT 'id' AS k, NEW.id AS v WHERE OLD.id IS NOT NEW.id UNION ALL SELECT 'account_id' AS k, NEW.account_id AS v WHERE OLD.account_id IS NOT NEW.account_id UNION ALL SELECT 'account_type' AS k, NEW.account_type AS v WHERE OLD.account_type IS NOT NEW.account_type UNION ALL SELECT 'first_name' AS k, NEW.first_name AS v WHERE OLD.first_name IS NOT NEW.first_name UNION ALL SELECT 'last_name' AS k, NEW.last_name AS v WHERE OLD.last_name IS NOT NEW.last_name UNION ALL SELECT 'email' AS k, NEW.email AS v WHERE OLD.email IS NOT NEW.email UNION ALL SELECT 'email_key' AS k, NEW.email_key AS v WHERE OLD.email_key IS NOT NEW.email_key UNION ALL SELECT 'phone' AS k, NEW.phone AS v WHERE OLD.phone IS NOT NEW.phone UNION ALL SELECT 'company' AS k, NEW.company AS v WHERE OLD.company IS NOT NEW.company UNION ALL SELECT 'role' AS k, NEW.role AS v WHERE OLD.role IS NOT NEW.role UNION ALL SELECT 'status' AS k, NEW.status AS v WHERE OLD.status IS NOT NEW.status UNION ALL SELECT 'created_at' AS k, NEW.created_at AS v WHERE OLD.created_at IS NOT NEW.created_at UNION ALL SELECT 'updated_at' AS k, NEW.updated_at AS v WHERE OLD.updated_at IS NOT NEW.updated_at UNION ALL SELECT 'search_key' AS k, NEW.search_key AS v WHERE OLD.search_key IS NOT NEW.search_key UNION ALL SELECT 'search_group' AS k, NEW.search_group AS v WHERE OLD.search_group IS NOT NEW.search_group UNION ALL SELECT 'suspended_by' AS k, NEW.suspended_by AS v WHERE OLD.suspended_by IS NOT NEW.suspended_by)) ELSE json_object('id', NEW.id, 'account_id', NEW.account_id, 'account_type', NEW.account_type, 'first_name', NEW.first_name, 'last_name', NEW.last_name, 'email', NEW.email, 'email_key', NEW.email_key, 'phone', NEW.phone, 'company', NEW.company, 'role', NEW.role, 'status', NEW.status, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'search_key', NEW.search_key, 'search_group', NEW.search_group, 'suspended_by', NEW.suspended_by) END);
END;
CREATE INDEX contacts_unranked ON contacts(id) WHERE search_group IS NULL;

-- Contentless: the rows are read from contacts, and a row is deleted by
-- its rank alone. The background indexer fills it (searches read the
-- rows above the mark directly meanwhile).
CREATE VIRTUAL TABLE contacts_search USING fts5(search_key, content='', contentless_delete=1,
	tokenize='trigram case_sensitive 1', detail='none');
UPDATE search_state SET indexed_upto = 0;

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
	WHEN NEW.id <= (SELECT indexed_upto FROM search_state) + 1 BEGIN
	INSERT INTO contacts_search (rowid, search_key) SELECT NEW.search_group << 26 | NEW.id, NEW.search_key
		WHERE NEW.search_group IS NOT NULL AND NEW.id < 67108864;
	UPDATE search_state SET indexed_upto = max(indexed_upto, NEW.id);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF search_key, search_group ON contacts
	WHEN OLD.id <= (SELECT indexed_upto FROM search_state) BEGIN
	DELETE FROM contacts_search WHERE rowid = (OLD.search_group << 26 | OLD.id);
	INSERT INTO contacts_search (rowid, search_key) SELECT NEW.search_group << 26 | NEW.id, NEW.search_key
		WHERE NEW.search_group IS NOT NULL AND NEW.id < 67108864;
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
	WHEN OLD.id <= (SELECT indexed_upto FROM search_state) BEGIN
	DELETE FROM contacts_search WHERE rowid = (OLD.search_group << 26 | OLD.id);
END;

-- Settings (the owner's time zone, the lifecycle settings) and second
-- factors are read on every check and client-area request: cached, and
-- dropped when they change.
CREATE TRIGGER settings_cache_insert AFTER INSERT ON settings BEGIN INSERT INTO cache_changes VALUES ('settings', 0); END;
CREATE TRIGGER settings_cache_update AFTER UPDATE ON settings BEGIN INSERT INTO cache_changes VALUES ('settings', 0); END;
CREATE TRIGGER settings_cache_delete AFTER DELETE ON settings BEGIN INSERT INTO cache_changes VALUES ('settings', 0); END;
CREATE TRIGGER passkeys_cache_insert AFTER INSERT ON passkeys BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
CREATE TRIGGER passkeys_cache_update AFTER UPDATE OF email_key ON passkeys BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
CREATE TRIGGER passkeys_cache_delete AFTER DELETE ON passkeys BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
CREATE TRIGGER totp_cache_insert AFTER INSERT ON totp_factors BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
CREATE TRIGGER totp_cache_update AFTER UPDATE OF email_key, confirmed_at ON totp_factors BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
CREATE TRIGGER totp_cache_delete AFTER DELETE ON totp_factors BEGIN INSERT INTO cache_changes VALUES ('factors', 0); END;
