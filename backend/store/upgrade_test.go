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
	// One public address: the sites' becomes the client area's (0013).
	{13, "settings", func(cols, row []string) {
		if row[0] == "text:'site.public_url'" {
			row[0], row[1] = "text:'client_area'", `text:'{"address":"https://grantbook.acme.com"}'`
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
	if v, err := s.SchemaVersion(ctx); err != nil || v != steps[len(steps)-1].Version {
		t.Fatalf("schema version after upgrade = %d, %v; want %d", v, err, steps[len(steps)-1].Version)
	}
	if problems, err := s.IntegrityCheck(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("integrity after upgrade: %v %v", problems, err)
	}
	for table, b := range before {
		// cache_changes notes writes for the caches (migration 12): the
		// seed's raw writes and the migrations' own fill it, and the next
		// transaction empties it.
		if len(b.rows) == 0 || table == "cache_changes" || (strings.HasPrefix(table, "contacts_search") || table == "search_state") && oldVersion < 19 {
			continue // (0019) the search index is rebuilt from the contacts, checked below by a search
		}
		for _, ch := range intended {
			if ch.table == table && oldVersion < ch.version {
				for _, row := range b.rows {
					ch.apply(b.cols, row)
				}
			}
		}
		after := selectRows(t, s.DB(), table, b.cols)
		if table == "audit_log" && len(after) > len(b.rows) {
			after = after[:len(b.rows)] // migrations may say what they did
		}
		// A changed key moves a row: compare as sets.
		slices.SortFunc(b.rows, slices.Compare)
		slices.SortFunc(after, slices.Compare)
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
			if k >= 4 { // the search keys that Grantbook writes with each contact (the seed's SQL leaves them out)
				db, err := sql.Open("sqlite3_grantbook", "file:"+file)
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.Exec(`UPDATE contacts SET search_key = unicode_lower(first_name || ' ' || last_name || char(31) || email || char(31) || company)`)
				db.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
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
			// Searches find her before the background indexer has run and after.
			for more, indexed := true, false; ; indexed = true {
				cs, _, err := s.ContactsPage(ctx, store.ContactFilter{Query: "LODIE@exemple", Limit: 10})
				if err != nil || len(cs) != 1 || cs[0].ID != 3 {
					t.Errorf("search after upgrade (indexed %v): %d contacts, %v", indexed, len(cs), err)
				}
				if indexed {
					break
				}
				for more {
					if more, err = s.IndexSearch(ctx, 1000); err != nil {
						t.Fatal(err)
					}
				}
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
