//go:build siteauth

package cli_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// "Sign in with Grantbook" asks the rule of every session: with a second
// factor required for admin access, the login step sends the browser to
// the client area until one is set up, and then goes on to the relying
// party.
func TestSiteAuthOIDCNeedsTheSecondFactor(t *testing.T) {
	st := newStack(t)
	st.owner(200, "PUT", "/api/settings/public-url", map[string]any{"public_url": st.base})
	st.contact("ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	var lc map[string]any
	st.owner(200, "GET", "/api/settings/lifecycle", nil).into(t, &lc)
	lc["require_second_factor"] = true
	st.owner(200, "PUT", "/api/settings/lifecycle", lc)
	p := st.registeredRP()

	b := browserVia(t, "")
	b.Transport = http.DefaultTransport
	r := do(t, b, "GET", hop(t, b, p.srv.URL+"/login"), "", nil)
	login := st.base + r.header.Get("Location")
	if next := hop(t, b, login); strings.HasPrefix(next, st.base+"/portal?return=") {
		st.portalSignin(b, st.base, "ops@example.com")
	}
	if next := hop(t, b, login); !strings.HasPrefix(next, st.base+"/portal?return=") {
		t.Fatalf("signed in without a second factor, the login step went to %q", next)
	}

	// The person sets up an authenticator app in the client area.
	var acc struct {
		CSRF string `json:"csrf_token"`
	}
	do(t, b, "GET", st.base+"/api/portal/accounts", "", nil).into(t, &acc)
	hdr := map[string]string{"Content-Type": "application/json", "X-CSRF-Token": acc.CSRF}
	var setup struct{ Secret string }
	do(t, b, "POST", st.base+"/api/portal/totp", "", hdr).into(t, &setup)
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	if r := do(t, b, "POST", st.base+"/api/portal/totp/confirm", `{"code":"`+code+`"}`, hdr); r.status != 200 {
		t.Fatalf("confirm the app: %d %s", r.status, r.body)
	}
	next := hop(t, b, login)
	for strings.HasPrefix(next, st.base) {
		next = hop(t, b, next)
	}
	page := do(t, b, "GET", next, "", nil)
	if page.status != 200 || !strings.Contains(string(page.body), "email=ops@example.com") {
		t.Fatalf("relying party after the factor: %d %s", page.status, page.body)
	}
}
