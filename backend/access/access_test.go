package access_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// presetDefs restates the documented presets by hand. Expected decisions are
// derived from this table, never from permission.Presets(), so a change to a
// preset's contents breaks these tests.
var presetDefs = []struct {
	name, label string
	perms       []string
}{
	{"full", "Full", []string{
		"profile.view", "profile.edit", "contacts.manage",
		"services.view", "services.modify", "services.cancel",
		"support.open", "support.view", "support.view_all",
		"invoices.view", "invoices.pay", "quotes.view", "quotes.accept", "emails.view", "orders.place"}},
	{"personal", "Personal", []string{"profile.view", "profile.edit", "emails.view"}},
	{"technical", "Technical", []string{"services.view", "support.open", "support.view"}},
	{"billing", "Billing", []string{"invoices.view", "invoices.pay", "quotes.view", "emails.view"}},
	{"custom", "Custom", nil},
}

// serviceScoped restates which permissions act on one purchase.
var serviceScoped = map[string]bool{
	"services.view": true, "services.modify": true, "services.cancel": true,
	"support.open": true, "support.view": true,
	"invoices.view": true, "invoices.pay": true,
}

// allPermissionNames is every client permission, written out.
var allPermissionNames = presetDefs[0].perms

const (
	account      = int64(1)
	otherAccount = int64(2)
)

func perm(t testing.TB, name string) permission.Permission {
	t.Helper()
	p, ok := permission.Lookup(name)
	if !ok {
		t.Fatalf("permission %q is not in the catalog", name)
	}
	return p
}

func presetGrant(t testing.TB, preset string) access.Grant {
	t.Helper()
	p, ok := permission.LookupPreset(preset)
	if !ok {
		t.Fatalf("preset %q is not in the catalog", preset)
	}
	return access.Grant{ContactID: 3, AccountID: account, Status: model.StatusActive, Preset: preset, Perms: p.Set, AllServices: true}
}

func customGrant(t testing.TB, names ...string) access.Grant {
	t.Helper()
	s, err := permission.Parse(names)
	if err != nil {
		t.Fatal(err)
	}
	return access.Grant{ContactID: 4, AccountID: account, Status: model.StatusActive, Preset: "custom", Perms: s, AllServices: true}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCatalogIsCovered(t *testing.T) {
	// The hand-written tables above must describe the whole catalog, or the
	// preset × permission matrix below silently skips new permissions.
	if len(permission.All()) != len(allPermissionNames) {
		t.Fatalf("catalog has %d permissions, the test's table %d", len(permission.All()), len(allPermissionNames))
	}
	for _, in := range permission.All() {
		if !contains(allPermissionNames, in.Name) {
			t.Errorf("permission %q is missing from the test's table", in.Name)
		}
		if in.ServiceScoped != serviceScoped[in.Name] {
			t.Errorf("permission %q: ServiceScoped=%v, the test's table says %v", in.Name, in.ServiceScoped, serviceScoped[in.Name])
		}
	}
	if len(permission.Presets()) != len(presetDefs) {
		t.Errorf("catalog has %d presets, the test's table %d", len(permission.Presets()), len(presetDefs))
	}
}

func TestEveryPresetTimesEveryPermission(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	for _, def := range presetDefs {
		g := presetGrant(t, def.name)
		for _, name := range allPermissionNames {
			t.Run(def.name+"/"+name, func(t *testing.T) {
				want := contains(def.perms, name)
				d := access.Evaluate(&g, perm(t, name), access.Service{}, now)
				if d.Allowed != want {
					t.Fatalf("allowed = %v, want %v (reason %q)", d.Allowed, want, d.Reason())
				}
				var wantReason string
				if want {
					if d.Code != access.Allowed {
						t.Errorf("code = %d, want Allowed", d.Code)
					}
					wantReason = fmt.Sprintf("allowed: grant is %s; %s included", def.label, name)
				} else {
					if d.Code != access.DeniedNotIncluded {
						t.Errorf("code = %d, want DeniedNotIncluded", d.Code)
					}
					wantReason = fmt.Sprintf("denied: grant is %s; %s not included", def.label, name)
				}
				if got := d.Reason(); got != wantReason {
					t.Errorf("reason %q, want %q", got, wantReason)
				}
			})
		}
	}
}

func TestDocumentedReasonExample(t *testing.T) {
	g := presetGrant(t, "billing")
	d := access.Evaluate(&g, perm(t, "services.cancel"), access.Service{}, time.Now().Unix())
	if d.Allowed || !strings.Contains(d.Reason(), "grant is Billing; services.cancel not included") {
		t.Errorf("billing/services.cancel = %v %q", d.Allowed, d.Reason())
	}
}

func TestCustomGrant(t *testing.T) {
	g := customGrant(t, "quotes.view", "support.open")
	now := time.Now().Unix()
	for _, name := range allPermissionNames {
		want := name == "quotes.view" || name == "support.open"
		d := access.Evaluate(&g, perm(t, name), access.Service{}, now)
		if d.Allowed != want {
			t.Errorf("custom[quotes.view support.open] %s: allowed=%v, want %v (%s)", name, d.Allowed, want, d.Reason())
		}
		if !want && !strings.Contains(d.Reason(), "grant is Custom; "+name+" not included") {
			t.Errorf("%s: reason %q", name, d.Reason())
		}
	}
}

func TestServiceScope(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	selected := presetGrant(t, "full")
	selected.AllServices = false
	selected.Services = []int64{7, 9, 40}

	all := presetGrant(t, "full")

	type tc struct {
		name       string
		g          *access.Grant
		perm       string
		svc        access.Service
		allowed    bool
		code       access.Code
		reasonPart string
	}
	cases := []tc{
		{"selected service", &selected, "services.view", access.Service{ID: 7, AccountID: account}, true, access.Allowed,
			"allowed: grant is Full; services.view on selected service #7"},
		{"last selected service", &selected, "invoices.pay", access.Service{ID: 40, AccountID: account}, true, access.Allowed,
			"on selected service #40"},
		{"unselected service", &selected, "services.cancel", access.Service{ID: 8, AccountID: account}, false, access.DeniedServiceNotSelected,
			"denied: service #8 is not among the grant's selected services"},
		{"service below the selection", &selected, "services.view", access.Service{ID: 1, AccountID: account}, false, access.DeniedServiceNotSelected,
			"service #1 is not among"},
		{"service above the selection", &selected, "services.view", access.Service{ID: 41, AccountID: account}, false, access.DeniedServiceNotSelected,
			"service #41 is not among"},
		{"other account, selected id", &selected, "services.view", access.Service{ID: 7, AccountID: otherAccount}, false, access.DeniedOtherAccount,
			"denied: service #7 belongs to another account"},
		{"other account, all services", &all, "services.view", access.Service{ID: 8, AccountID: otherAccount}, false, access.DeniedOtherAccount,
			"service #8 belongs to another account"},
		{"other account, unscoped permission", &all, "quotes.view", access.Service{ID: 8, AccountID: otherAccount}, false, access.DeniedOtherAccount,
			"belongs to another account"},
		{"all services, any service", &all, "services.cancel", access.Service{ID: 8, AccountID: account}, true, access.Allowed,
			"allowed: grant is Full; services.cancel included"},
		{"service_id 0 with selection", &selected, "services.view", access.Service{}, true, access.Allowed,
			"allowed: grant is Full; services.view on selected services only"},
		{"service_id 0 with all services", &all, "services.view", access.Service{}, true, access.Allowed,
			"allowed: grant is Full; services.view included"},
		{"unscoped permission on unselected service", &selected, "quotes.view", access.Service{ID: 8, AccountID: account}, true, access.Allowed,
			"allowed: grant is Full; quotes.view included"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := access.Evaluate(c.g, perm(t, c.perm), c.svc, now)
			if d.Allowed != c.allowed || d.Code != c.code {
				t.Errorf("allowed=%v code=%d, want %v %d (%q)", d.Allowed, d.Code, c.allowed, c.code, d.Reason())
			}
			if !strings.Contains(d.Reason(), c.reasonPart) {
				t.Errorf("reason %q does not contain %q", d.Reason(), c.reasonPart)
			}
		})
	}

	// Every permission on an unselected service of the account: allowed
	// exactly when it is not service-scoped.
	for _, name := range allPermissionNames {
		d := access.Evaluate(&selected, perm(t, name), access.Service{ID: 8, AccountID: account}, now)
		if d.Allowed == serviceScoped[name] {
			t.Errorf("%s on unselected service: allowed=%v, scoped=%v (%s)", name, d.Allowed, serviceScoped[name], d.Reason())
		}
	}
}

func TestNotIncludedWinsOverServiceChecks(t *testing.T) {
	// A permission the grant lacks is reported as such, whatever the service.
	g := presetGrant(t, "billing")
	g.AllServices, g.Services = false, []int64{7}
	d := access.Evaluate(&g, perm(t, "services.cancel"), access.Service{ID: 99, AccountID: otherAccount}, 0)
	if d.Allowed || d.Code != access.DeniedNotIncluded {
		t.Errorf("got %d %q, want DeniedNotIncluded", d.Code, d.Reason())
	}
}

func TestExpiry(t *testing.T) {
	expires := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC).Unix()
	g := presetGrant(t, "billing")
	g.ExpiresAt = expires
	p := perm(t, "invoices.pay")
	cases := []struct {
		name    string
		now     int64
		allowed bool
	}{
		{"long before", expires - 86400*30, true},
		{"one second before", expires - 1, true},
		{"exactly at", expires, false},
		{"one second after", expires + 1, false},
		{"a year after", expires + 86400*365, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := access.Evaluate(&g, p, access.Service{}, c.now)
			if d.Allowed != c.allowed {
				t.Fatalf("allowed=%v, want %v (%q)", d.Allowed, c.allowed, d.Reason())
			}
			if !c.allowed {
				if d.Code != access.DeniedExpired || d.Reason() != "denied: grant expired 2026-01-31" {
					t.Errorf("code %d reason %q, want DeniedExpired \"denied: grant expired 2026-01-31\"", d.Code, d.Reason())
				}
			}
			// Expiry applies to every permission and to admin areas alike.
			other := access.Evaluate(&g, perm(t, "services.cancel"), access.Service{}, c.now)
			if !c.allowed && other.Code != access.DeniedExpired {
				t.Errorf("not-included permission after expiry: code %d (%q), want DeniedExpired", other.Code, other.Reason())
			}
			ga := g
			ga.Admin, ga.AdminAll = true, true
			if ad := access.EvaluateAdmin(&ga, shopSite(), 0, c.now); ad.Allowed != c.allowed {
				t.Errorf("admin area: allowed=%v, want %v (%q)", ad.Allowed, c.allowed, ad.Reason())
			}
		})
	}

	t.Run("no expiry", func(t *testing.T) {
		g := presetGrant(t, "billing")
		for _, now := range []int64{0, expires, 1 << 40} {
			if d := access.Evaluate(&g, p, access.Service{}, now); !d.Allowed {
				t.Errorf("at %d: %q", now, d.Reason())
			}
		}
	})

	t.Run("expiry with a time of day", func(t *testing.T) {
		g := presetGrant(t, "billing")
		g.ExpiresAt = time.Date(2026, 1, 31, 17, 45, 0, 0, time.UTC).Unix()
		d := access.Evaluate(&g, p, access.Service{}, g.ExpiresAt)
		if want := "denied: grant expired 2026-01-31 17:45 UTC"; d.Reason() != want {
			t.Errorf("reason %q, want %q", d.Reason(), want)
		}
	})
}

func TestFormatExpiryIsUTC(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	// 01:00 in Paris is midnight UTC: a plain date.
	if got := access.FormatExpiry(time.Date(2026, 2, 1, 1, 0, 0, 0, paris)); got != "2026-02-01" {
		t.Errorf("got %q", got)
	}
	if got := access.FormatExpiry(time.Date(2026, 2, 1, 0, 0, 0, 0, paris)); got != "2026-01-31 23:00 UTC" {
		t.Errorf("got %q", got)
	}
}

func TestStatus(t *testing.T) {
	now := time.Now().Unix()
	cases := []struct {
		status string
		code   access.Code
		reason string
	}{
		{model.StatusInvited, access.DeniedNotAccepted, "denied: invitation not accepted yet"},
		{model.StatusSuspended, access.DeniedSuspended, "denied: contact is suspended"},
		{"", access.DeniedSuspended, "denied: contact is suspended"}, // unknown status never allows
		{"ACTIVE", access.DeniedSuspended, "denied: contact is suspended"},
	}
	for _, c := range cases {
		t.Run(c.status, func(t *testing.T) {
			g := presetGrant(t, "full")
			g.Status = c.status
			g.Admin, g.AdminAll = true, true
			for _, name := range allPermissionNames {
				d := access.Evaluate(&g, perm(t, name), access.Service{}, now)
				if d.Allowed || d.Code != c.code || d.Reason() != c.reason {
					t.Errorf("%s: allowed=%v code=%d %q, want denied %d %q", name, d.Allowed, d.Code, d.Reason(), c.code, c.reason)
				}
			}
			for i := -1; i < len(shopSite().Areas); i++ {
				d := access.EvaluateAdmin(&g, shopSite(), i, now)
				if d.Allowed || d.Code != c.code || d.Reason() != c.reason {
					t.Errorf("area %d: allowed=%v %q, want %q", i, d.Allowed, d.Reason(), c.reason)
				}
			}
		})
	}
}

func TestCompile(t *testing.T) {
	exp := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	c := &model.Contact{
		ID: 12, AccountID: 5, Status: model.StatusActive,
		Grant: model.Grant{Preset: "custom", Permissions: []string{"services.view", "quotes.view"},
			AllServices: false, ServiceIDs: []int64{30, 4, 17}, ExpiresAt: &exp},
		Admin: &model.AdminAccess{Areas: []string{"reports"}},
	}
	g, err := access.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if g.ContactID != 12 || g.AccountID != 5 || g.Preset != "custom" || g.ExpiresAt != exp.Unix() || !g.Admin || g.AdminAll {
		t.Errorf("compiled %+v", g)
	}
	if c.Grant.ServiceIDs[0] != 30 {
		t.Error("Compile sorted the contact's own slice")
	}
	for _, id := range []int64{4, 17, 30} {
		if d := access.Evaluate(&g, perm(t, "services.view"), access.Service{ID: id, AccountID: 5}, exp.Unix()-1); !d.Allowed {
			t.Errorf("service %d: %q", id, d.Reason())
		}
	}
	if d := access.Evaluate(&g, perm(t, "services.view"), access.Service{ID: 5, AccountID: 5}, 0); d.Allowed {
		t.Error("service 5 not selected but allowed")
	}
	if d := access.Evaluate(&g, perm(t, "invoices.view"), access.Service{}, 0); d.Allowed {
		t.Error("invoices.view not granted but allowed")
	}
	if got := access.SiteAreas(&g, shopSite(), 0); !slices.Equal(got, []string{"reports"}) {
		t.Errorf("compiled admin areas open %v, want [reports]", got)
	}

	noAdmin := *c
	noAdmin.Admin = nil
	noAdmin.Grant.ExpiresAt = nil
	g, err = access.Compile(&noAdmin)
	if err != nil || g.Admin || g.ExpiresAt != 0 {
		t.Errorf("compile without admin/expiry: %+v, %v", g, err)
	}

	bad := *c
	bad.Grant.Permissions = []string{"services.view", "services.teleport"}
	if _, err := access.Compile(&bad); err == nil {
		t.Error("Compile accepted an unknown permission")
	}
	// Areas are the owner's to edit, so a name no site has compiles, and
	// opens nothing.
	bad = *c
	bad.Admin = &model.AdminAccess{Areas: []string{"kitchen"}}
	g, err = access.Compile(&bad)
	if err != nil || len(access.SiteAreas(&g, shopSite(), time.Now().Unix())) != 0 {
		t.Errorf("Compile with an area no site has: %+v, %v", g, err)
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	g := presetGrant(t, "full")
	g.AllServices, g.Services = false, []int64{3, 5, 7, 11, 13}
	g.ExpiresAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	g.Admin, g.AdminAreas = true, []string{"content", "orders"}
	shop := shopSite()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	ps := []permission.Permission{perm(t, "services.view"), perm(t, "quotes.view"), perm(t, "invoices.pay")}
	svcs := []access.Service{{}, {ID: 7, AccountID: account}, {ID: 8, AccountID: account}, {ID: 7, AccountID: otherAccount}}
	var sink int
	allocs := testing.AllocsPerRun(200, func() {
		for _, p := range ps {
			for _, s := range svcs {
				if access.Evaluate(&g, p, s, now).Allowed {
					sink++
				}
			}
		}
		for i := -1; i < 3; i++ {
			if access.EvaluateAdmin(&g, shop, i, now).Allowed {
				sink++
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocates %.1f times per run, want 0", allocs)
	}
	if sink == 0 {
		t.Error("no check allowed anything: the loop did not exercise Evaluate")
	}
}

// BenchmarkEvaluate checks 10,000 grants against 20 services of their
// account, rotating through the catalog; one op is one check.
func BenchmarkEvaluate(b *testing.B) {
	const nGrants, nServices = 10_000, 20
	r := rand.New(rand.NewPCG(1, 2))
	presets := permission.Presets()
	grants := make([]access.Grant, nGrants)
	for i := range grants {
		p := presets[r.IntN(len(presets)-1)] // skip custom: it is empty
		g := access.Grant{ContactID: int64(i + 1), AccountID: account, Status: model.StatusActive,
			Preset: p.Name, Perms: p.Set, AllServices: r.IntN(2) == 0}
		if !g.AllServices {
			for s := int64(1); s <= nServices; s++ {
				if r.IntN(3) == 0 {
					g.Services = append(g.Services, s)
				}
			}
		}
		if r.IntN(4) == 0 {
			g.ExpiresAt = time.Date(2026, 1, 1+r.IntN(365), 0, 0, 0, 0, time.UTC).Unix()
		}
		grants[i] = g
	}
	services := make([]access.Service, nServices)
	for i := range services {
		services[i] = access.Service{ID: int64(i + 1), AccountID: account}
	}
	nPerms := len(permission.All())
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Unix()
	allowed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := &grants[i%nGrants]
		s := services[(i/nGrants)%nServices]
		if access.Evaluate(g, permission.Permission(i%nPerms), s, now).Allowed {
			allowed++
		}
	}
	b.StopTimer()
	if b.N > 1000 && allowed == 0 {
		b.Fatal("no check was allowed: the benchmark data is wrong")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
