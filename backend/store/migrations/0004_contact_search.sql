-- Contact lists are read in name order, and searched.
--
-- search_key holds name, email and company lower-cased by Go's
-- strings.ToLower (unicode_lower) when written, so a search is one LIKE on
-- one column with no function call per row. Fields are joined by U+001F,
-- which searches never contain: a match never spans two fields.
ALTER TABLE contacts ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE contacts SET search_key = unicode_lower(first_name || ' ' || last_name || char(31) || email || char(31) || company);

-- Both indexes are in list order and cover the search: a page is read
-- without sorting, a deep page skips index entries, a common match stops
-- after one page and a rare one reads only the index.
CREATE INDEX contacts_order ON contacts(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search_key);
CREATE INDEX contacts_account_order ON contacts(account_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search_key);
