package core_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// The audit log is searched by text, contact, who acted and whole days in
// the owner's time zone; its CSV export takes the same search and
// neutralises formula cells.
func TestAuditSearchAndExport(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "America/New_York"}))
	in := f.input()
	in.FirstName = "=cmd|' /C calc'!A0"
	ada := must(f.app.CreateContact(bg, in))
	f.now = time.Date(2026, 1, 16, 4, 30, 0, 0, time.UTC) // 23:30 on the 15th in New York
	phone := "+1 212 555 0100"
	must(f.app.UpdateContact(core.WithActor(bg, "owner (web)"), ada.ID, core.ContactPatch{Phone: &phone}))
	f.now = time.Date(2026, 1, 16, 5, 30, 0, 0, time.UTC) // 00:30 on the 16th there
	if err := f.app.StoreForTest().Tx(bg, func(tx *store.Tx) error {
		return insertAudit(bg, tx, f.now, "mail watcher", ada.ID)
	}); err != nil {
		t.Fatal(err)
	}

	count := func(q core.AuditQuery) int {
		t.Helper()
		_, n, err := f.app.SearchAudit(bg, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return n
	}
	for _, tc := range []struct {
		q    core.AuditQuery
		want int
	}{
		{core.AuditQuery{}, 9}, // 2 accounts, 3 services, the zone, then these 3
		{core.AuditQuery{ContactID: ada.ID}, 3},
		{core.AuditQuery{Query: "phone"}, 1},
		{core.AuditQuery{Query: "ADA@EXAMPLE"}, 1}, // ASCII letters in any case
		{core.AuditQuery{Query: "100%"}, 0},
		{core.AuditQuery{Actor: "owner"}, 8},
		{core.AuditQuery{Actor: "watcher", ContactID: ada.ID}, 1},
		{core.AuditQuery{Actor: "contact"}, 0},
		{core.AuditQuery{From: "2026-01-15", To: "2026-01-15"}, 8},
		{core.AuditQuery{From: "2026-01-16"}, 1},
	} {
		if got := count(tc.q); got != tc.want {
			t.Errorf("%+v: %d entries, want %d", tc.q, got, tc.want)
		}
	}
	for _, bad := range []core.AuditQuery{{Actor: "robot"}, {From: "15/01/2026"}, {From: "2026-01-16", To: "2026-01-15"}} {
		if _, _, err := f.app.SearchAudit(bg, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}

	var b bytes.Buffer
	if err := f.app.ExportAudit(bg, core.AuditQuery{ContactID: ada.ID}, &b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(core.AuditColumns, ",") {
		t.Fatalf("export %v: %q", err, rows)
	}
	if rows[1][0] != "2026-01-16T00:30:00-05:00" || rows[1][1] != "mail watcher" || rows[2][1] != "owner (web)" {
		t.Errorf("newest first, in New York time: %q", rows[1:3])
	}
	if s := rows[3][5]; !strings.HasPrefix(s, "'Added =cmd") && !strings.HasPrefix(s, "Added =cmd") {
		t.Errorf("summary %q", s)
	}
	for _, r := range rows[1:] {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("a cell a spreadsheet would run: %q", cell)
			}
		}
	}
}

// insertAudit stands for an entry the mail watcher writes about a contact.
func insertAudit(ctx context.Context, tx *store.Tx, at time.Time, actor string, contactID int64) error {
	return tx.InsertAudit(ctx, &model.AuditEntry{At: at, Actor: actor, Action: "contact.activate", Entity: "contact",
		EntityID: contactID, Summary: "Activated after a verified reply"})
}
