package core_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/core"
)

func openCore(t testing.TB) *core.App {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	a, err := core.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func contactCount(t testing.TB, a *core.App) int {
	t.Helper()
	_, n, err := a.Contacts(context.Background(), core.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	a, backup := seeded(t)
	accs, err := a.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acc := accs[0]
	// Changes after the backup...
	if _, err := a.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "L", LastName: "P", Email: "linus@example.com", Preset: "full"}); err != nil {
		t.Fatal(err)
	}
	if n := contactCount(t, a); n != 3 {
		t.Fatalf("%d contacts before restore", n)
	}
	// ...are undone by the restore, and kept in the safety copy.
	res, err := a.Restore(ctx, bytes.NewReader(backup))
	if err != nil {
		t.Fatal(err)
	}
	if res.Contacts != 2 || contactCount(t, a) != 2 {
		t.Errorf("restore reports %d contacts, store has %d; want 2", res.Contacts, contactCount(t, a))
	}
	safety := filepath.Join(filepath.Dir(liveFile(t, a)), filepath.FromSlash(res.SafetyCopy))
	if _, err := os.Stat(safety); err != nil {
		t.Errorf("no safety copy: %v", err)
	}
	problems, err := a.IntegrityCheck(ctx)
	if err != nil || len(problems) > 0 {
		t.Errorf("integrity after restore: %v %v", problems, err)
	}
	// The restored database is writable and the restore is audited.
	if _, err := a.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "N", LastName: "W", Email: "new@example.com", Preset: "personal"}); err != nil {
		t.Errorf("write after restore: %v", err)
	}
	entries, _, err := a.Audit(ctx, core.AuditFilter{Entity: "database"})
	if err != nil || len(entries) != 1 || entries[0].Action != "backup.restore" {
		t.Errorf("restore audit: %v %v", entries, err)
	}

	// The safety copy is itself a valid backup.
	f, err := os.Open(safety)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if res2, err := a.Restore(ctx, f); err != nil || res2.Contacts != 3 {
		t.Errorf("restoring the safety copy: %+v %v", res2, err)
	}
}

func TestRestoreRefusesBadFilesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	a := openCore(t)
	acc, _ := a.CreateAccount(ctx, "Acme")
	a.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "X", LastName: "Y", Email: "ada@example.com", Preset: "billing"})

	var good bytes.Buffer
	if err := a.BackupStream(ctx, &good); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(good.Bytes())
	// Scribble over the pages after the header: integrity_check or the
	// schema read must notice.
	for i := 4096; i < len(damaged) && i < 4096*3; i++ {
		damaged[i] = 0xA5
	}
	otherDB := filepath.Join(t.TempDir(), "other.db")
	if err := os.WriteFile(otherDB, []byte("SQLite format 3\x00"+strings.Repeat("\x00", 84)), 0o600); err != nil {
		t.Fatal(err)
	}
	other, _ := os.ReadFile(otherDB)
	for name, data := range map[string][]byte{
		"not SQLite":       []byte("hello, this is a text file"),
		"empty":            nil,
		"damaged pages":    damaged,
		"truncated header": other,
		"truncated backup": good.Bytes()[:len(good.Bytes())/2],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Restore(ctx, bytes.NewReader(data))
			if err == nil {
				t.Fatal("restore accepted it")
			}
			if e, ok := core.AsError(err); !ok || e.Code != core.CodeInvalid {
				t.Errorf("error %v is not a clear invalid-file error", err)
			}
			if n := contactCount(t, a); n != 1 {
				t.Errorf("%d contacts after a refused restore, want 1", n)
			}
		})
	}
}
