package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"grantbook/backend/core"
	"grantbook/backend/web"
)

// tokenEnv is a server on a real data folder whose owner token is tok.
type tokenEnv struct {
	t   *testing.T
	app *core.App
	srv *httptest.Server
}

func newTokenEnv(t *testing.T, tok func(*core.App) *web.OwnerToken) *tokenEnv {
	t.Helper()
	app := newEnv(t).app
	api := web.NewAPI(app, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(web.NewServerWithToken(api, fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}, tok(app)))
	t.Cleanup(srv.Close)
	return &tokenEnv{t, app, srv}
}

func (e *tokenEnv) call(method, path, tok string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func stored(t *testing.T) func(*core.App) *web.OwnerToken {
	return func(app *core.App) *web.OwnerToken {
		tok, err := web.StoredToken(context.Background(), app, false)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

func readTokenFile(t *testing.T, app *core.App) string {
	t.Helper()
	b, err := os.ReadFile(app.OwnerTokenPath())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(app.OwnerTokenPath()); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	return strings.TrimSpace(string(b))
}

func TestRotateTheStoredTokenThroughTheAPI(t *testing.T) {
	e := newTokenEnv(t, stored(t))
	old := readTokenFile(t, e.app)
	if len(old) < 43 {
		t.Fatalf("stored token %q is too short", old)
	}

	status, got := e.call("GET", "/api/settings/token", old)
	if status != 200 || got["token"] != old || got["source"] != web.TokenFromDataFolder {
		t.Fatalf("GET token: %d %v", status, got)
	}
	status, got = e.call("POST", "/api/settings/token", old)
	fresh, _ := got["token"].(string)
	if status != 200 || fresh == "" || fresh == old || got["source"] != web.TokenFromDataFolder {
		t.Fatalf("POST token: %d %v", status, got)
	}

	if status, _ := e.call("GET", "/api/accounts", old); status != 401 {
		t.Errorf("the old token after rotation: %d, want 401", status)
	}
	if status, _ := e.call("GET", "/api/accounts", fresh); status != 200 {
		t.Errorf("the new token: %d, want 200", status)
	}
	if f := readTokenFile(t, e.app); f != fresh {
		t.Errorf("file holds %q, want the new token %q", f, fresh)
	}
	// A restart reads the rotated token back.
	again, err := e.app.StoredOwnerToken()
	if err != nil || again != fresh {
		t.Errorf("stored token after rotation: %q, %v", again, err)
	}

	entries, _, err := e.app.Audit(context.Background(), core.AuditFilter{Entity: "settings"})
	if err != nil || len(entries) != 1 || entries[0].Action != "settings.token" || entries[0].Actor != "owner (web)" {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
	if js, _ := json.Marshal(entries[0]); strings.Contains(string(js), old) || strings.Contains(string(js), fresh) {
		t.Errorf("the audit row holds a token: %s", js)
	}
}

func TestAnEnvironmentTokenCannotBeRotated(t *testing.T) {
	const envTok = "token-from-the-environment-0123456789"
	e := newTokenEnv(t, func(*core.App) *web.OwnerToken { return web.FixedToken(envTok) })

	status, got := e.call("GET", "/api/settings/token", envTok)
	if status != 200 || got["token"] != envTok || got["source"] != web.TokenFromEnvironment {
		t.Fatalf("GET token: %d %v", status, got)
	}
	status, got = e.call("POST", "/api/settings/token", envTok)
	msg, _ := got["error"].(map[string]any)["message"].(string)
	if status != 409 || !strings.Contains(msg, "GRANTBOOK_TOKEN") {
		t.Errorf("POST token: %d %v, want 409 naming GRANTBOOK_TOKEN", status, got)
	}
	if status, _ := e.call("GET", "/api/accounts", envTok); status != 200 {
		t.Errorf("the environment token after a refused rotation: %d", status)
	}
	if _, err := os.Stat(filepath.Join(e.app.DataDir(), core.OwnerTokenFile)); !os.IsNotExist(err) {
		t.Errorf("a token file was written although GRANTBOOK_TOKEN is set: %v", err)
	}
}

func TestTheWindowHasNoToken(t *testing.T) {
	e := newEnv(t)
	// The window calls an API of its own, without a Server around it.
	api := web.NewAPI(e.app, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, method := range []string{"GET", "POST"} {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest(method, "/api/settings/token", nil))
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), "serve") {
			t.Errorf("%s in the window: %d %s", method, rec.Code, rec.Body)
		}
	}
}
