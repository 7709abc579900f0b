package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"grantbook/backend/web"
)

var testAssets = fstest.MapFS{"index.html": {Data: []byte(indexHTML)}}

// request calls h with the Host header and client address given.
func request(h http.Handler, method, path, host, remote string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.Host, req.RemoteAddr = host, remote
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestOnlyKnownHostsAreAnswered(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, testAssets, token, web.WithHosts("Grantbook.Example.com"))
	auth := map[string]string{"Authorization": "Bearer " + token}
	for _, host := range []string{"127.0.0.1", "127.0.0.1:8765", "localhost", "LOCALHOST:1", "[::1]", "[::1]:9",
		"grantbook.example.com", "GRANTBOOK.example.com:443"} {
		for _, path := range []string{"/api/health", "/api/accounts", "/portal"} {
			if rec := request(srv, "GET", path, host, "192.0.2.1:1", auth); rec.Code != 200 {
				t.Errorf("Host %q, GET %s: %d, want 200", host, path, rec.Code)
			}
		}
	}
	for _, host := range []string{"evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "grantbook.example.com.evil", "192.0.2.1", ""} {
		for _, path := range []string{"/api/health", "/api/accounts", "/portal", "/api/portal/me"} {
			rec := request(srv, "GET", path, host, "192.0.2.1:1", auth)
			if rec.Code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q, GET %s: %d, want 421", host, path, rec.Code)
				continue
			}
			if code := recError(t, rec); code != "misdirected" {
				t.Errorf("Host %q: code %q", host, code)
			}
		}
		rec := request(srv, "POST", "/api/portal/signin", host, "192.0.2.1:1", nil)
		if rec.Code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q, sign-in: %d, want 421", host, rec.Code)
		}
	}
	// Without --host only loopback names are answered.
	plain := web.NewServer(e.api, testAssets, token)
	if rec := request(plain, "GET", "/api/health", "grantbook.example.com", "192.0.2.1:1", nil); rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("unconfigured name: %d, want 421", rec.Code)
	}
}

// failWrongTokens sends wrong tokens through srv from peer with the given
// X-Forwarded-For until the limit answers 429; it returns how many got 401.
func failWrongTokens(t *testing.T, srv http.Handler, peer, xff string) int {
	t.Helper()
	hdr := map[string]string{"Authorization": "Bearer wrong"}
	if xff != "" {
		hdr["X-Forwarded-For"] = xff
	}
	for i := 0; i < 50; i++ {
		if rec := request(srv, "GET", "/api/accounts", "127.0.0.1", peer, hdr); rec.Code == http.StatusTooManyRequests {
			return i
		}
	}
	t.Fatalf("no limit after 50 wrong tokens from %s (X-Forwarded-For %q)", peer, xff)
	return 0
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	e := newEnv(t)
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	t.Run("untrusted peer: limits stay per peer", func(t *testing.T) {
		srv := web.NewServer(e.api, testAssets, token)
		hdr := func(i int) map[string]string {
			return map[string]string{"Authorization": "Bearer wrong", "X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}
		}
		for i := 1; i <= 20; i++ {
			request(srv, "GET", "/api/accounts", "127.0.0.1", "192.0.2.50:1", hdr(i))
		}
		if rec := request(srv, "GET", "/api/accounts", "127.0.0.1", "192.0.2.50:1", hdr(99)); rec.Code != http.StatusTooManyRequests {
			t.Errorf("a new X-Forwarded-For from an untrusted peer escaped the limit: %d", rec.Code)
		}
	})
	t.Run("trusted proxy: per client", func(t *testing.T) {
		srv := web.NewServer(e.api, testAssets, token, web.WithTrustedProxies(proxy))
		if n := failWrongTokens(t, srv, "10.1.2.3:5", "203.0.113.1, 10.9.9.9"); n != 20 {
			t.Errorf("client behind two proxies: limited after %d, want 20", n)
		}
		// Another client behind the same proxy is not locked out...
		if n := failWrongTokens(t, srv, "10.1.2.3:5", "203.0.113.2"); n != 20 {
			t.Errorf("second client: limited after %d, want 20", n)
		}
		// ...and one that writes a fake address to the left is still itself.
		rec := request(srv, "GET", "/api/accounts", "127.0.0.1", "10.1.2.3:5",
			map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": "198.51.100.1, 203.0.113.1"})
		if rec.Code != http.StatusTooManyRequests {
			t.Errorf("a spoofed left-hand address unlocked the client: %d", rec.Code)
		}
		rec = request(srv, "GET", "/api/accounts", "127.0.0.1", "10.1.2.3:5",
			map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": "203.0.113.3"})
		if rec.Code != http.StatusOK {
			t.Errorf("a third client with the right token: %d, want 200", rec.Code)
		}
	})
}

func TestSecureCookieOnlyForTrustedHTTPS(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, testAssets, token, web.WithTrustedProxies(netip.MustParsePrefix("10.0.0.1/32")))
	forged := map[string]string{"Cookie": web.SessionCookie + "=forged", "X-Forwarded-Proto": "https"}
	for _, tc := range []struct {
		peer   string
		secure bool
	}{{"10.0.0.1:1", true}, {"10.0.0.2:1", false}} {
		rec := request(srv, "GET", "/api/portal/me", "127.0.0.1", tc.peer, forged)
		c := rec.Header().Get("Set-Cookie")
		if !strings.HasPrefix(c, web.SessionCookie+"=;") || strings.Contains(c, "; Secure") != tc.secure {
			t.Errorf("peer %s with X-Forwarded-Proto https: Set-Cookie %q, want Secure=%v", tc.peer, c, tc.secure)
		}
	}
}
