// Package store keeps Grantbook's data in one SQLite file.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// driverName is SQLite with unicode_lower(): SQLite's lower() folds ASCII
// only, so a search for "élodie" would never find "Élodie"; and with
// search_group(last, first) (searchorder.go), which migration 19 fills the
// contacts' search_group with.
const driverName = "sqlite3_grantbook"

// readerDriver is driverName for the read pool, which maps the file into
// memory: a search reads rows at random all over it, and a read from the
// map costs no system call (half the CPU of a search page at a million
// contacts, bench/paths). The pages are the kernel's file cache, counted
// in the process's RSS while mapped and dropped under memory pressure.
const readerDriver = "sqlite3_grantbook_read"

// readerMmap is how much of the file the readers map: none on Windows,
// where a mapped file cannot be shrunk by another connection.
var readerMmap = map[bool]int{true: 0, false: 1 << 30}[runtime.GOOS == "windows"]

func init() {
	functions := func(c *sqlite3.SQLiteConn) error {
		if err := c.RegisterFunc("unicode_lower", strings.ToLower, true); err != nil {
			return err
		}
		return c.RegisterFunc("search_group", searchGroup, true)
	}
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: functions})
	sql.Register(readerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if err := functions(c); err != nil {
			return err
		}
		_, err := c.Exec(fmt.Sprintf("PRAGMA mmap_size = %d", readerMmap), nil)
		return err
	}})
}

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique constraint rejects a write.
var ErrDuplicate = errors.New("duplicate")

// Store is the database: a pool of read-only connections for reads (its
// embedded Q) and one connection for every write (Tx), so writers queue in
// Go and never meet in SQLite's busy handler.
type Store struct {
	Q
	db   *sql.DB // readers
	w    *sql.DB // the writer: one connection
	file string

	watch watchers // told about each transaction's changes (changes.go)
	hook  hooks    // the change log's step before commit (replica.go)

	maint struct { // DB's pool, opened on first use
		once sync.Once
		db   *sql.DB
		err  error
	}
}

// readers is the size of the read pool: enough for the requests that run
// at once on a small machine, bounded so each keeps its prepared statements.
var readers = max(8, 4*runtime.NumCPU())

// Open opens (creating if needed) the database file and applies pending
// migrations.
func Open(ctx context.Context, file string) (*Store, error) {
	s, err := open(ctx, file)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Create makes a new database file with the migrations up to version only:
// a restore copies an older backup's rows into it, then migrates forward.
func Create(ctx context.Context, file string, version int) (*Store, error) {
	if _, err := os.Stat(file); err == nil {
		return nil, fmt.Errorf("create %s: the file exists", file)
	}
	s, err := open(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", file, err)
	}
	if err := s.migrate(ctx, version); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open connects the writer first (it creates the file and sets WAL), then
// the readers.
func open(ctx context.Context, file string) (*Store, error) {
	w, err := sql.Open(driverName, "file:"+uriPath(file)+"?"+dsnParams(true).Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	if err := checkBuild(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	db, err := sql.Open(readerDriver, "file:"+uriPath(file)+"?"+dsnParams(false).Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	db.SetMaxOpenConns(readers)
	db.SetMaxIdleConns(readers)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		w.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	return &Store{Q: Q{q: db, terms: &termCounts{n: map[string]termCount{}}}, db: db, w: w, file: file}, nil
}

// checkBuild connects and makes sure this build's SQLite has FTS5, which
// contact search needs (migration 12): go-sqlite3 compiles it in only
// with the sqlite_fts5 build tag.
func checkBuild(ctx context.Context, db *sql.DB) error {
	var fts5 bool
	if err := db.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&fts5); err != nil {
		return err
	}
	if !fts5 {
		return errors.New("this build of Grantbook lacks SQLite's FTS5: build and test with -tags sqlite_fts5 " +
			"(scripts/build.sh and scripts/test.sh do)")
	}
	return nil
}

// dsnParams are the connection settings of the writer or of a reader.
func dsnParams(writer bool) url.Values {
	v := url.Values{}
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "10000")
	v.Set("_synchronous", "NORMAL")
	// Each connection keeps its prepared statements: a query is compiled
	// once per connection, not on every call.
	v.Set("_stmt_cache_size", "128")
	// No lock in SQLite around every call on a connection (multi-thread
	// mode): database/sql hands a connection to one goroutine at a time.
	// The locks were 8 % of a 100k import (bench/paths).
	v.Set("_mutex", "no")
	if writer {
		v.Set("_journal_mode", "WAL")
		// BEGIN IMMEDIATE: the transaction takes the write lock up front.
		v.Set("_txlock", "immediate")
	} else {
		// A reader that tried to write would fail loudly.
		v.Set("_query_only", "true")
	}
	return v
}

// uriPath escapes a file name for a SQLite URI: what SQLite would read as
// the start of its query or fragment, or as an escape.
func uriPath(file string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
}

// Close closes the database.
func (s *Store) Close() error {
	err := errors.Join(s.db.Close(), s.w.Close())
	if s.maint.db != nil {
		err = errors.Join(err, s.maint.db.Close())
	}
	return err
}

// DB is a pool of ordinary connections for maintenance and tests, opened
// on first use. Grantbook's own writes never go through it: they take the
// one writer connection (Tx).
func (s *Store) DB() *sql.DB {
	s.maint.once.Do(func() {
		s.maint.db, s.maint.err = sql.Open(driverName, "file:"+uriPath(s.file)+"?"+dsnParams(true).Encode())
	})
	if s.maint.err != nil {
		panic(fmt.Sprintf("store: open %s: %v", s.file, s.maint.err)) // sql.Open only fails on a bad driver name
	}
	return s.maint.db
}

// Tx runs fn in one transaction on the writer connection: it commits when
// fn returns nil and rolls everything back otherwise. Transactions wait for
// each other in Go; fn must not start another one.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return s.run(ctx, nil, sqlTx, fn)
}

// run is Tx's body once the transaction has begun (on conn, if it holds
// one).
func (s *Store) run(ctx context.Context, conn *sql.Conn, sqlTx *sql.Tx, fn func(tx *Tx) error) error {
	var err error
	tx := &Tx{Q: Q{q: sqlTx, terms: s.terms}, conn: conn}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	h := s.commitHook()
	wrote := false
	if h != nil {
		if wrote, err = h.Before(ctx, tx); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	var changed Changes
	tracked, moves := s.tracking()
	if tracked {
		if changed, err = tx.drain(ctx, moves); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	defer s.settling(changed, tracked)()
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if wrote && h.After != nil {
		h.After()
	}
	s.tell(changed)
	return nil
}

// Tx is an open transaction.
type Tx struct {
	Q
	conn *sql.Conn // the connection it holds, if it holds one (txWithoutForeignKeys)
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Q runs queries on the database or inside a transaction.
type Q struct {
	q     querier
	terms *termCounts // the store's, for choosing trigrams (search.go)
}

// Migrate applies the numbered migrations not yet recorded, each in its own
// transaction; versions only ever move forward.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx, -1) }

// migrate applies the migrations not yet recorded, in number order, up to
// version target (all when negative).
func (s *Store) migrate(ctx context.Context, target int) error {
	if err := s.migrateSteps(ctx, target); err != nil {
		return err
	}
	return s.startTracking(ctx)
}

func (s *Store) migrateSteps(ctx context.Context, target int) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	steps, err := Migrations()
	if err != nil {
		return err
	}
	newest := 0
	for v := range applied {
		newest = max(newest, v)
	}
	if n := steps[len(steps)-1].Version; newest > n {
		return fmt.Errorf("migrate: database is at version %d, this build knows only %d: use a newer Grantbook", newest, n)
	}
	for _, st := range steps {
		if applied[st.Version] || (target >= 0 && st.Version > target) {
			continue
		}
		err := s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, st.SQL); err != nil {
				return err
			}
			_, err := tx.q.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, st.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to %d (%s): %w", st.Version, st.Name, err)
		}
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded steps in order. Numbers increase; one may
// be missing while the branch that reserved it is not merged yet.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || len(num) != 4 || v < 1 || (len(out) > 0 && v <= out[len(out)-1].Version) {
			return nil, fmt.Errorf("migration %s: expected a 4-digit number above the previous one", base)
		}
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(b)})
	}
	if len(out) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return out, nil
}

// SchemaVersion reports the applied migration version.
func (q Q) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := q.q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
