package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// errImportRejected rolls back an import whose rows had errors, and
// errDryRun one that only shows what it would do.
var (
	errImportRejected = errors.New("import rejected")
	errDryRun         = errors.New("dry run")
)

// Import modes: create only (an address already in the account is a row
// error), or update the contacts that exist (matched by email) and create
// the others.
const (
	ImportCreate = "create"
	ImportUpdate = "update"
)

// ImportOptions say how an import treats known addresses and whether it
// only tells what it would do.
type ImportOptions struct {
	Mode   string `json:"mode"`
	DryRun bool   `json:"dry_run"`
}

func (o ImportOptions) check() (ImportOptions, error) {
	o.Mode = orDefault(o.Mode, ImportCreate)
	if o.Mode != ImportCreate && o.Mode != ImportUpdate {
		return o, invalid("mode", "mode must be create or update")
	}
	return o, nil
}

// ImportContacts runs an import of data into an account now and returns its
// outcome. The rows are checked with the rules of CreateContact; when every
// row is valid they are all added in one transaction with one audit row,
// otherwise nothing is written and the errors are listed. The error is for
// failures other than bad rows (the database, a missing account).
func (a *App) ImportContacts(ctx context.Context, accountID int64, data []byte) (ImportProgress, error) {
	return a.ImportContactsWith(ctx, accountID, data, ImportOptions{})
}

// ImportContactsWith is ImportContacts with a mode and, maybe, as a dry run.
func (a *App) ImportContactsWith(ctx context.Context, accountID int64, data []byte, opts ImportOptions) (ImportProgress, error) {
	opts, err := opts.check()
	if err != nil {
		return ImportProgress{}, err
	}
	if _, err := a.Account(ctx, accountID); err != nil {
		return ImportProgress{}, err
	}
	job := a.imports.newJob(accountID)
	err = a.runImport(ctx, job, accountID, bytesSource(data), opts)
	return job.snapshot(), err
}

// importSource opens the file to import: it is read twice, to count its
// rows and to import them, a buffer at a time.
type importSource func() (io.ReadCloser, error)

func bytesSource(data []byte) importSource {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

func fileSource(name string) importSource {
	return func() (io.ReadCloser, error) { return os.Open(name) }
}

func (a *App) runImport(ctx context.Context, job *importJob, accountID int64, src importSource, opts ImportOptions) (err error) {
	defer func() {
		if err != nil {
			job.update(func(p *ImportProgress) { p.State, p.Imported = ImportFailed, 0 })
		}
	}()
	f, err := src()
	if err != nil {
		return fmt.Errorf("import: open the file: %w", err)
	}
	cols, total, perr, rerr := scanCSV(f)
	f.Close()
	if rerr != nil {
		return fmt.Errorf("import: read the file: %w", rerr)
	}
	if perr != nil {
		job.rowError(perr.Line, perr.Message)
		job.update(func(p *ImportProgress) { p.State = ImportFailed })
		return nil
	}
	job.update(func(p *ImportProgress) { p.Total, p.Mode, p.DryRun = total, opts.Mode, opts.DryRun })

	a.imports.run.Lock()
	defer a.imports.run.Unlock()
	now := a.now().UTC().Truncate(time.Second)
	rules, err := a.csvRules(ctx, accountID, cols, now)
	if err != nil {
		return err
	}
	update := opts.Mode == ImportUpdate
	// Rows are parsed and checked on one goroutine while the transaction
	// writes them on another: on two cores the checks cost no time.
	if f, err = src(); err != nil {
		return fmt.Errorf("import: open the file: %w", err)
	}
	// Emails are told apart by a keyed 64-bit hash (12 bytes a row in
	// memory, not the address), taken by the checking goroutine. A hash met
	// again is checked exactly against the database, where the earlier row
	// is by then: a collision never turns a good file away.
	seed := maphash.MakeSeed()
	rows := make(chan []csvRow, 4) // the writer is the slower: a few batches ahead are enough
	// Written batches go back to be filled again: a row is 0.5 KB, and
	// fresh ones were a quarter of a large import's garbage.
	free := make(chan []csvRow, cap(rows)+2)
	stop := make(chan struct{})
	defer close(stop)
	go a.checkCSVRows(ctx, rules, f, update, seed, rows, free, stop)
	imported := 0
	var up importUpdates
	// New contacts only: the importer checks their references itself, in
	// a transaction without foreign keys (store.ImportTx: far fewer writes).
	// Updates take the path of every edit, foreign keys and all.
	txKind := a.store.ImportTx
	if update {
		txKind = a.store.Tx
	}
	err = a.changeIn(ctx, txKind, func(tx *store.Tx, e *model.AuditEntry) error {
		seen := make(map[uint64]int32) // line of the first row with the email; 0: a stored contact
		if err := tx.EachEmailKey(ctx, accountID, func(k string) { seen[maphash.String(seed, k)] = 0 }); err != nil {
			return err
		}
		newImporter := tx.NewContactImporter
		if update {
			// Updates are plain writes: the triggers stay for them to
			// reach the caches and the search index.
			newImporter = tx.NewContactImporterWithTriggers
		}
		im, err := newImporter(ctx, total)
		if err != nil {
			return err
		}
		defer im.Close()
		failed := false
		var firstID int64
		processed := 0
		for batch := range rows {
			for i := range batch {
				row := &batch[i]
				if row.fatal != nil {
					return row.fatal
				}
				c, rowErr := row.c, row.err
				if update && row.key != "" {
					known, knownErr, err := a.importKnown(ctx, tx, im, rules, *row, seed, seen, &up, job, failed)
					if err != nil {
						return err
					}
					if knownErr != nil {
						failed = true
						job.rowError(row.line, knownErr.Error())
					}
					if known {
						continue
					}
				}
				if rowErr == nil {
					if prev, hit := seen[row.hash]; !hit {
						seen[row.hash] = int32(row.line)
					} else if dup, err := emailTaken(ctx, tx, im, accountID, store.EmailKey(c.Email), failed); err != nil {
						return err
					} else if dup && prev == 0 {
						rowErr = fmt.Errorf("email: a contact with email %s already exists in this account (import with \"update\" to change it)", c.Email)
					} else if dup {
						rowErr = fmt.Errorf("email: %s is also on line %d", c.Email, prev)
					}
				}
				if rowErr == nil && !failed {
					if err := im.InsertRow(ctx, c, &row.values); err != nil {
						return err // duplicates were ruled out above
					}
					if firstID == 0 {
						firstID = c.ID
					}
					imported++
					job.change(RowChange{Line: row.line, Email: c.Email, Action: "create"})
				}
				if rowErr != nil {
					failed = true
					job.rowError(row.line, rowErr.Error())
				}
			}
			processed += len(batch)
			job.update(func(p *ImportProgress) { p.Processed = processed })
			select { // nothing holds its rows now: the importer copied them
			case free <- batch:
			default:
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if failed {
			return errImportRejected
		}
		if err := im.Finish(ctx); err != nil {
			return err
		}
		if opts.DryRun {
			return errDryRun
		}
		e.Action, e.Entity, e.EntityID = "contact.import", "account", accountID
		e.Summary = fmt.Sprintf("Imported %d %s from CSV", imported, plural(imported, "contact", "contacts"))
		if update {
			e.Summary = fmt.Sprintf("Imported from CSV: %d created, %d updated, %d unchanged", imported, len(up.ids), up.unchanged)
		}
		e.After = map[string]any{"imported": imported, "first_contact_id": firstID, "last_contact_id": firstID + int64(imported) - 1,
			"updated": up.changes}
		e.Contacts = up.ids
		return nil
	})
	if errors.Is(err, errImportRejected) {
		job.update(func(p *ImportProgress) { p.State = ImportFailed })
		return nil
	}
	if err != nil && !errors.Is(err, errDryRun) {
		job.rowError(0, "the import failed and nothing was written (details are in the log)")
		return err
	}
	job.update(func(p *ImportProgress) {
		p.State, p.Created, p.Updated, p.Unchanged, p.Processed = ImportDone, imported, len(up.ids), up.unchanged, total
		if !opts.DryRun {
			p.Imported = imported + len(up.ids)
		}
	})
	if !opts.DryRun {
		a.kickSearchIndex() // a bulk import leaves its rows to the indexer
	}
	return nil
}

// importKnown handles a row of an import that updates whose address's
// hash was met before: the first row with a stored contact's address
// updates it, a later one is a repeat. done is nil for an address that is
// new after all (known false: the caller creates it); rowErr is the
// row's error.
func (a *App) importKnown(ctx context.Context, tx *store.Tx, im *store.ContactImporter, rules csvRules, row csvRow,
	seed maphash.Seed, seen map[uint64]int32, up *importUpdates, job *importJob, failed bool) (known bool, rowErr, err error) {
	h := maphash.String(seed, row.key)
	prev, hit := seen[h]
	if !hit {
		return false, nil, nil
	}
	if !failed { // the rows before are in the database once flushed
		if err := im.Flush(ctx); err != nil {
			return false, nil, err
		}
	}
	id, err := tx.ContactIDByEmailKey(ctx, rules.accountID, row.key)
	if err != nil {
		return false, nil, err
	}
	switch {
	case id != 0 && prev == 0:
		seen[h] = int32(row.line)
		return true, a.importUpdate(ctx, tx, rules, row, id, up, job, failed), nil
	case id != 0 || (failed && prev != 0):
		return true, fmt.Errorf("email: this address is also on line %d", prev), nil
	}
	return false, nil, nil
}

// emailTaken checks a repeated email hash exactly: the rows before are in
// the database once flushed. After a row error nothing more is written,
// and the hash alone answers (the import is refused anyway).
func emailTaken(ctx context.Context, tx *store.Tx, im *store.ContactImporter, accountID int64, key string, failed bool) (bool, error) {
	if failed {
		return true, nil
	}
	if err := im.Flush(ctx); err != nil {
		return false, err
	}
	return tx.EmailKeyTaken(ctx, accountID, key)
}

// importUpdates are the contacts an import changed.
type importUpdates struct {
	ids       []int64
	changes   []map[string]any // for the audit row: who, and what changed
	unchanged int
}

// importUpdate applies a row to the contact with its address, through the
// path every edit takes (writeContact); nothing is written once a row has
// failed, as all will be rolled back.
func (a *App) importUpdate(ctx context.Context, tx *store.Tx, rules csvRules, row csvRow, id int64, up *importUpdates, job *importJob, failed bool) error {
	before, err := tx.Contact(ctx, id)
	if err != nil {
		return err
	}
	c, err := a.contactFromCSV(ctx, rules, row.rec, before)
	if err != nil {
		return err
	}
	what := describeChanges(before, c)
	if what == "no changes" {
		up.unchanged++
		job.change(RowChange{Line: row.line, Email: c.Email, Action: "unchanged"})
		return nil
	}
	if c.Status != before.Status {
		if err := a.checkStatus(ctx, tx, before, c.Status); err != nil {
			return err
		}
	}
	if !failed {
		if err := a.writeContact(ctx, tx, before, c); err != nil {
			return err
		}
	}
	up.ids = append(up.ids, id)
	if len(up.changes) < MaxImportChanges { // all are in ids; the audit row describes the first
		up.changes = append(up.changes, map[string]any{"id": id, "name": c.Name(), "email": c.Email, "changed": what})
	}
	job.change(RowChange{Line: row.line, Email: c.Email, Action: "update", What: what})
	return nil
}

// csvRow is one checked row: a contact and its values to write (with the
// hash of its email key) or why not, and (for an import that updates) the
// row itself and its address's key. fatal ends the import.
type csvRow struct {
	line   int
	key    string
	rec    []string
	c      *model.Contact
	values store.ImportRow
	hash   uint64
	err    error
	fatal  error
}

// checkCSVRows parses src and checks each row, sending them on in batches
// until done or stop closes. What a valid row will write is worked out here
// too: the writing goroutine has more to do.
func (a *App) checkCSVRows(ctx context.Context, rules csvRules, src io.ReadCloser, keepRows bool, seed maphash.Seed,
	out chan<- []csvRow, free <-chan []csvRow, stop <-chan struct{}) {
	defer close(out)
	defer src.Close()
	const size = 256
	batch := make([]csvRow, 0, size)
	send := func() bool {
		select {
		case out <- batch:
			select {
			case b := <-free:
				clear(b[:cap(b)])
				batch = b[:0]
			default:
				batch = make([]csvRow, 0, size)
			}
			return true
		case <-stop:
			return false
		}
	}
	r := newCSVReader(src)
	if _, err := r.Read(); err != nil { // the header, checked by scanCSV
		batch = append(batch, csvRow{fatal: err})
		send()
		return
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil { // scanCSV read the same bytes without error
			batch = append(batch, csvRow{fatal: err})
			send()
			return
		}
		if blankRecord(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		c, err := a.contactFromCSV(ctx, rules, rec, nil)
		row := csvRow{line: line, c: c, err: err}
		if err == nil {
			row.values, row.hash = store.NewImportRow(c), maphash.String(seed, store.EmailKey(c.Email))
		}
		if keepRows {
			row.key, row.rec = csvKey(rules, rec), slices.Clone(rec) // the reader reuses rec
		}
		if batch = append(batch, row); len(batch) == size && !send() {
			return
		}
	}
	if len(batch) > 0 {
		send()
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
