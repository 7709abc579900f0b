package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/mailtest"
	"grantbook/backend/permission"
	"grantbook/backend/version"
	"grantbook/backend/web"
)

const token = "tok"

const indexHTML = "<!doctype html><title>Grantbook test index</title>"

// routeAuth is every API route and who may call it. A route added to
// API.Routes() must be added here, with a conscious decision.
var routeAuth = map[string]web.Auth{
	"GET /api/health":                           web.Public,
	"GET /api/accounts":                         web.Owner,
	"POST /api/accounts":                        web.Owner,
	"GET /api/accounts/{id}":                    web.Owner,
	"PATCH /api/accounts/{id}":                  web.Owner,
	"GET /api/accounts/{id}/services":           web.Owner,
	"POST /api/accounts/{id}/services":          web.Owner,
	"GET /api/accounts/{id}/invoices":           web.Owner,
	"POST /api/accounts/{id}/invoices":          web.Owner,
	"GET /api/accounts/{id}/quotes":             web.Owner,
	"POST /api/accounts/{id}/quotes":            web.Owner,
	"GET /api/accounts/{id}/support":            web.Owner,
	"POST /api/accounts/{id}/support":           web.Owner,
	"GET /api/contacts":                         web.Owner,
	"POST /api/contacts":                        web.Owner,
	"GET /api/contacts/lookup":                  web.Owner,
	"GET /api/contacts/{id}":                    web.Owner,
	"PATCH /api/contacts/{id}":                  web.Owner,
	"DELETE /api/contacts/{id}":                 web.Owner,
	"GET /api/contacts/{id}/access":             web.Owner,
	"GET /api/contacts/{id}/sessions":           web.Owner,
	"POST /api/contacts/{id}/sessions/revoke":   web.Owner,
	"GET /api/permissions":                      web.Owner,
	"GET /api/check":                            web.Owner,
	"GET /api/audit":                            web.Owner,
	"GET /api/audit.csv":                        web.Owner,
	"POST /api/contacts/bulk":                   web.Owner,
	"GET /api/settings/time-zone":               web.Owner,
	"PUT /api/settings/time-zone":               web.Owner,
	"POST /api/settings/template/preview":       web.Owner,
	"GET /api/invitations":                      web.Owner,
	"POST /api/invitations":                     web.Owner,
	"GET /api/invitations/{id}":                 web.Owner,
	"POST /api/invitations/{id}/resend":         web.Owner,
	"POST /api/invitations/{id}/revoke":         web.Owner,
	"POST /api/invitations/{id}/confirm":        web.Owner,
	"POST /api/invitations/{id}/reject":         web.Owner,
	"POST /api/invitations/{id}/confirm-bounce": web.Owner,
	"POST /api/invitations/{id}/dismiss-notice": web.Owner,
	"GET /api/mail/events":                      web.Owner,
	"GET /api/mail/status":                      web.Owner,
	"GET /api/settings/mail":                    web.Owner,
	"PUT /api/settings/mail":                    web.Owner,
	"POST /api/settings/mail/test":              web.Owner,
	"GET /api/settings/template":                web.Owner,
	"PUT /api/settings/template":                web.Owner,
	"GET /api/settings/client-area":             web.Owner,
	"PUT /api/settings/client-area":             web.Owner,
	"GET /api/settings/token":                   web.Owner,
	"POST /api/settings/token":                  web.Owner,
	"GET /api/lock":                             web.Owner,
	"PUT /api/lock":                             web.Owner,
	"GET /api/backup":                           web.Owner,
	"POST /api/restore":                         web.Owner,
	"GET /api/sites":                            web.Owner,
	"POST /api/sites":                           web.Owner,
	"PUT /api/sites/{id}":                       web.Owner,
	"DELETE /api/sites/{id}":                    web.Owner,
	"GET /api/sites/{id}/clients":               web.Owner,
	"POST /api/sites/{id}/clients":              web.Owner,
	"PUT /api/oidc/clients/{client_id}":         web.Owner,
	"POST /api/oidc/clients/{client_id}/secret": web.Owner,
	"DELETE /api/oidc/clients/{client_id}":      web.Owner,
	"GET /api/oidc/keys":                        web.Owner,
	"POST /api/oidc/keys/rotate":                web.Owner,
	"GET /api/accounts/{id}/contacts.csv":       web.Owner,
	"POST /api/accounts/{id}/contacts/import":   web.Owner,
	"GET /api/imports/{job_id}":                 web.Owner,
	"POST /api/portal/signin":                   web.Public,
	"POST /api/portal/verify":                   web.Public,
	"GET /api/portal/return":                    web.Public,
	"POST /api/portal/signout":                  web.Person,
	"GET /api/portal/accounts":                  web.Person,
	"POST /api/portal/account":                  web.Person,
	"GET /api/portal/me":                        web.Contact,
	"GET /api/portal/grantable":                 web.Contact,
	"GET /api/portal/services":                  web.Contact,
	"GET /api/portal/invoices":                  web.Contact,
	"GET /api/portal/quotes":                    web.Contact,
	"GET /api/portal/support":                   web.Contact,
	"POST /api/portal/support":                  web.Contact,
	"GET /api/portal/profile":                   web.Contact,
	"PATCH /api/portal/profile":                 web.Contact,
	// The client area's actions (issue 11).
	"GET /api/portal/services/{id}":                        web.Contact,
	"PATCH /api/portal/services/{id}/settings":             web.Contact,
	"POST /api/portal/services/{id}/requests/{action}":     web.Contact,
	"POST /api/portal/services/{id}/cancellation":          web.Contact,
	"POST /api/portal/services/{id}/cancellation/withdraw": web.Contact,
	"GET /api/portal/products":                             web.Contact,
	"GET /api/portal/orders":                               web.Contact,
	"POST /api/portal/orders":                              web.Contact,
	"POST /api/portal/orders/{id}/withdraw":                web.Contact,
	"GET /api/portal/emails":                               web.Contact,
	"GET /api/portal/contacts":                             web.Contact,
	"POST /api/portal/contacts":                            web.Contact,
	"PATCH /api/portal/contacts/{id}":                      web.Contact,
	"DELETE /api/portal/contacts/{id}":                     web.Contact,
	"POST /api/portal/invitations":                         web.Contact,
	"GET /api/portal/invoices/{id}":                        web.Contact,
	"POST /api/portal/invoices/{id}/payment-report":        web.Contact,
	"GET /api/portal/support/{id}":                         web.Contact,
	"POST /api/portal/support/{id}/replies":                web.Contact,
	"POST /api/portal/support/{id}/close":                  web.Contact,
	"POST /api/portal/quotes/{id}/accept":                  web.Contact,
	"POST /api/portal/quotes/{id}/decline":                 web.Contact,
	"GET /api/service-kinds":                               web.Owner,
	"GET /api/services/{id}":                               web.Owner,
	"PATCH /api/services/{id}":                             web.Owner,
	"DELETE /api/services/{id}":                            web.Owner,
	"POST /api/service-changes/{id}/revert":                web.Owner,
	"GET /api/accounts/{id}/cancellations":                 web.Owner,
	"POST /api/cancellations/{id}/confirm":                 web.Owner,
	"POST /api/cancellations/{id}/decline":                 web.Owner,
	"GET /api/products":                                    web.Owner,
	"POST /api/products":                                   web.Owner,
	"PATCH /api/products/{id}":                             web.Owner,
	"DELETE /api/products/{id}":                            web.Owner,
	"GET /api/accounts/{id}/orders":                        web.Owner,
	"POST /api/orders/{id}/accept":                         web.Owner,
	"POST /api/orders/{id}/decline":                        web.Owner,
	"GET /api/invoices/{id}":                               web.Owner,
	"PATCH /api/invoices/{id}":                             web.Owner,
	"DELETE /api/invoices/{id}":                            web.Owner,
	"POST /api/invoices/{id}/mark-paid":                    web.Owner,
	"POST /api/invoices/{id}/mark-unpaid":                  web.Owner,
	"POST /api/invoices/{id}/confirm-payment":              web.Owner,
	"POST /api/invoices/{id}/reject-payment":               web.Owner,
	"GET /api/accounts/{id}/emails":                        web.Owner,
	"GET /api/support/{id}":                                web.Owner,
	"POST /api/support/{id}/replies":                       web.Owner,
	"POST /api/support/{id}/status":                        web.Owner,
	"PATCH /api/support/{id}":                              web.Owner,
	"DELETE /api/support/{id}":                             web.Owner,
	"PATCH /api/quotes/{id}":                               web.Owner,
	"DELETE /api/quotes/{id}":                              web.Owner,
	"GET /api/settings/payments":                           web.Owner,
	"PUT /api/settings/payments":                           web.Owner,
	"GET /api/settings/notices":                            web.Owner,
	"PUT /api/settings/notices":                            web.Owner,
	"POST /api/unlock":                                     web.Desktop,
	"POST /api/lock":                                       web.Desktop,
	"GET /api/publish":                                     web.Desktop,
	"PUT /api/publish":                                     web.Desktop,
	"POST /api/publish/check":                              web.Desktop,
	// Sync with a hub: the desktop's pairing calls carry their own
	// credential (the code, then the leaf secret), checked by the hub.
	"POST /api/sync/pair":                 web.Public,
	"POST /api/sync/unpair":               web.Public,
	"GET /api/sync/hub":                   web.Owner,
	"POST /api/sync/hub/code":             web.Owner,
	"DELETE /api/sync/hub/peers/{origin}": web.Owner,
	"GET /api/sync":                       web.Desktop,
	"POST /api/sync/connect":              web.Desktop,
	"POST /api/sync/disconnect":           web.Desktop,
}

type env struct {
	t    *testing.T
	app  *core.App
	api  *web.API
	srv  *httptest.Server
	now  time.Time
	smtp *mailtest.SMTP // after startMail

	clock sync.Mutex // e.now is read by the core's workers too: set it with setNow
}

func (e *env) setNow(t time.Time) {
	e.clock.Lock()
	e.now = t
	e.clock.Unlock()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	return openEnv(t)
}

// openEnv is newEnv with the secret store the environment gives.
func openEnv(t *testing.T) *env {
	t.Helper()
	app, err := core.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	e := &env{t: t, app: app, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	app.SetClock(func() time.Time {
		e.clock.Lock()
		defer e.clock.Unlock()
		return e.now
	})
	e.api = web.NewAPI(app, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assets := fstest.MapFS{
		"index.html":    {Data: []byte(indexHTML)},
		"assets/app.js": {Data: []byte("console.log('grantbook')")},
	}
	e.srv = httptest.NewServer(web.NewServer(e.api, assets, token))
	t.Cleanup(e.srv.Close)
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

func (r resp) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d: %v\n%s", r.status, err, r.body)
	}
}

// errorOf returns the code and field of an error response.
func (r resp) errorOf(t *testing.T) (code, field string) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	r.into(t, &e)
	if e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("response %d is not an error with code and message: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error served as %q", ct)
	}
	return e.Error.Code, e.Error.Field
}

// raw sends body as is (string) or as JSON (anything else); auth is the
// whole Authorization header ("" for none).
func (e *env) raw(method, path string, body any, auth string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.raw(method, path, body, "Bearer "+token)
}

// ok sends an authorised request and requires the status.
func (e *env) ok(status int, method, path string, body any) resp {
	e.t.Helper()
	r := e.do(method, path, body)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, status, r.body)
	}
	return r
}

// counts reads the audit total and the number of contacts through the API.
func (e *env) counts() (audit, contacts int) {
	e.t.Helper()
	var a struct{ Total int }
	e.ok(200, "GET", "/api/audit?limit=1", nil).into(e.t, &a)
	var c struct{ Total int }
	e.ok(200, "GET", "/api/contacts?limit=1", nil).into(e.t, &c)
	return a.Total, c.Total
}

func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return method, strings.ReplaceAll(path, "{id}", "1")
}

func TestEveryRouteHasAnAuthDecision(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for _, r := range append(e.api.Routes(), newWindow(e).Routes()...) {
		if seen[r.Pattern] {
			t.Errorf("route %q listed twice", r.Pattern)
		}
		seen[r.Pattern] = true
		want, listed := routeAuth[r.Pattern]
		if !listed {
			t.Errorf("route %q (auth %q) is not in this test's auth table: decide who may call it and add it", r.Pattern, r.Auth)
			continue
		}
		if r.Auth != want {
			t.Errorf("route %q: Auth=%q, the table says %q", r.Pattern, r.Auth, want)
		}
		if r.Handler == nil {
			t.Errorf("route %q has no handler", r.Pattern)
		}
		// The portal is the only place for contact routes, and owner routes
		// never live there.
		_, path := concrete(r.Pattern)
		session := r.Auth == web.Contact || r.Auth == web.Person
		if portal := strings.HasPrefix(path, "/api/portal/"); (r.Auth == web.Owner && portal) || (session && !portal) {
			t.Errorf("route %q: auth %q does not fit its path", r.Pattern, r.Auth)
		}
	}
	for p := range routeAuth {
		if !seen[p] {
			t.Errorf("the table lists %q, which neither API.Routes() nor Window.Routes() serves", p)
		}
	}
}

func TestHealthNeedsNoToken(t *testing.T) {
	e := newEnv(t)
	for _, auth := range []string{"", "Bearer wrong"} {
		r := e.raw("GET", "/api/health", nil, auth)
		if r.status != 200 {
			t.Fatalf("health with auth %q: %d %s", auth, r.status, r.body)
		}
		m := r.json(t)
		if m["status"] != "ok" || m["version"] != version.Version || version.Version == "" {
			t.Errorf("health %v, want status ok and version %q", m, version.Version)
		}
	}
}

// serve calls a Server directly, from the given client address.
func serve(h http.Handler, method, path, body, auth, remote string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8765"+path, rd)
	req.RemoteAddr = remote
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func recError(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	code, _ := resp{rec.Code, rec.Header(), rec.Body.Bytes()}.errorOf(t)
	return code
}

func TestOwnerRoutesRefuseBadTokens(t *testing.T) {
	e := newEnv(t)
	assets := fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}
	badAuth := []string{
		"",                  // missing
		"Bearer wrong",      // wrong
		"Bearer",            // no token
		"Bearer ",           // empty token
		"Bearer tokk",       // longer
		"Bearer to",         // prefix
		token,               // no scheme
		"Basic " + token,    // other scheme
		"Bearer TOK",        // other case
		"Bearertok",         // no space
		"Bearer tok, extra", //
	}
	audit0, contacts0 := e.counts()
	for _, r := range e.api.Routes() {
		method, path := concrete(r.Pattern)
		body := ""
		if method == "POST" || method == "PUT" || method == "PATCH" {
			body = "{}"
		}
		if r.Auth != web.Owner {
			if rec := serve(web.NewServer(e.api, assets, token), method, path, body, "", "192.0.2.1:1"); rec.Code == http.StatusUnauthorized &&
				r.Auth == web.Public {
				t.Errorf("public route %s refused without a token", r.Pattern)
			}
			continue
		}
		// A fresh server per route keeps the wrong-token limiter out of the way.
		srv := web.NewServer(e.api, assets, token)
		for _, auth := range badAuth {
			rec := serve(srv, method, path, body, auth, "192.0.2.1:1")
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %q: status %d, want 401\n%s", method, path, auth, rec.Code, rec.Body)
				continue
			}
			if code := recError(t, rec); code != "unauthorized" {
				t.Errorf("%s %s: code %q, want unauthorized", method, path, code)
			}
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", method, path, rec.Header().Get("WWW-Authenticate"))
			}
		}
	}
	// Unknown /api paths are behind the token too: they reveal nothing.
	if rec := serve(web.NewServer(e.api, assets, token), "GET", "/api/secrets", "", "", "192.0.2.1:1"); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown API path without token: %d", rec.Code)
	}
	if a, c := e.counts(); a != audit0 || c != contacts0 {
		t.Errorf("refused requests wrote something: audit %d→%d contacts %d→%d", audit0, a, contacts0, c)
	}
}

func TestContactRoutesNeedASession(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}, token)
	for _, r := range e.api.Routes() {
		if r.Auth != web.Contact && r.Auth != web.Person {
			continue
		}
		method, path := concrete(r.Pattern)
		body := ""
		if method != "GET" {
			body = "{}"
		}
		for _, tc := range []struct {
			name   string
			auth   string
			cookie *http.Cookie
		}{
			{"nothing", "", nil},
			{"owner token only", "Bearer " + token, nil},
			{"forged session", "Bearer " + token, &http.Cookie{Name: web.SessionCookie, Value: "forged-session-value"}},
		} {
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			rec := serve(srv, method, path, body, tc.auth, "192.0.2.2:1", cookies...)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d, want 401\n%s", method, path, tc.name, rec.Code, rec.Body)
				continue
			}
			if code := recError(t, rec); code != "unauthorized" {
				t.Errorf("%s %s with %s: code %q", method, path, tc.name, code)
			}
		}
	}
}

func TestWrongTokensAreRateLimited(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}, token)
	const attacker, other = "198.51.100.7:4000", "198.51.100.8:4000"
	for i := 1; i <= 20; i++ {
		if rec := serve(srv, "GET", "/api/accounts", "", "Bearer guess"+fmt.Sprint(i), attacker); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i, rec.Code)
		}
	}
	rec := serve(srv, "GET", "/api/accounts", "", "Bearer guess21", attacker)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("21st wrong token in a minute: %d, want 429", rec.Code)
	}
	if code := recError(t, rec); code != "rate_limited" {
		t.Errorf("code %q, want rate_limited", code)
	}
	// The limit is per address, and only wrong tokens count.
	if rec := serve(srv, "GET", "/api/accounts", "", "Bearer wrong", other); rec.Code != http.StatusUnauthorized {
		t.Errorf("another address: %d, want 401", rec.Code)
	}
	// Locked out: even the right token is refused, so a late lucky guess
	// is worth nothing.
	rec = serve(srv, "GET", "/api/accounts", "", "Bearer "+token, attacker)
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("the right token from the limited address: %d, want 429", rec.Code)
	}
	if rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "minute") {
		t.Errorf("no Retry-After or no wait in the message: %q %s", rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := serve(srv, "GET", "/api/health", "", "", attacker); rec.Code != http.StatusOK {
		t.Errorf("health from the limited address: %d, want 200", rec.Code)
	}
}

func TestServerWithEmptyTokenRefusesEveryone(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}, "")
	// Called directly: over a socket "Bearer " would lose its trailing space.
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer  "} {
		if rec := serve(srv, "GET", "/api/accounts", "", auth, "192.0.2.3:1"); rec.Code != http.StatusUnauthorized {
			t.Errorf("empty server token, Authorization %q: %d, want 401", auth, rec.Code)
		}
	}
}

func TestValidTokenIsAccepted(t *testing.T) {
	e := newEnv(t)
	for _, auth := range []string{"Bearer " + token, "Bearer  " + token + " "} {
		if r := e.raw("GET", "/api/accounts", nil, auth); r.status != 200 {
			t.Errorf("Authorization %q: %d %s", auth, r.status, r.body)
		}
	}
}

// Shapes used by the end-to-end test.
type account struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"created_at"`
	ServiceCount int       `json:"service_count"`
	ContactCount int       `json:"contact_count"`
}

type service struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
}

type contact struct {
	ID              int64  `json:"id"`
	AccountID       int64  `json:"account_id"`
	AccountType     string `json:"account_type"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Email           string `json:"email"`
	Phone           string `json:"phone"`
	Company         string `json:"company"`
	Role            string `json:"role"`
	Status          string `json:"status"`
	EffectiveStatus string `json:"effective_status"`
	Grant           struct {
		Preset      string   `json:"preset"`
		Permissions []string `json:"permissions"`
		AllServices bool     `json:"all_services"`
		ServiceIDs  []int64  `json:"service_ids"`
		ExpiresAt   *string  `json:"expires_at"`
	} `json:"grant"`
	Admin *struct {
		All   bool     `json:"all"`
		Areas []string `json:"areas"`
	} `json:"admin"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type checkResult struct {
	Allowed *bool  `json:"allowed"`
	Reason  string `json:"reason"`
}

func (e *env) check(q string) checkResult {
	e.t.Helper()
	var c checkResult
	e.ok(200, "GET", "/api/check?"+q, nil).into(e.t, &c)
	if c.Allowed == nil || c.Reason == "" {
		e.t.Fatalf("check %s: %+v", q, c)
	}
	return c
}

func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	audit0, _ := e.counts()
	writes := 0

	// The owner's time zone: a plain date lasts through that day there.
	e.ok(200, "PUT", "/api/settings/time-zone", map[string]any{"time_zone": "America/New_York"})
	writes++
	if tz := e.ok(200, "GET", "/api/settings/time-zone", nil).json(t); tz["time_zone"] != "America/New_York" || tz["effective"] != "America/New_York" {
		t.Errorf("time zone %v", tz)
	}
	if r := e.do("PUT", "/api/settings/time-zone", map[string]any{"time_zone": "Mars/Olympus"}); r.status != 422 {
		t.Errorf("a zone that does not exist: %d", r.status)
	}

	// Accounts.
	var acc account
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme Ltd"}).into(t, &acc)
	writes++
	if acc.ID <= 0 || acc.Name != "Acme Ltd" || acc.ServiceCount != 0 || acc.ContactCount != 0 || !acc.CreatedAt.Equal(e.now.Truncate(time.Second)) {
		t.Errorf("created account %+v", acc)
	}
	var other account
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other Co"}).into(t, &other)
	writes++
	var accs struct{ Accounts []account }
	e.ok(200, "GET", "/api/accounts", nil).into(t, &accs)
	if len(accs.Accounts) != 2 || accs.Accounts[0].ID != acc.ID || accs.Accounts[1].ID != other.ID {
		t.Errorf("accounts %+v", accs.Accounts)
	}

	// Services.
	base := fmt.Sprintf("/api/accounts/%d", acc.ID)
	var dom, host, foreign service
	e.ok(201, "POST", base+"/services", map[string]any{"name": "example.com", "kind": "domain", "status": "active"}).into(t, &dom)
	e.ok(201, "POST", base+"/services", map[string]any{"name": "Hosting plan"}).into(t, &host)
	e.ok(201, "POST", fmt.Sprintf("/api/accounts/%d/services", other.ID), map[string]any{"name": "other.com", "kind": "domain"}).into(t, &foreign)
	writes += 3
	if dom.AccountID != acc.ID || dom.Kind != "domain" || dom.Status != "active" || dom.Name != "example.com" {
		t.Errorf("service %+v", dom)
	}
	if host.Kind != "other" || host.Status != "active" {
		t.Errorf("defaults not applied: %+v", host)
	}
	var svcs struct{ Services []service }
	e.ok(200, "GET", base+"/services", nil).into(t, &svcs)
	if len(svcs.Services) != 2 {
		t.Errorf("services %+v", svcs.Services)
	}

	// Contacts: the documented example.
	var ada contact
	e.ok(201, "POST", "/api/contacts", map[string]any{
		"account_id": acc.ID, "account_type": "individual",
		"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
		"phone": "+44 20 7946 0000", "company": "Analytical Ltd", "role": "accountant",
		"preset": "billing", "permissions": []string{"invoices.view"},
		"service_ids": []int64{dom.ID}, "expires_at": "2026-12-31",
		"admin": map[string]any{"areas": []string{"orders", "reports"}},
	}).into(t, &ada)
	writes++
	if ada.ID <= 0 || ada.AccountID != acc.ID || ada.FirstName != "Ada" || ada.Email != "ada@example.com" || ada.Role != "accountant" ||
		ada.Phone != "+44 20 7946 0000" || ada.Company != "Analytical Ltd" || ada.Status != "active" || ada.EffectiveStatus != "active" {
		t.Errorf("contact %+v", ada)
	}
	if g := ada.Grant; g.Preset != "billing" || !slices.Equal(g.Permissions, []string{"emails.view", "invoices.pay", "invoices.view", "quotes.view"}) ||
		g.AllServices || !slices.Equal(g.ServiceIDs, []int64{dom.ID}) || g.ExpiresAt == nil || *g.ExpiresAt != "2027-01-01T05:00:00Z" {
		t.Errorf("grant %+v", g)
	}
	if ada.Admin == nil || ada.Admin.All || !slices.Equal(ada.Admin.Areas, []string{"orders", "reports"}) {
		t.Errorf("admin %+v", ada.Admin)
	}

	var grace, linus contact
	e.ok(201, "POST", "/api/contacts", map[string]any{
		"account_id": acc.ID, "account_type": "company", "first_name": "Grace", "last_name": "Hopper",
		"email": "grace@navy.example", "company": "Navy", "preset": "custom",
		"permissions": []string{"services.view", "support.open"}, "admin": map[string]any{"all": true},
	}).into(t, &grace)
	e.ok(201, "POST", "/api/contacts", map[string]any{
		"account_id": other.ID, "first_name": "Linus", "last_name": "Torvalds", "email": "ada@example.com", "preset": "technical",
	}).into(t, &linus)
	writes += 2
	if !slices.Equal(grace.Grant.Permissions, []string{"services.view", "support.open"}) || !grace.Grant.AllServices ||
		grace.Grant.ServiceIDs == nil || grace.Admin == nil || !grace.Admin.All || grace.Grant.ExpiresAt != nil {
		t.Errorf("grace %+v admin %+v", grace.Grant, grace.Admin)
	}

	var got contact
	e.ok(200, "GET", fmt.Sprintf("/api/contacts/%d", ada.ID), nil).into(t, &got)
	if got.ID != ada.ID || got.Email != ada.Email || got.Grant.Preset != "billing" {
		t.Errorf("get contact %+v", got)
	}
	e.ok(200, "GET", base, nil).into(t, &acc)
	if acc.ServiceCount != 2 || acc.ContactCount != 2 {
		t.Errorf("account counts %+v", acc)
	}

	// Listing with filters.
	list := func(q string) (ids []int64, total int) {
		t.Helper()
		var l struct {
			Contacts []contact
			Total    int
		}
		e.ok(200, "GET", "/api/contacts?"+q, nil).into(t, &l)
		for _, c := range l.Contacts {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids, l.Total
	}
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"", []int64{ada.ID, grace.ID, linus.ID}},
		{fmt.Sprintf("account_id=%d", acc.ID), []int64{ada.ID, grace.ID}},
		{"q=LOVELACE", []int64{ada.ID}},
		{"q=" + url.QueryEscape("ada@EXAMPLE"), []int64{ada.ID, linus.ID}},
		{"q=navy", []int64{grace.ID}},
		{"preset=custom", []int64{grace.ID}},
		{"status=active", []int64{ada.ID, grace.ID, linus.ID}},
		{"status=expired", nil},
		{fmt.Sprintf("account_id=%d&q=ada&preset=billing&status=active", acc.ID), []int64{ada.ID}},
	} {
		ids, total := list(tc.q)
		if !slices.Equal(ids, tc.want) || total != len(tc.want) {
			t.Errorf("list %q: %v (total %d), want %v", tc.q, ids, total, tc.want)
		}
	}
	if ids, total := list("limit=1&offset=1"); len(ids) != 1 || total != 3 {
		t.Errorf("paging: %v total %d", ids, total)
	}

	// Lookup.
	var lk struct {
		Found   bool
		Contact *contact
	}
	e.ok(200, "GET", fmt.Sprintf("/api/contacts/lookup?email=%s&account_id=%d", url.QueryEscape("ADA@Example.com"), other.ID), nil).into(t, &lk)
	if !lk.Found || lk.Contact == nil || lk.Contact.ID != linus.ID {
		t.Errorf("lookup preferring other account: %+v", lk)
	}
	lk = struct {
		Found   bool
		Contact *contact
	}{}
	r := e.ok(200, "GET", "/api/contacts/lookup?email=nobody%40example.com", nil)
	r.into(t, &lk)
	if lk.Found || lk.Contact != nil || strings.Contains(string(r.body), "contact") {
		t.Errorf("lookup of unknown address: %s", r.body)
	}

	// Check and the access table.
	adaQ := fmt.Sprintf("contact_id=%d", ada.ID)
	if c := e.check(adaQ + "&permission=services.cancel"); *c.Allowed || c.Reason != "denied: grant is Billing; services.cancel not included" {
		t.Errorf("check services.cancel: %+v", c)
	}
	if c := e.check(adaQ + "&permission=invoices.pay&service_id=" + fmt.Sprint(dom.ID)); !*c.Allowed {
		t.Errorf("check invoices.pay on selected service: %+v", c)
	}
	if c := e.check(adaQ + "&permission=invoices.pay&service_id=" + fmt.Sprint(host.ID)); *c.Allowed || !strings.Contains(c.Reason, "not among the grant's selected services") {
		t.Errorf("check invoices.pay on unselected service: %+v", c)
	}
	if c := e.check(adaQ + "&permission=admin.orders"); !*c.Allowed {
		t.Errorf("check admin.orders: %+v", c)
	}
	if c := e.check(adaQ + "&permission=admin.users"); *c.Allowed {
		t.Errorf("check admin.users: %+v", c)
	}

	var table struct {
		Rows []struct {
			Permission, Label, Reason string
			Allowed                   *bool
		}
	}
	e.ok(200, "GET", fmt.Sprintf("/api/contacts/%d/access", ada.ID), nil).into(t, &table)
	byName := map[string]bool{}
	for _, row := range table.Rows {
		if row.Allowed == nil || row.Label == "" || row.Reason == "" {
			t.Errorf("row %+v", row)
			continue
		}
		byName[row.Permission] = *row.Allowed
	}
	billing := map[string]bool{"invoices.view": true, "invoices.pay": true, "quotes.view": true, "emails.view": true}
	for _, info := range permission.All() {
		allowed, ok := byName[info.Name]
		if !ok {
			t.Errorf("access table lacks %s", info.Name)
		} else if allowed != billing[info.Name] {
			t.Errorf("access table: %s allowed=%v", info.Name, allowed)
		}
	}
	e.ok(200, "GET", fmt.Sprintf("/api/contacts/%d/access?service_id=%d", ada.ID, host.ID), nil).into(t, &table)
	for _, row := range table.Rows {
		if row.Permission == "invoices.pay" && *row.Allowed {
			t.Errorf("invoices.pay allowed on an unselected service")
		}
	}

	// Expiry, through the clock.
	e.setNow(time.Date(2027, 1, 1, 4, 59, 59, 0, time.UTC))
	if c := e.check(adaQ + "&permission=invoices.view"); !*c.Allowed {
		t.Errorf("check on the last second of the last day in New York: %+v", c)
	}
	e.setNow(time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC))
	if c := e.check(adaQ + "&permission=invoices.view"); *c.Allowed || c.Reason != "denied: grant was valid through 2026-12-31" {
		t.Errorf("check after expiry: %+v", c)
	}
	if ids, _ := list("status=expired"); !slices.Equal(ids, []int64{ada.ID}) {
		t.Errorf("expired list %v", ids)
	}
	e.ok(200, "GET", fmt.Sprintf("/api/contacts/%d", ada.ID), nil).into(t, &got)
	if got.EffectiveStatus != "expired" || got.Status != "active" {
		t.Errorf("after expiry: status %q effective %q", got.Status, got.EffectiveStatus)
	}

	// Patch semantics.
	path := fmt.Sprintf("/api/contacts/%d", ada.ID)
	e.ok(200, "PATCH", path, `{"first_name":"Augusta Ada"}`).into(t, &got)
	writes++
	if got.FirstName != "Augusta Ada" || got.LastName != "Lovelace" || got.Phone != ada.Phone || got.Grant.ExpiresAt == nil ||
		got.Admin == nil || !slices.Equal(got.Grant.ServiceIDs, []int64{dom.ID}) {
		t.Errorf("patch first_name changed other fields: %+v", got)
	}
	e.ok(200, "PATCH", path, `{"expires_at":null}`).into(t, &got)
	writes++
	if got.Grant.ExpiresAt != nil || got.EffectiveStatus != "active" || got.Admin == nil {
		t.Errorf("after expires_at null: %+v", got)
	}
	if c := e.check(adaQ + "&permission=invoices.view"); !*c.Allowed {
		t.Errorf("check after removing expiry: %+v", c)
	}
	e.ok(200, "PATCH", path, `{"admin":null}`).into(t, &got)
	writes++
	if got.Admin != nil || got.Grant.Preset != "billing" {
		t.Errorf("after admin null: %+v", got)
	}
	if c := e.check(adaQ + "&permission=admin.orders"); *c.Allowed {
		t.Errorf("admin.orders after removing admin: %+v", c)
	}
	e.ok(200, "PATCH", path, `{"status":"suspended"}`).into(t, &got)
	writes++
	if got.Status != "suspended" || got.EffectiveStatus != "suspended" {
		t.Errorf("after suspend: %+v", got)
	}
	if c := e.check(adaQ + "&permission=invoices.view"); *c.Allowed || !strings.Contains(c.Reason, "suspended") {
		t.Errorf("check while suspended: %+v", c)
	}
	if ids, _ := list("status=suspended"); !slices.Equal(ids, []int64{ada.ID}) {
		t.Errorf("suspended list %v", ids)
	}
	e.ok(200, "PATCH", path, `{"status":"active","preset":"full","service_ids":[]}`).into(t, &got)
	writes++
	if got.Status != "active" || got.Grant.Preset != "full" || !got.Grant.AllServices || len(got.Grant.Permissions) != len(permission.All()) {
		t.Errorf("after restore: %+v", got)
	}
	if c := e.check(adaQ + "&permission=services.cancel&service_id=" + fmt.Sprint(host.ID)); !*c.Allowed {
		t.Errorf("full grant, all services: %+v", c)
	}

	// Permissions catalog.
	var cat struct {
		Permissions []permission.Info
		Presets     []struct {
			Name, Label, Description string
			Permissions              []string
		}
		AdminAreas []permission.AdminArea `json:"admin_areas"`
	}
	e.ok(200, "GET", "/api/permissions", nil).into(t, &cat)
	if !slices.Equal(cat.Permissions, permission.All()) {
		t.Errorf("catalog permissions %+v", cat.Permissions)
	}
	if !slices.Equal(cat.AdminAreas, permission.AdminAreas()) {
		t.Errorf("catalog areas %+v", cat.AdminAreas)
	}
	if len(cat.Presets) != len(permission.Presets()) {
		t.Fatalf("catalog presets %+v", cat.Presets)
	}
	for i, p := range permission.Presets() {
		cp := cat.Presets[i]
		if cp.Name != p.Name || cp.Label != p.Label || cp.Description == "" || !slices.Equal(cp.Permissions, p.Set.Names()) || cp.Permissions == nil {
			t.Errorf("catalog preset %+v", cp)
		}
	}

	// Audit log.
	var audit struct {
		Entries []struct {
			ID       int64
			At       time.Time
			Actor    string
			Action   string
			Entity   string
			EntityID int64 `json:"entity_id"`
			Summary  string
			Before   json.RawMessage
			After    json.RawMessage
		}
		Total int
	}
	e.ok(200, "GET", "/api/audit?limit=500", nil).into(t, &audit)
	if audit.Total != audit0+writes || len(audit.Entries) != audit.Total {
		t.Errorf("audit total %d (%d entries), want %d", audit.Total, len(audit.Entries), audit0+writes)
	}
	for i := 1; i < len(audit.Entries); i++ {
		if audit.Entries[i-1].ID <= audit.Entries[i].ID {
			t.Errorf("audit not newest first at %d", i)
		}
	}
	for _, en := range audit.Entries {
		if en.Actor != "owner (web)" {
			t.Errorf("audit actor %q, want owner (web)", en.Actor)
		}
	}
	e.ok(200, "GET", fmt.Sprintf("/api/audit?entity=contact&entity_id=%d", ada.ID), nil).into(t, &audit)
	if audit.Total != 6 || audit.Entries[0].Action != "contact.update" || audit.Entries[len(audit.Entries)-1].Action != "contact.create" {
		t.Errorf("audit of ada: total %d", audit.Total)
	}
	if u := audit.Entries[0]; len(u.Before) == 0 || string(u.Before) == "null" || len(u.After) == 0 || string(u.After) == "null" {
		t.Errorf("update entry lacks before/after: %+v", u)
	}

	// Delete.
	a1, _ := e.counts()
	r = e.do("DELETE", path, nil)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	if r := e.do("GET", path, nil); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	} else if code, _ := r.errorOf(t); code != "not_found" {
		t.Errorf("get after delete: code %q", code)
	}
	if r := e.do("DELETE", path, nil); r.status != 404 {
		t.Errorf("second delete: %d", r.status)
	}
	if r := e.do("GET", fmt.Sprintf("/api/check?contact_id=%d&permission=invoices.view", ada.ID), nil); r.status != 404 {
		t.Errorf("check of deleted contact: %d", r.status)
	}
	e.ok(200, "GET", fmt.Sprintf("/api/audit?entity=contact&entity_id=%d&limit=1", ada.ID), nil).into(t, &audit)
	if a2, _ := e.counts(); a2 != a1+1 || audit.Entries[0].Action != "contact.delete" || string(audit.Entries[0].After) != "null" {
		t.Errorf("delete audit: %d→%d, %+v", a1, a2, audit.Entries[0])
	}
}

func TestErrorsWriteNothing(t *testing.T) {
	e := newEnv(t)
	var acc, other account
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).into(t, &acc)
	e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}).into(t, &other)
	var foreign service
	e.ok(201, "POST", fmt.Sprintf("/api/accounts/%d/services", other.ID), map[string]any{"name": "other.com"}).into(t, &foreign)
	var ada contact
	e.ok(201, "POST", "/api/contacts", map[string]any{"account_id": acc.ID, "first_name": "Ada", "last_name": "Lovelace",
		"email": "ada@example.com", "preset": "billing"}).into(t, &ada)
	var grace contact
	e.ok(201, "POST", "/api/contacts", map[string]any{"account_id": acc.ID, "first_name": "Grace", "last_name": "Hopper",
		"email": "grace@example.com", "preset": "full"}).into(t, &grace)

	valid := func(extra map[string]any) map[string]any {
		m := map[string]any{"account_id": acc.ID, "first_name": "New", "last_name": "Person", "email": "new@example.com", "preset": "billing"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	adaPath := fmt.Sprintf("/api/contacts/%d", ada.ID)
	big := `{"account_id":1,"first_name":"` + strings.Repeat("x", 2<<20) + `"}`

	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		{"not JSON", "POST", "/api/contacts", `{"account_id":`, 400, "bad_json", ""},
		{"empty body", "POST", "/api/contacts", "", 400, "bad_json", ""},
		{"array body", "POST", "/api/contacts", `[]`, 400, "bad_json", ""},
		{"wrong type", "POST", "/api/contacts", `{"account_id":"one"}`, 400, "bad_json", ""},
		{"unknown field", "POST", "/api/contacts", valid(map[string]any{"nickname": "x"}), 400, "bad_json", ""},
		{"trailing data", "POST", "/api/contacts", `{"account_id":1}{"account_id":2}`, 400, "bad_json", ""},
		{"body too large", "POST", "/api/contacts", big, 400, "bad_json", ""},
		{"missing names", "POST", "/api/contacts", valid(map[string]any{"first_name": nil}), 422, "invalid", "first_name"},
		{"missing account", "POST", "/api/contacts", valid(map[string]any{"account_id": nil}), 422, "invalid", "account_id"},
		{"unknown account", "POST", "/api/contacts", valid(map[string]any{"account_id": 9999}), 404, "not_found", "account_id"},
		{"missing email", "POST", "/api/contacts", valid(map[string]any{"email": nil}), 422, "invalid", "email"},
		{"bad email", "POST", "/api/contacts", valid(map[string]any{"email": "new at example"}), 422, "invalid", "email"},
		{"bad phone", "POST", "/api/contacts", valid(map[string]any{"phone": "ring ring"}), 422, "invalid", "phone"},
		{"missing preset", "POST", "/api/contacts", valid(map[string]any{"preset": nil}), 422, "invalid", "preset"},
		{"unknown preset", "POST", "/api/contacts", valid(map[string]any{"preset": "god"}), 422, "invalid", "preset"},
		{"custom without permissions", "POST", "/api/contacts", valid(map[string]any{"preset": "custom"}), 422, "invalid", "permissions"},
		{"unknown permission", "POST", "/api/contacts", valid(map[string]any{"preset": "custom", "permissions": []string{"invoices.burn"}}), 422, "unknown_permission", "permissions"},
		{"unknown admin area", "POST", "/api/contacts", valid(map[string]any{"admin": map[string]any{"areas": []string{"kitchen"}}}), 422, "unknown_permission", "admin"},
		{"service of another account", "POST", "/api/contacts", valid(map[string]any{"service_ids": []int64{foreign.ID}}), 422, "invalid", "service_ids"},
		{"bad expiry", "POST", "/api/contacts", valid(map[string]any{"expires_at": "31/12/2026"}), 422, "invalid", "expires_at"},
		{"expiry not a string", "POST", "/api/contacts", valid(map[string]any{"expires_at": 20261231}), 422, "invalid", "expires_at"},
		{"duplicate email", "POST", "/api/contacts", valid(map[string]any{"email": "ADA@example.com"}), 409, "conflict", "email"},
		{"blank account name", "POST", "/api/accounts", `{"name":"  "}`, 422, "invalid", "name"},
		{"account unknown field", "POST", "/api/accounts", `{"name":"X","id":5}`, 400, "bad_json", ""},
		{"bad service kind", "POST", fmt.Sprintf("/api/accounts/%d/services", acc.ID), `{"name":"x","kind":"boat"}`, 422, "invalid", "kind"},
		{"service of unknown account", "POST", "/api/accounts/9999/services", `{"name":"x"}`, 404, "not_found", ""},
		{"service with bad account id", "POST", "/api/accounts/abc/services", `{"name":"x"}`, 404, "not_found", ""},
		{"patch account_id", "PATCH", adaPath, fmt.Sprintf(`{"account_id":%d}`, other.ID), 400, "bad_json", ""},
		{"patch bad status", "PATCH", adaPath, `{"status":"invited"}`, 422, "invalid", "status"},
		{"patch duplicate email", "PATCH", adaPath, `{"email":"Grace@Example.com"}`, 409, "conflict", "email"},
		{"patch unknown permission", "PATCH", adaPath, `{"preset":"custom","permissions":["nope.nope"]}`, 422, "unknown_permission", "permissions"},
		{"patch bad expiry", "PATCH", adaPath, `{"expires_at":"soon"}`, 422, "invalid", "expires_at"},
		{"patch missing contact", "PATCH", "/api/contacts/9999", `{"first_name":"X"}`, 404, "not_found", ""},
		{"patch bad id", "PATCH", "/api/contacts/-1", `{"first_name":"X"}`, 404, "not_found", ""},
		{"delete missing contact", "DELETE", "/api/contacts/9999", nil, 404, "not_found", ""},
		{"get missing account", "GET", "/api/accounts/9999", nil, 404, "not_found", ""},
		{"list bad limit", "GET", "/api/contacts?limit=-1", nil, 422, "invalid", "limit"},
		{"list bad account", "GET", "/api/contacts?account_id=x", nil, 422, "invalid", "account_id"},
		{"list bad status", "GET", "/api/contacts?status=gone", nil, 422, "invalid", "status"},
		{"list bad preset", "GET", "/api/contacts?preset=god", nil, 422, "invalid", "preset"},
		{"lookup without email", "GET", "/api/contacts/lookup", nil, 422, "invalid", "email"},
		{"check unknown contact", "GET", "/api/check?contact_id=9999&permission=invoices.view", nil, 404, "not_found", ""},
		{"check unknown permission", "GET", fmt.Sprintf("/api/check?contact_id=%d&permission=invoices.burn", ada.ID), nil, 422, "unknown_permission", "permission"},
		{"check unknown admin area", "GET", fmt.Sprintf("/api/check?contact_id=%d&permission=admin.kitchen", ada.ID), nil, 422, "unknown_permission", "permission"},
		{"check without contact", "GET", "/api/check?permission=invoices.view", nil, 422, "invalid", "contact_id"},
		{"check without permission", "GET", fmt.Sprintf("/api/check?contact_id=%d", ada.ID), nil, 422, "invalid", "permission"},
		{"check unknown service", "GET", fmt.Sprintf("/api/check?contact_id=%d&permission=invoices.view&service_id=9999", ada.ID), nil, 404, "not_found", ""},
		{"access of missing contact", "GET", "/api/contacts/9999/access", nil, 404, "not_found", ""},
		{"audit bad entity id", "GET", "/api/audit?entity_id=x", nil, 422, "invalid", "entity_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			audit, contacts := e.counts()
			var before contact
			e.ok(200, "GET", adaPath, nil).into(t, &before)
			r := e.do(c.method, c.path, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d\n%s", r.status, c.status, r.body)
			}
			code, field := r.errorOf(t)
			if code != c.code || field != c.field {
				t.Errorf("error code=%q field=%q, want %q %q (%s)", code, field, c.code, c.field, r.body)
			}
			if a2, c2 := e.counts(); a2 != audit || c2 != contacts {
				t.Errorf("failed request wrote: audit %d→%d contacts %d→%d", audit, a2, contacts, c2)
			}
			var after contact
			e.ok(200, "GET", adaPath, nil).into(t, &after)
			bj, _ := json.Marshal(before)
			aj, _ := json.Marshal(after)
			if !bytes.Equal(bj, aj) {
				t.Errorf("failed request changed a contact:\n%s\n%s", bj, aj)
			}
		})
	}
}

func TestMethodNotAllowedAndUnknownPaths(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		allow        []string
	}{
		{"PUT", "/api/contacts/1", []string{"GET", "PATCH", "DELETE"}},
		{"POST", "/api/contacts/1", []string{"GET", "PATCH", "DELETE"}},
		{"DELETE", "/api/accounts", []string{"GET", "POST"}},
		{"PATCH", "/api/health", []string{"GET"}},
		{"POST", "/api/check", []string{"GET"}},
	} {
		r := e.do(tc.method, tc.path, "{}")
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405 (%s)", tc.method, tc.path, r.status, r.body)
			continue
		}
		if code, _ := r.errorOf(t); code != "method_not_allowed" {
			t.Errorf("%s %s: code %q", tc.method, tc.path, code)
		}
		allow := strings.Split(r.header.Get("Allow"), ", ")
		for _, m := range tc.allow {
			if !slices.Contains(allow, m) {
				t.Errorf("%s %s: Allow %q lacks %s", tc.method, tc.path, r.header.Get("Allow"), m)
			}
		}
		if slices.Contains(allow, tc.method) {
			t.Errorf("%s %s: Allow %q lists the refused method", tc.method, tc.path, r.header.Get("Allow"))
		}
	}
	for _, p := range []string{"/api/nope", "/api/contacts/1/nope", "/api/", "/api/accounts/1/services/2"} {
		r := e.do("GET", p, nil)
		if r.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.status)
			continue
		}
		if code, _ := r.errorOf(t); code != "not_found" {
			t.Errorf("GET %s: code %q", p, code)
		}
	}
}

func TestSPAAndSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	checkHeaders := func(what string, h http.Header) {
		t.Helper()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", what, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", what, h.Get("X-Content-Type-Options"))
		}
		if h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", what, h.Get("X-Frame-Options"))
		}
	}
	for _, p := range []string{"/", "/contacts/3", "/contacts", "/accounts/1/services", "/settings/"} {
		r := e.raw("GET", p, nil, "")
		if r.status != 200 || string(r.body) != indexHTML {
			t.Errorf("GET %s: %d %q, want index.html", p, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		checkHeaders("GET "+p, r.header)
	}
	r := e.raw("GET", "/assets/app.js", nil, "")
	if r.status != 200 || string(r.body) != "console.log('grantbook')" || !strings.Contains(r.header.Get("Content-Type"), "javascript") {
		t.Errorf("asset: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	checkHeaders("asset", r.header)
	if r := e.raw("POST", "/contacts/3", "x", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST to a page: %d", r.status)
	}
	checkHeaders("health", e.raw("GET", "/api/health", nil, "").header)
	checkHeaders("401", e.raw("GET", "/api/accounts", nil, "").header)
	r = e.do("GET", "/api/accounts", nil)
	checkHeaders("api", r.header)
	if r.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("API response headers %v", r.header)
	}
}
