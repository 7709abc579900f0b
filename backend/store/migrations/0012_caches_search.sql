-- What each write transaction changed, for the caches Grantbook keeps in
-- memory (compiled grants, services, sites, sessions, contact counts).
-- Triggers note every change, whoever makes it; the transaction reads and
-- empties the table just before it commits, and the caches drop those
-- entries once it has. The table is empty between transactions.
CREATE TABLE cache_changes (
	kind TEXT    NOT NULL, -- contact, service, site, session, or a list of an account: account (its contacts), invoices, services
	id   INTEGER NOT NULL  -- that row's id, or the account's
);

-- A contact's grant is its contact, grant and grant_services rows. A new
-- grant row belongs to a contact not cached yet: only its later changes count.
CREATE TRIGGER contacts_cache_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO cache_changes VALUES ('account', NEW.account_id);
END;
CREATE TRIGGER contacts_cache_update AFTER UPDATE ON contacts BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.id), ('contact', NEW.id), ('account', OLD.account_id), ('account', NEW.account_id);
END;
CREATE TRIGGER contacts_cache_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.id), ('account', OLD.account_id);
END;
CREATE TRIGGER grants_cache_update AFTER UPDATE ON grants BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.contact_id), ('contact', NEW.contact_id);
END;
CREATE TRIGGER grants_cache_delete AFTER DELETE ON grants BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.contact_id);
END;
CREATE TRIGGER grant_services_cache_insert AFTER INSERT ON grant_services BEGIN
	INSERT INTO cache_changes VALUES ('contact', NEW.contact_id);
END;
CREATE TRIGGER grant_services_cache_update AFTER UPDATE ON grant_services BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.contact_id), ('contact', NEW.contact_id);
END;
CREATE TRIGGER grant_services_cache_delete AFTER DELETE ON grant_services BEGIN
	INSERT INTO cache_changes VALUES ('contact', OLD.contact_id);
END;

CREATE TRIGGER services_cache_insert AFTER INSERT ON services BEGIN
	INSERT INTO cache_changes VALUES ('services', NEW.account_id);
END;
CREATE TRIGGER services_cache_update AFTER UPDATE ON services BEGIN
	INSERT INTO cache_changes VALUES ('service', OLD.id), ('service', NEW.id), ('services', OLD.account_id), ('services', NEW.account_id);
END;
CREATE TRIGGER services_cache_delete AFTER DELETE ON services BEGIN
	INSERT INTO cache_changes VALUES ('service', OLD.id), ('services', OLD.account_id);
END;

-- The client area's lists of an account's invoices and services.
CREATE TRIGGER invoices_cache_insert AFTER INSERT ON invoices BEGIN
	INSERT INTO cache_changes VALUES ('invoices', NEW.account_id);
END;
CREATE TRIGGER invoices_cache_update AFTER UPDATE ON invoices BEGIN
	INSERT INTO cache_changes VALUES ('invoices', OLD.account_id), ('invoices', NEW.account_id);
END;
CREATE TRIGGER invoices_cache_delete AFTER DELETE ON invoices BEGIN
	INSERT INTO cache_changes VALUES ('invoices', OLD.account_id);
END;

CREATE TRIGGER sites_cache_insert AFTER INSERT ON sites BEGIN INSERT INTO cache_changes VALUES ('site', NEW.id); END;
CREATE TRIGGER sites_cache_update AFTER UPDATE ON sites BEGIN INSERT INTO cache_changes VALUES ('site', OLD.id); END;
CREATE TRIGGER sites_cache_delete AFTER DELETE ON sites BEGIN INSERT INTO cache_changes VALUES ('site', OLD.id); END;
CREATE TRIGGER site_areas_cache_insert AFTER INSERT ON site_areas BEGIN INSERT INTO cache_changes VALUES ('site', NEW.site_id); END;
CREATE TRIGGER site_areas_cache_update AFTER UPDATE ON site_areas BEGIN INSERT INTO cache_changes VALUES ('site', OLD.site_id); END;
CREATE TRIGGER site_areas_cache_delete AFTER DELETE ON site_areas BEGIN INSERT INTO cache_changes VALUES ('site', OLD.site_id); END;

CREATE TRIGGER sessions_cache_update AFTER UPDATE ON sessions BEGIN
	INSERT INTO cache_changes VALUES ('session', OLD.id);
END;
CREATE TRIGGER sessions_cache_delete AFTER DELETE ON sessions BEGIN
	INSERT INTO cache_changes VALUES ('session', OLD.id);
END;
CREATE TRIGGER session_contacts_cache_insert AFTER INSERT ON session_contacts BEGIN
	INSERT INTO cache_changes VALUES ('session', NEW.session_id);
END;
CREATE TRIGGER session_contacts_cache_update AFTER UPDATE ON session_contacts BEGIN
	INSERT INTO cache_changes VALUES ('session', OLD.session_id), ('session', NEW.session_id);
END;
CREATE TRIGGER session_contacts_cache_delete AFTER DELETE ON session_contacts BEGIN
	INSERT INTO cache_changes VALUES ('session', OLD.session_id);
END;

-- Search: an FTS5 index of search_key (migration 4) in trigrams, so that a
-- search looks its candidates up instead of reading every row. Case is
-- already folded in search_key, as the query is (strings.ToLower), so the
-- index keeps case (case_sensitive 1) and compares exactly what today's
-- LIKE compared; detail=none keeps it small: a GLOB on it checks each
-- candidate against search_key itself.
CREATE VIRTUAL TABLE contacts_search USING fts5(search_key, content='contacts', content_rowid='id',
	tokenize='trigram case_sensitive 1', detail='none');

-- Contacts with an id up to indexed_upto are in the index. A bulk import
-- leaves its rows above it for the background indexer; meanwhile searches
-- read those rows directly.
CREATE TABLE search_state (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	indexed_upto INTEGER NOT NULL
);
INSERT INTO search_state VALUES (1, 0);

-- A new contact goes in at once when it follows the indexed ones (the
-- usual case: ids grow by one).
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
	WHEN NEW.id <= (SELECT indexed_upto FROM search_state) + 1 BEGIN
	INSERT INTO contacts_search (rowid, search_key) VALUES (NEW.id, NEW.search_key);
	UPDATE search_state SET indexed_upto = max(indexed_upto, NEW.id);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF search_key ON contacts
	WHEN OLD.id <= (SELECT indexed_upto FROM search_state) BEGIN
	INSERT INTO contacts_search (contacts_search, rowid, search_key) VALUES ('delete', OLD.id, OLD.search_key);
	INSERT INTO contacts_search (rowid, search_key) VALUES (NEW.id, NEW.search_key);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
	WHEN OLD.id <= (SELECT indexed_upto FROM search_state) BEGIN
	INSERT INTO contacts_search (contacts_search, rowid, search_key) VALUES ('delete', OLD.id, OLD.search_key);
END;
