-- How each write transaction moved contacts in and within the listings
-- without a grant or search filter (a contact's account, status and
-- place in name order), so that the listings' counts and marks kept in
-- memory follow the change instead of being read again (core's
-- listmarks.go). Drained with cache_changes and, like it, empty between
-- transactions. A bulk import suspends these triggers and notes
-- ('lists', 0) in cache_changes instead: every listing is read again.
CREATE TABLE list_changes (
	old_id INTEGER, old_account INTEGER, old_status TEXT, old_last TEXT, old_first TEXT, -- NULL id: inserted
	new_id INTEGER, new_account INTEGER, new_status TEXT, new_last TEXT, new_first TEXT  -- NULL id: deleted
);
CREATE TRIGGER contacts_lists_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO list_changes VALUES (NULL, NULL, NULL, NULL, NULL, NEW.id, NEW.account_id, NEW.status, NEW.last_name, NEW.first_name);
END;
CREATE TRIGGER contacts_lists_update AFTER UPDATE OF id, account_id, status, last_name, first_name ON contacts BEGIN
	INSERT INTO list_changes VALUES (OLD.id, OLD.account_id, OLD.status, OLD.last_name, OLD.first_name,
		NEW.id, NEW.account_id, NEW.status, NEW.last_name, NEW.first_name);
END;
CREATE TRIGGER contacts_lists_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO list_changes VALUES (OLD.id, OLD.account_id, OLD.status, OLD.last_name, OLD.first_name, NULL, NULL, NULL, NULL, NULL);
END;
