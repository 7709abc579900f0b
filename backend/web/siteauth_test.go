package web_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"grantbook/backend/web"
)

// siteEnv is a seeded portal whose first site is http://shop.localhost
// (on the test server's port) and whose public address is the server's.
type siteEnv struct {
	*env
	d    portalData
	shop string // the site's base URL
}

func newSiteEnv(t *testing.T) *siteEnv {
	t.Helper()
	e := newEnv(t)
	se := &siteEnv{env: e, d: e.seedPortal()}
	u, _ := url.Parse(e.srv.URL)
	se.shop = "http://shop.localhost:" + u.Port()
	e.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": e.srv.URL})
	var v struct {
		Sites []map[string]any `json:"sites"`
	}
	e.ok(200, "GET", "/api/sites", nil).into(t, &v)
	first := v.Sites[0]
	first["name"], first["base_url"] = "Shop", se.shop
	e.ok(200, "PUT", "/api/sites/1", first)
	return se
}

// browser is a cookie jar that reaches every host (Grantbook's and the
// site's) at the test server, as a proxy in front of both would.
func (se *siteEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	addr := strings.TrimPrefix(se.srv.URL, "http://")
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	se.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// verify asks /auth/verify as a proxy on loopback does, with the site
// cookie the browser holds.
func (se *siteEnv) verify(b *http.Client, uri string, extra map[string]string) *http.Response {
	se.t.Helper()
	req, _ := http.NewRequest("GET", se.srv.URL+"/auth/verify", nil)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Host", "shop.localhost")
	req.Header.Set("X-Forwarded-Uri", uri)
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	site, _ := url.Parse(se.shop + uri)
	for _, c := range b.Jar.Cookies(site) {
		req.AddCookie(c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		se.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body)) // read, for the page
	return res
}

func get(t *testing.T, b *http.Client, u string) *http.Response {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// signInToSite walks the hand-over as a browser does: verify says 401,
// the site's start, Grantbook's sign-in (code by mail), the callback.
func (se *siteEnv) signInToSite(b *http.Client, email, uri string) {
	t := se.t
	t.Helper()
	res := se.verify(b, uri, nil)
	if res.StatusCode != 401 {
		t.Fatalf("verify %s unsigned: %d, want 401", uri, res.StatusCode)
	}
	start := res.Header.Get("Location")
	if want := se.shop + "/_grantbook/start?rd=" + url.QueryEscape(se.shop+uri); start != want {
		t.Fatalf("sign-in address %q, want %q", start, want)
	}
	toGrantbook := get(t, b, start).Header.Get("Location")
	if !strings.HasPrefix(toGrantbook, se.srv.URL+"/auth/signin?") {
		t.Fatalf("start sent to %q", toGrantbook)
	}
	toPortal := get(t, b, toGrantbook).Header.Get("Location")
	if toPortal != "/portal?return="+url.QueryEscape(strings.TrimPrefix(toGrantbook, se.srv.URL)) {
		t.Fatalf("unsigned sign-in sent to %q", toPortal)
	}
	p := &portal{e: se.env, client: b}
	r := p.verify(email, se.waitCode(email, p.askCode(email)))
	if r.status != 200 {
		t.Fatalf("portal verify: %d %s", r.status, r.body)
	}
	callback := get(t, b, toGrantbook).Header.Get("Location")
	if !strings.HasPrefix(callback, se.shop+"/_grantbook/callback?ticket=") {
		t.Fatalf("signed-in sign-in sent to %q", callback)
	}
	back := get(t, b, callback)
	if back.StatusCode != 302 || back.Header.Get("Location") != se.shop+uri {
		t.Fatalf("callback: %d to %q, want 302 to %s", back.StatusCode, back.Header.Get("Location"), se.shop+uri)
	}
}

// startAndSignIn starts a sign-in on the site, signs in at Grantbook and
// returns Grantbook's sign-in address to go back to.
func (se *siteEnv) startAndSignIn(b *http.Client, uri, email string) string {
	se.t.Helper()
	toGrantbook := get(se.t, b, se.verify(b, uri, nil).Header.Get("Location")).Header.Get("Location")
	p := &portal{e: se.env, client: b}
	if r := p.verify(email, se.waitCode(email, p.askCode(email))); r.status != 200 {
		se.t.Fatalf("portal verify: %d %s", r.status, r.body)
	}
	return toGrantbook
}

func TestForwardAuthSignsInAndDecidesPerArea(t *testing.T) {
	se := newSiteEnv(t)
	se.addContact(se.d, "ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	b := se.browser()
	se.signInToSite(b, "ops@example.com", "/admin/orders?page=2")

	res := se.verify(b, "/admin/orders/17", nil)
	if res.StatusCode != 200 || res.Header.Get("X-Grantbook-Email") != "ops@example.com" ||
		res.Header.Get("X-Grantbook-Name") != "C ops@example.com" || res.Header.Get("X-Grantbook-Areas") != "orders" {
		t.Fatalf("verify orders: %d %v", res.StatusCode, res.Header)
	}
	for uri, reason := range map[string]string{
		"/admin/settings":                     "denied: admin access does not include Shop: Site settings",
		"/admin/ordersX":                      "", // under no area: any admin access opens it
		"/admin/orders/%2e%2e/settings":       "denied: the address is ambiguous",
		"/admin/orders/..%2F..%2Fadmin/users": "denied: the address is ambiguous",
		"/ADMIN/Settings":                     "denied: admin access does not include Shop: Site settings",
		"/admin/orders/../settings":           "denied: admin access does not include Shop: Site settings",
	} {
		res := se.verify(b, uri, nil)
		if reason == "" {
			if res.StatusCode != 200 {
				t.Errorf("%s: %d %q, want 200", uri, res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
			}
			continue
		}
		if res.StatusCode != 403 || !strings.HasPrefix(res.Header.Get("X-Grantbook-Reason"), reason) {
			t.Errorf("%s: %d %q, want 403 %q", uri, res.StatusCode, res.Header.Get("X-Grantbook-Reason"), reason)
		}
	}
	// nginx's X-Original-URI does as well as X-Forwarded-Uri.
	req := map[string]string{"X-Forwarded-Uri": "", "X-Original-URI": "/admin/settings"}
	if res := se.verify(b, "", req); res.StatusCode != 403 {
		t.Errorf("X-Original-URI settings: %d", res.StatusCode)
	}

	// The site cookie is the site's: it does not open the client area, and
	// Grantbook's portal cookie is not sent to the site.
	shop, _ := url.Parse(se.shop)
	for _, c := range b.Jar.Cookies(shop) {
		if c.Name == web.SessionCookie {
			t.Errorf("the portal's cookie reached the site")
		}
	}

	// Signing out of the site forgets its cookie, here and in Grantbook
	// (a copy of it opens nothing); the client area stays signed in.
	var old string
	for _, c := range b.Jar.Cookies(shop) {
		if c.Name == "gb_site" {
			old = c.Value
		}
	}
	if res := get(t, b, se.shop+"/_grantbook/signout"); res.StatusCode != 302 || res.Header.Get("Location") != se.shop+"/" {
		t.Fatalf("signout: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := se.verify(b, "/admin/orders", map[string]string{"Cookie": "gb_site=" + old}); old == "" || res.StatusCode != 401 {
		t.Errorf("the site cookie %q after the site's signout: %d, want 401", old, res.StatusCode)
	}
	if r := (&portal{e: se.env, client: b}).get("/api/portal/accounts"); r.status != 200 {
		t.Errorf("the client area after the site's signout: %d", r.status)
	}
}

func TestForwardAuthRefusesAtTheNextRequest(t *testing.T) {
	se := newSiteEnv(t)
	id := se.addContact(se.d, "ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	b := se.browser()
	se.signInToSite(b, "ops@example.com", "/admin/orders")
	if res := se.verify(b, "/admin/orders", nil); res.StatusCode != 200 {
		t.Fatalf("before: %d", res.StatusCode)
	}

	// Expiry: the grant's end passes; the next request is refused with why.
	se.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"expires_at": se.now.Add(time.Minute).Format(time.RFC3339)})
	se.setNow(se.now.Add(2 * time.Minute))
	res := se.verify(b, "/admin/orders", nil)
	if res.StatusCode != 403 || !strings.HasPrefix(res.Header.Get("X-Grantbook-Reason"), "denied: grant expired") {
		t.Fatalf("after expiry: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
	}
	se.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"expires_at": nil})
	if res := se.verify(b, "/admin/orders", nil); res.StatusCode != 200 {
		t.Fatalf("expiry lifted: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
	}

	// Suspension signs the contact out: the site cookie is worth nothing.
	se.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"status": "suspended"})
	if res := se.verify(b, "/admin/orders", nil); res.StatusCode != 401 {
		t.Fatalf("after suspension: %d, want 401", res.StatusCode)
	}
}

func TestSiteTicketWorksOnceInTheBrowserThatAsked(t *testing.T) {
	se := newSiteEnv(t)
	se.addContact(se.d, "ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"all": true}})
	victim := se.browser()
	attacker := se.browser()
	// The attacker starts a sign-in on the site and signs in themselves.
	callback := get(t, attacker, se.startAndSignIn(attacker, "/admin", "ops@example.com")).Header.Get("Location")
	// The callback in another browser (without the state cookie) fails,
	// and leaves the ticket to the browser that asked for it.
	if res := get(t, victim, callback); res.StatusCode != 400 {
		t.Fatalf("ticket in another browser: %d, want 400", res.StatusCode)
	}
	if res := get(t, attacker, callback); res.StatusCode != 302 {
		t.Fatalf("ticket in its browser: %d", res.StatusCode)
	}
	if res := get(t, attacker, callback); res.StatusCode != 400 {
		t.Fatalf("ticket used twice: %d, want 400", res.StatusCode)
	}
	// A return address off the site comes back to the site.
	for _, rd := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		to := get(t, attacker, se.shop+"/_grantbook/start?rd="+url.QueryEscape(rd)).Header.Get("Location")
		u, _ := url.Parse(to)
		if got := u.Query().Get("rd"); got != se.shop+"/" {
			t.Errorf("rd %q became %q", rd, got)
		}
	}
}

func TestForwardHeadersOnlyFromTrustedProxies(t *testing.T) {
	se := newSiteEnv(t)
	srv := web.NewServer(se.api, testAssets, token)
	ask := func(remote string, hdr http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/auth/verify", nil)
		req.RemoteAddr = remote
		req.Header = hdr
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	hdr := http.Header{"X-Forwarded-Host": {"shop.localhost"}, "X-Forwarded-Uri": {"/admin/orders"}}
	if rec := ask("203.0.113.9:5000", hdr); rec.Code != 403 || !strings.Contains(rec.Header().Get("X-Grantbook-Reason"), "--trusted-proxy") {
		t.Errorf("from a stranger: %d %q", rec.Code, rec.Header().Get("X-Grantbook-Reason"))
	}
	if rec := ask("127.0.0.1:5000", hdr); rec.Code != 401 {
		t.Errorf("from loopback: %d, want 401", rec.Code)
	}
	twice := http.Header{"X-Forwarded-Host": {"shop.localhost"}, "X-Forwarded-Uri": {"/admin/orders", "/admin/x"}}
	if rec := ask("127.0.0.1:5000", twice); rec.Code != 403 || !strings.Contains(rec.Header().Get("X-Grantbook-Reason"), "more than once") {
		t.Errorf("X-Forwarded-Uri twice: %d %q", rec.Code, rec.Header().Get("X-Grantbook-Reason"))
	}
	other := http.Header{"X-Forwarded-Host": {"evil.localhost"}, "X-Forwarded-Uri": {"/admin/orders"}}
	if rec := ask("127.0.0.1:5000", other); rec.Code != 403 {
		t.Errorf("another host: %d", rec.Code)
	}
	trusted := web.NewServer(se.api, testAssets, token, web.WithTrustedProxies(mustProxy(t, "203.0.113.0/24")))
	req := httptest.NewRequest("GET", "/auth/verify?redirect=1", nil)
	req.RemoteAddr, req.Header = "203.0.113.9:5000", hdr
	rec := httptest.NewRecorder()
	trusted.ServeHTTP(rec, req)
	if rec.Code != 302 || !strings.HasPrefix(rec.Header().Get("Location"), se.shop+"/_grantbook/start?rd=") {
		t.Errorf("from a trusted proxy with redirect=1: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

func mustProxy(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := web.ParseProxy(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSiteSigninRefusesContactsWithoutAdminAccess(t *testing.T) {
	se := newSiteEnv(t)
	se.addContact(se.d, "tech@example.com", map[string]any{"preset": "technical"})
	b := se.browser()
	res := get(t, b, se.startAndSignIn(b, "/admin/orders", "tech@example.com"))
	if res.StatusCode != 403 || res.Header.Get("X-Grantbook-Reason") != "denied: contact has no admin access" {
		t.Fatalf("sign-in without admin access: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Reason"))
	}
	var audit struct {
		Entries []struct{ Action, Summary string }
	}
	se.ok(200, "GET", "/api/audit?limit=5", nil).into(t, &audit)
	if audit.Entries[0].Action != "site.signin" || !strings.Contains(audit.Entries[0].Summary, "sign in to Shop — denied: contact has no admin access") {
		t.Errorf("audit %+v", audit.Entries[0])
	}
}
