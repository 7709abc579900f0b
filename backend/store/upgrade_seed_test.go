package store_test

// seedTime is a fixed instant (2026-01-10 09:00 UTC) so fixtures are stable.
const seedTime = 1768035600

// seedStep writes realistic rows into the tables a migration created, with
// only the columns that existed at that migration. A database at version k
// gets the steps 1..k.
var seedSteps = map[int]string{
	1: `
INSERT INTO accounts (id, name, created_at) VALUES
	(1, 'Acme Ltd', @now),
	(2, 'Élodie''s Bakery', @now + 60);
INSERT INTO services (id, account_id, name, kind, status, created_at) VALUES
	(1, 1, 'acme.com', 'domain', 'active', @now),
	(2, 1, 'Business hosting', 'hosting', 'active', @now),
	(3, 2, 'boulangerie.fr', 'domain', 'suspended', @now + 60);
INSERT INTO contacts (id, account_id, account_type, first_name, last_name, email, email_key, phone, company, role, status, created_at, updated_at) VALUES
	(1, 1, 'user', 'Ada', 'Lovelace', 'Ada@Example.com', 'ada@example.com', '+44 20 7946 0000', 'Analytical Ltd', 'Accountant', 'active', @now, @now),
	(2, 1, 'user', 'Grace', 'Hopper', 'grace@example.com', 'grace@example.com', '', '', 'Developer', 'invited', @now, @now + 5),
	(3, 2, 'user', 'Élodie', 'Dupré', 'ÉLODIE@exemple.fr', 'élodie@exemple.fr', '', 'Boulangerie', 'Owner''s assistant', 'suspended', @now + 60, @now + 120);
INSERT INTO grants (contact_id, preset, permissions, all_services, expires_at, admin_all, admin_areas) VALUES
	(1, 'billing', 'invoices.view invoices.pay quotes.view', 1, NULL, 0, NULL),
	(2, 'technical', 'services.view support.open', 0, @now + 31536000, 0, 'content plugins'),
	(3, 'full', 'invoices.view services.view profile.edit', 1, NULL, 1, '');
INSERT INTO grant_services (contact_id, service_id) VALUES (2, 2);
INSERT INTO audit_log (id, at, actor, action, entity, entity_id, summary, before, after) VALUES
	(1, @now, 'owner', 'create', 'account', 1, 'Created account Acme Ltd', NULL, '{"name":"Acme Ltd"}'),
	(2, @now + 5, 'owner', 'update', 'contact', 2, 'Changed Grace Hopper''s access', '{"preset":"billing"}', '{"preset":"technical"}');
`,
	2: `
INSERT INTO invitations (id, account_id, contact_id, email, token, message_id, state, detail, note, created_at, sent_at, expires_at, decided_at) VALUES
	(1, 1, 2, 'grace@example.com', 'tok-current-2', 'inv-2@grantbook.invalid', 'sent', '', 'Welcome aboard!', @now, @now + 30, @now + 1209600, NULL),
	(2, 1, 1, 'Ada@Example.com', 'tok-ada', 'inv-1@grantbook.invalid', 'accepted', 'replied yes', '', @now, @now + 30, @now + 1209600, @now + 3600);
INSERT INTO invitation_tokens (token, invitation_id, message_id, issued_at, voided_at) VALUES
	('tok-old-2', 1, 'inv-2-old@grantbook.invalid', @now - 86400, @now),
	('tok-current-2', 1, 'inv-2@grantbook.invalid', @now, NULL),
	('tok-ada', 2, 'inv-1@grantbook.invalid', @now, NULL);
INSERT INTO outbox (id, message_id, kind, ref_id, mail_from, rcpt, raw, state, attempts, next_attempt_at, last_error, created_at, sent_at) VALUES
	(1, 'inv-2@grantbook.invalid', 'invitation', 1, 'owner@acme.com', 'grace@example.com', X'46726f6d3a206f776e65724061636d652e636f6d0d0a0d0a48656c6c6f', 'sent', 1, @now, '', @now, @now + 30),
	(2, 'code-1@grantbook.invalid', 'signin_code', NULL, 'owner@acme.com', 'ada@example.com', X'00ff10', 'pending', 2, @now + 600, '421 try again later', @now, NULL);
INSERT INTO inbox_cursor (mailbox, uidvalidity, last_uid) VALUES ('INBOX', 1700000000, 42);
INSERT INTO mail_events (id, at, invitation_id, uid, message_id, from_addr, subject, verdict, reason) VALUES
	(1, @now + 3600, 2, 41, 'reply-1@example.com', 'Ada@Example.com', 'Re: Invitation', 'accept', 'genuine reply'),
	(2, @now + 3700, NULL, 42, 'ooo@example.com', 'grace@example.com', 'Out of office', 'ignore', 'auto-reply');
INSERT INTO settings (key, value) VALUES
	('mail.settings', '{"from":"owner@acme.com","smtp":{"host":"smtp.acme.com","port":587},"imap":{"host":"imap.acme.com","port":993}}'),
	('mail.smtp.password', 'keyring:mail.smtp.password'),
	('mail.invitation_template', '{"subject":"Access to {{.Account}}","body":"Reply yes to accept."}');
`,
	3: `
UPDATE accounts SET email = 'billing@acme.com', phone = '+44 20 7946 0001', address = '1 High Street
London' WHERE id = 1;
INSERT INTO invoices (id, account_id, service_id, number, amount_cents, currency, status, issued_at, due_at, paid_at, paid_by) VALUES
	(1, 1, 2, 'INV-2026-001', 12900, 'EUR', 'paid', @now, @now + 2592000, @now + 86400, 'ada@example.com'),
	(2, 1, NULL, 'INV-2026-002', 4500, 'GBP', 'unpaid', @now + 100, NULL, NULL, '');
INSERT INTO quotes (id, account_id, number, title, amount_cents, currency, issued_at) VALUES
	(1, 1, 'Q-7', 'Shop redesign', 250000, 'EUR', @now);
INSERT INTO support_requests (id, account_id, service_id, subject, body, status, opened_by, created_at) VALUES
	(1, 1, 2, 'Site is slow', 'Since Monday the shop takes 10 s to load.', 'open', 'grace@example.com', @now + 200);
INSERT INTO signin_codes (id, contact_id, code_hash, created_at, expires_at, attempts, used_at) VALUES
	(1, 1, X'9f86d081884c7d659a2feaa0c55ad015', @now, @now + 600, 1, @now + 60);
INSERT INTO sessions (id, contact_id, token_hash, csrf_token, created_at, last_seen, expires_at, revoked_at, user_agent, remote_addr) VALUES
	(1, 1, X'2c26b46b68ffc68ff99b453c1d304134', 'csrf-abc', @now + 60, @now + 120, @now + 2592000, NULL, 'Mozilla/5.0', '192.0.2.10');
`,
	5: `
INSERT INTO signin_codes (id, contact_id, nonce_hash, code_hash, created_at, expires_at, attempts, used_at) VALUES
	(2, 1, X'8d969eef6ecad3c29a3a629280e686cf', X'0c1ac8a1b2c3d4e5f60718293a4b5c6d', @now + 300, @now + 900, 0, NULL);
INSERT INTO sessions (id, contact_id, email_key, token_hash, csrf_token, created_at, last_seen, expires_at, revoked_at, user_agent, remote_addr) VALUES
	(2, NULL, 'ada@example.com', X'fcde2b2edba56bf408601fb721fe9b5c', 'csrf-def', @now + 400, @now + 400, @now + 29200, NULL, 'Firefox', '198.51.100.4');
INSERT INTO session_contacts (session_id, contact_id, revoked_at) VALUES (1, 1, NULL), (2, 1, @now + 500);
`,
	9: `
UPDATE grants SET billing_scope = 'account' WHERE contact_id = 1;
UPDATE accounts SET holder_contact_id = 1 WHERE id = 1;
UPDATE contacts SET suspended_by = 'owner' WHERE id = 3;
INSERT INTO products (id, name, kind, description, price_cents, currency, billing_cycle, active, created_at) VALUES
	(1, 'Business hosting', 'hosting', '10 GB, daily backups', 1500, 'EUR', 'monthly', 1, @now),
	(2, '.com domain', 'domain', '', 1200, 'EUR', 'yearly', 0, @now);
UPDATE services SET settings = '{"nameservers":["ns1.example.net","ns2.example.net"],"auto_renew":true}', product_id = 2,
	renews_at = @now + 31536000 WHERE id = 1;
INSERT INTO service_changes (id, service_id, field, before, after, actor, actor_name, contact_id, created_at, reverts, reverted_by) VALUES
	(1, 1, 'auto_renew', 'false', 'true', 'contact ada@example.com', 'Ada Lovelace', 1, @now + 300, NULL, 2),
	(2, 1, 'auto_renew', 'true', 'false', 'owner', 'Owner', NULL, @now + 400, 1, NULL);
INSERT INTO cancellations (id, service_id, contact_id, contact_name, timing, reason, state, note, effective_at, created_at, decided_at) VALUES
	(1, 2, 1, 'Ada Lovelace', 'end_of_term', 'Moving to another host', 'requested', '', NULL, @now + 500, NULL);
INSERT INTO payment_reports (id, invoice_id, contact_id, contact_name, method, paid_on, reference, state, note, created_at, decided_at) VALUES
	(1, 2, 1, 'Ada Lovelace', 'bank_transfer', '2026-01-09', 'INV-2026-002', 'reported', '', @now + 600, NULL);
UPDATE invoices SET status = 'reported' WHERE id = 2;
INSERT INTO orders (id, account_id, contact_id, contact_name, product_id, product_name, kind, price_cents, currency, billing_cycle,
	upgrade, label, note, state, reason, service_id, invoice_id, created_at, decided_at) VALUES
	(1, 1, 1, 'Ada Lovelace', 1, 'Business hosting', 'hosting', 1500, 'EUR', 'monthly', 0, 'shop.acme.com', '', 'pending', '', NULL, NULL, @now + 700, NULL);
UPDATE quotes SET status = 'accepted', decided_at = @now + 800, decided_by = 'Ada Lovelace' WHERE id = 1;
INSERT INTO support_replies (id, request_id, contact_id, from_owner, author_name, body, created_at) VALUES
	(1, 1, NULL, 1, 'Support', 'We are looking into it.', @now + 900);
UPDATE support_requests SET status = 'answered', updated_at = @now + 900 WHERE id = 1;
INSERT INTO notices (id, account_id, service_id, kind, audience, subject, body, created_at) VALUES
	(1, 1, NULL, 'invoice.new', 'client', 'New invoice INV-2026-002', 'Hello,', @now + 100);
INSERT INTO notice_recipients (notice_id, email_key, email, name, contact_id, outbox_id) VALUES
	(1, 'billing@acme.com', 'billing@acme.com', 'Acme Ltd', NULL, NULL);
`,
	11: `
UPDATE sites SET base_url = 'https://shop.acme.com' WHERE id = 1;
INSERT INTO settings (key, value) VALUES ('site.public_url', 'https://grantbook.acme.com');
`,
}
