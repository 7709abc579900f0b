//go:build siteauth

package cli_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

// setUpTOTP adds an authenticator app in the client area from b, signed in.
func (st *stack) setUpTOTP(b *http.Client) {
	t := st.t
	t.Helper()
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
}

// "Sign in with Grantbook" asks the rule of every session: with a second
// factor required for admin access, the login step sends the browser to
// the client area until one is set up, and then goes on to the relying
// party.
func TestSiteAuthOIDCNeedsTheSecondFactor(t *testing.T) {
	st := newStack(t)
	st.owner(200, "PUT", "/api/settings/client-area", map[string]any{"address": st.base})
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
	st.setUpTOTP(b)
	next := hop(t, b, login)
	for strings.HasPrefix(next, st.base) {
		next = hop(t, b, next)
	}
	page := do(t, b, "GET", next, "", nil)
	if page.status != 200 || !strings.Contains(string(page.body), "email=ops@example.com") {
		t.Fatalf("relying party after the factor: %d %s", page.status, page.body)
	}
}

// A token lives on the client-area session that signed in for it. Once
// the person sets up an authenticator app elsewhere, that session (an
// emailed code alone) is held for it, and so are its token at userinfo and
// a code the site has not traded yet; signing out ends the token too.
func TestSiteAuthOIDCTokenHeldWithItsSession(t *testing.T) {
	st := newStack(t)
	st.owner(200, "PUT", "/api/settings/client-area", map[string]any{"address": st.base})
	st.contact("ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	p := st.registeredRP()
	ctx := context.Background()
	userinfo := func() error {
		_, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(p.token))
		return err
	}

	b := browserVia(t, "")
	b.Transport = http.DefaultTransport
	if page := st.signInAt(b, p, "ops@example.com"); page.status != 200 {
		t.Fatalf("first sign-in: %d %s", page.status, page.body)
	}
	if err := userinfo(); err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	// A second sign-in at the site, stopped before the site trades its code.
	next := hop(t, b, p.srv.URL+"/login")
	for !strings.HasPrefix(next, p.srv.URL) {
		next = hop(t, b, next)
	}

	other := browserVia(t, "")
	other.Transport = http.DefaultTransport
	st.portalSignin(other, st.base, "ops@example.com")
	st.setUpTOTP(other)
	if err := userinfo(); err == nil {
		t.Fatal("userinfo with the token of a session now held")
	}
	if r := do(t, b, "GET", next, "", nil); r.status != 502 || !strings.Contains(string(r.body), "access_denied") ||
		!strings.Contains(string(r.body), "passkey or authenticator app") {
		t.Fatalf("trading a code of a session now held: %d %s", r.status, r.body)
	}

	// The other browser proved the app: its token works until it signs out.
	if page := st.signInAt(other, p, "ops@example.com"); page.status != 200 {
		t.Fatalf("sign-in with the app proved: %d %s", page.status, page.body)
	}
	if err := userinfo(); err != nil {
		t.Fatalf("userinfo after the app was proved: %v", err)
	}
	r := do(t, other, "GET", st.base+"/api/portal/accounts", "", nil)
	var acc struct {
		CSRF string `json:"csrf_token"`
	}
	r.into(t, &acc)
	if r := do(t, other, "POST", st.base+"/api/portal/signout", "", map[string]string{"X-CSRF-Token": acc.CSRF}); r.status != 200 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	if err := userinfo(); err == nil {
		t.Fatal("userinfo after the session signed out")
	}
}
