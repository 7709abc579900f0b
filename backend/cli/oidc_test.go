//go:build siteauth

package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// rp is a relying party as a site's "Sign in with…" plugin is one:
// discovery, the code flow with PKCE, the ID token verified against the
// provider's keys. Its /callback page shows what it learnt.
type rp struct {
	srv      *httptest.Server
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider

	mu      sync.Mutex
	pending map[string][2]string // state → nonce, PKCE verifier
	token   *oauth2.Token
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newRP(t *testing.T, issuer, clientID, secret, redirectPath string) *rp {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery at %s: %v", issuer, err)
	}
	p := &rp{provider: provider, pending: map[string][2]string{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.conf = oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
		RedirectURL: p.srv.URL + redirectPath, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	p.verifier = provider.Verifier(&oidc.Config{ClientID: clientID})
	return p
}

func (p *rp) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.URL.Path == "/login" {
		state, nonce, v := random(), random(), oauth2.GenerateVerifier()
		p.mu.Lock()
		p.pending[state] = [2]string{nonce, v}
		p.mu.Unlock()
		http.Redirect(w, r, p.conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(v)), http.StatusFound)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Error(w, "refused: "+e+": "+q.Get("error_description"), http.StatusForbidden)
		return
	}
	p.mu.Lock()
	pend, ok := p.pending[q.Get("state")]
	delete(p.pending, q.Get("state"))
	p.mu.Unlock()
	if !ok {
		http.Error(w, "unknown state", http.StatusBadRequest)
		return
	}
	tok, err := p.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend[1]))
	if err != nil {
		http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		http.Error(w, "id token: "+err.Error(), http.StatusBadGateway)
		return
	}
	var claims struct {
		Email    string   `json:"email"`
		Verified bool     `json:"email_verified"`
		Name     string   `json:"name"`
		Areas    []string `json:"grantbook_admin_areas"`
		AuthTime int64    `json:"auth_time"`
	}
	// auth_time: when the code was verified, not later than the token.
	if err := idt.Claims(&claims); err != nil || idt.Nonce != pend[0] || claims.AuthTime == 0 || claims.AuthTime > idt.IssuedAt.Unix() {
		http.Error(w, fmt.Sprintf("claims: %v, nonce %q, auth_time %d", err, idt.Nonce, claims.AuthTime), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.token = tok
	p.mu.Unlock()
	fmt.Fprintf(w, "signed in: sub=%s email=%s verified=%v name=%s areas=%s", idt.Subject, claims.Email, claims.Verified,
		claims.Name, strings.Join(claims.Areas, ","))
}

// signInAt runs a browser through the relying party's login: Grantbook's
// authorize, its login step (the client area's sign-in when needed), back
// to the relying party's callback; it returns the callback's page.
func (st *stack) signInAt(b *http.Client, p *rp, email string) reply {
	t := st.t
	t.Helper()
	authorize := hop(t, b, p.srv.URL+"/login")
	if !strings.HasPrefix(authorize, st.base+"/oidc/authorize?") {
		t.Fatalf("the relying party sent the browser to %q", authorize)
	}
	r := do(t, b, "GET", authorize, "", nil)
	if r.status != http.StatusFound {
		return r // refused before any sign-in
	}
	login := r.header.Get("Location")
	if !strings.HasPrefix(login, "/oidc/login?id=") {
		t.Fatalf("authorize sent the browser to %q", login)
	}
	next := hop(t, b, st.base+login)
	if strings.HasPrefix(next, st.base+"/portal?return=") {
		st.portalSignin(b, st.base, email)
		next = hop(t, b, st.base+login)
	}
	for strings.HasPrefix(next, st.base) {
		next = hop(t, b, next)
	}
	if !strings.HasPrefix(next, p.srv.URL) {
		t.Fatalf("the login step ended at %q", next)
	}
	return do(t, b, "GET", next, "", nil)
}

// registeredRP is a relying party registered as a client of the first
// site. It must exist before its callback can be registered.
func (st *stack) registeredRP() *rp {
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	p := newRP(st.t, st.base, "", "", "/callback")
	st.owner(201, "POST", "/api/sites/1/clients", map[string]any{"name": "Shop plugin", "redirect_uris": []string{p.srv.URL + "/callback"}}).into(st.t, &client)
	p.conf.ClientID, p.conf.ClientSecret = client.ID, client.Secret
	p.verifier = p.provider.Verifier(&oidc.Config{ClientID: client.ID})
	return p
}

func TestSiteAuthOIDC(t *testing.T) {
	st := newStack(t)
	st.owner(200, "PUT", "/api/settings/client-area", map[string]any{"address": st.base})
	ops := st.contact("ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders", "reports"}}})
	st.contact("tech@example.com", map[string]any{"preset": "technical"})

	p := st.registeredRP()

	b := browserVia(t, strings.TrimPrefix(st.base, "http://"))
	b.Transport = http.DefaultTransport // straight to each server: no proxy in front here
	page := st.signInAt(b, p, "ops@example.com")
	if page.status != 200 || !strings.Contains(string(page.body), "email=ops@example.com verified=true name=Olga Ops areas=orders,reports") {
		t.Fatalf("relying party after the code flow: %d %s", page.status, page.body)
	}
	t.Logf("relying party: %s", page.body)

	// The access token opens userinfo while the contact has access, and not
	// after suspension.
	ctx := context.Background()
	info, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(p.token))
	if err != nil || info.Email != "ops@example.com" {
		t.Fatalf("userinfo: %+v, %v", info, err)
	}
	st.owner(200, "PATCH", "/api/contacts/"+ops, map[string]any{"status": "suspended"})
	if info, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(p.token)); err == nil {
		t.Fatalf("userinfo after suspension: %+v", info)
	}

	// A contact without admin access gets no token: the relying party hears why.
	b2 := browserVia(t, "")
	b2.Transport = http.DefaultTransport
	refused := st.signInAt(b2, p, "tech@example.com")
	if refused.status != 403 || !strings.Contains(string(refused.body), "refused: access_denied: denied: contact has no admin access") {
		t.Fatalf("contact without admin access: %d %s", refused.status, refused.body)
	}

	// A redirect address that is not registered exactly: no redirect at all.
	odd := p.conf
	odd.RedirectURL = p.srv.URL + "/callback/"
	if r := do(t, b2, "GET", odd.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "", nil); r.status != 400 ||
		!strings.Contains(string(r.body), "redirect_uri") {
		t.Fatalf("unregistered redirect_uri: %d %s", r.status, r.body)
	}

	// A wrong secret: the code is not traded for a token.
	st.owner(200, "PATCH", "/api/contacts/"+ops, map[string]any{"status": "active"})
	p.conf.ClientSecret = "not-the-secret"
	b3 := browserVia(t, "")
	b3.Transport = http.DefaultTransport
	if r := st.signInAt(b3, p, "ops@example.com"); r.status != 502 || !strings.Contains(string(r.body), "invalid_client") {
		t.Fatalf("wrong secret: %d %s", r.status, r.body)
	}
}
