package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
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
	err := a.runImport(ctx, job, accountID, bytesSource(data))
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

func (a *App) runImport(ctx context.Context, job *importJob, accountID int64, src importSource) (err error) {
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
	job.update(func(p *ImportProgress) { p.Total = total })

	a.imports.run.Lock()
	defer a.imports.run.Unlock()
	now := a.now().UTC().Truncate(time.Second)
	// Rows are parsed and checked on one goroutine while the transaction
	// writes them on another: on two cores the checks cost no time.
	if f, err = src(); err != nil {
		return fmt.Errorf("import: open the file: %w", err)
	}
	rows := make(chan []csvRow, 16)
	stop := make(chan struct{})
	defer close(stop)
	go a.checkCSVRows(ctx, accountID, cols, f, now, rows, stop)
	imported := 0
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		// Emails are told apart by a keyed 64-bit hash (12 bytes a row in
		// memory, not the address). A hash met again is checked exactly
		// against the database, where the earlier row is by then: a
		// collision never turns a good file away.
		seed := maphash.MakeSeed()
		seen := make(map[uint64]int32) // line of the first row with the email; 0: a stored contact
		if err := tx.EachEmailKey(ctx, accountID, func(k string) { seen[maphash.String(seed, k)] = 0 }); err != nil {
			return err
		}
		im, err := tx.NewContactImporter(ctx, total)
		if err != nil {
			return err
		}
		defer im.Close()
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
					h := maphash.String(seed, key)
					if prev, hit := seen[h]; !hit {
						seen[h] = int32(row.line)
					} else if dup, err := emailTaken(ctx, tx, im, accountID, key, failed); err != nil {
						return err
					} else if dup && prev == 0 {
						rowErr = fmt.Errorf("email: a contact with email %s already exists in this account", c.Email)
					} else if dup {
						rowErr = fmt.Errorf("email: %s is also on line %d", c.Email, prev)
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
	a.kickSearchIndex() // a bulk import leaves its rows to the indexer
	return nil
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

// csvRow is one checked row: a contact or why not. fatal ends the import.
type csvRow struct {
	line  int
	c     *model.Contact
	err   error
	fatal error
}

// checkCSVRows parses src and checks each row, sending them on in batches
// until done or stop closes.
func (a *App) checkCSVRows(ctx context.Context, accountID int64, cols csvColumns, src io.ReadCloser, now time.Time,
	out chan<- []csvRow, stop <-chan struct{}) {
	defer close(out)
	defer src.Close()
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
