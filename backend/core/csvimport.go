package core

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	err = a.runImport(ctx, job, accountID, data, opts)
	return job.snapshot(), err
}

func (a *App) runImport(ctx context.Context, job *importJob, accountID int64, data []byte, opts ImportOptions) (err error) {
	defer func() {
		if err != nil {
			job.update(func(p *ImportProgress) { p.State, p.Imported = ImportFailed, 0 })
		}
	}()
	cols, total, perr := scanCSV(data)
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
	// Rows are parsed and checked on one goroutine while the transaction
	// writes them on another: on two cores the checks cost no time.
	rows := make(chan []csvRow, 16)
	stop := make(chan struct{})
	defer close(stop)
	go a.checkCSVRows(ctx, rules, data, opts.Mode == ImportUpdate, rows, stop)
	imported := 0
	var up importUpdates
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		existing, err := tx.AccountContactsByEmail(ctx, accountID)
		if err != nil {
			return err
		}
		im, err := tx.NewContactImporter(ctx, total)
		if err != nil {
			return err
		}
		defer im.Close()
		seen := make(map[string]int, total)
		failed := false
		var firstID int64
		processed := 0
		for batch := range rows {
			for _, row := range batch {
				if row.fatal != nil {
					return row.fatal
				}
				c, rowErr := row.c, row.err
				if id, known := existing[row.key]; known && row.key != "" && opts.Mode == ImportUpdate {
					if prev, dup := seen[row.key]; dup {
						rowErr = fmt.Errorf("email: this address is also on line %d", prev)
					} else {
						seen[row.key] = row.line
						rowErr = a.importUpdate(ctx, tx, rules, row, id, &up, job, failed)
					}
					if rowErr != nil {
						failed = true
						job.rowError(row.line, rowErr.Error())
					}
					continue
				}
				if rowErr == nil {
					key := store.EmailKey(c.Email)
					if prev, dup := seen[key]; dup {
						rowErr = fmt.Errorf("email: %s is also on line %d", c.Email, prev)
					} else if _, known := existing[key]; known {
						seen[key] = row.line
						rowErr = fmt.Errorf("email: a contact with email %s already exists in this account (import with \"update\" to change it)", c.Email)
					} else {
						seen[key] = row.line
					}
				}
				if rowErr == nil && !failed {
					if err := im.Insert(ctx, c); err != nil {
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
		if opts.Mode == ImportUpdate {
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
	return nil
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
	up.changes = append(up.changes, map[string]any{"id": id, "name": c.Name(), "email": c.Email, "changed": what})
	job.change(RowChange{Line: row.line, Email: c.Email, Action: "update", What: what})
	return nil
}

// csvRow is one checked row: a contact or why not, its address's key, and
// (for an import that updates) the row itself. fatal ends the import.
type csvRow struct {
	line  int
	key   string
	rec   []string
	c     *model.Contact
	err   error
	fatal error
}

// checkCSVRows parses data and checks each row, sending them on in batches
// until done or stop closes.
func (a *App) checkCSVRows(ctx context.Context, rules csvRules, data []byte, keepRows bool,
	out chan<- []csvRow, stop <-chan struct{}) {
	defer close(out)
	const size = 256
	batch := make([]csvRow, 0, size)
	send := func() bool {
		select {
		case out <- batch:
			batch = make([]csvRow, 0, size)
			return true
		case <-stop:
			return false
		}
	}
	r := newCSVReader(data)
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
		row := csvRow{line: line, key: csvKey(rules, rec), c: c, err: err}
		if keepRows {
			row.rec = slices.Clone(rec) // the reader reuses rec
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
