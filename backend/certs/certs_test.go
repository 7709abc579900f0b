package certs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestCheckDomainsNormalises(t *testing.T) {
	got, err := CheckDomains([]string{" Portal.Example.COM. ", "portal.example.com", "bücher.example"})
	want := []string{"portal.example.com", "xn--bcher-kva.example"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CheckDomains: %q, %v; want %q", got, err, want)
	}
}

func newTestManager(t *testing.T, port string, domains ...string) *Manager {
	t.Helper()
	m, err := New(Config{Domains: domains, DataDir: t.TempDir(), CA: "https://ca.example/acme/directory", HTTPSPort: port})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHTTPRedirectsToHTTPS(t *testing.T) {
	for _, tc := range []struct {
		port, method, host, target string
		status                     int
		location                   string
	}{
		{"443", "GET", "portal.example.com", "/contacts?x=1", 301, "https://portal.example.com/contacts?x=1"},
		{"", "HEAD", "www.example.com", "/", 301, "https://www.example.com/"},
		{"8443", "GET", "portal.example.com:8080", "/portal", 301, "https://portal.example.com:8443/portal"},
		// Another name (an IP address, a forged Host) goes to the first name.
		{"443", "GET", "203.0.113.9", "/a", 301, "https://portal.example.com/a"},
		{"443", "GET", "evil.example.net", "/a", 301, "https://portal.example.com/a"},
		{"443", "POST", "portal.example.com", "/api/accounts", 400, ""},
	} {
		m := newTestManager(t, tc.port, "portal.example.com", "www.example.com")
		req := httptest.NewRequest(tc.method, "http://"+tc.host+tc.target, nil)
		rec := httptest.NewRecorder()
		m.HTTPHandler().ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
			t.Errorf("%s http://%s%s (https port %q): %d %q, want %d %q", tc.method, tc.host, tc.target, tc.port,
				rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
		}
	}
}

func TestChallengesOnlyForOurNames(t *testing.T) {
	m := newTestManager(t, "443", "portal.example.com")
	for host, want := range map[string]int{
		"portal.example.com":      http.StatusNotFound, // allowed, but no such token
		"portal.example.com:5002": http.StatusNotFound, // test CAs add their port
		"other.example.com":       http.StatusForbidden,
	} {
		rec := httptest.NewRecorder()
		m.HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "http://"+host+challengePrefix+"tok", nil))
		if rec.Code != want {
			t.Errorf("challenge for %s: %d, want %d", host, rec.Code, want)
		}
	}
	if err := hostPolicy(m.domains)(context.Background(), "other.example.com"); err == nil {
		t.Error("the host policy let another name through")
	}
}

func TestCacheIsPerCAAndPrivate(t *testing.T) {
	data := t.TempDir()
	a, err := cacheDir(data, LetsEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cacheDir(data, "https://acme-staging-v02.api.letsencrypt.org/directory")
	if a == b || filepath.Dir(a) != filepath.Join(data, "acme") || !strings.HasSuffix(a, "acme-v02.api.letsencrypt.org_directory") {
		t.Errorf("cache folders %q and %q", a, b)
	}
	if runtime.GOOS == "windows" {
		return
	}
	for _, d := range []string{filepath.Dir(a), a} {
		if st, _ := os.Stat(d); st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, st.Mode().Perm())
		}
	}
}
