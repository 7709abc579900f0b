package access_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/site"
)

// shopSite is a site with the template's eight areas.
func shopSite() *model.Site {
	return &model.Site{ID: 1, Name: "Shop", Unlisted: model.UnlistedAnyAdmin, Areas: site.Template()}
}

func areaIndex(t *testing.T, s *model.Site, name string) int {
	t.Helper()
	for i, a := range s.Areas {
		if a.Name == name {
			return i
		}
	}
	t.Fatalf("area %q not in %s", name, s.Name)
	return -1
}

func TestAdminAreas(t *testing.T) {
	now := time.Now().Unix()
	shop := shopSite()
	none := presetGrant(t, "full")
	all := presetGrant(t, "personal")
	all.Admin, all.AdminAll = true, true
	chosen := presetGrant(t, "custom")
	chosen.Admin, chosen.AdminAreas = true, []string{"orders", "reports"}

	for i, a := range shop.Areas {
		if d := access.EvaluateAdmin(&none, shop, i, now); d.Allowed || d.Code != access.DeniedNoAdmin || d.Reason() != "denied: contact has no admin access" {
			t.Errorf("no admin, %s: %v %d %q", a.Name, d.Allowed, d.Code, d.Reason())
		}
		if d := access.EvaluateAdmin(&all, shop, i, now); !d.Allowed || d.Reason() != "allowed: admin access to everything includes Shop: "+a.Label {
			t.Errorf("all areas, %s: %v %q", a.Name, d.Allowed, d.Reason())
		}
		want := a.Name == "orders" || a.Name == "reports"
		d := access.EvaluateAdmin(&chosen, shop, i, now)
		if d.Allowed != want {
			t.Errorf("chosen [orders reports], %s: allowed=%v, want %v (%q)", a.Name, d.Allowed, want, d.Reason())
		}
		if !want && (d.Code != access.DeniedAreaNotIncluded || d.Reason() != "denied: admin access does not include Shop: "+a.Label) {
			t.Errorf("chosen, %s: code %d reason %q", a.Name, d.Code, d.Reason())
		}
	}
	if d := access.EvaluateAdmin(&chosen, shop, areaIndex(t, shop, "orders"), now); d.Reason() != "allowed: admin access includes Shop: Orders" {
		t.Errorf("orders reason %q", d.Reason())
	}
	if got := access.SiteAreas(&chosen, shop, now); !slices.Equal(got, []string{"orders", "reports"}) {
		t.Errorf("SiteAreas(chosen) = %v", got)
	}
	if got := access.SiteAreas(&all, shop, now); len(got) != 8 {
		t.Errorf("SiteAreas(all) = %v", got)
	}
	// Admin access is independent of client permissions: a custom grant with
	// no client permissions still reaches its areas, and reaches nothing else.
	for _, name := range allPermissionNames {
		if d := access.Evaluate(&chosen, perm(t, name), access.Service{}, now); d.Allowed {
			t.Errorf("custom grant with no permissions allows %s", name)
		}
	}
}

// A guarded path under no area: the site's Unlisted rule decides, and
// areas of another site open nothing here.
func TestAdminPathUnderNoArea(t *testing.T) {
	now := time.Now().Unix()
	shop := shopSite()
	blog := &model.Site{ID: 2, Name: "Blog", Unlisted: model.UnlistedAnyAdmin, Areas: []model.SiteArea{{Name: "posts", Label: "Posts"}}}
	orders := presetGrant(t, "custom")
	orders.Admin, orders.AdminAreas = true, []string{"orders"}
	all := presetGrant(t, "custom")
	all.Admin, all.AdminAll = true, true

	for _, c := range []struct {
		name     string
		g        *access.Grant
		s        *model.Site
		unlisted string
		allowed  bool
		code     access.Code
		reason   string
	}{
		{"any admin of the site", &orders, shop, model.UnlistedAnyAdmin, true, access.Allowed,
			"allowed: the path is under no area of Shop, which any admin access to it opens"},
		{"areas of another site only", &orders, blog, model.UnlistedAnyAdmin, false, access.DeniedNoAreaOfSite,
			"denied: admin access includes no area of Blog"},
		{"only everything opens it", &orders, shop, model.UnlistedAllAreas, false, access.DeniedUnlistedNeedsAll,
			"denied: the path is under no area of Shop, which only admin access to everything opens"},
		{"everything", &all, shop, model.UnlistedAllAreas, true, access.Allowed,
			"allowed: admin access to everything; the path is under no area of Shop"},
	} {
		s := *c.s
		s.Unlisted = c.unlisted
		d := access.EvaluateAdmin(c.g, &s, -1, now)
		if d.Allowed != c.allowed || d.Code != c.code || d.Reason() != c.reason {
			t.Errorf("%s: %v %d %q, want %v %d %q", c.name, d.Allowed, d.Code, d.Reason(), c.allowed, c.code, c.reason)
		}
	}
	// Standing comes first, here as for any area.
	orders.Status = model.StatusSuspended
	if d := access.EvaluateAdmin(&orders, shop, -1, now); d.Allowed || d.Reason() != "denied: contact is suspended" {
		t.Errorf("suspended under no area: %q", d.Reason())
	}
}

func TestParseQueryAndCheck(t *testing.T) {
	now := time.Now().Unix()
	sites := []*model.Site{shopSite(), {ID: 7, Name: "Blog", Areas: []model.SiteArea{{Name: "posts", Label: "Posts"}}}}
	g := presetGrant(t, "billing")
	g.Admin, g.AdminAreas = true, []string{"orders"}

	q, err := access.ParseQuery("admin.orders", sites)
	if err != nil || !q.Admin || q.Site != sites[0] {
		t.Fatalf("ParseQuery(admin.orders) = %+v, %v", q, err)
	}
	if d := access.Check(&g, q, access.Service{}, now); !d.Allowed || d.Reason() != "allowed: admin access includes Shop: Orders" {
		t.Errorf("check admin.orders: %v %q", d.Allowed, d.Reason())
	}
	if q, err = access.ParseQuery("admin.posts", sites); err != nil || q.Site != sites[1] || access.Check(&g, q, access.Service{}, now).Allowed {
		t.Errorf("admin.posts: %+v, %v", q, err)
	}
	if q, err = access.ParseQuery("admin.site.7", sites); err != nil || q.Site != sites[1] || q.Area != -1 {
		t.Errorf("admin.site.7: %+v, %v", q, err)
	}
	if d := access.Check(&g, q, access.Service{}, now); d.Allowed || d.Code != access.DeniedNoAreaOfSite {
		t.Errorf("admin.site.7 for a Shop-only contact: %q", d.Reason())
	}
	q, err = access.ParseQuery("invoices.pay", sites)
	if err != nil || q.Admin || q.Perm != perm(t, "invoices.pay") {
		t.Fatalf("ParseQuery(invoices.pay) = %+v, %v", q, err)
	}
	if d := access.Check(&g, q, access.Service{}, now); !d.Allowed {
		t.Errorf("check invoices.pay: %q", d.Reason())
	}

	for _, c := range []struct{ in, kind, name string }{
		{"admin.kitchen", "admin area", "kitchen"},
		{"admin.", "admin area", ""},
		{"admin.site.3", "site", "3"},
		{"invoices.refund", "permission", "invoices.refund"},
		{"orders", "permission", "orders"},
		{"", "permission", ""},
	} {
		_, err := access.ParseQuery(c.in, sites)
		var ue *permission.UnknownError
		if !errors.As(err, &ue) || ue.Kind != c.kind || ue.Name != c.name {
			t.Errorf("ParseQuery(%q) error %v, want unknown %s %q", c.in, err, c.kind, c.name)
		}
	}
}
