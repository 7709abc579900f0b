package core_test

import (
	"testing"

	"grantbook/backend/core"
)

// The client area's sign-in names the site it continues to only for a
// site's hand-over or an OpenID Connect request to a site that is set up.
func TestSigninReturnNamesTheSite(t *testing.T) {
	f := newFixture(t)
	none := func(to string) {
		t.Helper()
		if v, err := f.app.SigninReturn(bg, to); err == nil || asCoreError(t, err).Code != core.CodeNotFound {
			t.Errorf("%q: %+v %v, want not found", to, v, err)
		}
	}
	none("/auth/signin?site=1&state=x") // the first site has no address yet
	v := must(f.app.Sites(bg))
	must(f.app.UpdateSite(bg, 1, core.SiteInput{Name: "Shop", BaseURL: "https://shop.example", Areas: v.Sites[0].Areas}))
	got := must(f.app.SigninReturn(bg, "/auth/signin?site=1&state=x&rd=https%3A%2F%2Fshop.example%2Fadmin"))
	if got.Site != "Shop" || got.URL != "https://shop.example" {
		t.Errorf("site hand-over: %+v", got)
	}
	for _, to := range []string{"", "/auth/signin?site=2", "/auth/signin?site=one", "/portal?site=1",
		"https://evil.example/auth/signin?site=1", "//evil.example/auth/signin?site=1", "/oidc/login?id=nope"} {
		none(to)
	}

	c := must(f.app.CreateOIDCClient(bg, 1, core.OIDCClientInput{Name: "Wiki", RedirectURIs: []string{"https://shop.example/cb"}}))
	if err := f.app.SaveOIDCRequest(bg, &core.OIDCRequest{ID: "req-1", ClientID: c.ID, Request: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if got := must(f.app.SigninReturn(bg, core.OIDCLoginPath+"?id=req-1")); got.Site != "Shop" {
		t.Errorf("OpenID Connect request: %+v", got)
	}
}
