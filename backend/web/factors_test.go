package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/pquerna/otp/totp"
	"github.com/zalando/go-keyring"

	"grantbook/backend/web"
)

func init() {
	for p, a := range map[string]web.Auth{
		"GET /api/portal/factors":                  web.Person,
		"POST /api/portal/passkeys/register/begin": web.Person,
		"POST /api/portal/passkeys/register":       web.Person,
		"DELETE /api/portal/passkeys/{id}":         web.Person,
		"POST /api/portal/passkeys/check/begin":    web.Person,
		"POST /api/portal/passkeys/check":          web.Person,
		"POST /api/portal/totp":                    web.Person,
		"POST /api/portal/totp/confirm":            web.Person,
		"POST /api/portal/totp/verify":             web.Person,
		"DELETE /api/portal/totp":                  web.Person,
		"POST /api/portal/passkey-signin/begin":    web.Public,
		"POST /api/portal/passkey-signin":          web.Public,
		"GET /api/contacts/{id}/factors":           web.Owner,
		"POST /api/contacts/{id}/factors/reset":    web.Owner,
	} {
		routeAuth[p] = a
	}
}

// passkeyEnv is a seeded portal whose public address is localhost (an RP
// ID browsers accept), with a software authenticator.
type passkeyEnv struct {
	*env
	d    portalData
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func newPasskeyEnv(t *testing.T) *passkeyEnv {
	e := newEnv(t)
	pe := &passkeyEnv{env: e, d: e.seedPortal(), cred: virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)}
	u, _ := url.Parse(e.srv.URL)
	origin := "http://localhost:" + u.Port()
	e.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": origin})
	pe.rp = virtualwebauthn.RelyingParty{ID: "localhost", Name: "Grantbook", Origin: origin}
	return pe
}

// register adds the authenticator's credential as a passkey from p.
func (pe *passkeyEnv) register(p *portal) resp {
	t := pe.t
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(want(t, p.send("POST", "/api/portal/passkeys/register/begin", nil), 200).body))
	if err != nil {
		t.Fatal(err)
	}
	if opts.RelyingPartyID != "localhost" {
		t.Fatalf("RP ID %q", opts.RelyingPartyID)
	}
	pe.auth = virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(opts.UserID)})
	answer := virtualwebauthn.CreateAttestationResponse(pe.rp, pe.auth, pe.cred, *opts)
	r := p.send("POST", "/api/portal/passkeys/register", map[string]any{"name": "Laptop", "credential": json.RawMessage(answer)})
	if r.status == 201 {
		pe.auth.AddCredential(pe.cred)
	}
	return r
}

// assert answers a passkey prompt with the authenticator, as from rp.
func (pe *passkeyEnv) assert(options []byte, rp virtualwebauthn.RelyingParty) json.RawMessage {
	pe.t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		pe.t.Fatal(err)
	}
	pe.cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(rp, pe.auth, pe.cred, *opts))
}

func TestPasskeySignsInAlone(t *testing.T) {
	pe := newPasskeyEnv(t)
	pe.addContact(pe.d, "fay@example.com", map[string]any{"preset": "full"})
	p := pe.signIn("fay@example.com")
	want(t, pe.register(p), 201)
	var f struct {
		Passkeys []struct{ Name string }
		Session  string
		Needed   string
	}
	want(t, p.get("/api/portal/factors"), 200).into(t, &f)
	if len(f.Passkeys) != 1 || f.Passkeys[0].Name != "Laptop" || f.Session != "passkey" || f.Needed != "" {
		t.Fatalf("factors %+v", f)
	}

	// Another browser signs in with the passkey alone: no address typed.
	b := pe.newPortal()
	opts := want(t, b.req("POST", "/api/portal/passkey-signin/begin", "", nil), 200).body
	answer := pe.assert(opts, pe.rp)
	r := want(t, b.req("POST", "/api/portal/passkey-signin", `{"credential":`+string(answer)+`}`, nil), 200)
	if c := r.json(t)["contact"].(map[string]any); c["email"] != "fay@example.com" {
		t.Fatalf("signed in as %v", c)
	}
	want(t, b.get("/api/portal/me"), 200)
	if !pe.audited("contact fay@example.com", "signed in to the portal with a passkey") {
		t.Error("no audit row for the passkey sign-in")
	}
	// The same answer again: the prompt was used.
	want(t, b.req("POST", "/api/portal/passkey-signin", `{"credential":`+string(answer)+`}`, nil), 422)
	// An answer made for another site is refused.
	c := pe.newPortal()
	opts = want(t, c.req("POST", "/api/portal/passkey-signin/begin", "", nil), 200).body
	evil := pe.assert(opts, virtualwebauthn.RelyingParty{ID: "localhost", Name: "x", Origin: "http://evil.localhost"})
	if r := c.req("POST", "/api/portal/passkey-signin", `{"credential":`+string(evil)+`}`, nil); r.status != 422 {
		t.Fatalf("foreign origin: %d %s", r.status, r.body)
	}

	// An answer without user verification (no PIN or biometrics) is refused.
	u := pe.newPortal()
	opts = want(t, u.req("POST", "/api/portal/passkey-signin/begin", "", nil), 200).body
	ao, _ := virtualwebauthn.ParseAssertionOptions(string(opts))
	nv := pe.auth
	nv.Options.UserNotVerified = true
	pe.cred.Counter++
	unverified := virtualwebauthn.CreateAssertionResponse(pe.rp, nv, pe.cred, *ao)
	if r := u.req("POST", "/api/portal/passkey-signin", `{"credential":`+unverified+`}`, nil); r.status != 422 {
		t.Fatalf("without user verification: %d %s", r.status, r.body)
	}

	// An emailed code alone no longer lets Fay act: she has a passkey.
	m := pe.signIn("fay@example.com")
	r = m.get("/api/portal/me")
	if code, _ := r.errorOf(t); r.status != 403 || code != "second_factor" {
		t.Fatalf("code-only session: %d %s", r.status, r.body)
	}
	want(t, m.send("POST", "/api/portal/passkeys/register/begin", nil), 403) // nor add a passkey of her own
	check := want(t, m.send("POST", "/api/portal/passkeys/check/begin", nil), 200).body
	want(t, m.send("POST", "/api/portal/passkeys/check", map[string]any{"credential": pe.assert(check, pe.rp)}), 200)
	want(t, m.get("/api/portal/me"), 200)
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestTOTPFallbackAndRequiredSecondFactor(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	full := e.addContact(d, "fay@example.com", map[string]any{"preset": "full"})
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	st := e.ok(200, "GET", "/api/settings/lifecycle", nil).json(t)
	st["require_second_factor"] = true
	e.ok(200, "PUT", "/api/settings/lifecycle", st)

	p := e.signIn("fay@example.com")
	r := p.get("/api/portal/invoices")
	if code, _ := r.errorOf(t); r.status != 403 || code != "second_factor_setup" {
		t.Fatalf("Full without a factor: %d %s", r.status, r.body)
	}
	want(t, e.signIn("tech@example.com").get("/api/portal/me"), 200) // Technical needs none

	var setup struct{ Secret, URL string }
	want(t, p.send("POST", "/api/portal/totp", nil), 200).into(t, &setup)
	if setup.Secret == "" || !strings.HasPrefix(setup.URL, "otpauth://totp/Grantbook:fay@example.com") {
		t.Fatalf("setup %+v", setup)
	}
	code := totpCode(t, setup.Secret, e.now)
	want(t, p.send("POST", "/api/portal/totp/confirm", map[string]any{"code": code}), 200)
	want(t, p.get("/api/portal/invoices"), 200)
	if e.audited("contact fay@example.com", setup.Secret) {
		t.Fatal("the secret is in the audit log")
	}

	// A new session: the code just used does not work again; the next does.
	q := e.signIn("fay@example.com")
	want(t, q.send("POST", "/api/portal/totp/verify", map[string]any{"code": code}), 422)
	e.setNow(e.now.Add(30 * time.Second))
	next := totpCode(t, setup.Secret, e.now)
	want(t, q.send("POST", "/api/portal/totp/verify", map[string]any{"code": next}), 200)
	want(t, q.get("/api/portal/me"), 200)

	// Wrong codes are limited: after five, even the right one waits.
	w := e.signIn("fay@example.com")
	for range 5 {
		want(t, w.send("POST", "/api/portal/totp/verify", map[string]any{"code": "000000"}), 422)
	}
	e.setNow(e.now.Add(30 * time.Second))
	want(t, w.send("POST", "/api/portal/totp/verify", map[string]any{"code": totpCode(t, setup.Secret, e.now)}), 429)

	// Removing the only factor of a grant that requires one is refused.
	want(t, q.send("DELETE", "/api/portal/totp", nil), 409)

	// Recovery: the owner resets Fay's factors; her sessions end.
	var of struct {
		TOTP     bool
		Required bool
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(full)+"/factors", nil).into(t, &of)
	if !of.TOTP || !of.Required {
		t.Fatalf("owner's view %+v", of)
	}
	e.ok(200, "POST", "/api/contacts/"+ftoa(full)+"/factors/reset", nil).into(t, &of)
	if of.TOTP {
		t.Fatal("reset kept the app")
	}
	want(t, q.get("/api/portal/me"), 401)
	if !e.audited("owner (web)", "Reset C fay@example.com's passkeys and authenticator app") {
		t.Error("no audit row for the reset")
	}
	e.setNow(e.now.Add(16 * time.Minute)) // past the quota of codes mailed
	r = e.signIn("fay@example.com").get("/api/portal/me")
	if code, _ := r.errorOf(t); code != "second_factor_setup" {
		t.Fatalf("after the reset: %d %s", r.status, r.body)
	}
}

// Forward authentication asks the same rule: a contact held for a second
// factor is refused by /auth/verify and sent to the client area to set
// one up before the site's sign-in goes through.
func TestForwardAuthNeedsTheSecondFactor(t *testing.T) {
	se := newSiteEnv(t)
	se.addContact(se.d, "ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	b := se.browser()
	se.signInToSite(b, "ops@example.com", "/admin/orders")
	st := se.ok(200, "GET", "/api/settings/lifecycle", nil).json(t)
	st["require_second_factor"] = true
	se.ok(200, "PUT", "/api/settings/lifecycle", st)
	res := se.verify(b, "/admin/orders", nil)
	if res.StatusCode != 403 || !strings.Contains(res.Header.Get("X-Grantbook-Reason"), "second factor") {
		t.Fatalf("verify after the rule: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
	}
	b, held := se.browser(), b
	toGrantbook := se.startAndSignIn(b, "/admin/orders", "ops@example.com")
	back := get(t, b, toGrantbook)
	if loc := back.Header.Get("Location"); back.StatusCode != 302 || !strings.HasPrefix(loc, "/portal?return=") {
		t.Fatalf("site sign-in while held: %d %q", back.StatusCode, loc)
	}
	p := &portal{e: se.env, client: b}
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	want(t, p.get("/api/portal/accounts"), 200).into(t, &v)
	p.csrf = v.CSRF
	var setup struct{ Secret string }
	want(t, p.send("POST", "/api/portal/totp", nil), 200).into(t, &setup)
	want(t, p.send("POST", "/api/portal/totp/confirm", map[string]any{"code": totpCode(t, setup.Secret, se.now)}), 200)
	back = get(t, b, toGrantbook)
	if loc := back.Header.Get("Location"); !strings.HasPrefix(loc, se.shop+"/_grantbook/callback?ticket=") {
		t.Fatalf("site sign-in after the factor: %q", loc)
	}
	get(t, b, back.Header.Get("Location"))
	if res := se.verify(b, "/admin/orders", nil); res.StatusCode != 200 {
		t.Fatalf("verify after the factor: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
	}
	// The first browser's session proved nothing: still refused.
	if res := se.verify(held, "/admin/orders", nil); res.StatusCode != 403 {
		t.Fatalf("the code-only session: %d", res.StatusCode)
	}
}

// An authenticator app's secret sits in the OS keyring, which a backup does
// not carry: restored on another computer, a right code gets a clear 409
// (ask the owner to reset, then set the app up again), not an internal
// error; after the owner's reset the person sets up the app anew there.
func TestTOTPRestoredElsewhereSaysSo(t *testing.T) {
	// go-keyring's in-memory keyring stands in for the OS one; the vault asks
	// a keyring on Linux only with a session bus. Another data folder is
	// another keyring entry: what a restore on another computer finds.
	keyring.MockInit()
	t.Setenv("GRANTBOOK_KEYRING", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	here := openEnv(t)
	var status struct{ Secrets string }
	here.ok(200, "GET", "/api/mail/status", nil).into(t, &status)
	if status.Secrets != "keyring" {
		t.Fatalf("secrets in %q, want the keyring", status.Secrets)
	}
	d := here.seedPortal()
	fay := here.addContact(d, "fay@example.com", map[string]any{"preset": "full"})
	p := here.signIn("fay@example.com")
	var setup struct{ Secret string }
	want(t, p.send("POST", "/api/portal/totp", nil), 200).into(t, &setup)
	want(t, p.send("POST", "/api/portal/totp/confirm", map[string]any{"code": totpCode(t, setup.Secret, here.now)}), 200)
	backup := here.ok(200, "GET", "/api/backup", nil).body

	there := openEnv(t)
	there.setNow(here.now.Add(time.Minute))
	there.ok(200, "POST", "/api/restore", backup)
	there.startMail()
	q := there.signIn("fay@example.com")
	if code, _ := q.get("/api/portal/me").errorOf(t); code != "second_factor" {
		t.Fatalf("restored, an emailed code alone: %s", code)
	}
	r := q.send("POST", "/api/portal/totp/verify", map[string]any{"code": totpCode(t, setup.Secret, there.now)})
	if code, _ := r.errorOf(t); r.status != 409 || code != "conflict" || !strings.Contains(string(r.body), "reset your sign-in factors") ||
		!strings.Contains(string(r.body), "set up the authenticator app again") {
		t.Fatalf("a right code for a secret left on the other computer: %d %s", r.status, r.body)
	}

	there.ok(200, "POST", "/api/contacts/"+ftoa(fay)+"/factors/reset", nil)
	there.setNow(there.now.Add(16 * time.Minute)) // past the quota of codes mailed
	q = there.signIn("fay@example.com")
	want(t, q.get("/api/portal/me"), 200)
	want(t, q.send("POST", "/api/portal/totp", nil), 200).into(t, &setup)
	want(t, q.send("POST", "/api/portal/totp/confirm", map[string]any{"code": totpCode(t, setup.Secret, there.now)}), 200)
}
