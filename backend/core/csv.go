package core

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// CSVColumns is the header of an exported contact CSV, in order; an import
// takes the same columns in any order (first_name, last_name and email are
// required).
var CSVColumns = []string{"first_name", "last_name", "email", "phone", "company", "role",
	"account_type", "preset", "permissions", "service_ids", "expires_at", "status"}

var requiredColumns = []string{"first_name", "last_name", "email"}

// Import limits.
const (
	// DefaultImportLimit bounds the CSV file of one import unless the
	// app is told otherwise (SetImportLimit; serve --import-limit). The
	// file is read from disk, never held in memory.
	DefaultImportLimit int64 = 1 << 30
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
	for i := range rec {
		rec[i] = csvCell(rec[i])
	}
}

// csvCell escapes a value for an exported cell. A spreadsheet runs a cell
// that begins with = + - @ (or a tab or CR before one) as a formula, so
// such a cell gets a leading ' (shown as text, not as a character). Values
// that begin with ' get one too, so an import can always take exactly one
// off again (csvValue): the round trip is lossless.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r'", rune(v[0])) {
		return "'" + v
	}
	return v
}

// csvValue undoes csvCell: one leading ' is taken off.
func csvValue(cell string) string {
	return strings.TrimPrefix(cell, "'")
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

// csvColumns maps the header of an import to column positions.
type csvColumns map[string]int

func (cols csvColumns) get(rec []string, name string) string {
	if i, ok := cols[name]; ok && i < len(rec) {
		return csvValue(rec[i])
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

// newCSVReader reads src, a UTF-8 byte order mark at its start aside.
func newCSVReader(src io.Reader) *csv.Reader {
	b := bufio.NewReaderSize(src, 256<<10)
	if head, _ := b.Peek(3); bytes.Equal(head, []byte("\xef\xbb\xbf")) {
		b.Discard(3)
	}
	r := csv.NewReader(b)
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

// scanCSV checks the syntax and header of src and counts its rows, without
// validating them, so the progress has a total before any lock is taken.
// An error reading src is not the file's fault: it is returned apart.
func scanCSV(src io.Reader) (csvColumns, int, *RowError, error) {
	var readErr error
	r := newCSVReader(errReader{src, &readErr})
	head, err := r.Read()
	if err == io.EOF {
		return nil, 0, &RowError{Line: 1, Message: "the file is empty; its first row must be the header: " + strings.Join(CSVColumns, ",")}, readErr
	}
	if err != nil {
		line, msg := csvError(err)
		return nil, 0, &RowError{Line: line, Message: msg}, readErr
	}
	cols, err := parseCSVHeader(head)
	if err != nil {
		return nil, 0, &RowError{Line: 1, Message: err.Error()}, readErr
	}
	total := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, msg := csvError(err)
			return nil, 0, &RowError{Line: line, Message: msg}, readErr
		}
		if !blankRecord(rec) {
			total++
		}
	}
	if total == 0 {
		return nil, 0, &RowError{Line: 2, Message: "the file has a header row but no contacts"}, readErr
	}
	return cols, total, nil, nil
}

// errReader keeps the error of its reader, so that a failing disk is told
// apart from a bad file.
type errReader struct {
	r   io.Reader
	err *error
}

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		*e.err = err
	}
	return n, err
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
