package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// TestInsertAuditsIsInsertAudit writes the same entries one by one and in
// one call, plain runs longer and shorter than a statement's rows among
// entries that go one by one, and compares what the audit log holds.
func TestInsertAuditsIsInsertAudit(t *testing.T) {
	var entries []*model.AuditEntry
	for i := range 257 {
		e := &model.AuditEntry{At: t0.Add(time.Duration(i/3) * time.Second), Actor: fmt.Sprintf("contact c%d@x.y", i),
			Action: "portal.view", Entity: "contact", EntityID: int64(i%7 + 1),
			Summary: fmt.Sprintf("Zoë \"O'Brien\" <%d>: view services — allowed\x00 (%d of 20 shown)", i, i%20)}
		switch {
		case i == 3 || i == 150:
			e.Action, e.Before, e.After = "contact.update", map[string]string{"email": "a@x.y"}, map[string]string{"email": "b@x.y"}
		case i == 4:
			e.Contacts = []int64{2, 5}
		case i == 200:
			e.Entity, e.EntityID = "invitation", 1
		case i%50 == 7:
			e.Entity, e.Action = "account", "portal.refused"
		}
		entries = append(entries, e)
	}
	one, _ := openStore(t)
	for _, e := range entries {
		c := *e
		if err := one.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAudit(ctx, &c) }); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := openStore(t)
	if err := all.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAudits(ctx, entries) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.AuditFilter{{Limit: 1000}, {ContactID: 5, Limit: 1000}, {Entity: "contact", EntityID: 3, Limit: 1000}} {
		want, wn, err := one.Audit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got, gn, err := all.Audit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if gn != wn || len(got) != len(want) || len(want) == 0 {
			t.Fatalf("%+v: %d entries (total %d), one by one %d (total %d)", f, len(got), gn, len(want), wn)
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%+v: entry %d is\n%+v\none by one\n%+v", f, i, got[i], want[i])
			}
		}
	}
}
