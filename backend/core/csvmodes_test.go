package core_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// Export then import reproduces the contacts: admin-only access, the
// billing scope, services by name, and a last day of access in the owner's
// time zone, whatever zone the computer is in.
func TestCSVRoundTripKeepsEverything(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "Europe/Paris"}))
	var day core.Expiry
	if err := day.UnmarshalJSON([]byte(`"2027-06-30"`)); err != nil {
		t.Fatal(err)
	}
	in := f.input()
	in.Preset, in.Permissions, in.Admin = "custom", nil, &core.AdminInput{Areas: []string{"orders"}}
	admin := must(f.app.CreateContact(bg, in)) // admin access only
	in = f.input()
	in.Email, in.ServiceIDs, in.BillingScope, in.ExpiresAt = "bill@example.com", []int64{f.web.ID}, model.BillingAccount, &day
	bill := must(f.app.CreateContact(bg, in))
	if want := time.Date(2027, 6, 30, 22, 0, 0, 0, time.UTC); !bill.Grant.ExpiresAt.Equal(want) {
		t.Fatalf("2027-06-30 in Paris ends at %v, want %v", bill.Grant.ExpiresAt, want)
	}
	in = f.input()
	in.Email, in.Preset, in.Admin = "all@example.com", "technical", &core.AdminInput{All: true}
	all := must(f.app.CreateContact(bg, in))

	exported := f.export(t, f.acc.ID)
	rows, err := csv.NewReader(strings.NewReader(exported)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export: %v\n%s", err, exported)
	}
	byEmail := map[string][]string{}
	for _, r := range rows[1:] {
		byEmail[r[2]] = r
	}
	if r := byEmail["bill@example.com"]; r[9] != "acme.com hosting" || r[10] != "2027-06-30" || r[13] != "account" {
		t.Errorf("billing row %q", r)
	}
	if r := byEmail["ada@example.com"]; r[7] != "custom" || r[8] != "" || r[12] != "orders" {
		t.Errorf("admin-only row %q", r)
	}
	if r := byEmail["all@example.com"]; r[12] != "all" {
		t.Errorf("admin row %q", r)
	}

	for _, c := range []*model.Contact{admin, bill, all} {
		if err := f.app.DeleteContact(bg, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if p := f.importCSV(t, f.acc.ID, exported); p.State != core.ImportDone || p.Imported != 3 {
		t.Fatalf("re-import: %+v", p)
	}
	got := f.accountContacts(t, f.acc.ID)
	for _, c := range []*model.Contact{admin, bill, all} {
		sameContact(t, got[c.Email], c)
	}

	// Services are read by name or by id; a name two services share is not.
	head := "first_name,last_name,email,services\n"
	p := f.importCSV(t, f.other.ID, head+"A,B,byid@example.com,"+itoa(f.foreign.ID)+"\nC,D,byname@example.com,OTHER.com\n")
	if p.State != core.ImportDone {
		t.Fatalf("by name or id: %+v", p)
	}
	if c := f.accountContacts(t, f.other.ID)["byname@example.com"]; len(c.Grant.ServiceIDs) != 1 || c.Grant.ServiceIDs[0] != f.foreign.ID {
		t.Errorf("by name: %+v", c.Grant)
	}
	must(f.app.CreateService(bg, f.other.ID, core.ServiceInput{Name: "Other.com", Kind: "domain"}))
	p = f.importCSV(t, f.other.ID, head+"E,F,twice@example.com,other.com\n")
	if p.State != core.ImportFailed || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, `several services are named "other.com"`) {
		t.Errorf("an ambiguous name: %+v", p)
	}
}

// "Update" matches rows to contacts by email and changes them through the
// path every edit takes; a dry run shows what would change and writes
// nothing.
func TestCSVImportUpdatesAndDryRun(t *testing.T) {
	f := newFixture(t)
	ada := must(f.app.CreateContact(bg, f.input()))
	in := f.input()
	in.Email = "bob@example.com"
	bob := must(f.app.CreateContact(bg, in))
	data := "email,first_name,last_name,phone,preset,status\n" +
		"ada@example.com,Ada,Lovelace,+44 20 7946 0000,billing,\n" + // as she is
		"BOB@example.com,Ada,Lovelace,+33 1 23 45 67 89,technical,suspended\n" +
		"new@example.com,New,Person,,,\n"

	p := must(f.app.ImportContactsWith(bg, f.acc.ID, []byte(data), core.ImportOptions{}))
	if p.State != core.ImportFailed || p.ErrorCount != 2 || !strings.Contains(p.Errors[0].Message, "already exists") {
		t.Errorf("create only, with known addresses: %+v", p)
	}

	audit0, contacts0 := f.counts(t)
	p = must(f.app.ImportContactsWith(bg, f.acc.ID, []byte(data), core.ImportOptions{Mode: core.ImportUpdate, DryRun: true}))
	if p.State != core.ImportDone || !p.DryRun || p.Created != 1 || p.Updated != 1 || p.Unchanged != 1 || p.Imported != 0 || len(p.Changes) != 3 {
		t.Fatalf("dry run: %+v", p)
	}
	if ch := p.Changes[1]; ch.Line != 3 || ch.Action != "update" || ch.What != "phone, status active → suspended, access Billing → Technical" {
		t.Errorf("dry run describes bob as %+v", ch)
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0 || must(f.app.Contact(bg, bob.ID)).Status != model.StatusActive {
		t.Fatalf("a dry run wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}

	p = must(f.app.ImportContactsWith(bg, f.acc.ID, []byte(data), core.ImportOptions{Mode: core.ImportUpdate}))
	if p.State != core.ImportDone || p.Created != 1 || p.Updated != 1 || p.Unchanged != 1 || p.Imported != 2 {
		t.Fatalf("update: %+v", p)
	}
	b := must(f.app.Contact(bg, bob.ID))
	if b.Status != model.StatusSuspended || b.Phone != "+33 1 23 45 67 89" || b.Grant.Preset != "technical" || b.Email != "bob@example.com" {
		t.Errorf("bob after the update: %+v", b)
	}
	if must(f.app.Check(bg, bob.ID, "services.view", 0)).Allowed {
		t.Error("a contact suspended by an import still has access")
	}
	if a, c := f.counts(t); a != audit0+1 || c != contacts0+1 {
		t.Errorf("update import: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	e := f.lastAudit(t)
	if e.Summary != "Imported from CSV: 1 created, 1 updated, 1 unchanged" {
		t.Errorf("audit %q", e.Summary)
	}
	if es, n := must2(f.app.SearchAudit(bg, core.AuditQuery{ContactID: bob.ID})); n != 2 || es[0].ID != e.ID {
		t.Errorf("bob's history has %d entries", n)
	}
	if _, n := must2(f.app.SearchAudit(bg, core.AuditQuery{ContactID: ada.ID})); n != 1 {
		t.Errorf("ada was unchanged, yet her history has %d entries", n)
	}
	if _, err := f.app.ImportContactsWith(bg, f.acc.ID, []byte(data), core.ImportOptions{Mode: "merge"}); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
