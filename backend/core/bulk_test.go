package core_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// import1000 imports 1,000 contacts into the fixture's account.
func (f *fixture) import1000(t *testing.T) {
	t.Helper()
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range 1000 {
		fmt.Fprintf(&b, "First%d,Imported%04d,imp%d@example.com,,,,,billing,,,,,,\n", i, i, i)
	}
	if p := f.importCSV(t, f.acc.ID, b.String()); p.State != core.ImportDone || p.Imported != 1000 {
		t.Fatalf("import: %+v", p)
	}
}

// Deleting 1,000 imported contacts is one action: one transaction, one
// audit entry that lists every one, found from each contact's history.
func TestBulkDelete1000Imported(t *testing.T) {
	f := newFixture(t)
	keep := must(f.app.CreateContact(bg, f.input()))
	f.import1000(t)
	audit0, contacts0 := f.counts(t)

	// A foreign contact among the ids: refused, nothing deleted.
	other := f.input()
	other.AccountID, other.Email = f.other.ID, "elsewhere@example.com"
	foreign := must(f.app.CreateContact(bg, other))
	audit0++
	ids := must(f.app.ContactIDs(bg, f.acc.ID, core.BulkFilter{Query: "Imported"}))
	if len(ids) != 1000 {
		t.Fatalf("the filter matches %d contacts", len(ids))
	}
	_, err := f.app.BulkContacts(bg, core.BulkInput{AccountID: f.acc.ID, IDs: append(ids[:500:500], foreign.ID), Action: core.BulkDelete})
	if e := asCoreError(t, err); e.Field != "ids" {
		t.Fatalf("a foreign contact in a bulk delete: %v", err)
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0+1 {
		t.Fatalf("a refused bulk action wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0+1, c)
	}

	res := must(f.app.BulkContacts(bg, core.BulkInput{AccountID: f.acc.ID, Filter: &core.BulkFilter{Query: "Imported"}, Action: core.BulkDelete}))
	if res.Changed != 1000 || res.Skipped != 0 || res.AuditID == 0 {
		t.Fatalf("result %+v", res)
	}
	if a, c := f.counts(t); a != audit0+1 || c != contacts0+1-1000 {
		t.Errorf("bulk delete: audit %d→%d (want one entry), contacts %d→%d", audit0, a, contacts0+1, c)
	}
	if _, err := f.app.Contact(bg, keep.ID); err != nil {
		t.Errorf("a contact outside the filter went too: %v", err)
	}
	e := f.lastAudit(t)
	if e.ID != res.AuditID || e.Action != "contact.bulk_delete" || e.Entity != "account" || e.EntityID != f.acc.ID ||
		!strings.HasPrefix(e.Summary, "Deleted 1000 contacts: First0 Imported0000 <imp0@example.com>") || !strings.HasSuffix(e.Summary, "and 997 more") {
		t.Errorf("audit entry %+v", e)
	}
	var after struct {
		Contacts []struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"contacts"`
	}
	var before []model.Contact
	if json.Unmarshal(e.After.(json.RawMessage), &after) != nil || len(after.Contacts) != 1000 ||
		json.Unmarshal(e.Before.(json.RawMessage), &before) != nil || len(before) != 1000 || before[999].Grant.Preset != "billing" {
		t.Fatalf("the entry does not list the 1,000 contacts: %d after, %d before", len(after.Contacts), len(before))
	}
	// Each deleted contact's history finds the one entry.
	for _, id := range []int64{after.Contacts[0].ID, after.Contacts[999].ID} {
		es, n := must2(f.app.SearchAudit(bg, core.AuditQuery{ContactID: id}))
		if n != 1 || es[0].ID != e.ID {
			t.Errorf("history of contact %d: %d entries", id, n)
		}
	}
}

// Suspend, restore, preset and expiry go through the single-change path:
// the evaluation sees the change at once.
func TestBulkChangesAccess(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	a := must(f.app.CreateContact(bg, f.input()))
	in := f.input()
	in.Email = "b@example.com"
	b := must(f.app.CreateContact(bg, in))
	both := []int64{a.ID, b.ID}
	bulk := func(in core.BulkInput) core.BulkResult {
		t.Helper()
		in.AccountID, in.IDs = f.acc.ID, both
		return must(f.app.BulkContacts(bg, in))
	}
	allowed := func(id int64, perm string) bool { return must(f.app.Check(bg, id, perm, 0)).Allowed }

	if r := bulk(core.BulkInput{Action: core.BulkSuspend}); r.Changed != 2 || allowed(a.ID, "invoices.view") || allowed(b.ID, "invoices.view") {
		t.Errorf("suspend: %+v", r)
	}
	audit0, _ := f.counts(t)
	if _, err := f.app.BulkContacts(bg, core.BulkInput{AccountID: f.acc.ID, IDs: both, Action: core.BulkSuspend}); err == nil {
		t.Error("suspending suspended contacts changed something")
	}
	if a, _ := f.counts(t); a != audit0 {
		t.Error("an action that changed nothing was audited")
	}
	if r := bulk(core.BulkInput{Action: core.BulkRestore}); r.Changed != 2 || !allowed(a.ID, "invoices.view") {
		t.Errorf("restore: %+v", r)
	}
	if r := bulk(core.BulkInput{Action: core.BulkPreset, Preset: "technical"}); r.Changed != 2 || allowed(b.ID, "invoices.view") || !allowed(b.ID, "services.view") {
		t.Errorf("preset: %+v", r)
	}
	var day core.Nullable[core.Expiry]
	if err := json.Unmarshal([]byte(`"2026-01-20"`), &day); err != nil {
		t.Fatal(err)
	}
	bulk(core.BulkInput{Action: core.BulkExpiry, ExpiresAt: day})
	if c := must(f.app.Contact(bg, a.ID)); c.Grant.ExpiresAt == nil || c.Grant.ExpiresAt.Format("2006-01-02T15:04") != "2026-01-21T00:00" {
		t.Errorf("expiry: %+v", c.Grant)
	}
	if e := f.lastAudit(t); e.Action != "contact.bulk_expiry" || !strings.Contains(string(e.After.(json.RawMessage)), `"changed":"expiry"`) {
		t.Errorf("audit %+v", e)
	}
	for _, bad := range []core.BulkInput{{Action: "explode"}, {Action: core.BulkPreset}, {Action: core.BulkExpiry}, {Action: core.BulkPreset, Preset: "root"}} {
		bad.AccountID, bad.IDs = f.acc.ID, both
		if _, err := f.app.BulkContacts(bg, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
