-- The contacts an audit entry concerns besides its own entity: everyone a
-- bulk action or an import changed, and an invitation's contact. A
-- contact's history and the audit log's contact filter read it.
CREATE TABLE audit_contacts (
	audit_id   INTEGER NOT NULL REFERENCES audit_log(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL, -- no foreign key: the history outlives the contact
	PRIMARY KEY (contact_id, audit_id)
) WITHOUT ROWID;

INSERT INTO audit_contacts (audit_id, contact_id)
	SELECT a.id, i.contact_id FROM audit_log a JOIN invitations i ON i.id = a.entity_id WHERE a.entity = 'invitation';
