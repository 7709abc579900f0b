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
-- Without noting every contact for the caches (which start empty).
DROP TRIGGER contacts_cache_update;
UPDATE contacts SET search_group = search_group(last_name, first_name);
CREATE TRIGGER contacts_cache_update AFTER UPDATE ON contacts BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.id), ('contact', NEW.id), ('account', OLD.account_id), ('account', NEW.account_id);
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
