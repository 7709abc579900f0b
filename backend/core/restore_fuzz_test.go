package core_test

import (
	"bytes"
	"context"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/store/storetest"
)

// FuzzRestore feeds mutated backups to Restore: each is refused as an
// invalid file with the live data untouched, or restored with exactly the
// migrations' schema; never an internal error, never a panic.
//
//	go test ./backend/core -run '^$' -fuzz FuzzRestore -fuzztime 3000x -fuzzminimizetime 3s
//
// (a count, not a duration: a -fuzztime duration can end in a spurious
// "context deadline exceeded" from the fuzzing coordinator)
func FuzzRestore(f *testing.F) {
	a, good := seeded(f)
	// Small pages make small seeds, which the fuzzer mutates far faster.
	good = storetest.Edit(f, good, `PRAGMA page_size = 512`, `VACUUM`)
	f.Add(good)
	for _, q := range []string{
		`CREATE TRIGGER t AFTER INSERT ON signin_codes BEGIN UPDATE signin_codes SET code_hash = X'00' WHERE id = NEW.id; END`,
		`CREATE VIEW v AS SELECT * FROM contacts`,
		`CREATE INDEX i ON contacts(phone)`,
		`ALTER TABLE contacts ADD COLUMN x TEXT`,
		`ANALYZE`,
		`INSERT INTO schema_migrations VALUES (999)`,
		`PRAGMA ignore_check_constraints = ON; UPDATE contacts SET status = 'god'`,
	} {
		f.Add(storetest.Edit(f, good, q))
	}
	f.Add([]byte("SQLite format 3\x00"))
	want := freshSchema(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, file []byte) {
		before := fingerprint(t, a)
		_, err := a.Restore(ctx, bytes.NewReader(file))
		if err == nil {
			if got := schemaOf(t, a.StoreForTest().DB()); got != want {
				t.Fatalf("restored a schema that is not the migrations':\n%s", got)
			}
			return
		}
		if e, ok := core.AsError(err); !ok || e.Code != core.CodeInvalid {
			t.Fatalf("not a refusal: %v", err)
		}
		if fingerprint(t, a) != before {
			t.Fatal("a refused restore changed the live database")
		}
	})
}
