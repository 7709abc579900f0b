package web_test

import (
	"fmt"
	"net/http"
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
	if r := e.do("GET", "/api/check?contact_id="+ftoa(id)+"&permission=invoices.view", nil); r.status != 404 {
		t.Errorf("check of a removed contact: %d %s, want 404", r.status, r.body)
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
// too: the owner's changes are in the contact's next page.
func TestClientAreaListsFollowChanges(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "lists@example.com", map[string]any{"preset": "full"})
	p := e.signIn("lists@example.com")
	acc := "/api/accounts/" + ftoa(d.acc)
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
