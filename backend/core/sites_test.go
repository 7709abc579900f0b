package core_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

func TestSitesKeepGrantsMeaningful(t *testing.T) {
	f := newFixture(t)
	v := must(f.app.Sites(bg))
	if len(v.Sites) != 1 || len(v.Template) != 8 || v.Issuer != "" {
		t.Fatalf("sites %+v", v)
	}
	ada := must(f.app.CreateContact(bg, core.ContactInput{AccountID: f.acc.ID, FirstName: "Ada", LastName: "L", Email: "ada@example.com",
		Preset: "custom", Admin: &core.AdminInput{Areas: []string{"reports", "orders"}}}))
	if got := ada.Admin.Areas; len(got) != 2 || got[0] != "orders" || got[1] != "reports" {
		t.Errorf("areas kept in the site's order: %v", got)
	}
	_, err := f.app.CreateContact(bg, core.ContactInput{AccountID: f.acc.ID, FirstName: "K", LastName: "L", Email: "k@example.com",
		Preset: "custom", Admin: &core.AdminInput{Areas: []string{"kitchen"}}})
	if e := asCoreError(t, err); e.Code != core.CodeUnknownPermission || e.Field != "admin" {
		t.Errorf("unknown area: %+v", e)
	}

	// Labels and prefixes change; an area a contact holds does not go.
	in := core.SiteInput{Name: "Shop", BaseURL: "https://shop.example", Areas: v.Sites[0].Areas}
	in.Areas[2].Label, in.Areas[2].Prefixes = "Commandes", []string{"/wp-admin/edit.php"}
	s := must(f.app.UpdateSite(bg, 1, in))
	if s.Areas[2].Label != "Commandes" || s.BaseURL != "https://shop.example" {
		t.Errorf("updated %+v", s)
	}
	held := in
	held.Areas = append([]model.SiteArea{}, in.Areas[:2]...) // orders and the rest go
	_, err = f.app.UpdateSite(bg, 1, held)
	if e := asCoreError(t, err); e.Code != core.CodeConflict || !strings.Contains(e.Message, "orders (1 contact(s))") ||
		!strings.Contains(e.Message, "reports (1 contact(s))") {
		t.Errorf("dropping held areas: %+v", e)
	}
	if err := f.app.DeleteSite(bg, 1); err == nil {
		t.Error("deleted a site whose areas contacts hold")
	}

	// A second site: its own keys, its own host.
	_, err = f.app.CreateSite(bg, core.SiteInput{Name: "Blog", BaseURL: "https://blog.example",
		Areas: []model.SiteArea{{Name: "orders", Label: "Orders"}}})
	if e := asCoreError(t, err); e.Code != core.CodeConflict || e.Field != "areas" {
		t.Errorf("reused key: %+v", e)
	}
	_, err = f.app.CreateSite(bg, core.SiteInput{Name: "Mirror", BaseURL: "https://SHOP.example:8443"})
	if e := asCoreError(t, err); e.Code != core.CodeConflict || e.Field != "base_url" {
		t.Errorf("same host: %+v", e)
	}
	blog := must(f.app.CreateSite(bg, core.SiteInput{Name: "Blog", BaseURL: "https://blog.example", Unlisted: model.UnlistedAllAreas,
		Areas: []model.SiteArea{{Name: "posts", Label: "Posts", Prefixes: []string{"/wp-admin/post.php"}}}}))

	// The effective-access table explains each area of each site.
	rows := must(f.app.EffectiveAccess(bg, ada.ID, 0))
	want := map[string]string{
		"admin.orders": "allowed: admin access includes Shop: Commandes",
		"admin.users":  "denied: admin access does not include Shop: Admin users",
		"admin.site.1": "allowed: the path is under no area of Shop, which any admin access to it opens",
		"admin.posts":  "denied: admin access does not include Blog: Posts",
		"admin.site." + strconv.FormatInt(blog.ID, 10): "denied: the path is under no area of Blog, which only admin access to everything opens",
	}
	for _, r := range rows {
		if w, ok := want[r.Permission]; ok {
			if r.Reason != w {
				t.Errorf("%s: %q, want %q", r.Permission, r.Reason, w)
			}
			delete(want, r.Permission)
		}
	}
	if len(want) > 0 {
		t.Errorf("rows missing: %v", want)
	}

	// Grantbook's one public address is the client area's: the issuer
	// follows it.
	must(f.app.PutClientArea(bg, core.ClientArea{Address: "https://Portal.Example.com/"}))
	if v := must(f.app.Sites(bg)); v.Issuer != "https://portal.example.com" {
		t.Errorf("issuer %q, want the client area's address", v.Issuer)
	}
}

func TestOIDCClientsAndKeys(t *testing.T) {
	dir := t.TempDir()
	app := openApp(t, dir)
	c, err := app.CreateOIDCClient(bg, 1, core.OIDCClientInput{Name: "WordPress", RedirectURIs: []string{"http://shop.example.com/cb"}})
	if e := asCoreError(t, err); e.Field != "redirect_uris" {
		t.Errorf("plain-http redirect beyond loopback: %+v", e)
	}
	c, err = app.CreateOIDCClient(bg, 1, core.OIDCClientInput{Name: "WordPress",
		RedirectURIs: []string{"https://shop.example.com/wp-admin/admin-ajax.php?action=openid-connect-authorize", ""}})
	if err != nil || c.Secret == "" || !strings.HasPrefix(c.ID, "gb-") || len(c.RedirectURIs) != 1 {
		t.Fatalf("CreateOIDCClient = %+v, %v", c, err)
	}
	if err := app.CheckOIDCSecret(bg, c.ID, c.Secret); err != nil {
		t.Errorf("the secret shown once does not work: %v", err)
	}
	// The database holds its hash only.
	db, _ := os.ReadFile(filepath.Join(dir, "grantbook.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "grantbook.db-wal"))
	if bytes.Contains(append(db, wal...), []byte(c.Secret)) {
		t.Error("the client secret is in the database in clear")
	}
	again := must(app.NewOIDCSecret(bg, c.ID))
	if app.CheckOIDCSecret(bg, c.ID, c.Secret) == nil || app.CheckOIDCSecret(bg, c.ID, again.Secret) != nil {
		t.Error("a new secret must replace the old one")
	}

	// Keys: made once in the data folder, owner-only; rotation keeps the
	// old key published so tokens it signed still verify.
	k := must(app.OIDCKeys())
	first := k.Signing().ID
	st, err := os.Stat(filepath.Join(dir, core.OIDCKeysFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v %v", st, err)
	}
	next := must(app.RotateOIDCKey(bg))
	k = must(app.OIDCKeys())
	if next == first || k.Signing().ID != next || len(k.Published(k.Signing().Created)) != 2 {
		t.Errorf("after rotation: signing %s, published %d", k.Signing().ID, len(k.Published(k.Signing().Created)))
	}
	// Another process on the same folder reads the same keys.
	app.Close()
	reopened := openApp(t, dir)
	if must(reopened.OIDCKeys()).Signing().ID != next {
		t.Error("the keys did not survive a restart")
	}
}
