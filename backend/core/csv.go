package core

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// CSVColumns is the header of an exported contact CSV, in order; an import
// takes the same columns in any order (first_name, last_name and email are
// required), and service_ids as written before services had names.
var CSVColumns = []string{"first_name", "last_name", "email", "phone", "company", "role",
	"account_type", "preset", "permissions", "services", "expires_at", "status", "admin", "billing_scope"}

// importColumns are the columns an import knows.
var importColumns = append(slices.Clone(CSVColumns), "service_ids")

var requiredColumns = []string{"first_name", "last_name", "email"}

// Import limits.
const (
	// DefaultImportLimit bounds the CSV file of one import unless the
	// app is told otherwise (SetImportLimit; serve --import-limit). The
	// file is read from disk, never held in memory.
	DefaultImportLimit int64 = 1 << 30
	// MaxImportErrors is how many row errors an import lists, and
	// MaxImportChanges how many rows a dry run describes.
	MaxImportErrors  = 100
	MaxImportChanges = 200
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
// checked so far; Imported is 0 until the transaction commits, then the
// rows created and updated. A dry run commits nothing: it counts and
// describes what the import would do (Changes, the first MaxImportChanges).
type ImportProgress struct {
	ID         string      `json:"job_id"`
	AccountID  int64       `json:"account_id"`
	Mode       string      `json:"mode"`
	DryRun     bool        `json:"dry_run"`
	State      string      `json:"state"`
	Total      int         `json:"total"`
	Processed  int         `json:"processed"`
	Imported   int         `json:"imported"`
	Created    int         `json:"created"`
	Updated    int         `json:"updated"`
	Unchanged  int         `json:"unchanged"`
	Changes    []RowChange `json:"changes"`
	Errors     []RowError  `json:"errors"`
	ErrorCount int         `json:"error_count"` // all rows with errors; Errors lists the first MaxImportErrors
}

// RowChange is what an import does with one row.
type RowChange struct {
	Line   int    `json:"line"`
	Email  string `json:"email"`
	Action string `json:"action"` // create, update or unchanged
	What   string `json:"what"`   // the fields an update changes, in words
}

// ExportContacts writes the contacts of an account to w as CSV (the
// CSVColumns), one row at a time.
func (a *App) ExportContacts(ctx context.Context, accountID int64, w io.Writer) error {
	return a.ExportContactsOf(ctx, accountID, nil, w)
}

// ExportContactsOf exports the contacts of ids (all when nil) of an account.
func (a *App) ExportContactsOf(ctx context.Context, accountID int64, ids []int64, w io.Writer) error {
	if _, err := a.Account(ctx, accountID); err != nil {
		return err
	}
	services, err := a.store.Services(ctx, accountID)
	if err != nil {
		return err
	}
	ex := csvExport{names: exportNames(services), zone: a.zone(ctx)}
	only := map[int64]bool{}
	for _, id := range ids {
		only[id] = true
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	rec := make([]string, len(CSVColumns))
	err = a.store.EachContact(ctx, accountID, func(c *model.Contact) error {
		if ids != nil && !only[c.ID] {
			return nil
		}
		ex.record(c, rec)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvExport is what writing rows needs: how services are named, and the
// zone a grant's last day is written in.
type csvExport struct {
	names map[int64]string
	zone  *time.Location
}

// exportNames names each service by its name, or by its id where the name
// would not read back as that one service (shared, or holding the ;
// that separates services).
func exportNames(services []*model.Service) map[int64]string {
	count := map[string]int{}
	for _, s := range services {
		count[serviceKey(s.Name)]++
	}
	out := make(map[int64]string, len(services))
	for _, s := range services {
		out[s.ID] = s.Name
		if count[serviceKey(s.Name)] > 1 || strings.Contains(s.Name, ";") || s.Name != strings.TrimSpace(s.Name) {
			out[s.ID] = strconv.FormatInt(s.ID, 10)
		}
	}
	return out
}

// record fills rec (len(CSVColumns)) with c.
func (ex csvExport) record(c *model.Contact, rec []string) {
	names := make([]string, len(c.Grant.ServiceIDs))
	for i, id := range c.Grant.ServiceIDs {
		names[i] = orDefault(ex.names[id], strconv.FormatInt(id, 10))
	}
	expires := ""
	if t := c.Grant.ExpiresAt; t != nil {
		expires = orDefault(lastDay(*t, ex.zone), t.In(ex.zone).Format(time.RFC3339))
	}
	admin := ""
	if c.Admin != nil {
		admin = strings.Join(c.Admin.Areas, " ")
		if c.Admin.All {
			admin = "all"
		}
	}
	copy(rec, []string{c.FirstName, c.LastName, c.Email, c.Phone, c.Company, c.Role, c.AccountType,
		c.Grant.Preset, strings.Join(c.Grant.Permissions, " "), strings.Join(names, "; "), expires, c.Status,
		admin, orDefault(c.Grant.BillingScope, model.BillingServices)})
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
		if !slices.Contains(importColumns, name) {
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
