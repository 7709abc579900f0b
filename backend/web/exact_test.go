package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"grantbook/backend/core"
)

// TestExactRoutesAreTheMuxs checks that a request the server routes
// without the mux (one method, a literal path) goes where the mux would
// send it, for every route and every method, and that the others are left
// to the mux.
func TestExactRoutesAreTheMuxs(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	app, err := core.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	s := NewServer(NewAPI(app, nil), fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, strings.Repeat("t", MinTokenLength))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"}
	fast := 0
	for _, rt := range s.api.served {
		_, path, _ := strings.Cut(rt.Pattern, " ")
		paths := []string{path, path + "/", strings.ReplaceAll(path, "{id}", "7"), strings.ReplaceAll(path, "/api/", "/api/%61"),
			strings.ToUpper(path), path + "x"}
		for _, m := range methods {
			for _, p := range paths {
				r := httptest.NewRequest(m, "http://localhost"+strings.NewReplacer("{", "%7B", "}", "%7D").Replace(p), nil)
				h := s.exactRoute(r)
				if h == nil {
					continue
				}
				fast++
				_, want := s.mux.Handler(r)
				if r.Pattern != want {
					t.Errorf("%s %s: routed to %q, the mux chooses %q", m, r.URL.RequestURI(), r.Pattern, want)
				}
			}
		}
	}
	r := httptest.NewRequest("GET", "/api/check?contact_id=1", nil)
	if s.exactRoute(r) == nil || r.Pattern != "GET /api/check" {
		t.Fatalf("GET /api/check is not routed straight (%d requests were)", fast)
	}
	for _, u := range []string{"/api/che%63k", "/api/contacts/7"} {
		if s.exactRoute(httptest.NewRequest("GET", u, nil)) != nil {
			t.Errorf("GET %s skipped the mux", u)
		}
	}
	if s.exactRoute(httptest.NewRequest("HEAD", "/api/check", nil)) != nil {
		t.Error("HEAD skipped the mux (which answers it with the GET route)")
	}
}
