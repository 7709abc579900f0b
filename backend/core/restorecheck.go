package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"grantbook/backend/store"
)

// migrationsTable records the data version; it is structure, not data.
const migrationsTable = "schema_migrations"

// schemaDiff says, in words, how a backup's schema (got) differs from the
// one the migrations create (want). SQLite's statistics tables (ANALYZE)
// are allowed and dropped: they steer the planner and hold no data.
func schemaDiff(want, got []store.SchemaObject) []string {
	key := func(o store.SchemaObject) string { return o.Type + " " + o.Name }
	expected := map[string]store.SchemaObject{}
	for _, o := range want {
		expected[key(o)] = o
	}
	var diffs []string
	seen := map[string]bool{}
	for _, o := range got {
		if o.Type == "table" && strings.HasPrefix(o.Name, "sqlite_stat") {
			continue
		}
		w, ok := expected[key(o)]
		seen[key(o)] = true
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("it has %s %q that Grantbook does not create", article(o.Type), o.Name))
		case w.Table != o.Table || w.SQL != o.SQL:
			diffs = append(diffs, fmt.Sprintf("its %s %q is not defined the way Grantbook defines it", o.Type, o.Name))
		}
	}
	for _, o := range want {
		if !seen[key(o)] {
			diffs = append(diffs, fmt.Sprintf("it lacks the %s %q", o.Type, o.Name))
		}
	}
	return diffs
}

func article(typ string) string {
	if typ == "index" {
		return "an index"
	}
	return "a " + typ
}

func hasMigrationsTable(objs []store.SchemaObject) bool {
	return slices.ContainsFunc(objs, func(o store.SchemaObject) bool {
		return o.Type == "table" && o.Name == migrationsTable
	})
}

// derivedTables hold what the restored database computes again from its
// rows: the search index's state (its index is a virtual table), and the
// changes the caches are told of (empty between transactions).
var derivedTables = map[string]bool{"search_state": true, "cache_changes": true, "list_changes": true}

// dataTables are the tables whose rows a restore copies: all the
// migrations create but the version record, SQLite's own, virtual tables
// and their shadow tables (SQLite guards those: the search index is built
// again from the contacts) and derived tables.
func dataTables(schema []store.SchemaObject) []string {
	var virtual []string
	for _, o := range schema {
		if o.Type == "table" && strings.HasPrefix(o.SQL, "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, o.Name+"_")
		}
	}
	var out []string
	for _, o := range schema {
		shadow := slices.ContainsFunc(virtual, func(p string) bool { return strings.HasPrefix(o.Name, p) })
		if o.Type == "table" && o.Name != migrationsTable && !strings.HasPrefix(o.Name, "sqlite_") &&
			!strings.HasPrefix(o.SQL, "CREATE VIRTUAL TABLE") && !shadow && !derivedTables[o.Name] {
			out = append(out, o.Name)
		}
	}
	return out
}

func joinFirst(s []string, n int) string {
	if len(s) > n {
		return strings.Join(s[:n], "; ") + fmt.Sprintf(" (and %d more differences)", len(s)-n)
	}
	return strings.Join(s, "; ")
}

// Safety copies: the data as it was before each restore, in the data
// folder's backups/; the newest keepSafetyCopies are kept.
const (
	safetyDir        = "backups"
	safetyPrefix     = "before-restore-"
	safetyStamp      = "20060102-150405"
	keepSafetyCopies = 5
)

// safetyCopy saves the live data and returns the copy's name relative to
// the data folder.
func (a *App) safetyCopy(ctx context.Context) (string, error) {
	dir := filepath.Join(a.dataDir, safetyDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("restore: safety copy folder: %w", err)
	}
	copies, err := safetyCopies(dir)
	if err != nil {
		return "", fmt.Errorf("restore: safety copies: %w", err)
	}
	stamp := a.now().UTC().Format(safetyStamp)
	name := safetyPrefix + stamp + ".db"
	if n := len(copies); n > 0 && copies[n-1].stamp == stamp { // more within a second
		name = fmt.Sprintf("%s%s-%d.db", safetyPrefix, stamp, max(copies[n-1].n, 1)+1)
	}
	if err := a.store.BackupTo(ctx, filepath.Join(dir, name)); err != nil {
		return "", fmt.Errorf("restore: safety copy: %w", err)
	}
	return safetyDir + "/" + name, nil
}

// safetyName is a safety copy's file name, read: stamp, then n for the
// second and later copies within that second.
type safetyName struct {
	file, stamp string
	n           int
}

// safetyCopies lists the safety copies in dir, oldest first; other files
// are not listed.
func safetyCopies(dir string) ([]safetyName, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var copies []safetyName
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), safetyPrefix)
		rest, ok2 := strings.CutSuffix(rest, ".db")
		if !ok || !ok2 || e.IsDir() || len(rest) < len(safetyStamp) {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(rest[len(safetyStamp):], "-"))
		copies = append(copies, safetyName{e.Name(), rest[:len(safetyStamp)], n})
	}
	slices.SortFunc(copies, func(x, y safetyName) int {
		if c := strings.Compare(x.stamp, y.stamp); c != 0 {
			return c
		}
		return x.n - y.n
	})
	return copies, nil
}

// pruneSafetyCopies removes all but the newest keepSafetyCopies.
func pruneSafetyCopies(dir string) error {
	copies, err := safetyCopies(dir)
	if err != nil {
		return err
	}
	for len(copies) > keepSafetyCopies {
		if err := os.Remove(filepath.Join(dir, copies[0].file)); err != nil {
			return err
		}
		copies = copies[1:]
	}
	return nil
}
