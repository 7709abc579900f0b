package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/publish"
	"grantbook/backend/web"
)

const windowOrigin = "wails://wails"

// windowCall sends one request to the window's handler the way Wails' asset
// server does: no socket, the page's origin on state changes.
func windowCall(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = "wails"
	req.Header.Set("X-Requested-By", "grantbook")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newWindow(e *env) *web.Window {
	assets := fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}
	return web.NewWindow(web.NewAPI(e.app, slog.New(slog.DiscardHandler)), assets, windowOrigin)
}

func TestWindowIsTheOwnerWithoutAToken(t *testing.T) {
	e := newEnv(t)
	win := newWindow(e)
	if rec := windowCall(win, "POST", "/api/accounts", `{"name":"Desk Ltd"}`); rec.Code != 201 {
		t.Fatalf("create from the window: %d %s", rec.Code, rec.Body)
	}
	rec := windowCall(win, "GET", "/api/accounts", "")
	var out struct{ Accounts []struct{ Name string } }
	if json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != 200 || len(out.Accounts) != 1 || out.Accounts[0].Name != "Desk Ltd" {
		t.Fatalf("list from the window: %d %s", rec.Code, rec.Body)
	}
	var audit struct{ Entries []struct{ Actor string } }
	e.ok(200, "GET", "/api/audit?limit=1", nil).into(t, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != "owner" {
		t.Errorf("window actor %+v, want owner", audit.Entries)
	}
	// The same pages and headers as serve.
	if rec := windowCall(win, "GET", "/contacts/3", ""); rec.Code != 200 || rec.Body.String() != indexHTML ||
		!strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("page from the window: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	// The window is the owner; it never reaches the portal as a contact.
	if rec := windowCall(win, "GET", "/api/portal/me", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("portal through the window: %d %s", rec.Code, rec.Body)
	}
	// A real 404 and 405, not an empty answer.
	if rec := windowCall(win, "GET", "/api/nope", ""); rec.Code != 404 || recError(t, rec) != "not_found" {
		t.Errorf("unknown path: %d %s", rec.Code, rec.Body)
	}
	if rec := windowCall(win, "DELETE", "/api/accounts", ""); rec.Code != 405 {
		t.Errorf("wrong method: %d %s", rec.Code, rec.Body)
	}
}

func TestWindowRefusesOtherOrigins(t *testing.T) {
	e := newEnv(t)
	win := newWindow(e)
	for _, origin := range []string{"http://evil.example", "null", "wails://wails.evil.example", "http://127.0.0.1:8765"} {
		req := httptest.NewRequest("POST", "/api/accounts", strings.NewReader(`{"name":"Evil"}`))
		req.Header.Set("Origin", origin)
		req.Header.Set("X-Requested-By", "grantbook")
		rec := httptest.NewRecorder()
		win.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || recError(t, rec) != "csrf" {
			t.Errorf("origin %q: %d %s", origin, rec.Code, rec.Body)
		}
	}
	// A form that the web view was made to post: no header of ours.
	req := httptest.NewRequest("POST", "/api/accounts", strings.NewReader(`{"name":"Evil"}`))
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	win.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || recError(t, rec) != "csrf" {
		t.Errorf("a post without the header: %d %s", rec.Code, rec.Body)
	}
	var list struct{ Accounts []any }
	e.ok(200, "GET", "/api/accounts", nil).into(t, &list)
	if len(list.Accounts) != 0 {
		t.Errorf("a refused request wrote: %v", list.Accounts)
	}
}

func TestWindowRoutesAreOnlyInTheWindow(t *testing.T) {
	e := newEnv(t)
	for _, r := range newWindow(e).Routes() {
		if r.Auth != web.Desktop {
			t.Errorf("window route %q: auth %q", r.Pattern, r.Auth)
		}
		method, path := concrete(r.Pattern)
		if res := e.do(method, path, "{}"); res.status != 404 && res.status != 405 {
			t.Errorf("serve answers the window's %s: %d %s", r.Pattern, res.status, res.body)
		}
	}
}

func TestPassphraseLocksTheWindow(t *testing.T) {
	e := newEnv(t)
	win := newWindow(e)
	// Setting the first passphrase from the window keeps it open.
	if rec := windowCall(win, "PUT", "/api/lock", `{"current":"","passphrase":"correct horse"}`); rec.Code != 200 {
		t.Fatalf("set passphrase: %d %s", rec.Code, rec.Body)
	}
	if rec := windowCall(win, "GET", "/api/accounts", ""); rec.Code != 200 {
		t.Fatalf("right after setting it: %d %s", rec.Code, rec.Body)
	}

	if rec := windowCall(win, "POST", "/api/lock", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"locked":true`) {
		t.Fatalf("lock now: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/accounts"}, {"POST", "/api/accounts"}, {"GET", "/api/backup"}, {"PUT", "/api/lock"},
		{"GET", "/api/contacts/1"}, {"POST", "/api/restore"}, {"GET", "/api/nope"}, {"PUT", "/api/publish"}, {"GET", "/api/publish"},
	} {
		if rec := windowCall(win, tc.method, tc.path, `{}`); rec.Code != http.StatusLocked || recError(t, rec) != "locked" {
			t.Errorf("locked %s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
		}
	}
	if rec := windowCall(win, "GET", "/api/lock", ""); rec.Code != 200 {
		t.Errorf("lock status while locked: %d", rec.Code)
	}
	if win.Unlocked(t.Context()) {
		t.Error("Unlocked while locked")
	}
	rec := windowCall(win, "POST", "/api/unlock", `{"passphrase":"wrong horse"}`)
	if code, field := (resp{rec.Code, rec.Header(), rec.Body.Bytes()}).errorOf(t); rec.Code != 422 || code != "invalid" || field != "passphrase" {
		t.Fatalf("a wrong passphrase: %d %s", rec.Code, rec.Body)
	}
	if rec := windowCall(win, "GET", "/api/accounts", ""); rec.Code != http.StatusLocked {
		t.Errorf("after a wrong passphrase: %d", rec.Code)
	}
	if rec := windowCall(win, "POST", "/api/unlock", `{"passphrase":"correct horse"}`); rec.Code != 200 {
		t.Fatalf("the right passphrase: %d %s", rec.Code, rec.Body)
	}
	if rec := windowCall(win, "GET", "/api/accounts", ""); rec.Code != 200 {
		t.Errorf("after unlocking: %d %s", rec.Code, rec.Body)
	}
	// A new window on the same data starts locked; serve is not affected.
	if rec := windowCall(newWindow(e), "GET", "/api/accounts", ""); rec.Code != http.StatusLocked {
		t.Errorf("a fresh window: %d", rec.Code)
	}
	e.ok(200, "GET", "/api/accounts", nil)
}

// Wrong passphrases are limited in core: after a few the window refuses
// attempts for a growing time, says how long, and never sleeps.
func TestUnlockAttemptsAreLimited(t *testing.T) {
	e := newEnv(t)
	win := newWindow(e)
	if rec := windowCall(win, "PUT", "/api/lock", `{"current":"","passphrase":"correct horse"}`); rec.Code != 200 {
		t.Fatalf("set passphrase: %d %s", rec.Code, rec.Body)
	}
	windowCall(win, "POST", "/api/lock", "")
	for range 4 {
		if rec := windowCall(win, "POST", "/api/unlock", `{"passphrase":"wrong horse"}`); rec.Code != 422 {
			t.Fatalf("wrong passphrase: %d %s", rec.Code, rec.Body)
		}
	}
	rec := windowCall(win, "POST", "/api/unlock", `{"passphrase":"correct horse"}`)
	if rec.Code != 429 || !strings.Contains(rec.Body.String(), `"retry_after":1`) {
		t.Fatalf("right passphrase right after 4 wrong ones: %d %s", rec.Code, rec.Body)
	}
	if code, field := (resp{rec.Code, rec.Header(), rec.Body.Bytes()}).errorOf(t); code != "rate_limited" || field != "passphrase" {
		t.Errorf("error %s on %q", code, field)
	}
	if rec := windowCall(win, "GET", "/api/accounts", ""); rec.Code != http.StatusLocked {
		t.Errorf("still locked: %d", rec.Code)
	}
	e.now = e.now.Add(time.Second)
	if rec := windowCall(win, "POST", "/api/unlock", `{"passphrase":"correct horse"}`); rec.Code != 200 {
		t.Fatalf("after the wait: %d %s", rec.Code, rec.Body)
	}
}

// "Let contacts sign in" from the window: refused with the field to fix
// while the settings cannot serve, and the switch stays off.
func TestWindowPublishSwitch(t *testing.T) {
	e := newEnv(t)
	win := newWindow(e)
	if rec := windowCall(win, "GET", "/api/publish", ""); rec.Code != 404 {
		t.Errorf("without a publisher: %d", rec.Code)
	}
	win.Publish = publish.New(e.app, web.NewServer(e.api, testAssets, token, web.ContactsOnly()), publish.Options{})
	rec := windowCall(win, "PUT", "/api/publish", `{"on":true}`)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"field":"address"`) {
		t.Errorf("switching on without an address: %d %s", rec.Code, rec.Body)
	}
	// Off, the status says what switching on would refuse.
	var st publish.Status
	rec = windowCall(win, "GET", "/api/publish", "")
	if json.Unmarshal(rec.Body.Bytes(), &st); rec.Code != 200 || st.On || st.Serving || st.Field != "address" {
		t.Errorf("status: %d %+v", rec.Code, st)
	}
	if rec := windowCall(win, "POST", "/api/publish/check", ""); rec.Code != 422 {
		t.Errorf("self-check without an address: %d %s", rec.Code, rec.Body)
	}
}
