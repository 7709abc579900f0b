package web_test

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

type grantable struct {
	Permissions []struct{ Name string } `json:"permissions"`
	Presets     []struct {
		Name        string
		Permissions []string
	} `json:"presets"`
	AdminAreas []struct{ Name, Label, Site string } `json:"admin_areas"`
	AdminAll   bool                                 `json:"admin_all"`
	Services   []struct {
		ID   float64
		Name string
	} `json:"services"`
	AllServices bool    `json:"all_services"`
	ExpiresAt   *string `json:"expires_at"`
}

// What the client area's grant editor offers a manager is their own
// grant: those permissions, presets within them, their services, areas
// and end; and all of it together is a grant the evaluation allows.
func TestPortalGrantableIsTheManagersOwnAccess(t *testing.T) {
	m := newManageEnv(t)
	var g grantable
	want(t, m.mgr.get("/api/portal/grantable"), 200).into(t, &g)
	var perms, presets, areas []string
	for _, p := range g.Permissions {
		perms = append(perms, p.Name)
	}
	for _, p := range g.Presets {
		presets = append(presets, p.Name)
	}
	for _, a := range g.AdminAreas {
		areas = append(areas, a.Name+"="+a.Label)
	}
	if !slices.Equal(perms, []string{"contacts.manage", "services.view", "invoices.view"}) {
		t.Errorf("permissions %v", perms)
	}
	if !slices.Equal(presets, []string{"custom"}) {
		t.Errorf("presets %v: none but custom is within the manager's grant", presets)
	}
	if !slices.Equal(areas, []string{"orders=Orders"}) || g.AdminAll {
		t.Errorf("admin areas %v (all %v)", areas, g.AdminAll)
	}
	if len(g.Services) != 1 || g.Services[0].ID != m.d.svc1 || g.Services[0].Name != "acme.com" || g.AllServices {
		t.Errorf("services %+v (all %v)", g.Services, g.AllServices)
	}
	// The manager's plain date 2026-12-31 lasts through that day in the
	// owner's time zone (unset here: the machine's).
	if end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.Local).UTC().Format(time.RFC3339); g.ExpiresAt == nil || *g.ExpiresAt != end {
		t.Errorf("expires_at %v", g.ExpiresAt)
	}
	ids := []float64{}
	for _, s := range g.Services {
		ids = append(ids, s.ID)
	}
	want(t, m.mgr.send("POST", "/api/portal/contacts", m.person("everything@example.com", map[string]any{
		"preset": "custom", "permissions": perms, "service_ids": ids, "expires_at": *g.ExpiresAt,
		"admin": map[string]any{"areas": []string{"orders"}}})), 201)

	// Full access to everything: every preset, service and area, no end.
	e := m.env
	e.addContact(m.d, "full@example.com", map[string]any{"preset": "full", "admin": map[string]any{"all": true}})
	want(t, e.signIn("full@example.com").get("/api/portal/grantable"), 200).into(t, &g)
	if len(g.Permissions) != 15 || len(g.Presets) != 5 || len(g.AdminAreas) != 8 || !g.AdminAll || !g.AllServices ||
		len(g.Services) != 2 || g.ExpiresAt != nil {
		t.Errorf("full access offers %d permissions, %d presets, %d areas (all %v), %d services (all %v), end %v",
			len(g.Permissions), len(g.Presets), len(g.AdminAreas), g.AdminAll, len(g.Services), g.AllServices, g.ExpiresAt)
	}
	e.addContact(m.d, "bill@example.com", map[string]any{"preset": "billing"})
	refused(t, e.signIn("bill@example.com").get("/api/portal/grantable"), "denied: grant is Billing; contacts.manage not included")
}

// The sign-in page asks, before anyone is signed in, which site it
// continues to.
func TestSigninReturnIsPublic(t *testing.T) {
	se := newSiteEnv(t)
	p := se.newPortal()
	r := want(t, p.get("/api/portal/return?to="+url.QueryEscape("/auth/signin?site=1&state=x")), 200)
	if v := r.json(t); v["site"] != "Shop" || v["url"] != se.shop {
		t.Errorf("return %v", v)
	}
	want(t, p.get("/api/portal/return?to="+url.QueryEscape("https://evil.example/auth/signin?site=1")), 404)
}
