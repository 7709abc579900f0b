package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// CSVColumns is the header of an exported contact CSV, in order; an import
// takes the same columns in any order (first_name, last_name and email are
// required).
var CSVColumns = []string{"first_name", "last_name", "email", "phone", "company", "role",
	"account_type", "preset", "permissions", "service_ids", "expires_at", "status"}

var requiredColumns = []string{"first_name", "last_name", "email"}

// Import limits.
const (
	// MaxImportBytes bounds the CSV body of one import.
	MaxImportBytes = 64 << 20
	// MaxImportErrors is how many row errors an import lists.
	MaxImportErrors = 100
	// DefaultImportPreset is the access given to rows with an empty preset:
	// the narrowest preset, never more than was asked for.
	DefaultImportPreset = permission.PresetPersonal
)

// Import states.
const (
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// RowError is a problem with one line of an imported file.
type RowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ImportProgress is where an import stands. Processed counts the rows
// checked so far; Imported is 0 until the transaction commits, then all.
type ImportProgress struct {
	ID         string     `json:"job_id"`
	AccountID  int64      `json:"account_id"`
	State      string     `json:"state"`
	Total      int        `json:"total"`
	Processed  int        `json:"processed"`
	Imported   int        `json:"imported"`
	Errors     []RowError `json:"errors"`
	ErrorCount int        `json:"error_count"` // all rows with errors; Errors lists the first MaxImportErrors
}

// ExportContacts writes the contacts of an account to w as CSV (the
// CSVColumns), one row at a time.
func (a *App) ExportContacts(ctx context.Context, accountID int64, w io.Writer) error {
	if _, err := a.Account(ctx, accountID); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	rec := make([]string, len(CSVColumns))
	err := a.store.EachContact(ctx, accountID, func(c *model.Contact) error {
		contactRecord(c, rec)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// contactRecord fills rec (len(CSVColumns)) with c.
func contactRecord(c *model.Contact, rec []string) {
	ids := make([]string, len(c.Grant.ServiceIDs))
	for i, id := range c.Grant.ServiceIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	expires := ""
	if t := c.Grant.ExpiresAt; t != nil {
		expires = formatCSVExpiry(*t)
	}
	copy(rec, []string{c.FirstName, c.LastName, c.Email, c.Phone, c.Company, c.Role, c.AccountType,
		c.Grant.Preset, strings.Join(c.Grant.Permissions, " "), strings.Join(ids, " "), expires, c.Status})
}

// formatCSVExpiry writes an expiry so that ParseExpiry reads it back: a
// date at midnight UTC, RFC 3339 otherwise.
func formatCSVExpiry(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}

// errImportRejected rolls back an import whose rows had errors.
var errImportRejected = errors.New("import rejected")

// importJob is one import: its progress, guarded by mu.
type importJob struct {
	mu       sync.Mutex
	p        ImportProgress
	finished time.Time
}

func (j *importJob) snapshot() ImportProgress {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.p
	p.Errors = append([]RowError{}, j.p.Errors...)
	return p
}

func (j *importJob) update(fn func(p *ImportProgress)) {
	j.mu.Lock()
	fn(&j.p)
	if j.p.State != ImportRunning && j.finished.IsZero() {
		j.finished = time.Now()
	}
	j.mu.Unlock()
}

func (j *importJob) rowError(line int, msg string) {
	j.update(func(p *ImportProgress) {
		p.ErrorCount++
		if len(p.Errors) < MaxImportErrors {
			p.Errors = append(p.Errors, RowError{Line: line, Message: msg})
		}
	})
}

// imports remembers import jobs in memory: a restart forgets them. Finished
// jobs are dropped after importKeep.
var imports = struct {
	mu   sync.Mutex
	jobs map[string]*importJob
	// run lets one import write at a time: each holds the write lock for
	// its whole transaction.
	run sync.Mutex
}{jobs: map[string]*importJob{}}

const importKeep = time.Hour

// StartImport checks the account and runs the import of data in the
// background; ImportStatus reports on it by the returned job id.
func (a *App) StartImport(ctx context.Context, accountID int64, data []byte) (string, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return "", err
	}
	b := make([]byte, 12)
	rand.Read(b)
	job := &importJob{p: ImportProgress{ID: hex.EncodeToString(b), AccountID: accountID, State: ImportRunning, Errors: []RowError{}}}
	imports.mu.Lock()
	for id, j := range imports.jobs {
		j.mu.Lock()
		old := !j.finished.IsZero() && time.Since(j.finished) > importKeep
		j.mu.Unlock()
		if old {
			delete(imports.jobs, id)
		}
	}
	imports.jobs[job.p.ID] = job
	imports.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	go func() {
		if err := a.runImport(ctx, job, accountID, data); err != nil {
			a.log.Error("contact import failed", "job", job.p.ID, "account", accountID, "err", err)
		}
	}()
	return job.p.ID, nil
}

// ImportStatus reports on an import started by StartImport.
func (a *App) ImportStatus(id string) (ImportProgress, error) {
	imports.mu.Lock()
	job, ok := imports.jobs[id]
	imports.mu.Unlock()
	if !ok {
		return ImportProgress{}, &Error{Code: CodeNotFound, Message: "import " + strconv.Quote(id) + " not found (imports are forgotten when Grantbook restarts)"}
	}
	return job.snapshot(), nil
}

// ImportContacts runs an import of data into an account now and returns its
// outcome. The rows are checked with the rules of CreateContact; when every
// row is valid they are all added in one transaction with one audit row,
// otherwise nothing is written and the errors are listed. The error is for
// failures other than bad rows (the database, a missing account).
func (a *App) ImportContacts(ctx context.Context, accountID int64, data []byte) (ImportProgress, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return ImportProgress{}, err
	}
	job := &importJob{p: ImportProgress{AccountID: accountID, State: ImportRunning, Errors: []RowError{}}}
	err := a.runImport(ctx, job, accountID, data)
	return job.snapshot(), err
}

// csvColumns maps the header of an import to column positions.
type csvColumns map[string]int

func (cols csvColumns) get(rec []string, name string) string {
	if i, ok := cols[name]; ok && i < len(rec) {
		return rec[i]
	}
	return ""
}

// parseCSVHeader checks the header row.
func parseCSVHeader(rec []string) (csvColumns, error) {
	cols := csvColumns{}
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return nil, fmt.Errorf("column %d has no name; the header row must name the columns: %s", i+1, strings.Join(CSVColumns, ","))
		}
		known := false
		for _, c := range CSVColumns {
			known = known || c == name
		}
		if !known {
			return nil, fmt.Errorf("unknown column %q; the columns are %s", name, strings.Join(CSVColumns, ","))
		}
		if _, dup := cols[name]; dup {
			return nil, fmt.Errorf("column %q appears twice", name)
		}
		cols[name] = i
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header row lacks %s (required: %s)", strings.Join(missing, ", "), strings.Join(requiredColumns, ", "))
	}
	return cols, nil
}

func newCSVReader(data []byte) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return r
}

// blankRecord reports a row of empty cells, as spreadsheets write after the data.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvError words a CSV syntax error and gives its line.
func csvError(err error) (int, string) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line, "not valid CSV: " + pe.Err.Error()
	}
	return 0, "not valid CSV: " + err.Error()
}

// scanCSV checks the syntax and header of data and counts its rows, without
// validating them, so the progress has a total before any lock is taken.
func scanCSV(data []byte) (csvColumns, int, *RowError) {
	r := newCSVReader(data)
	head, err := r.Read()
	if err == io.EOF {
		return nil, 0, &RowError{Line: 1, Message: "the file is empty; its first row must be the header: " + strings.Join(CSVColumns, ",")}
	}
	if err != nil {
		line, msg := csvError(err)
		return nil, 0, &RowError{Line: line, Message: msg}
	}
	cols, err := parseCSVHeader(head)
	if err != nil {
		return nil, 0, &RowError{Line: 1, Message: err.Error()}
	}
	total := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, msg := csvError(err)
			return nil, 0, &RowError{Line: line, Message: msg}
		}
		if !blankRecord(rec) {
			total++
		}
	}
	if total == 0 {
		return nil, 0, &RowError{Line: 2, Message: "the file has a header row but no contacts"}
	}
	return cols, total, nil
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

	imports.run.Lock()
	defer imports.run.Unlock()
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

// contactFromCSV builds a contact from one row and checks it with the
// rules of CreateContact (normaliseContact and applyGrant).
func (a *App) contactFromCSV(ctx context.Context, accountID int64, cols csvColumns, rec []string, width int,
	now time.Time) (*model.Contact, error) {
	if len(rec) != width {
		return nil, fmt.Errorf("the row has %d %s, the header %d", len(rec), plural(len(rec), "field", "fields"), width)
	}
	get := func(name string) string { return cols.get(rec, name) }
	c := &model.Contact{AccountID: accountID, AccountType: get("account_type"), FirstName: get("first_name"),
		LastName: get("last_name"), Email: get("email"), Phone: get("phone"), Company: get("company"),
		Role: get("role"), Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := normaliseContact(c); err != nil {
		return nil, err
	}
	g := grantInput{Preset: get("preset"), Permissions: splitList(get("permissions"))}
	if strings.TrimSpace(g.Preset) == "" {
		g.Preset = DefaultImportPreset
	}
	for _, f := range splitList(get("service_ids")) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid("service_ids", "service id %q is not a number; separate ids with spaces", f)
		}
		g.ServiceIDs = append(g.ServiceIDs, id)
	}
	if s := strings.TrimSpace(get("expires_at")); s != "" {
		t, err := ParseExpiry(s)
		if err != nil {
			return nil, err
		}
		g.ExpiresAt = &t
	}
	switch status := strings.ToLower(strings.TrimSpace(get("status"))); status {
	case "", model.StatusActive:
	case model.StatusSuspended:
		c.Status = model.StatusSuspended
	case model.StatusExpired:
		// Expired is derived from expires_at: the contact is stored active.
		if g.ExpiresAt == nil || g.ExpiresAt.After(now) {
			return nil, invalid("status", "status expired needs an expires_at in the past")
		}
	case model.StatusInvited:
		return nil, invalid("status", "status invited cannot be imported: import the contact as active or suspended, or invite them from Grantbook")
	default:
		return nil, invalid("status", "status must be active or suspended (or empty for active)")
	}
	if err := a.applyGrant(ctx, c, g); err != nil {
		return nil, err
	}
	return c, nil
}

// splitList splits a cell of space- (or comma-) separated names.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
}
