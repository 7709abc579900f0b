package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"grantbook/backend/model"
)

// EachContact calls fn for every contact of an account, ordered by id, with
// its grant and selected services, reading one row at a time: an export of
// a large account never holds it all in memory. fn must not use q.
func (q Q) EachContact(ctx context.Context, accountID int64, fn func(*model.Contact) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT `+contactCols+`, `+grantServiceList+contactFrom+`
		WHERE c.account_id = ? ORDER BY c.id`, accountID)
	if err != nil {
		return fmt.Errorf("contacts of account %d: %w", accountID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var svcs sql.NullString
		c, err := scanContact(scanWith{rows, &svcs})
		if err != nil {
			return fmt.Errorf("contacts of account %d: %w", accountID, err)
		}
		if err := parseServiceList(c, svcs.String); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// grantServiceList is a column of the contact's selected services, in
// order, separated by spaces (NULL when none).
const grantServiceList = `(SELECT group_concat(service_id, ' ') FROM (SELECT service_id FROM grant_services s
	WHERE s.contact_id = c.id ORDER BY service_id))`

// parseServiceList fills c's selected services from a grantServiceList.
func parseServiceList(c *model.Contact, list string) error {
	for _, f := range strings.Fields(list) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("services of contact %d: %w", c.ID, err)
		}
		c.Grant.ServiceIDs = append(c.Grant.ServiceIDs, id)
	}
	return nil
}

// scanWith appends extra destinations to a scan of the contact columns.
type scanWith struct {
	sc    interface{ Scan(...any) error }
	extra any
}

func (s scanWith) Scan(dst ...any) error { return s.sc.Scan(append(dst, s.extra)...) }

// EachEmailKey calls fn with the email key (see EmailKey) of each of an
// account's contacts, one row at a time. fn must not use q.
func (q Q) EachEmailKey(ctx context.Context, accountID int64, fn func(key string)) error {
	rows, err := q.q.QueryContext(ctx, `SELECT email_key FROM contacts WHERE account_id = ?`, accountID)
	if err != nil {
		return fmt.Errorf("emails of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var k string
	for rows.Next() {
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("emails of account %d: %w", accountID, err)
		}
		fn(k)
	}
	return rows.Err()
}

// ContactIDByEmailKey is the id of the account's contact with the email
// key, 0 if none.
func (q Q) ContactIDByEmailKey(ctx context.Context, accountID int64, key string) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `SELECT id FROM contacts WHERE account_id = ? AND email_key = ?`, accountID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("email of account %d: %w", accountID, err)
	}
	return id, nil
}

// EmailKeyTaken reports whether a contact of the account has the email key.
func (q Q) EmailKeyTaken(ctx context.Context, accountID int64, key string) (bool, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM contacts WHERE account_id = ? AND email_key = ?`, accountID, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("email of account %d: %w", accountID, err)
	}
	return n > 0, nil
}

// ContactImporter inserts many new contacts inside one transaction: the
// bulk form of Tx.InsertContact, writing the same rows. It assigns ids
// itself (the transaction holds the write lock, so nobody else inserts) and
// writes rows in multi-row statements of importBatch contacts, prepared
// once. Flush before the transaction commits; Close always.
//
// In a transaction without foreign key checks (ImportTx) it checks the
// contacts' accounts and services itself, each once (the write lock keeps
// them there until the commit), and writes the contacts and their grants
// with OR ROLLBACK and ids SQLite assigns (an explicit INTEGER PRIMARY KEY
// is checked to be an integer, a check that may stop a statement halfway):
// with no statement that may stop halfway, SQLite keeps no statement
// journal (the copy of every page a multi-row INSERT touches: two random
// e-mail index pages a contact; the grants' last page and preset index).
// Grants take the explicit ids when the store's largest grant is not its
// largest contact's (SQLite would then give others).
// A constraint that fails then rolls the whole transaction back at once,
// as the import would anyway.
type ContactImporter struct {
	tx     *Tx
	nextID int64
	// own: the references are checked here (no foreign keys); knownAccts
	// and knownSvcs hold the accounts and services found so far.
	own bool
	// ownGrants: the grants' ids are SQLite's too (the largest grant's is
	// the largest contact's, so the next is the same for both).
	ownGrants  bool
	knownAccts map[int64]bool
	knownSvcs  map[int64]bool
	// statements for a full batch; partial batches prepare their own
	contact, grant, service batchStmt
	batch                   []*model.Contact
	rows                    []ImportRow // batch's values, copied
	args                    [3][]any    // Flush's, kept for the next
	services                int         // grant_services rows in batch
	rebuild                 []string    // CREATE INDEX statements Finish runs
	// resume recreates the triggers a bulk import suspended (Finish).
	resume   func() error
	accounts map[int64]bool // accounts that gained contacts
}

// bulkImport is the size from which an import suspends the triggers on its
// tables (migration 12): instead of a cache change and a search index
// entry per row, one cache change per account and the background indexer.
const bulkImport = 1000

// largeImport is the size past which an import's page cache is kept small.
const largeImport = 200_000

// importBatch is how many contacts one statement inserts: 15 parameters a
// contact stays far below SQLite's limit of 32766.
const importBatch = 64

const (
	importContactSQL = `INSERT INTO contacts (id, account_id, account_type, first_name, last_name,
		email, email_key, phone, company, role, status, created_at, updated_at, search_key, search_group) VALUES `
	importContactRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	importGrantSQL   = `INSERT INTO grants (contact_id, preset, permissions, all_services, expires_at, admin_all, admin_areas, term_days, billing_scope) VALUES `
	importGrantRow   = `(?, ?, ?, ?, ?, ?, ?, ?, ?)`
	importServiceSQL = `INSERT INTO grant_services (contact_id, service_id) VALUES `
	importServiceRow = `(?, ?)`
	// The same without foreign keys (ContactImporter): no explicit id
	// (SQLite would check it is an integer, a check that may stop the
	// statement halfway) and OR ROLLBACK for the constraints.
	ownContactSQL = `INSERT OR ROLLBACK INTO contacts (account_id, account_type, first_name, last_name,
		email, email_key, phone, company, role, status, created_at, updated_at, search_key, search_group) VALUES `
	ownContactRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	ownServiceSQL = `INSERT OR ROLLBACK INTO grant_services (contact_id, service_id) VALUES `
	// The grants too, when their ids follow on from the contacts' (every
	// contact has its grant): SQLite gives the next, the contact's.
	ownGrantSQL = `INSERT OR ROLLBACK INTO grants (preset, permissions, all_services, expires_at, admin_all, admin_areas, term_days, billing_scope) VALUES `
	ownGrantRow = `(?, ?, ?, ?, ?, ?, ?, ?)`
)

// clearAll empties s, keeping its room, without holding on to what it held.
func clearAll(s []any) []any {
	clear(s)
	return s[:0]
}

func rowsSQL(head, row string, n int) string {
	return head + row + strings.Repeat(", "+row, n-1)
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// rebuiltIndexes (with ?1 true) are the indexes a bulk import of new
// contacts drops and builds again (sorting once, not a random B-tree insert
// a row): every index with SQL on the tables it writes but the partial ones
// (which cost only the rows they hold), the unique ones first, so that a
// duplicate the checks missed fails the rebuild at once (ErrDuplicate).
// Other imports (?1 false: updates keep the e-mail indexes, each row looks
// its address up) drop only the listIndexes, kept in list order
// (migration 4).
const rebuiltIndexes = `SELECT name, sql FROM sqlite_master m WHERE type = 'index' AND sql IS NOT NULL
	AND tbl_name IN ('contacts', 'grants', 'grant_services')
	AND NOT (SELECT partial FROM pragma_index_list(m.tbl_name) WHERE name = m.name)
	AND (?1 OR name IN ('contacts_order', 'contacts_account_order'))
	ORDER BY sql NOT LIKE 'CREATE UNIQUE%', name`

// listIndexes is how many indexes rebuiltIndexes names with ?1 false.
const listIndexes = 2

// NewContactImporter prepares the import of about rows contacts in tx.
// When they outnumber the contacts already stored, the indexes are dropped
// for the import and rebuilt by Finish (rebuiltIndexes); a rollback
// restores them with everything else.
func (tx *Tx) NewContactImporter(ctx context.Context, rows int) (*ContactImporter, error) {
	return tx.newContactImporter(ctx, rows, rows >= bulkImport)
}

// NewContactImporterWithTriggers is NewContactImporter keeping the
// triggers however many rows come: for an import that also updates stored
// contacts, whose changes must reach the caches and the search index.
func (tx *Tx) NewContactImporterWithTriggers(ctx context.Context, rows int) (*ContactImporter, error) {
	return tx.newContactImporter(ctx, rows, false)
}

func (tx *Tx) newContactImporter(ctx context.Context, rows int, suspend bool) (*ContactImporter, error) {
	var stored int
	if err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM contacts`).Scan(&stored); err != nil {
		return nil, fmt.Errorf("contact importer: %w", err)
	}
	var rebuild []string
	if rows > stored {
		var err error
		if rebuild, err = tx.dropIndexes(ctx, suspend); err != nil {
			return nil, fmt.Errorf("contact importer: %w", err)
		}
	}
	// A bulk insert touches many index pages: with SQLite's default 2 MiB
	// page cache it spills dirty pages to the WAL again and again. Give this
	// connection room while the import runs (Close restores the default).
	// A large import gets less: the rebuild of the list indexes sorts in as
	// much memory again, and the server stays within 200 MiB (bench/paths,
	// 1M rows: 357 MiB RSS with 128 MiB, 178 MiB with 32 MiB).
	cacheKiB := 131072
	if rows > largeImport {
		cacheKiB = 32768
	}
	if _, err := tx.q.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, cacheKiB)); err != nil {
		return nil, fmt.Errorf("contact importer: %w", err)
	}
	var fk bool
	if err := tx.q.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
		return nil, fmt.Errorf("contact importer: %w", err)
	}
	im := &ContactImporter{tx: tx, batch: make([]*model.Contact, 0, importBatch), rows: make([]ImportRow, 0, importBatch), rebuild: rebuild, accounts: map[int64]bool{},
		own: !fk, knownAccts: map[int64]bool{}, knownSvcs: map[int64]bool{}}
	if suspend {
		// Paired (a change log is open: capture), the change log's triggers
		// stay: they are how the imported rows reach the hub.
		var capture bool
		if err := tx.q.QueryRowContext(ctx, `SELECT coalesce((SELECT capture FROM change_state), 0)`).Scan(&capture); err != nil {
			return nil, fmt.Errorf("contact importer: %w", err)
		}
		resume, err := tx.suspendTriggersBut(ctx, capture, "contacts", "grants", "grant_services")
		if err != nil {
			return nil, fmt.Errorf("contact importer: %w", err)
		}
		im.resume = resume
	}
	if err := tx.q.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM contacts`).Scan(&im.nextID); err != nil {
		return nil, fmt.Errorf("contact importer: %w", err)
	}
	if im.own {
		var lastGrant int64
		if err := tx.q.QueryRowContext(ctx, `SELECT coalesce(max(contact_id), 0) FROM grants`).Scan(&lastGrant); err != nil {
			return nil, fmt.Errorf("contact importer: %w", err)
		}
		im.ownGrants = lastGrant == im.nextID
	}
	contactHead, contactRow := im.contactSQL()
	for _, s := range []struct {
		dst *batchStmt
		sql string
	}{
		{&im.contact, rowsSQL(contactHead, contactRow, importBatch)},
		{&im.grant, rowsSQL(im.grantSQL(), im.grantRow(), importBatch)},
		{&im.service, rowsSQL(im.serviceSQL(), importServiceRow, importBatch)},
	} {
		if err := s.dst.prepare(ctx, tx, s.sql); err != nil {
			im.Close()
			return nil, fmt.Errorf("contact importer: %w", err)
		}
	}
	return im, nil
}

// dropIndexes drops the indexes an import builds again after it (all of
// rebuiltIndexes, or only the list indexes) and returns their DDL.
func (tx *Tx) dropIndexes(ctx context.Context, all bool) ([]string, error) {
	var names, ddls []string
	rows, err := tx.q.QueryContext(ctx, rebuiltIndexes, all)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddls = append(names, name), append(ddls, ddl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !all && len(names) != listIndexes {
		return nil, fmt.Errorf("the list indexes are %v, want %d", names, listIndexes)
	}
	for _, name := range names {
		if _, err := tx.q.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return nil, err
		}
	}
	return ddls, nil
}

// The statements' text, with or without foreign keys.
func (im *ContactImporter) contactSQL() (head, row string) {
	if im.own {
		return ownContactSQL, ownContactRow
	}
	return importContactSQL, importContactRow
}

func (im *ContactImporter) grantSQL() string {
	if im.ownGrants {
		return ownGrantSQL
	}
	return importGrantSQL
}

func (im *ContactImporter) grantRow() string {
	if im.ownGrants {
		return ownGrantRow
	}
	return importGrantRow
}

func (im *ContactImporter) serviceSQL() string {
	if im.own {
		return ownServiceSQL
	}
	return importServiceSQL
}

// ImportRow is a new contact's column values as ContactImporter writes
// them, worked out by NewImportRow. An import checks its rows on one
// goroutine and writes them on another: made on the first, they cost the
// writer, the slower of the two, nothing.
type ImportRow struct {
	contact  [15]any // the contact's id first, filled in by the importer
	grant    [9]any  // the same
	services []int64
}

// NewImportRow works out c's values for ContactImporter.InsertRow. c must
// not change after it (but for its ID, which the importer sets).
func NewImportRow(c *model.Contact) ImportRow {
	expires, adminAll, adminAreas, scope := grantColumns(c)
	return ImportRow{
		contact: [15]any{nil, c.AccountID, c.AccountType, c.FirstName, c.LastName, c.Email, EmailKey(c.Email), c.Phone, c.Company,
			c.Role, c.Status, c.CreatedAt.Unix(), c.UpdatedAt.Unix(), SearchKey(c), SearchGroup(c)},
		grant: [9]any{nil, c.Grant.Preset, strings.Join(c.Grant.Permissions, " "), c.Grant.AllServices,
			expires, adminAll, adminAreas, termDays(c), scope},
		services: c.Grant.ServiceIDs,
	}
}

// Insert queues a new contact with its grant and sets its ID; it is
// written at the latest by Flush. A contact with the same email in the
// account gives ErrDuplicate, from Insert, Flush or Finish: the caller is expected
// to have ruled duplicates out (EachEmailKey, EmailKeyTaken) and treats it as a
// failure of the whole import. Without foreign keys, an account or service
// that does not exist gives ErrNotFound.
func (im *ContactImporter) Insert(ctx context.Context, c *model.Contact) error {
	row := NewImportRow(c)
	return im.InsertRow(ctx, c, &row)
}

// InsertRow is Insert with c's values worked out ahead (NewImportRow(c)).
// It copies row: the caller may reuse it at once.
func (im *ContactImporter) InsertRow(ctx context.Context, c *model.Contact, row *ImportRow) error {
	if im.own {
		if err := im.checkRefs(ctx, c); err != nil {
			return err
		}
	}
	im.nextID++
	c.ID = im.nextID
	row.contact[0], row.grant[0] = c.ID, c.ID
	im.batch = append(im.batch, c)
	im.rows = append(im.rows, *row)
	im.services += len(row.services)
	im.accounts[c.AccountID] = true
	if len(im.batch) == importBatch {
		return im.Flush(ctx)
	}
	return nil
}

// checkRefs does what the foreign keys would: c's account and services
// exist. What was found once is not looked up again.
func (im *ContactImporter) checkRefs(ctx context.Context, c *model.Contact) error {
	exists := func(known map[int64]bool, table string, id int64) error {
		if known[id] {
			return nil
		}
		var n int
		if err := im.tx.q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("contact importer: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("contact importer: %s %d: %w", table, id, ErrNotFound)
		}
		known[id] = true
		return nil
	}
	if err := exists(im.knownAccts, "accounts", c.AccountID); err != nil {
		return err
	}
	for _, sid := range c.Grant.ServiceIDs {
		if err := exists(im.knownSvcs, "services", sid); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes the queued contacts.
func (im *ContactImporter) Flush(ctx context.Context) error {
	n := len(im.batch)
	if n == 0 {
		return nil
	}
	defer func() {
		clear(im.rows) // hold none of their strings
		im.batch, im.rows, im.services = im.batch[:0], im.rows[:0], 0
	}()
	// One set of argument slices serves every batch (they hold nothing
	// once the statements ran).
	contacts, grants, services := im.args[0][:0], im.args[1][:0], im.args[2][:0]
	defer func() { im.args = [3][]any{clearAll(contacts), clearAll(grants), clearAll(services)} }()
	for i := range im.rows {
		r := &im.rows[i]
		if im.own { // no id: SQLite gives it
			contacts = append(contacts, r.contact[1:]...)
		} else {
			contacts = append(contacts, r.contact[:]...)
		}
		if im.ownGrants {
			grants = append(grants, r.grant[1:]...)
		} else {
			grants = append(grants, r.grant[:]...)
		}
		for _, sid := range r.services {
			services = append(services, r.contact[0], sid)
		}
	}
	var last int64 // the last row's id
	exec := func(full *batchStmt, head, row string, rows int, args []any) (err error) {
		if rows == 0 {
			return nil
		}
		if rows == importBatch {
			last, err = full.exec(ctx, args)
			return err
		}
		res, err := im.tx.q.ExecContext(ctx, rowsSQL(head, row, rows), args...)
		if err != nil {
			return err
		}
		last, err = res.LastInsertId()
		return err
	}
	head, row := im.contactSQL()
	err := exec(&im.contact, head, row, n, contacts)
	if isUnique(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert contacts: %w", err)
	}
	if im.own { // SQLite gave the ids: the next after the largest, as nextID counts
		if last != im.batch[n-1].ID {
			return fmt.Errorf("insert contacts: the last got id %d, not %d", last, im.batch[n-1].ID)
		}
	}
	if err := exec(&im.grant, im.grantSQL(), im.grantRow(), n, grants); err != nil {
		return fmt.Errorf("insert grants: %w", err)
	}
	if im.ownGrants {
		if last != im.batch[n-1].ID {
			return fmt.Errorf("insert grants: the last got id %d, not %d", last, im.batch[n-1].ID)
		}
	}
	for rest := services; len(rest) > 0; {
		k := min(len(rest)/2, importBatch)
		if err := exec(&im.service, im.serviceSQL(), importServiceRow, k, rest[:2*k]); err != nil {
			return fmt.Errorf("insert grant services: %w", err)
		}
		rest = rest[2*k:]
	}
	return nil
}

// Finish writes what is queued and rebuilds the indexes that were dropped.
// Call it once, after the last Insert.
func (im *ContactImporter) Finish(ctx context.Context) error {
	if err := im.Flush(ctx); err != nil {
		return err
	}
	for _, ddl := range im.rebuild {
		if _, err := im.tx.q.ExecContext(ctx, ddl); isUnique(err) {
			return ErrDuplicate
		} else if err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
	}
	im.rebuild = nil
	if im.resume == nil {
		return nil
	}
	if err := im.resume(); err != nil {
		return err
	}
	im.resume = nil
	tracked, err := im.tx.hasTable(ctx, "cache_changes")
	if err != nil || !tracked {
		return err
	}
	for id := range im.accounts {
		if _, err := im.tx.q.ExecContext(ctx, `INSERT INTO cache_changes VALUES ('account', ?)`, id); err != nil {
			return fmt.Errorf("contact importer: %w", err)
		}
	}
	// The listings' moves went unrecorded with the triggers (list_changes).
	if _, err := im.tx.q.ExecContext(ctx, `INSERT INTO cache_changes VALUES ('lists', 0)`); err != nil {
		return fmt.Errorf("contact importer: %w", err)
	}
	return nil
}

// Close releases the prepared statements and the page cache. Queued
// contacts that were not flushed are dropped.
func (im *ContactImporter) Close() error {
	var errs []error
	for _, st := range []*batchStmt{&im.contact, &im.grant, &im.service} {
		errs = append(errs, st.close())
	}
	_, err := im.tx.q.ExecContext(context.Background(), `PRAGMA cache_size = -2000`)
	return errors.Join(append(errs, err)...)
}
