package store_test

// Upgrades must keep every row. Two tests hold this:
//
//   - TestUpgradeFromEarlierSchemas builds, for every k below the newest
//     schema, a database with only migrations 1..k (the last release's set
//     is k = N-1), fills it with realistic rows written with the SQL of that
//     schema, opens it with store.Open and checks the rows came through.
//   - TestUpgradeFromReleaseFixtures does the same for the databases in
//     testdata/ (one per release, made by that release's migrations and never
//     regenerated), so later migrations are tested against real old files.
//
// Making a release's fixture (once, when the release is cut):
//
//	GRANTBOOK_WRITE_FIXTURE=v0.2.0 go test ./backend/store -run TestWriteReleaseFixture

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // plain "sqlite3": the old schema is built without the store

	"grantbook/backend/store"
)

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
}

// buildOldDB makes a database at schema version k with plain database/sql,
// the way an older Grantbook left it, and fills it with seed rows.
func buildOldDB(t *testing.T, file string, k int) {
	t.Helper()
	steps, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// The store's driver: from migration 4 on, the schema calls its
	// unicode_lower(), which every release since has registered.
	db, err := sql.Open("sqlite3_grantbook", "file:"+file+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("schema %d: %v\n%s", k, err, q)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`)
	for _, st := range steps[:k] {
		exec(st.SQL)
		exec(`INSERT INTO schema_migrations (version) VALUES (?)`, st.Version)
	}
	for _, st := range steps[:k] {
		if seed, ok := seedSteps[st.Version]; ok {
			exec(strings.ReplaceAll(seed, "@now", fmt.Sprint(seedTime)))
		}
	}
}

// tableDump is every row of every table, as text, keyed by table; columns
// are those of the database the dump was taken from.
type tableDump map[string]struct {
	cols []string
	rows [][]string
}

func dump(t *testing.T, db *sql.DB) tableDump {
	t.Helper()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	out := tableDump{}
	for _, n := range names {
		cols := columns(t, db, n)
		d := out[n]
		d.cols = cols
		d.rows = selectRows(t, db, n, cols)
		out[n] = d
	}
	return out
}

func columns(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	return cols
}

// selectRows reads the named columns of a table in a stable order (every
// column, so WITHOUT ROWID tables sort too). Values are rendered with their
// SQLite type so 1 and '1' differ.
func selectRows(t *testing.T, db *sql.DB, table string, cols []string) [][]string {
	t.Helper()
	quoted := make([]string, len(cols))
	order := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = fmt.Sprintf("typeof(%[1]q) || ':' || quote(%[1]q)", c)
		order[i] = fmt.Sprint(i + 1)
	}
	rows, err := db.Query(fmt.Sprintf(`SELECT %s FROM %q ORDER BY %s`, strings.Join(quoted, ", "), table, strings.Join(order, ", ")))
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

// intended lists what migrations change in old rows on purpose; the
// comparison expects those changes and nothing else.
var intended = []struct {
	version int // the migration making the change
	table   string
	apply   func(cols, row []string)
}{
	// Sign-in code mails held the code in clear: emptied, and unsent ones cancelled.
	{5, "outbox", func(cols, row []string) {
		col := func(name string) *string { return &row[slices.Index(cols, name)] }
		if *col("kind") != "text:'signin_code'" {
			return
		}
		*col("raw") = "blob:X''"
		if *col("state") == "text:'pending'" {
			*col("state") = "text:'cancelled'"
			*col("last_error") = "text:'not sent: sign-in codes from before this version no longer work'"
		}
	}},
	// Full means everything a contact can do: it gains quotes.accept.
	{9, "grants", func(cols, row []string) {
		col := func(name string) *string { return &row[slices.Index(cols, name)] }
		if *col("preset") == "text:'full'" {
			*col("permissions") = strings.TrimSuffix(*col("permissions"), "'") + " quotes.accept'"
		}
	}},
}

// upgradeAndCompare opens file with store.Open (which migrates it) and
// checks every row and column the old file had is still there, unchanged,
// and the schema is the newest.
func upgradeAndCompare(t *testing.T, file string) {
	t.Helper()
	steps, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite3", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	before := dump(t, old)
	var oldVersion int
	old.QueryRow(`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&oldVersion)
	old.Close()
	if len(before) == 0 {
		t.Fatal("the old database has no tables")
	}

	s, err := store.Open(ctx, file)
	if err != nil {
		t.Fatalf("upgrade from schema %d: %v", oldVersion, err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(steps) {
		t.Fatalf("schema version after upgrade = %d, %v; want %d", v, err, len(steps))
	}
	if problems, err := s.IntegrityCheck(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("integrity after upgrade: %v %v", problems, err)
	}
	for table, b := range before {
		if len(b.rows) == 0 {
			continue
		}
		for _, ch := range intended {
			if ch.table == table && oldVersion < ch.version {
				for _, row := range b.rows {
					ch.apply(b.cols, row)
				}
			}
		}
		after := selectRows(t, s.DB(), table, b.cols)
		if !reflect.DeepEqual(after, b.rows) {
			t.Errorf("table %s changed in the upgrade from schema %d:\nbefore %v\nafter  %v", table, oldVersion, b.rows, after)
		}
	}

	// The app's own reads see the old data, new columns at their defaults.
	accounts, err := s.Accounts(ctx)
	if err != nil || len(accounts) == 0 {
		t.Fatalf("Accounts after upgrade: %d, %v", len(accounts), err)
	}
	for _, a := range accounts {
		services, err := s.Services(ctx, a.ID)
		if err != nil || len(services) != a.ServiceCount {
			t.Errorf("account %q: %d services, %v; counted %d", a.Name, len(services), err, a.ServiceCount)
		}
		contacts, total, err := s.Contacts(ctx, store.ContactFilter{AccountID: a.ID, Limit: 1000})
		if err != nil || total != a.ContactCount || len(contacts) != total {
			t.Errorf("account %q: %d/%d contacts, %v; counted %d", a.Name, len(contacts), total, err, a.ContactCount)
		}
	}
}

// TestUpgradeFromEarlierSchemas upgrades a database at every earlier schema
// version, the previous release's (N-1) included, to the newest.
func TestUpgradeFromEarlierSchemas(t *testing.T) {
	steps, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) < 2 {
		t.Skip("only one migration: nothing to upgrade from")
	}
	for k := len(steps) - 1; k >= 1; k-- {
		t.Run(fmt.Sprintf("from_%d_of_%d", k, len(steps)), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "grantbook.db")
			buildOldDB(t, file, k)
			upgradeAndCompare(t, file)

			// The seeded rows read back through the store as the app sees them.
			s, err := store.Open(ctx, file)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			acme, err := s.Account(ctx, 1)
			if err != nil || acme.Name != "Acme Ltd" || acme.ServiceCount != 2 || acme.ContactCount != 2 {
				t.Fatalf("account 1 = %+v, %v", acme, err)
			}
			grace, err := s.Contact(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if grace.Grant.Preset != "technical" || grace.Grant.AllServices || len(grace.Grant.ServiceIDs) != 1 ||
				grace.Grant.ServiceIDs[0] != 2 || grace.Grant.ExpiresAt == nil || grace.Admin == nil ||
				strings.Join(grace.Admin.Areas, ",") != "content,plugins" {
				t.Errorf("Grace's grant after upgrade: %+v admin %+v", grace.Grant, grace.Admin)
			}
			elodie, err := s.ContactByEmail(ctx, "élodie@EXEMPLE.fr", 2)
			if err != nil || elodie.ID != 3 {
				t.Errorf("case-folded look-up after upgrade: %+v, %v", elodie, err)
			}
		})
	}
}

// TestUpgradeFromReleaseFixtures opens a copy of every release's database
// in testdata/ and checks its rows survive the current migrations.
func TestUpgradeFromReleaseFixtures(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "v*.db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) == 0 {
		t.Fatal("no release fixtures in testdata/: the upgrade path is untested")
	}
	for _, f := range fixtures {
		t.Run(filepath.Base(f), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "grantbook.db")
			copyFile(t, f, file)
			upgradeAndCompare(t, file)
		})
	}
}

// TestWriteReleaseFixture writes testdata/<release>.db with the current
// migrations and the seed rows. It only runs when asked.
func TestWriteReleaseFixture(t *testing.T) {
	name := os.Getenv("GRANTBOOK_WRITE_FIXTURE")
	if name == "" {
		t.Skip("set GRANTBOOK_WRITE_FIXTURE=vX.Y.Z to write testdata/vX.Y.Z.db")
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(name) {
		t.Fatalf("GRANTBOOK_WRITE_FIXTURE=%q: want vX.Y.Z", name)
	}
	dst := filepath.Join("testdata", name+".db")
	if _, err := os.Stat(dst); err == nil {
		t.Fatalf("%s exists: a release's fixture is never rewritten", dst)
	}
	steps, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "grantbook.db")
	buildOldDB(t, tmp, len(steps))
	// Through store.Open once, as the release would have left it.
	s, err := store.Open(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`PRAGMA journal_mode = DELETE; VACUUM`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, tmp, dst)
	t.Logf("wrote %s (schema %d)", dst, len(steps))
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// Contacts written before the search column existed are found by search
// after the upgrade, accents and case included.
func TestSearchFindsContactsFromBeforeTheSearchColumn(t *testing.T) {
	file := filepath.Join(t.TempDir(), "old.db")
	buildOldDB(t, file, 3) // the schema of v0.1.0, before search_key
	s, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{"élodie", "DUPRÉ", "élodie dupré", "exemple.fr", "boulangerie"} {
		cs, total, err := s.Contacts(ctx, store.ContactFilter{Query: q, Limit: 10})
		if err != nil || total != 1 || len(cs) != 1 || cs[0].LastName != "Dupré" {
			t.Errorf("search %q after upgrade: %d found (%v)", q, total, err)
		}
	}
	if _, total, _ := s.Contacts(ctx, store.ContactFilter{Query: "dupré\x1fÉLODIE", Limit: 10}); total != 0 {
		t.Error("a search matched across two fields")
	}
}
