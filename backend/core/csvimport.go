package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// errImportRejected rolls back an import whose rows had errors.
var errImportRejected = errors.New("import rejected")

// ImportContacts runs an import of data into an account now and returns its
// outcome. The rows are checked with the rules of CreateContact; when every
// row is valid they are all added in one transaction with one audit row,
// otherwise nothing is written and the errors are listed. The error is for
// failures other than bad rows (the database, a missing account).
func (a *App) ImportContacts(ctx context.Context, accountID int64, data []byte) (ImportProgress, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return ImportProgress{}, err
	}
	job := a.imports.newJob(accountID)
	err := a.runImport(ctx, job, accountID, data)
	return job.snapshot(), err
}

func (a *App) runImport(ctx context.Context, job *importJob, accountID int64, data []byte) (err error) {
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
	job.update(func(p *ImportProgress) { p.Total = total })

	a.imports.run.Lock()
	defer a.imports.run.Unlock()
	now := a.now().UTC().Truncate(time.Second)
	// Rows are parsed and checked on one goroutine while the transaction
	// writes them on another: on two cores the checks cost no time.
	rows := make(chan []csvRow, 16)
	stop := make(chan struct{})
	defer close(stop)
	go a.checkCSVRows(ctx, accountID, cols, data, now, rows, stop)
	imported := 0
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		existing, err := tx.AccountEmailKeys(ctx, accountID)
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
				if rowErr == nil {
					key := store.EmailKey(c.Email)
					if prev, dup := seen[key]; dup {
						rowErr = fmt.Errorf("email: %s is also on line %d", c.Email, prev)
					} else if seen[key] = row.line; existing[key] {
						rowErr = fmt.Errorf("email: a contact with email %s already exists in this account", c.Email)
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
		e.Action, e.Entity, e.EntityID = "contact.import", "account", accountID
		e.Summary = fmt.Sprintf("Imported %d %s from CSV", imported, plural(imported, "contact", "contacts"))
		e.After = map[string]any{"imported": imported, "first_contact_id": firstID, "last_contact_id": firstID + int64(imported) - 1}
		return nil
	})
	if errors.Is(err, errImportRejected) {
		job.update(func(p *ImportProgress) { p.State = ImportFailed })
		return nil
	}
	if err != nil {
		job.rowError(0, "the import failed and nothing was written (details are in the log)")
		return err
	}
	job.update(func(p *ImportProgress) { p.State, p.Imported, p.Processed = ImportDone, imported, total })
	return nil
}

// csvRow is one checked row: a contact or why not. fatal ends the import.
type csvRow struct {
	line  int
	c     *model.Contact
	err   error
	fatal error
}

// checkCSVRows parses data and checks each row, sending them on in batches
// until done or stop closes.
func (a *App) checkCSVRows(ctx context.Context, accountID int64, cols csvColumns, data []byte, now time.Time,
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
		c, err := a.contactFromCSV(ctx, accountID, cols, rec, len(cols), now)
		if batch = append(batch, csvRow{line: line, c: c, err: err}); len(batch) == size && !send() {
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
