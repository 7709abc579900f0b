package hub_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/hub/hubtest"
)

// A CSV import large enough to be written in bulk (store.bulkImport rows:
// the cache and search triggers are suspended for it) still reaches the
// hub: its contacts and grants are in the change log like any other.
func TestABulkImportOnThePairedDesktopReachesTheHub(t *testing.T) {
	ctx := context.Background()
	h, d, acc, _ := pairedWithAda(t)

	const rows = 1200
	var csv strings.Builder
	csv.WriteString("first_name,last_name,email,phone,company,role,account_type,preset,permissions,services,expires_at,status,admin,billing_scope\n")
	for i := range rows {
		fmt.Fprintf(&csv, "Row%d,Imported,row%d@example.com,,,,individual,billing,,,,active,,\n", i, i)
	}
	p, err := d.app.ImportContacts(ctx, acc.ID, []byte(csv.String()))
	if err != nil || p.State != core.ImportDone || p.Created != rows {
		t.Fatalf("import: %v, state %s, created %d of %d (first errors: %+v)", err, p.State, p.Created, rows, p.Errors[:min(len(p.Errors), 3)])
	}
	hubtest.WaitFor(t, 60*time.Second, "the imported contacts on the hub", func() bool {
		_, n, err := h.app.Contacts(ctx, core.ContactFilter{AccountID: acc.ID, Limit: 1})
		return err == nil && n == rows+1
	})
	waitInStep(t, h, d, 30*time.Second, "both sides in step")
}
