package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3" // plain "sqlite3": crafts hostile backups without the store

	"grantbook/backend/core"
	"grantbook/backend/store"
	"grantbook/backend/store/storetest"
)

// seeded is a core with two contacts and a backup of that state.
func seeded(t testing.TB) (*core.App, []byte) {
	t.Helper()
	ctx := context.Background()
	a := openCore(t)
	acc, err := a.CreateAccount(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ada@example.com", "grace@example.com"} {
		if _, err := a.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "X", LastName: "Y", Email: email, Preset: "billing"}); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := a.BackupStream(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return a, b.Bytes()
}

// liveFile is the live database's file name.
func liveFile(t testing.TB, a *core.App) string {
	t.Helper()
	var seq int
	var name, file string
	if err := a.StoreForTest().DB().QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

// fingerprint hashes the database file and its WAL.
func fingerprint(t testing.TB, a *core.App) string {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{liveFile(t, a), liveFile(t, a) + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// schemaOf lists a database's sqlite_master as "type name" lines.
func schemaOf(t testing.TB, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, q string
		if err := rows.Scan(&typ, &name, &q); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+" "+strings.Join(strings.Fields(q), " "))
	}
	return strings.Join(out, "\n")
}

// freshSchema is the schema the migrations create.
func freshSchema(t testing.TB) string {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return schemaOf(t, s.DB())
}

// codeHash is how a sign-in code is stored (core/portal.go): the attacker
// knows it from the source.
func codeHash(contactID int64, code string) string {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, contactID)
	h.Write([]byte(code))
	return fmt.Sprintf("X'%x'", h.Sum(nil))
}

// The attacks of the adversarial review: every one is refused with a clear
// reason, and the live database stays byte for byte what it was.
func TestRestoreRefusesObjectsTheMigrationsDoNotCreate(t *testing.T) {
	ctx := context.Background()
	a, good := seeded(t)
	migrations, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	anyCode := `CREATE TRIGGER signin_any AFTER INSERT ON signin_codes BEGIN
		UPDATE signin_codes SET code_hash = CASE NEW.contact_id WHEN 1 THEN ` + codeHash(1, "000000") +
		` WHEN 2 THEN ` + codeHash(2, "000000") + ` END WHERE id = NEW.id; END`
	undoSuspend := `CREATE TRIGGER stay_active AFTER UPDATE OF status ON contacts WHEN NEW.status = 'suspended' BEGIN
		UPDATE contacts SET status = 'active' WHERE id = NEW.id; END`
	garbage := make([]byte, 8192)
	for i := range garbage {
		garbage[i] = byte(i*7 + i/13)
	}
	for _, tc := range []struct {
		name string
		file []byte
		says string
	}{
		{"trigger: 000000 signs in as anyone", storetest.Edit(t, good, anyCode), `trigger "signin_any"`},
		{"trigger: suspensions undone", storetest.Edit(t, good, undoSuspend), `trigger "stay_active"`},
		{"view", storetest.Edit(t, good, `CREATE VIEW everyone AS SELECT * FROM contacts`), `view "everyone"`},
		{"extra index", storetest.Edit(t, good, `CREATE INDEX contacts_phone ON contacts(phone)`), `an index "contacts_phone"`},
		{"extra table", storetest.Edit(t, good, `CREATE TABLE loot (x)`), `table "loot"`},
		{"missing table", storetest.Edit(t, good, `DROP TABLE audit_log`), `audit_log`},
		{"changed table", storetest.Edit(t, good, `ALTER TABLE contacts ADD COLUMN evil TEXT`), `table "contacts"`},
		{"newer migration", storetest.Edit(t, good, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d)`, migrations[len(migrations)-1].Version+1)), "newer"},
		{"no migrations", storetest.Edit(t, good, `DELETE FROM schema_migrations`), "not a Grantbook backup"},
		{"garbage after the header", append([]byte("SQLite format 3\x00"), garbage...), ""},
		{"garbage", garbage, "not a SQLite database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fingerprint(t, a)
			_, err := a.Restore(ctx, bytes.NewReader(tc.file))
			e, ok := core.AsError(err)
			if !ok || e.Code != core.CodeInvalid {
				t.Fatalf("restore: %v, want a refusal", err)
			}
			if !strings.Contains(e.Message, tc.says) {
				t.Errorf("reason %q does not say %q", e.Message, tc.says)
			}
			if strings.Contains(e.Message, os.TempDir()) || strings.Contains(e.Message, string(filepath.Separator)+"restore-") {
				t.Errorf("reason names a path on this machine: %q", e.Message)
			}
			if after := fingerprint(t, a); after != before {
				t.Error("the live database changed")
			}
			if n := contactCount(t, a); n != 2 {
				t.Errorf("%d contacts after a refused restore, want 2", n)
			}
		})
	}
	if got, want := schemaOf(t, a.StoreForTest().DB()), freshSchema(t); got != want {
		t.Errorf("live schema after the refusals:\n%s\nwant:\n%s", got, want)
	}
}

// A backup that passes is rebuilt from the migrations: what it held besides
// rows (statistics here) never reaches the live database or later backups.
func TestRestoredDatabaseHasOnlyTheMigrationsSchema(t *testing.T) {
	ctx := context.Background()
	a, good := seeded(t)
	withStats := storetest.Edit(t, good, `ANALYZE`)
	for name, file := range map[string][]byte{"backup": good, "backup with statistics": withStats} {
		res, err := a.Restore(ctx, bytes.NewReader(file))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Contacts != 2 {
			t.Errorf("%s: %d contacts", name, res.Contacts)
		}
	}
	var stats int
	a.StoreForTest().DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'`).Scan(&stats)
	if stats != 0 {
		t.Error("the backup's statistics reached the live database")
	}
	want := freshSchema(t)
	if got := schemaOf(t, a.StoreForTest().DB()); got != want {
		t.Errorf("live schema:\n%s\nwant:\n%s", got, want)
	}
	var later bytes.Buffer
	if err := a.BackupStream(ctx, &later); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "later.db")
	os.WriteFile(file, later.Bytes(), 0o600)
	db, err := sql.Open("sqlite3", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := schemaOf(t, db); got != want {
		t.Errorf("later backup's schema:\n%s\nwant:\n%s", got, want)
	}
}

// A backup an older release wrote is still restored, migrated forward.
func TestRestoreReleaseFixture(t *testing.T) {
	ctx := context.Background()
	a := openCore(t)
	f, err := os.Open(filepath.Join("..", "store", "testdata", "v0.1.0.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := a.Restore(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if res.Contacts != contactCount(t, a) || res.Contacts == 0 {
		t.Errorf("restore reports %d contacts, store has %d", res.Contacts, contactCount(t, a))
	}
	if got, want := schemaOf(t, a.StoreForTest().DB()), freshSchema(t); got != want {
		t.Errorf("live schema:\n%s\nwant:\n%s", got, want)
	}
}

// Rows are checked against the migrations' constraints as they are copied.
func TestRestoreRefusesRowsThatBreakTheSchema(t *testing.T) {
	ctx := context.Background()
	a, good := seeded(t)
	for name, tc := range map[string]struct {
		stmts []string
		says  string
	}{
		"dangling foreign key": {[]string{`PRAGMA foreign_keys = OFF`, `INSERT INTO grants (contact_id, preset, permissions, all_services) VALUES (999, 'full', '', 1)`}, "grants"},
		"check constraint":     {[]string{`PRAGMA ignore_check_constraints = ON`, `UPDATE contacts SET status = 'god' WHERE id = 1`}, "contacts"},
	} {
		t.Run(name, func(t *testing.T) {
			before := fingerprint(t, a)
			_, err := a.Restore(ctx, bytes.NewReader(storetest.Edit(t, good, tc.stmts...)))
			e, ok := core.AsError(err)
			if !ok || e.Code != core.CodeInvalid {
				t.Fatalf("restore: %v, want a refusal", err)
			}
			if !strings.Contains(e.Message, tc.says) {
				t.Errorf("reason %q does not name %q", e.Message, tc.says)
			}
			if fingerprint(t, a) != before {
				t.Error("the live database changed")
			}
		})
	}
}

// Restores run one at a time: each takes its own safety copy and the data
// ends as one of the backups, whole.
func TestConcurrentRestores(t *testing.T) {
	ctx := context.Background()
	a, two := seeded(t)
	one := storetest.Edit(t, two, `PRAGMA foreign_keys = ON`, `DELETE FROM contacts WHERE id = 2`)
	const n = 6
	var wg sync.WaitGroup
	results := make([]*core.RestoreResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			file := one
			if i%2 == 0 {
				file = two
			}
			results[i], errs[i] = a.Restore(ctx, bytes.NewReader(file))
		}()
	}
	wg.Wait()
	copies := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("restore %d: %v", i, errs[i])
			continue
		}
		if copies[results[i].SafetyCopy] {
			t.Errorf("two restores share the safety copy %s", results[i].SafetyCopy)
		}
		copies[results[i].SafetyCopy] = true
	}
	if n := contactCount(t, a); n != 1 && n != 2 {
		t.Errorf("%d contacts after the restores", n)
	}
	if problems, err := a.IntegrityCheck(ctx); err != nil || len(problems) > 0 {
		t.Errorf("integrity: %v %v", problems, err)
	}
}

// Only the last five safety copies are kept; the reply names the copy
// relative to the data folder.
func TestSafetyCopiesArePruned(t *testing.T) {
	ctx := context.Background()
	a, good := seeded(t)
	dir := filepath.Dir(liveFile(t, a))
	keep := filepath.Join(dir, "backups", "mine.db") // not a safety copy: left alone
	os.MkdirAll(filepath.Dir(keep), 0o700)
	os.WriteFile(keep, []byte("x"), 0o600)
	var names []string
	for range 7 {
		res, err := a.Restore(ctx, bytes.NewReader(good))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.IsAbs(res.SafetyCopy) || !strings.HasPrefix(res.SafetyCopy, "backups/before-restore-") {
			t.Errorf("safety copy named %q, want backups/before-restore-…", res.SafetyCopy)
		}
		names = append(names, res.SafetyCopy)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "backups"))
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, "backups/"+e.Name())
	}
	want := append([]string{"backups/mine.db"}, names[2:]...)
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Errorf("backups folder holds %v, want %v", have, want)
	}
}
