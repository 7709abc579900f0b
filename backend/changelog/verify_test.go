package changelog

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"grantbook/backend/core"
)

// The hub's real access check (core.Check) with the change log's guard:
// only rows that verified owner events (or the hub's own reductions) left
// grant anything.
func TestHubGrantsOnlyFromVerifiedOwnerEvents(t *testing.T) {
	ctx := context.Background()
	owner, hub, _, svc, c := synced(t)
	app := newApp(hub, true)
	may := func(app *core.App, perm string) bool {
		t.Helper()
		r, err := app.Check(ctx, c.ID, perm, svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r.Allowed
	}
	if !may(app, "invoices.view") || may(app, "services.modify") {
		t.Fatal("after pairing: the owner's grant is not what the hub enforces")
	}

	// The owner widens the grant: verified, enforced on the hub.
	owner.exec(`UPDATE grants SET permissions = permissions || ' services.view' WHERE contact_id = ?`, c.ID)
	ship(t, owner, hub)
	if !may(app, "services.view") {
		t.Fatal("the owner's new permission is not enforced")
	}

	// The hub suspends (a reduction it may make): still verified, and denying.
	hub.exec(`UPDATE contacts SET status = 'suspended', suspended_by = 'hub' WHERE id = ?`, c.ID)
	if may(app, "invoices.view") {
		t.Fatal("suspended on the hub, still allowed")
	}
	if err := hub.log.Verify(ctx, c.ID); err != nil {
		t.Fatalf("the hub's own suspension is unverified: %v", err)
	}

	// Someone with the hub's database reinstates the contact and widens
	// the grant by SQL: nothing of it grants, through the store's writer…
	hub.exec(`UPDATE contacts SET status = 'active' WHERE id = ?`, c.ID)
	hub.exec(`UPDATE grants SET permissions = permissions || ' services.modify' WHERE contact_id = ?`, c.ID)
	if may(app, "services.modify") || may(app, "invoices.view") {
		t.Fatal("a tampered row granted access")
	}
	if err := hub.log.Verify(ctx, c.ID); !errors.Is(err, ErrUnverified) {
		t.Fatalf("Verify: %v", err)
	}
	// …nor behind the store's back (another SQLite client), after a restart.
	if _, err := hub.s.DB().ExecContext(ctx, `UPDATE grants SET all_services = 1 WHERE contact_id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	restarted := newApp(hub, true)
	if may(restarted, "invoices.view") {
		t.Fatal("a row edited by another SQLite client granted access")
	}
	// Without the guard the same rows would have granted: the guard is what denies.
	if !may(newApp(hub, false), "services.modify") {
		t.Fatal("the tampered rows do not grant even unguarded: the test proves nothing")
	}
	// And the owner refused the hub's widening.
	if rej := ship(t, hub, owner); len(rej) == 0 {
		t.Fatal("the owner took the tampered rows")
	}
}

// newApp is the hub's core on its store, guarded by its change log or not.
func newApp(d *device, guarded bool) *core.App {
	app := core.New(d.s, nil)
	app.SetLogger(slog.New(slog.DiscardHandler))
	if guarded {
		app.SetAccessGuard(d.log.Verify)
	}
	return app
}

// What else a grant reaches must be verified too: a service added to the
// account (a grant of all services would cover it) or an admin area whose
// paths were widened.
func TestHubVerifiesWhatAGrantReaches(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, sql string }{
		{"a service added on the hub", `INSERT INTO services (id, account_id, name, kind, status, created_at, settings) VALUES (1099511627999, $a, 'x', 'domain', 'active', 0, '{}')`},
		{"an admin area widened", `UPDATE site_areas SET prefixes = '/admin' WHERE name = 'orders'`},
		{"a site's address changed", `UPDATE sites SET base_url = 'https://evil.example' WHERE id = 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, hub, acct, svc, c := synced(t)
			// The hub's own allowed edit (a contact changing a service's settings) stays verified.
			hub.exec(`UPDATE services SET settings = '{"auto_renew":true}' WHERE id = ?`, svc.ID)
			if err := hub.log.Verify(ctx, c.ID); err != nil {
				t.Fatalf("before: %v", err)
			}
			hub.exec(strings.ReplaceAll(tc.sql, "$a", itoa(acct.ID)))
			if err := hub.log.Verify(ctx, c.ID); !errors.Is(err, ErrUnverified) {
				t.Fatalf("after: %v", err)
			}
			if r, _ := newApp(hub, true).Check(ctx, c.ID, "invoices.view", svc.ID); r.Allowed {
				t.Fatal("allowed on a tampered hub")
			}
		})
	}
}
