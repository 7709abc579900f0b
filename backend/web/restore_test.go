package web_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/store/storetest"
)

// dbFile is the live database's file name.
func (e *env) dbFile() string {
	e.t.Helper()
	return filepath.Join(e.app.DataDir(), core.DBFile)
}

// dbHash hashes the live database file and its WAL.
func (e *env) dbHash() [32]byte {
	e.t.Helper()
	var all []byte
	for _, f := range []string{e.dbFile(), e.dbFile() + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			e.t.Fatal(err)
		}
		all = append(append(all, b...), 0)
	}
	return sha256.Sum256(all)
}

// POST /api/restore refuses a hostile or foreign file with 422 and a
// reason, changes nothing, and no reply names a path on the machine.
func TestRestoreOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.ok(201, "POST", "/api/accounts", `{"name":"Acme"}`)
	backup := e.ok(200, "GET", "/api/backup", nil).body
	dataDir := filepath.Dir(e.dbFile())
	for name, file := range map[string][]byte{
		"trigger":      storetest.Edit(t, backup, `CREATE TRIGGER t AFTER UPDATE ON contacts BEGIN SELECT 1; END`),
		"view":         storetest.Edit(t, backup, `CREATE VIEW v AS SELECT * FROM accounts`),
		"wrong schema": storetest.Edit(t, backup, `DROP TABLE audit_log`),
		"garbage":      append([]byte("SQLite format 3\x00"), strings.Repeat("garbage!", 1000)...),
	} {
		t.Run(name, func(t *testing.T) {
			before := e.dbHash()
			r := e.do("POST", "/api/restore", file)
			if r.status != 422 {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			if code, field := r.errorOf(t); code != "invalid" || field != "file" {
				t.Errorf("error %s on %q", code, field)
			}
			if strings.Contains(string(r.body), dataDir) || strings.Contains(string(r.body), os.TempDir()) {
				t.Errorf("reply names a path: %s", r.body)
			}
			if e.dbHash() != before {
				t.Error("the live database changed")
			}
			e.ok(200, "GET", "/api/accounts", nil)
		})
	}
	r := e.ok(200, "POST", "/api/restore", backup)
	var res struct {
		SafetyCopy string `json:"safety_copy"`
	}
	r.into(t, &res)
	if !strings.HasPrefix(res.SafetyCopy, "backups/before-restore-") || strings.Contains(string(r.body), dataDir) {
		t.Errorf("restore reply: %s", r.body)
	}
	if _, err := os.Stat(filepath.Join(dataDir, filepath.FromSlash(res.SafetyCopy))); err != nil {
		t.Errorf("safety copy: %v", err)
	}
}
