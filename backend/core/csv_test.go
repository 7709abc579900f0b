package core_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

const csvHeader = "first_name,last_name,email,phone,company,role,account_type,preset,permissions,services,expires_at,status,admin,billing_scope\n"

// oldHeader is the header files were exported with before services had
// names and admin access a column: such files still import.
const oldHeader = "first_name,last_name,email,phone,company,role,account_type,preset,permissions,service_ids,expires_at,status\n"

func (f *fixture) export(t *testing.T, accountID int64) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.app.ExportContacts(bg, accountID, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (f *fixture) importCSV(t *testing.T, accountID int64, data string) core.ImportProgress {
	t.Helper()
	p, err := f.app.ImportContacts(bg, accountID, []byte(data))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return p
}

// accountContacts lists an account's contacts by email.
func (f *fixture) accountContacts(t *testing.T, accountID int64) map[string]*model.Contact {
	t.Helper()
	cs, _, err := f.app.Contacts(bg, core.ContactFilter{AccountID: accountID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*model.Contact{}
	for _, c := range cs {
		out[c.Email] = c
	}
	return out
}

// sameContact compares what an export carries.
func sameContact(t *testing.T, got, want *model.Contact) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s is missing after the round trip", want.Email)
	}
	g, w := *got, *want
	g.ID, w.ID, g.AccountID, w.AccountID = 0, 0, 0, 0
	if (g.Admin == nil) != (w.Admin == nil) || (g.Admin != nil && fmt.Sprint(*g.Admin) != fmt.Sprint(*w.Admin)) {
		t.Errorf("%s: admin access %+v after the round trip, want %+v", w.Email, g.Admin, w.Admin)
	}
	g.Admin, w.Admin = nil, nil
	g.CreatedAt, w.CreatedAt, g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	// The grant's length counts from when it was written: not in a CSV.
	g.Grant.TermDays, w.Grant.TermDays = 0, 0
	if fmt.Sprintf("%+v %+v %v", g, g.Grant, g.Grant.ExpiresAt) != fmt.Sprintf("%+v %+v %v", w, w.Grant, w.Grant.ExpiresAt) {
		t.Errorf("contact differs after the round trip:\n got %+v %+v\nwant %+v %+v", g, g.Grant, w, w.Grant)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	in := f.input()
	ada := must(f.app.CreateContact(bg, in))
	in.FirstName, in.LastName, in.Email, in.Phone, in.Company, in.Role = "Élodie", "Dupont, \"Jr\"", "Elodie@Example.FR", "", "", "role, \"quoted\""
	in.Preset, in.Permissions, in.ServiceIDs = "custom", []string{"services.view", "invoices.pay"}, []int64{f.web.ID, f.dns.ID}
	in.ExpiresAt = &core.Expiry{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	elodie := must(f.app.CreateContact(bg, in))
	in = f.input()
	in.Email, in.AccountType, in.Company, in.Preset = "ops@acme.test", "company", "Acme Ops", "technical"
	in.ExpiresAt = &core.Expiry{Time: time.Date(2026, 1, 10, 15, 30, 0, 0, time.UTC)} // already expired
	ops := must(f.app.CreateContact(bg, in))
	suspended := "suspended"
	ops = must(f.app.UpdateContact(bg, ops.ID, core.ContactPatch{Status: &suspended}))

	exported := f.export(t, f.acc.ID)
	lines := strings.Split(strings.TrimSuffix(exported, "\n"), "\n")
	if lines[0]+"\n" != csvHeader {
		t.Fatalf("header %q", lines[0])
	}
	rows, err := csv.NewReader(strings.NewReader(exported)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export is not 1+3 CSV rows (%v):\n%s", err, exported)
	}
	// Services by name; the expiry is the last day of access.
	if got := strings.Join(rows[2], "|"); got != "Élodie|Dupont, \"Jr\"|Elodie@Example.FR|||role, \"quoted\"|individual|custom|invoices.pay services.view|acme.com hosting; acme.com|2026-02-28|active||services" {
		t.Errorf("row of Élodie: %q", got)
	}
	if rows[3][10] != "2026-01-10T15:30:00Z" || rows[3][11] != "suspended" {
		t.Errorf("row of ops: %q", rows[3])
	}

	// Into another account: services belong to acc, so Élodie's row fails
	// there and nothing is written.
	audit0, contacts0 := f.counts(t)
	p := f.importCSV(t, f.other.ID, exported)
	if p.State != core.ImportFailed || p.Imported != 0 || len(p.Errors) != 1 || p.Errors[0].Line != 3 ||
		!strings.Contains(p.Errors[0].Message, `this account has no service named "acme.com hosting"`) {
		t.Fatalf("import with foreign services: %+v", p)
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0 {
		t.Fatalf("a failed import wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	// Without the service column it goes through.
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range rows {
		w.Write(slices.Delete(slices.Clone(r), 9, 10))
	}
	w.Flush()
	p = f.importCSV(t, f.other.ID, b.String())
	if p.State != core.ImportDone || p.Imported != 3 || p.Total != 3 || p.Processed != 3 || len(p.Errors) != 0 {
		t.Fatalf("import into other: %+v", p)
	}
	got := f.accountContacts(t, f.other.ID)
	sameContact(t, got[ada.Email], ada)
	sameContact(t, got[ops.Email], ops)
	if e := got[elodie.Email]; e == nil || e.Grant.AllServices != true || e.Role != "role, \"quoted\"" || e.LastName != `Dupont, "Jr"` {
		t.Errorf("Élodie in other: %+v", e)
	}
	e := f.lastAudit(t)
	if e.Action != "contact.import" || e.Summary != "Imported 3 contacts from CSV" || e.Entity != "account" || e.EntityID != f.other.ID {
		t.Errorf("audit row: %+v", e)
	}
	if a, _ := f.counts(t); a != audit0+1 {
		t.Errorf("one import wrote %d audit rows", a-audit0)
	}

	// Back into the same account after removing everyone: the same contacts,
	// services included.
	for _, c := range []*model.Contact{ada, elodie, ops} {
		if err := f.app.DeleteContact(bg, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	p = f.importCSV(t, f.acc.ID, exported)
	if p.State != core.ImportDone || p.Imported != 3 {
		t.Fatalf("re-import: %+v", p)
	}
	got = f.accountContacts(t, f.acc.ID)
	for _, c := range []*model.Contact{ada, elodie, ops} {
		sameContact(t, got[c.Email], c)
	}
	if again := f.export(t, f.acc.ID); again != exported {
		t.Errorf("second export differs:\n%s\nfirst:\n%s", again, exported)
	}
}

func TestCSVImportBadRowsWriteNothing(t *testing.T) {
	f := newFixture(t)
	must(f.app.CreateContact(bg, f.input()))
	audit0, contacts0 := f.counts(t)
	data := oldHeader +
		"Grace,Hopper,grace@example.com,,,,,billing,,,,\n" + // 2: fine
		"Alan,Turing,not-an-email,,,,,full,,,,\n" + // 3
		"\"Multi\nLine\",Name,ml@example.com,,,,,full,,,,\n" + // 4-5: a newline is a control character
		"Bad,Preset,bp@example.com,,,,,superuser,,,,\n" + // 6
		",NoFirst,nf@example.com,,,,,,,,,\n" + // 7
		"Short,Row,short@example.com\n" + // 8
		"\n" + // 9: blank, skipped
		"Bad,Perm,perm@example.com,,,,,custom,rocket.launch,,,\n" + // 10
		"Bad,Expiry,exp@example.com,,,,,full,,,next week,\n" + // 11
		fmt.Sprintf("Bad,Service,svc@example.com,,,,,full,,%d,,\n", f.foreign.ID) + // 12
		"Bad,Status,st@example.com,,,,,full,,,,invited\n" + // 13
		"Bad,Phone,ph@example.com,call me,,,,full,,,,\n" + // 14
		"Bad,Company,co@example.com,,,,company,full,,,,\n" + // 15
		",,,,,,,,,,,\n" + // 16: blank cells, skipped
		"Bad,Custom,cu@example.com,,,,,custom,,,,\n" // 17
	p := f.importCSV(t, f.acc.ID, data)
	want := map[int]string{
		3: "email: \"not-an-email\" is not an email address", 4: "first_name: first name contains control characters", 6: "preset: unknown preset \"superuser\"",
		7: "first_name: first name is required", 8: "the row has 3 fields, the header 12",
		10: "permissions: unknown permission \"rocket.launch\"", 11: "expires_at: expiry \"next week\" is not a date",
		12: fmt.Sprintf("service_ids: service %d is not a service of this account", f.foreign.ID),
		13: "status: status invited cannot be imported", 14: "phone: phone number may contain digits",
		15: "company: company name is required", 17: "permissions: a custom grant needs at least one action",
	}
	if p.State != core.ImportFailed || p.Imported != 0 || p.Total != 13 || p.Processed != 13 || p.ErrorCount != len(want) {
		t.Errorf("progress: %+v", p)
	}
	for _, e := range p.Errors {
		if w, ok := want[e.Line]; !ok || !strings.HasPrefix(e.Message, w) {
			t.Errorf("line %d: %q, want %q", e.Line, e.Message, w)
		}
		delete(want, e.Line)
	}
	for line, msg := range want {
		t.Errorf("line %d not reported (%s)", line, msg)
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0 {
		t.Errorf("a failed import wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	if _, err := f.app.LookupEmail(bg, "grace@example.com", f.acc.ID); err != nil {
		t.Fatal(err)
	} else if c, _ := f.app.LookupEmail(bg, "grace@example.com", f.acc.ID); c != nil {
		t.Errorf("the valid row was written: %+v", c)
	}
}

func TestCSVImportListsTheFirst100Errors(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("email,first_name,last_name\n")
	for i := range 250 {
		fmt.Fprintf(&b, "bad%d,First,Last\n", i)
	}
	p := f.importCSV(t, f.acc.ID, b.String())
	if p.State != core.ImportFailed || len(p.Errors) != core.MaxImportErrors || p.ErrorCount != 250 ||
		p.Errors[0].Line != 2 || p.Errors[99].Line != 101 {
		t.Errorf("progress: state %s, %d errors listed, %d counted, first %+v", p.State, len(p.Errors), p.ErrorCount, p.Errors[0])
	}
}

func TestCSVImportDuplicates(t *testing.T) {
	f := newFixture(t)
	must(f.app.CreateContact(bg, f.input())) // ada@example.com in acc
	in := f.input()
	in.AccountID = f.other.ID
	in.Email = "grace@example.com"
	must(f.app.CreateContact(bg, in)) // in another account: no conflict
	audit0, contacts0 := f.counts(t)
	data := "first_name,last_name,email\n" +
		"Grace,Hopper,grace@example.com\n" + // 2: only in another account: fine
		"Ada,Again,ADA@example.com\n" + // 3: exists in acc
		"Bob,One,bob@example.com\n" + // 4
		"Bob,Two,Bob@Example.com\n" + // 5: same as 4
		"Bob,Three, bob@example.com \n" // 6: same as 4 once trimmed
	p := f.importCSV(t, f.acc.ID, data)
	got := map[int]string{}
	for _, e := range p.Errors {
		got[e.Line] = e.Message
	}
	want := map[int]string{
		3: "email: a contact with email ADA@example.com already exists in this account (import with \"update\" to change it)",
		5: "email: Bob@Example.com is also on line 4",
		6: "email: bob@example.com is also on line 4",
	}
	if p.State != core.ImportFailed || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state %s, errors %v, want %v", p.State, got, want)
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0 {
		t.Errorf("a failed import wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	// Without the duplicates it goes through, and a second run is all duplicates.
	ok := "first_name,last_name,email\nGrace,Hopper,grace@example.com\nBob,One,bob@example.com\n"
	if p := f.importCSV(t, f.acc.ID, ok); p.State != core.ImportDone || p.Imported != 2 {
		t.Fatalf("%+v", p)
	}
	if p := f.importCSV(t, f.acc.ID, ok); p.State != core.ImportFailed || len(p.Errors) != 2 {
		t.Fatalf("second run: %+v", p)
	}
}

// Enough rows for the checked batches to be filled again after they were
// written: every contact is checked against its row.
func TestCSVImport3000Rows(t *testing.T) {
	f := newFixture(t)
	const n = 3000
	var b strings.Builder
	b.WriteString("\xef\xbb\xbf" + strings.ToUpper(oldHeader[:10]) + oldHeader[10:]) // a BOM and a shouted column, as spreadsheets write
	presets := []string{"full", "personal", "technical", "billing", ""}
	for i := range n {
		svc := ""
		if i%7 == 0 {
			svc = fmt.Sprint(f.web.ID)
		}
		fmt.Fprintf(&b, "First%d,Last%d,user%d@example.com,+1 555 %04d,Co %d,role,individual,%s,,%s,,\r\n",
			i, i, i, i, i, presets[i%len(presets)], svc)
	}
	audit0, contacts0 := f.counts(t)
	start := time.Now()
	p := f.importCSV(t, f.acc.ID, b.String())
	t.Logf("%d rows in %v", n, time.Since(start))
	if p.State != core.ImportDone || p.Imported != n || p.Total != n || p.Processed != n || len(p.Errors) != 0 {
		t.Fatalf("%+v", p)
	}
	if a, c := f.counts(t); a != audit0+1 || c != contacts0+n {
		t.Errorf("audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	if e := f.lastAudit(t); e.Summary != fmt.Sprintf("Imported %d contacts from CSV", n) {
		t.Errorf("audit: %q", e.Summary)
	}
	lookup := func(email string) *model.Contact { return must(f.app.LookupEmail(bg, email, f.acc.ID)) }
	if c := lookup("user7@example.com"); c == nil || c.Grant.AllServices || !slices.Equal(c.Grant.ServiceIDs, []int64{f.web.ID}) || c.Grant.Preset != "technical" {
		t.Errorf("user7: %+v", c)
	}
	if c := lookup("user4@example.com"); c == nil || c.Grant.Preset != core.DefaultImportPreset || c.Status != model.StatusActive {
		t.Errorf("user4 (no preset): %+v", c)
	}
	for i := range n {
		c := lookup(fmt.Sprintf("user%d@example.com", i))
		if c == nil || c.FirstName != fmt.Sprint("First", i) || c.LastName != fmt.Sprint("Last", i) || c.Phone != fmt.Sprintf("+1 555 %04d", i) ||
			c.Company != fmt.Sprint("Co ", i) || (i%7 == 0) == c.Grant.AllServices {
			t.Fatalf("row %d: %+v", i, c)
		}
	}
}

func TestCSVImportGarbage(t *testing.T) {
	f := newFixture(t)
	audit0, contacts0 := f.counts(t)
	cases := []struct{ name, data, want string }{
		{"empty", "", "line 1: the file is empty"},
		{"only a BOM", "\xef\xbb\xbf", "line 1: the file is empty"},
		{"header only", csvHeader, "line 2: the file has a header row but no contacts"},
		{"no header", "Ada,Lovelace,ada@example.com\n", "line 1: unknown column \"ada\""},
		{"missing column", "first_name,email\nAda,ada@example.com\n", "line 1: the header row lacks last_name"},
		{"twice", "first_name,last_name,email,email\n", "line 1: column \"email\" appears twice"},
		{"nameless", "first_name,last_name,email,\n", "line 1: column 4 has no name"},
		{"bare quote", "first_name,last_name,email\nAd\"a,L,a@example.com\n", "line 2: not valid CSV: bare \" in non-quoted-field"},
		{"open quote", "first_name,last_name,email\nAda,L,a@example.com\n\"Bob,B,b@example.com\n", "line 3: not valid CSV: extraneous or missing \" in quoted-field"},
		{"binary", "\x00\x01\x02\xff\xfe garbage\n\x89PNG\r\n", "line 1: unknown column"},
		{"json", `{"first_name":"Ada"}`, "line 1: not valid CSV"},
	}
	for _, c := range cases {
		p := f.importCSV(t, f.acc.ID, c.data)
		got := ""
		if len(p.Errors) == 1 {
			got = fmt.Sprintf("line %d: %s", p.Errors[0].Line, p.Errors[0].Message)
		}
		if p.State != core.ImportFailed || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: state %s, errors %+v, want %q", c.name, p.State, p.Errors, c.want)
		}
	}
	if a, c := f.counts(t); a != audit0 || c != contacts0 {
		t.Errorf("garbage wrote: audit %d→%d, contacts %d→%d", audit0, a, contacts0, c)
	}
	if _, err := f.app.ImportContacts(bg, 9999, []byte(csvHeader)); err == nil {
		t.Error("an import into a missing account did not fail")
	}
}

func TestCSVImportInBackground(t *testing.T) {
	f := newFixture(t)
	id, err := f.app.StartImport(bg, f.acc.ID, []byte("first_name,last_name,email\nAda,L,ada@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	var p core.ImportProgress
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p, err = f.app.ImportStatus(id); err != nil || p.State != core.ImportRunning {
			break
		}
	}
	if err != nil || p.State != core.ImportDone || p.Imported != 1 || p.ID != id {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := f.app.ImportStatus("nope"); err == nil {
		t.Error("unknown job found")
	} else if e := asCoreError(t, err); e.Code != core.CodeNotFound {
		t.Errorf("unknown job: %v", e)
	}
	if _, err := f.app.StartImport(bg, 9999, nil); err == nil {
		t.Error("import into a missing account started")
	}
}

// FuzzCSVImport feeds arbitrary bytes to the import: it never panics, a
// failed import writes nothing, a done one writes every row it counted, and
// line numbers point into the file.
func FuzzCSVImport(f *testing.F) {
	f.Add([]byte(oldHeader + "Ada,Lovelace,ada@example.com,+44 20 7946 0000,Analytical,accountant,individual,billing,,,2027-01-01,active\n"))
	f.Add([]byte("first_name,last_name,email\nA,B,a@b.co\nA,B,A@B.CO\n"))
	f.Add([]byte("email,first_name,last_name,preset,permissions,status\n\"x@y.z\",\"Q\"\"uote\",L,custom,\"services.view invoices.view\",suspended\n"))
	f.Add([]byte("first_name,last_name,email,service_ids,expires_at\nA,B,c@d.ef,1 2 x,2026-13-45\n"))
	f.Add([]byte("\xef\xbb\xbffirst_name,last_name,email\r\n\"A\r\nB\",C,d@e.fg\r\n,,\r\n"))
	f.Add([]byte("first_name,last_name,email\n\"unterminated,x,y\n"))
	f.Add([]byte{0, 1, 2, '"', '\n', ',', 0xff})
	f.Setenv("GRANTBOOK_KEYRING", "off")
	app, err := core.Open(bg, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { app.Close() })
	acc := must(app.CreateAccount(bg, "Fuzz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, before, err := app.Contacts(bg, core.ContactFilter{AccountID: acc.ID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		p, err := app.ImportContacts(bg, acc.ID, data)
		if err != nil {
			t.Fatalf("import failed outside the rows: %v", err)
		}
		_, after, err := app.Contacts(bg, core.ContactFilter{AccountID: acc.ID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		switch p.State {
		case core.ImportDone:
			if after-before != p.Imported || p.Imported != p.Total || p.Processed != p.Total || len(p.Errors) != 0 || p.Total == 0 {
				t.Fatalf("done: %+v, contacts %d→%d", p, before, after)
			}
		case core.ImportFailed:
			if after != before || p.Imported != 0 || len(p.Errors) == 0 || len(p.Errors) > core.MaxImportErrors || p.ErrorCount < len(p.Errors) {
				t.Fatalf("failed: %+v, contacts %d→%d", p, before, after)
			}
			for _, e := range p.Errors {
				if e.Line < 1 || e.Line > lines+1 || e.Message == "" {
					t.Fatalf("error %+v outside the file's %d lines", e, lines)
				}
			}
		default:
			t.Fatalf("state %q", p.State)
		}
	})
}
