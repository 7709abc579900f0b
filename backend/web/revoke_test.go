package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Checks and sessions are answered from memory (core's caches): every way
// a grant or a session changes must reach the very next request. Each case
// first asks, so the old answer is held, then changes and asks again.

func (e *env) allowed(contact float64, perm string) bool {
	e.t.Helper()
	return *e.check(fmt.Sprintf("contact_id=%s&permission=%s", ftoa(contact), perm)).Allowed
}

func TestRevocationReachesTheNextCheck(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	id := e.addContact(d, "rev@example.com", map[string]any{"preset": "full"})
	if !e.allowed(id, "services.view") {
		t.Fatal("full access does not allow services.view")
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"preset": "billing"})
	if e.allowed(id, "services.view") {
		t.Error("after the change to billing, services.view is still allowed")
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"status": "suspended"})
	if e.allowed(id, "invoices.view") {
		t.Error("a suspended contact is still allowed")
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"status": "active", "service_ids": []float64{d.svc1}})
	q := fmt.Sprintf("contact_id=%s&permission=invoices.view&service_id=%s", ftoa(id), ftoa(d.svc2))
	if *e.check(q).Allowed {
		t.Error("a service left out of the grant is still allowed")
	}
	e.ok(204, "DELETE", "/api/contacts/"+ftoa(id), nil)
	e.checkGone(id, "a removed contact")
}

// checkGone asserts that a check of contact id answers 404.
func (e *env) checkGone(id float64, what string) {
	e.t.Helper()
	if r := e.do("GET", "/api/check?contact_id="+ftoa(id)+"&permission=invoices.view", nil); r.status != 404 {
		e.t.Errorf("check of %s: %d %s, want 404", what, r.status, r.body)
	}
}

// A restore replaces the whole database under the caches.
func TestRestoreReachesTheNextCheckAndSession(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	id := e.addContact(d, "rest@example.com", map[string]any{"preset": "billing"})
	backup := e.ok(200, "GET", "/api/backup", nil).body
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"preset": "full"})
	p := e.signIn("rest@example.com")
	if !e.allowed(id, "services.view") || p.get("/api/portal/services").status != 200 {
		t.Fatal("full access before the restore does not allow services")
	}
	e.ok(200, "POST", "/api/restore", backup)
	if e.allowed(id, "services.view") {
		t.Error("after restoring the billing grant, services.view is still allowed")
	}
	if r := p.get("/api/portal/services"); r.status != 401 {
		t.Errorf("a session made after the backup, after the restore: %d %s, want 401", r.status, r.body)
	}
}

// An import suspends the cache triggers while it writes: once it is done,
// changes to what it imported are seen again at once.
func TestImportedContactsAreCheckedAndRevoked(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	before := e.addContact(d, "first@example.com", map[string]any{"preset": "full"})
	next := ftoa(before + 1)
	if r := e.do("GET", "/api/check?contact_id="+next+"&permission=services.view", nil); r.status != 404 {
		t.Fatalf("check of a contact not imported yet: %d %s", r.status, r.body)
	}
	csv := "first_name,last_name,email,preset\nIm,Ported,imported@example.com,full\n"
	var job struct {
		JobID string `json:"job_id"`
	}
	e.ok(202, "POST", "/api/accounts/"+ftoa(d.acc)+"/contacts/import", csv).into(t, &job)
	if p := e.waitImport(job.JobID); p.Imported != 1 {
		t.Fatalf("import: %+v", p)
	}
	if !e.allowed(before+1, "services.view") {
		t.Fatal("the imported contact is not allowed")
	}
	e.ok(200, "PATCH", "/api/contacts/"+next, map[string]any{"status": "suspended"})
	if e.allowed(before+1, "services.view") {
		t.Error("the imported contact, suspended, is still allowed")
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(before), map[string]any{"preset": "billing"})
	if e.allowed(before, "services.view") {
		t.Error("after an import, a change to another contact is not seen")
	}
}

// The owner signs a contact out of every session at once: one statement
// changes several sessions, each is out at its next request.
func TestBulkSignOutReachesEverySession(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	id := e.addContact(d, "two@example.com", map[string]any{"preset": "full"})
	phone, laptop := e.signIn("two@example.com"), e.signIn("two@example.com")
	for _, p := range []*portal{phone, laptop} {
		if r := p.get("/api/portal/invoices"); r.status != 200 {
			t.Fatalf("signed in: %d %s", r.status, r.body)
		}
	}
	e.ok(200, "POST", "/api/contacts/"+ftoa(id)+"/sessions/revoke", map[string]any{})
	for i, p := range []*portal{phone, laptop} {
		if r := p.get("/api/portal/invoices"); r.status != http.StatusUnauthorized {
			t.Errorf("session %d after signing the contact out everywhere: %d %s, want 401", i, r.status, r.body)
		}
	}
}

// The client area's lists of invoices and services are read from memory
// too: the owner's changes are in the contact's next page. They are written
// from JSON made when the list was cached: byte for byte what encoding/json
// writes for the owner's list of the same records, with characters it
// escapes too.
func TestClientAreaListsFollowChanges(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "lists@example.com", map[string]any{"preset": "full"})
	p := e.signIn("lists@example.com")
	acc := "/api/accounts/" + ftoa(d.acc)
	sameAsOwners := func(what string) {
		t.Helper()
		got, want := p.get("/api/portal/"+what), e.ok(200, "GET", acc+"/"+what, nil)
		if got.status != 200 || !bytes.Equal(got.body, want.body) {
			t.Fatalf("portal %s: %d\n%s\nthe owner's:\n%s", what, got.status, got.body, want.body)
		}
		if cl := got.header.Get("Content-Length"); cl != strconv.Itoa(len(got.body)) {
			t.Errorf("portal %s: Content-Length %q for %d bytes", what, cl, len(got.body))
		}
	}
	sameAsOwners("invoices")
	e.ok(200, "PATCH", "/api/invoices/"+ftoa(d.invSvc2), map[string]any{"number": `INV <2> & "x" é`})
	e.ok(200, "PATCH", "/api/services/"+ftoa(d.svc1), map[string]any{"name": "<b>acme</b>.com"})
	sameAsOwners("invoices")
	sameAsOwners("services")
	if got := listNames(t, p.get("/api/portal/invoices"), "invoices", "number"); len(got) != 3 {
		t.Fatalf("invoices %v", got)
	}
	e.ok(201, "POST", acc+"/invoices", map[string]any{"number": "INV-4", "amount_cents": 700})
	if got := listNames(t, p.get("/api/portal/invoices"), "invoices", "number"); len(got) != 4 {
		t.Errorf("after a new invoice: %v", got)
	}
	if got := listNames(t, p.get("/api/portal/services"), "services", "name"); len(got) != 2 {
		t.Fatalf("services %v", got)
	}
	e.ok(201, "POST", acc+"/services", map[string]any{"name": "Mail", "kind": "email"})
	if got := listNames(t, p.get("/api/portal/services"), "services", "name"); len(got) != 3 {
		t.Errorf("after a new service: %v", got)
	}
	sameAsOwners("invoices")
	sameAsOwners("services")
}

// An expiry passing, an extension and a suspension reach the next check
// and the next client-area request, though both are answered from memory.
func TestExpiryExtensionAndSuspensionReachTheNextRequest(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	id := e.addContact(d, "term@example.com", map[string]any{"preset": "full", "expires_at": "2026-06-02"})
	p := e.signIn("term@example.com")
	if r := p.get("/api/portal/invoices"); r.status != 200 || !e.allowed(id, "invoices.view") {
		t.Fatalf("before the expiry: %d %s", r.status, r.body)
	}
	e.setNow(time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC))
	if e.allowed(id, "invoices.view") {
		t.Error("allowed after the grant expired")
	}
	if r := p.get("/api/portal/invoices"); r.status == 200 {
		t.Errorf("the client area still answers after the expiry: %s", r.body)
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"expires_at": "2026-12-31"})
	if !e.allowed(id, "invoices.view") {
		t.Error("refused after the extension")
	}
	p = e.signIn("term@example.com")
	if r := p.get("/api/portal/invoices"); r.status != 200 {
		t.Fatalf("after the extension: %d %s", r.status, r.body)
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"status": "suspended"})
	if r := p.get("/api/portal/invoices"); r.status == 200 {
		t.Errorf("the client area still answers a suspended contact: %s", r.body)
	}
}

// Bulk actions (issue 14) write through the same transaction and
// triggers: a suspension, a change of access and a removal of several
// contacts reach the very next check and client-area request.
func TestBulkActionsReachTheNextCheckAndSession(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	a := e.addContact(d, "bulk-a@example.com", map[string]any{"preset": "full"})
	b := e.addContact(d, "bulk-b@example.com", map[string]any{"preset": "full"})
	p := e.signIn("bulk-a@example.com")
	if !e.allowed(a, "services.view") || !e.allowed(b, "services.view") || p.get("/api/portal/services").status != 200 {
		t.Fatal("full access before the bulk actions does not allow services")
	}
	bulk := func(body map[string]any) {
		t.Helper()
		body["account_id"] = d.acc
		e.ok(200, "POST", "/api/contacts/bulk", body)
	}
	bulk(map[string]any{"ids": []float64{a, b}, "action": "suspend"})
	if e.allowed(a, "services.view") || e.allowed(b, "services.view") {
		t.Error("after a bulk suspension, services.view is still allowed")
	}
	if r := p.get("/api/portal/services"); r.status != http.StatusUnauthorized {
		t.Errorf("the client area after a bulk suspension: %d %s, want 401", r.status, r.body)
	}
	bulk(map[string]any{"ids": []float64{a, b}, "action": "restore"})
	if !e.allowed(b, "services.view") {
		t.Error("after a bulk restore, services.view is not allowed")
	}
	bulk(map[string]any{"filter": map[string]any{"q": "bulk-"}, "action": "preset", "preset": "billing"})
	if e.allowed(a, "services.view") || !e.allowed(b, "invoices.view") {
		t.Error("after a bulk change to billing, the check still answers the full grant")
	}
	bulk(map[string]any{"ids": []float64{a, b}, "action": "delete"})
	e.checkGone(b, "a contact removed in bulk")
}

// An import that updates keeps the triggers however large it is: the
// contacts it changed are checked and found by their new details at once.
func TestLargeImportThatUpdatesReachesTheNextCheckAndSearch(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	id := e.addContact(d, "known@example.com", map[string]any{"preset": "full"})
	if !e.allowed(id, "services.view") || e.list("q=renamed").Total != 0 {
		t.Fatal("before the import")
	}
	var b strings.Builder
	b.WriteString("first_name,last_name,email,preset\nRe,Renamed,known@example.com,billing\n")
	for i := range 1200 { // past the size from which a create-only import suspends the triggers
		fmt.Fprintf(&b, "N,New%d,new%d@example.com,billing\n", i, i)
	}
	var job struct {
		JobID string `json:"job_id"`
	}
	e.ok(202, "POST", "/api/accounts/"+ftoa(d.acc)+"/contacts/import?mode=update", b.String()).into(t, &job)
	if p := e.waitImport(job.JobID); p.Updated != 1 || p.Created != 1200 {
		t.Fatalf("import: %+v", p)
	}
	if e.allowed(id, "services.view") {
		t.Error("the contact updated to billing by the import is still allowed services.view")
	}
	if n := e.list("q=renamed").Total; n != 1 {
		t.Errorf("search for the updated name: %d found, want 1", n)
	}
}
