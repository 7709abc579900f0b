package web_test

import (
	"net/http"
	"testing"

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
