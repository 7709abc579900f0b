package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"grantbook/backend/openid"
	"grantbook/backend/web"
)

// The client area's address, set in Settings while serve runs, is answered
// for at once; the previous one stops being answered; bad input is a 422
// naming the field and changes nothing.
func TestClientAreaAddressFeedsTheHostCheck(t *testing.T) {
	e := newEnv(t)
	srv := web.NewServer(e.api, testAssets, token)
	health := func(host string) int { return request(srv, "GET", "/api/health", host, "192.0.2.1:1", nil).Code }
	if code := health("portal.example.com"); code != http.StatusMisdirectedRequest {
		t.Fatalf("before any address: %d, want 421", code)
	}

	got := e.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": " HTTPS://Portal.Example.com/portal/ ", "time_zone": "Europe/Paris"}).json(t)
	if got["address"] != "https://portal.example.com" || got["sign_in"] != "https://portal.example.com/portal" ||
		got["network"] != "public" || got["time_zone"] != "Europe/Paris" {
		t.Fatalf("PUT answered %v", got)
	}
	for _, host := range []string{"portal.example.com", "PORTAL.example.com:443", "portal.example.com."} {
		if code := health(host); code != 200 {
			t.Errorf("Host %q after setting the address: %d, want 200", host, code)
		}
	}
	if code := health("other.example.com"); code != http.StatusMisdirectedRequest {
		t.Errorf("another name: %d, want 421", code)
	}
	if got := e.ok(200, "GET", "/api/settings/client-area", nil).json(t); got["address"] != "https://portal.example.com" {
		t.Errorf("GET answered %v", got)
	}

	audit, _ := e.counts()
	for body, field := range map[string]string{
		`{"address":"http://portal.example.com"}`:                       "address",
		`{"address":"https://portal.example.com/admin"}`:                "address",
		`{"address":"https://portal.example.com","time_zone":"Mars/X"}`: "time_zone",
		`{"address":"https://10.0.0.5","certificate":"automatic"}`:      "certificate",
		`{"address":"https://portal.example.com","certificate":"mine"}`: "certificate",
	} {
		r := e.do("PUT", "/api/settings/client-area", body)
		if code, f := r.errorOf(t); r.status != http.StatusUnprocessableEntity || code != "invalid" || f != field {
			t.Errorf("PUT %s: %d %s %s, want 422 invalid on %s", body, r.status, code, f, field)
		}
	}
	if after, _ := e.counts(); after != audit {
		t.Errorf("refused settings wrote %d audit rows", after-audit)
	}

	e.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": "https://clients.example.org:8443"})
	if health("portal.example.com") != http.StatusMisdirectedRequest || health("clients.example.org:8443") != 200 {
		t.Error("the host check did not follow the new address")
	}
	e.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": ""})
	if health("clients.example.org") != http.StatusMisdirectedRequest {
		t.Error("an address removed is still answered for")
	}
}

// Grantbook has one public address: the client area's is the OpenID
// Connect issuer and where the owner's sites send visitors to sign in; the
// sites' own setting of it is gone.
func TestOnePublicAddress(t *testing.T) {
	se := newSiteEnv(t) // sets the client area's address to the server's
	p, err := openid.New(se.app)
	if err != nil {
		t.Fatal(err)
	}
	withOIDC := web.NewServer(se.api, testAssets, token, web.WithOpenID(p))
	issuer := func() (int, string) {
		r := request(withOIDC, "GET", "/.well-known/openid-configuration", "127.0.0.1", "127.0.0.1:1", nil)
		var d struct{ Issuer string }
		json.Unmarshal(r.Body.Bytes(), &d)
		return r.Code, d.Issuer
	}
	if code, iss := issuer(); code != 200 || iss != se.srv.URL {
		t.Errorf("discovery: %d issuer %q, want %s", code, iss, se.srv.URL)
	}
	if got := se.ok(200, "GET", "/api/sites", nil).json(t); got["issuer"] != se.srv.URL {
		t.Errorf("GET /api/sites issuer %v", got["issuer"])
	}
	b := se.browser()
	start := se.verify(b, "/admin/orders", nil).Header.Get("Location")
	if to := get(t, b, start).Header.Get("Location"); !strings.HasPrefix(to, se.srv.URL+"/auth/signin?") {
		t.Errorf("the site's start sent to %q, want the client area's address", to)
	}
	if r := se.do("PUT", "/api/settings/public-url", map[string]any{"public_url": "https://other.example.com"}); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Errorf("the old public-url route answers %d", r.status)
	}

	// Without an address: no issuer, and the site's start says where to set it.
	se.ok(200, "PUT", "/api/settings/client-area", map[string]any{"address": ""})
	if code, _ := issuer(); code != http.StatusNotFound {
		t.Errorf("discovery without an address: %d, want 404", code)
	}
	res, err := b.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "Settings → Client area") {
		t.Errorf("start without an address: %d %s", res.StatusCode, body)
	}
}
