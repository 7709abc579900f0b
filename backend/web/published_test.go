package web_test

import (
	"net/http"
	"strings"
	"testing"

	"grantbook/backend/web"
)

// The client area's published face has none of the owner's routes: each
// is a 404 with the owner's own token, which is never even compared (no
// failure is counted either). The client area's routes stay.
func TestContactsOnlyHasNoOwnerRoutes(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, testAssets, token, web.ContactsOnly())
	auth := map[string]string{"Authorization": "Bearer " + token}
	n := 0
	for _, r := range e.api.Routes() {
		if r.Auth != web.Owner {
			continue
		}
		method, path, _ := strings.Cut(r.Pattern, " ")
		path = strings.NewReplacer("{id}", "1", "{client_id}", "x", "{job_id}", "x", "{action}", "x").Replace(path)
		if got := request(srv, method, path, "127.0.0.1", "127.0.0.1:1", auth); got.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", r.Pattern, got.Code)
		}
		n++
	}
	if n < 40 {
		t.Fatalf("only %d owner routes tried", n)
	}
	for path, want := range map[string]int{"/api/health": 200, "/api/portal/me": 401, "/portal": 200, "/portal/x": 200, "/": 302, "/settings": 404} {
		if got := request(srv, "GET", path, "127.0.0.1", "127.0.0.1:1", nil); got.Code != want {
			t.Errorf("GET %s: %d, want %d", path, got.Code, want)
		}
	}
	// The same server without ContactsOnly serves the owner.
	if got := request(web.NewServer(e.api, testAssets, token), "GET", "/api/accounts", "127.0.0.1", "127.0.0.1:1", auth); got.Code != 200 {
		t.Errorf("owner route on the owner's server: %d", got.Code)
	}
}
