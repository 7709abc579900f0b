package web_test

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"grantbook/backend/core"
)

// Bulk actions, the CSV of chosen contacts, an import that updates (and
// its dry run) and the audit log's search and CSV, over HTTP.
func TestBulkAndSearchOverHTTP(t *testing.T) {
	e := newEnv(t)
	var acc struct{ ID int64 }
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).into(t, &acc)
	var ids []int64
	for i := range 3 {
		var c struct{ ID int64 }
		e.ok(201, "POST", "/api/contacts", map[string]any{"account_id": acc.ID, "first_name": "F", "last_name": fmt.Sprint("L", i),
			"email": fmt.Sprintf("p%d@example.com", i), "preset": "billing"}).into(t, &c)
		ids = append(ids, c.ID)
	}

	r := e.ok(200, "GET", fmt.Sprintf("/api/accounts/%d/contacts.csv?ids=%d,%d", acc.ID, ids[0], ids[2]), nil)
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][2] != "p0@example.com" || rows[2][2] != "p2@example.com" {
		t.Errorf("export of two: %v %q", err, rows)
	}
	if r := e.ok(200, "GET", fmt.Sprintf("/api/accounts/%d/contacts.csv?q=p1@", acc.ID), nil); strings.Count(string(r.body), "\n") != 2 {
		t.Errorf("export of the search: %s", r.body)
	}
	for _, bad := range []string{"?ids=1,x", "?ids=-1"} {
		if r := e.do("GET", fmt.Sprintf("/api/accounts/%d/contacts.csv%s", acc.ID, bad), nil); r.status != 422 {
			t.Errorf("export %s: %d", bad, r.status)
		}
	}

	var res core.BulkResult
	e.ok(200, "POST", "/api/contacts/bulk", map[string]any{"account_id": acc.ID, "ids": ids[:2], "action": "suspend"}).into(t, &res)
	if res.Changed != 2 || res.AuditID == 0 {
		t.Errorf("bulk suspend: %+v", res)
	}
	if r := e.do("POST", "/api/contacts/bulk", map[string]any{"account_id": acc.ID, "ids": ids, "action": "explode"}); r.status != 422 {
		t.Errorf("an unknown action: %d", r.status)
	}
	e.ok(200, "POST", "/api/contacts/bulk", map[string]any{"account_id": acc.ID, "filter": map[string]any{"status": "suspended"},
		"action": "expiry", "expires_at": "2027-06-30"}).into(t, &res)
	if res.Changed != 2 {
		t.Errorf("bulk expiry of the suspended: %+v", res)
	}

	file := "email,first_name,last_name,phone\np0@example.com,F,L0,+44 20 7946 0000\nnew@example.com,N,New,\n"
	var job struct {
		JobID string `json:"job_id"`
	}
	e.ok(202, "POST", fmt.Sprintf("/api/accounts/%d/contacts/import?mode=update&dry_run=1", acc.ID), file).into(t, &job)
	if p := e.waitImport(job.JobID); p.State != core.ImportDone || !p.DryRun || p.Created != 1 || p.Updated != 1 || p.Imported != 0 {
		t.Errorf("dry run: %+v", p)
	}
	e.ok(202, "POST", fmt.Sprintf("/api/accounts/%d/contacts/import?mode=update", acc.ID), file).into(t, &job)
	if p := e.waitImport(job.JobID); p.State != core.ImportDone || p.Imported != 2 {
		t.Errorf("update: %+v", p)
	}
	for _, bad := range []string{"?mode=merge", "?dry_run=maybe"} {
		if r := e.do("POST", fmt.Sprintf("/api/accounts/%d/contacts/import%s", acc.ID, bad), file); r.status != 422 {
			t.Errorf("import %s: %d", bad, r.status)
		}
	}

	var found struct {
		Total int `json:"total"`
	}
	e.ok(200, "GET", fmt.Sprintf("/api/audit?contact_id=%d&actor=owner", ids[0]), nil).into(t, &found)
	if found.Total != 4 { // added, suspended, expiry, the import's update
		t.Errorf("history of p0: %d entries", found.Total)
	}
	r = e.ok(200, "GET", fmt.Sprintf("/api/audit.csv?contact_id=%d&q=Suspended", ids[0]), nil)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || strings.Count(string(r.body), "\n") != 2 ||
		!strings.Contains(string(r.body), "contact.bulk_suspend") {
		t.Errorf("audit csv (%s):\n%s", ct, r.body)
	}
	for _, bad := range []string{"?actor=robot", "?from=yesterday"} {
		if r := e.do("GET", "/api/audit.csv"+bad, nil); r.status != 422 {
			t.Errorf("audit csv %s: %d", bad, r.status)
		}
	}
}
