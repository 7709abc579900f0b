package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestClientFromForwardedFor(t *testing.T) {
	trusted := proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		peer  string
		xff   []string
		proto string
		want  string
		https bool
	}{
		{"192.0.2.1:1", []string{"203.0.113.5"}, "https", "192.0.2.1", false}, // untrusted peer: headers ignored
		{"10.0.0.1:1", nil, "", "10.0.0.1", false},                            // trusted, no header
		{"10.0.0.1:1", []string{"203.0.113.5"}, "https", "203.0.113.5", true},
		{"10.0.0.1:1", []string{"198.51.100.1, 203.0.113.5"}, "", "203.0.113.5", false}, // the rightmost untrusted
		{"10.0.0.1:1", []string{"198.51.100.1", "203.0.113.5, 10.2.2.2"}, "", "203.0.113.5", false},
		{"10.0.0.1:1", []string{"10.3.3.3, 10.2.2.2"}, "", "10.3.3.3", false},             // all trusted: the leftmost
		{"10.0.0.1:1", []string{"203.0.113.5, garbage"}, "", "10.0.0.1", false},           // garbage: the last believable hop
		{"10.0.0.1:1", []string{"[2001:db8::1]:443"}, "http, https", "2001:db8::1", true}, // last proto wins
		{"[fd00::1]:1", []string{"203.0.113.5:7"}, "HTTPS", "203.0.113.5", true},
		{"[::ffff:10.0.0.1]:1", []string{"::ffff:203.0.113.5"}, "", "203.0.113.5", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if c := trusted.resolve(r); c.ip != tc.want || c.https != tc.https {
			t.Errorf("peer %s XFF %q proto %q: %+v, want %s https=%v", tc.peer, tc.xff, tc.proto, c, tc.want, tc.https)
		}
	}
}

func TestParseProxy(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.1": "10.0.0.1/32", "10.1.2.3/8": "10.0.0.0/8", "::1": "::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8"} {
		if p, err := ParseProxy(in); err != nil || p.String() != want {
			t.Errorf("ParseProxy(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "proxy.example", "10.0.0.0/33"} {
		if _, err := ParseProxy(bad); err == nil {
			t.Errorf("ParseProxy(%q) accepted", bad)
		}
	}
}

func TestLockoutOutlastsTheWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(3, time.Minute)
	l.lockout, l.now = 15*time.Minute, func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if !l.allow("a") {
			t.Fatalf("event %d refused", i+1)
		}
	}
	if l.allow("a") || l.blocked("a") != 15*time.Minute {
		t.Fatalf("fourth event: allowed or not locked for 15 minutes (%v)", l.blocked("a"))
	}
	now = now.Add(2 * time.Minute) // the counting window is over, the lockout is not
	if l.blocked("a") == 0 || l.allow("a") {
		t.Error("the lockout ended with the counting window")
	}
	now = now.Add(14 * time.Minute)
	if l.blocked("a") != 0 || !l.allow("a") {
		t.Error("still locked after the lockout")
	}
}

// ipString is the address's own String, whatever the peer's text.
func FuzzIPString(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "[::1]:443", "[::ffff:10.0.0.1]:1", "[fe80::1%eth0]:9", "[2001:DB8::1]:80",
		"[2001:db8:0:0:0:0:0:1]:80", "10.0.0.1", ":80", "", "1.2.3.4:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hostport string) {
		r := &http.Request{RemoteAddr: hostport}
		a := peerIP(r)
		if got, want := ipString(a, hostport), a.String(); got != want {
			t.Errorf("ipString(%v, %q) = %q, want %q", a, hostport, got, want)
		}
	})
}
