package web_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
)

// waitImport polls an import job until it leaves "running".
func (e *env) waitImport(job string) core.ImportProgress {
	e.t.Helper()
	var p core.ImportProgress
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		e.ok(200, "GET", "/api/imports/"+job, nil).into(e.t, &p)
		if p.State != core.ImportRunning {
			return p
		}
	}
	e.t.Fatalf("import %s still running: %+v", job, p)
	return p
}

func TestCSVExportAndImportOverHTTP(t *testing.T) {
	e := newEnv(t)
	var acc, other struct{ ID int64 }
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).into(t, &acc)
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}).into(t, &other)
	for i, preset := range []string{"full", "billing"} {
		e.ok(201, "POST", "/api/contacts", map[string]any{"account_id": acc.ID, "first_name": "F", "last_name": fmt.Sprint("L", i),
			"email": fmt.Sprintf("p%d@example.com", i), "preset": preset, "expires_at": "2027-01-31"})
	}

	r := e.ok(200, "GET", fmt.Sprintf("/api/accounts/%d/contacts.csv", acc.ID), nil)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("content disposition %q", cd)
	}
	want := "first_name,last_name,email,phone,company,role,account_type,preset,permissions,service_ids,expires_at,status\n" +
		"F,L0,p0@example.com,,,,individual,full,contacts.manage emails.view invoices.pay invoices.view orders.place profile.edit profile.view quotes.accept quotes.view services.cancel services.modify services.view support.open support.view support.view_all,,2027-01-31,active\n" +
		"F,L1,p1@example.com,,,,individual,billing,emails.view invoices.pay invoices.view quotes.view,,2027-01-31,active\n"
	if string(r.body) != want {
		t.Errorf("export:\n%s\nwant:\n%s", r.body, want)
	}

	audit0, contacts0 := e.counts()
	var job struct {
		JobID string `json:"job_id"`
	}
	e.ok(202, "POST", fmt.Sprintf("/api/accounts/%d/contacts/import", other.ID), r.body).into(t, &job)
	if job.JobID == "" {
		t.Fatalf("no job id: %s", r.body)
	}
	p := e.waitImport(job.JobID)
	if p.State != core.ImportDone || p.Total != 2 || p.Processed != 2 || p.Imported != 2 || len(p.Errors) != 0 {
		t.Fatalf("import: %+v", p)
	}
	if a, c := e.counts(); a != audit0+1 || c != contacts0+2 {
		t.Errorf("audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	// The raw JSON has exactly the documented fields (plus extras).
	m := e.ok(200, "GET", "/api/imports/"+job.JobID, nil).json(t)
	for _, k := range []string{"state", "total", "processed", "imported", "errors"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status lacks %q: %v", k, m)
		}
	}

	// The same file again: every row is a duplicate, nothing is written.
	e.ok(202, "POST", fmt.Sprintf("/api/accounts/%d/contacts/import", other.ID), r.body).into(t, &job)
	p = e.waitImport(job.JobID)
	if p.State != core.ImportFailed || len(p.Errors) != 2 || p.Errors[0].Line != 2 || p.Errors[1].Line != 3 {
		t.Fatalf("duplicate import: %+v", p)
	}
	if a, c := e.counts(); a != audit0+1 || c != contacts0+2 {
		t.Errorf("a failed import wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}

	// Garbage is a failed job, not a failed request.
	e.ok(202, "POST", fmt.Sprintf("/api/accounts/%d/contacts/import", other.ID), "\x00\xff{not csv").into(t, &job)
	if p := e.waitImport(job.JobID); p.State != core.ImportFailed || len(p.Errors) != 1 || p.Errors[0].Line != 1 {
		t.Errorf("garbage: %+v", p)
	}
}

func TestCSVRoutesRefuseBadRequests(t *testing.T) {
	e := newEnv(t)
	var acc struct{ ID int64 }
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).into(t, &acc)
	const limit = 1 << 20
	e.app.SetImportLimit(limit)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/accounts/999/contacts.csv", nil, 404, core.CodeNotFound},
		{"GET", "/api/accounts/x/contacts.csv", nil, 404, core.CodeNotFound},
		{"POST", "/api/accounts/999/contacts/import", "first_name,last_name,email\n", 404, core.CodeNotFound},
		{"GET", "/api/imports/nope", nil, 404, core.CodeNotFound},
		{"POST", fmt.Sprintf("/api/accounts/%d/contacts/import", acc.ID), bytes.Repeat([]byte("a"), limit+1), 413, "too_large"},
	} {
		r := e.do(c.method, c.path, c.body)
		if code, _ := r.errorOf(t); r.status != c.status || code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, r.status, code, c.status, c.code)
		}
	}
	if r := e.raw("GET", fmt.Sprintf("/api/accounts/%d/contacts.csv", acc.ID), nil, ""); r.status != 401 {
		t.Errorf("export without a token: %d", r.status)
	}
	if r := e.raw("POST", fmt.Sprintf("/api/accounts/%d/contacts/import", acc.ID), "first_name,last_name,email\n", ""); r.status != 401 {
		t.Errorf("import without a token: %d", r.status)
	}
}
