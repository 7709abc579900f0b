package access_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/permission"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC).Unix()

func TestBillingScope(t *testing.T) {
	g := presetGrant(t, "full")
	g.AllServices, g.Services = false, []int64{7}
	other := access.Service{ID: 8, AccountID: account}
	for _, tc := range []struct {
		perm      string
		account   bool
		allowed   bool
		reasonHas string
	}{
		{"invoices.view", false, false, "service #8 is not among the grant's selected services"},
		{"invoices.pay", false, false, "service #8 is not among"},
		{"invoices.view", true, true, "invoices.view on the whole account"},
		{"invoices.pay", true, true, "invoices.pay on the whole account"},
		// Support and services stay limited to the selection.
		{"services.view", true, false, "service #8 is not among"},
		{"support.view", true, false, "service #8 is not among"},
	} {
		g.BillingAccount = tc.account
		d := access.Evaluate(&g, perm(t, tc.perm), other, now)
		if d.Allowed != tc.allowed || !strings.Contains(d.Reason(), tc.reasonHas) {
			t.Errorf("%s account=%v: %v %q, want %v with %q", tc.perm, tc.account, d.Allowed, d.Reason(), tc.allowed, tc.reasonHas)
		}
	}
	// Billing of the whole account covers invoices tied to no service too.
	g.BillingAccount = true
	if d := access.Evaluate(&g, perm(t, "invoices.view"), access.NoService(account), now); !d.Allowed {
		t.Errorf("account-wide billing on an invoice of no service: %s", d.Reason())
	}
	if d := access.Evaluate(&g, perm(t, "invoices.view"), access.Service{ID: 9, AccountID: otherAccount}, now); d.Allowed {
		t.Errorf("account-wide billing reaches another account: %s", d.Reason())
	}
}

// manager holds contacts.manage, invoices.view and services.view on
// services 1 and 2, admin area orders, and ends at 2026-12-31.
func manager(t *testing.T) access.Grant {
	g := customGrant(t, "contacts.manage", "invoices.view", "services.view")
	g.ContactID, g.AllServices, g.Services = 10, false, []int64{1, 2}
	g.Admin, g.AdminAreas = true, areas(t, "orders")
	g.ExpiresAt = time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	return g
}

// areas is a grant's area keys, sorted as Compile leaves them.
func areas(t *testing.T, names ...string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return s
}

func TestEvaluateManageNoEscalation(t *testing.T) {
	small := func() *access.Grant {
		g := customGrant(t, "invoices.view")
		g.ContactID, g.AllServices, g.Services = 20, false, []int64{2}
		g.ExpiresAt = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).Unix()
		return &g
	}
	for _, tc := range []struct {
		name   string
		change func(m *access.Manage)
		reason string
	}{
		{"within", func(m *access.Manage) {}, "allowed: grant is Custom; contacts.manage included, within your own access"},
		{"a permission not held", func(m *access.Manage) { m.Proposed.Perms = m.Proposed.Perms.With(permission.InvoicesPay) },
			"denied: you cannot grant invoices.pay: your own grant does not include it"},
		{"all services", func(m *access.Manage) { m.Proposed.AllServices, m.Proposed.Services = true, nil },
			"denied: you cannot grant invoices.view on the whole account: your own grant covers selected services only"},
		{"account-wide billing", func(m *access.Manage) { m.Proposed.BillingAccount = true },
			"denied: you cannot grant invoices.view on the whole account"},
		{"a service not held", func(m *access.Manage) { m.Proposed.Services = []int64{2, 3} },
			"denied: you cannot grant service #3: your own grant does not include it"},
		{"admin area not held", func(m *access.Manage) { m.Proposed.Admin, m.Proposed.AdminAreas = true, areas(t, "orders", "settings") },
			"denied: you cannot grant admin access to settings: your own admin access does not include it"},
		{"admin everything", func(m *access.Manage) { m.Proposed.Admin, m.Proposed.AdminAll = true, true },
			"denied: you cannot grant admin access to every area: yours covers chosen areas only"},
		{"no end", func(m *access.Manage) { m.Proposed.ExpiresAt = 0 },
			"denied: you cannot grant access beyond 2026-12-31, when your own access ends"},
		{"a later end", func(m *access.Manage) { m.Proposed.ExpiresAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix() },
			"denied: you cannot grant access beyond 2026-12-31"},
		{"oneself", func(m *access.Manage) { m.Target.ContactID = 10 }, "denied: you cannot change your own access; ask the owner"},
		{"the account holder", func(m *access.Manage) { m.TargetIsHolder = true },
			"denied: this contact is the account holder; only the owner manages them"},
		{"owner's suspension", func(m *access.Manage) { m.Restore, m.SuspendedByOwner = true, true },
			"denied: the owner suspended this contact; only the owner can restore them"},
		{"a contact's suspension", func(m *access.Manage) { m.Restore = true }, "allowed"},
		{"target holds more", func(m *access.Manage) { m.Target.Perms = m.Target.Perms.With(permission.SupportOpen) },
			"denied: you cannot manage this contact: they hold support.open, which your own grant does not include"},
		{"target on another service", func(m *access.Manage) { m.Target.Services = []int64{5} },
			"denied: you cannot manage this contact: their grant includes service #5, which yours does not"},
		{"target with admin everything", func(m *access.Manage) { m.Target.Admin, m.Target.AdminAll = true, true },
			"denied: you cannot manage this contact: they have admin access to every area, you to chosen areas only"},
		{"target without end", func(m *access.Manage) { m.Target.ExpiresAt = 0 },
			"denied: you cannot manage this contact: their access lasts beyond 2026-12-31, when yours ends"},
		{"target in another account", func(m *access.Manage) { m.Target.AccountID = otherAccount }, "denied: this belongs to another account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := manager(t)
			m := access.Manage{Target: small(), Proposed: small()}
			tc.change(&m)
			d := access.EvaluateManage(&a, m, now)
			if got := d.Reason(); !strings.Contains(got, tc.reason) || d.Allowed != (tc.reason[:7] == "allowed") {
				t.Errorf("%v %q, want %q", d.Allowed, got, tc.reason)
			}
		})
	}
}

func TestEvaluateManageStanding(t *testing.T) {
	a := manager(t)
	target := customGrant(t, "invoices.view")
	target.AllServices, target.Services, target.ExpiresAt = false, []int64{1}, a.ExpiresAt
	m := access.Manage{Target: &target}
	// Without contacts.manage the usual reason; an expired manager manages nobody.
	b := presetGrant(t, "billing")
	if d := access.EvaluateManage(&b, m, now); d.Allowed || d.Reason() != "denied: grant is Billing; contacts.manage not included" {
		t.Errorf("billing manages: %q", d.Reason())
	}
	if d := access.EvaluateManage(&a, m, a.ExpiresAt); d.Allowed || d.Reason() != "denied: grant expired 2026-12-31" {
		t.Errorf("expired manager: %q", d.Reason())
	}
	// A manager of every service with no end may give anything they hold,
	// and remove (no proposed grant) whom they outrank.
	full := presetGrant(t, "full")
	full.ContactID = 1
	wide := presetGrant(t, "full")
	if d := access.EvaluateManage(&full, access.Manage{Target: &target, Proposed: &wide}, now); !d.Allowed {
		t.Errorf("full gives full: %q", d.Reason())
	}
	if d := access.EvaluateManage(&a, access.Manage{Target: &target}, now); !d.Allowed {
		t.Errorf("remove a smaller contact: %q", d.Reason())
	}
	// Admin-only grants: giving admin with none of one's own.
	none := customGrant(t, "contacts.manage")
	none.ContactID = 30
	adminOnly := customGrant(t)
	adminOnly.Admin, adminOnly.AdminAreas = true, areas(t, "orders")
	if d := access.EvaluateManage(&none, access.Manage{Proposed: &adminOnly}, now); d.Allowed ||
		d.Reason() != "denied: you cannot grant admin access: you have none" {
		t.Errorf("admin from nothing: %q", d.Reason())
	}
}
