package address_test

import (
	"errors"
	"strings"
	"testing"

	"grantbook/backend/address"
)

func TestParseNormalises(t *testing.T) {
	cases := []struct {
		in, url string
		network address.Network
	}{
		{"https://portal.example.com", "https://portal.example.com", address.Public},
		{"  HTTPS://Portal.Example.COM/  ", "https://portal.example.com", address.Public},
		{"portal.example.com", "https://portal.example.com", address.Public},
		{"https://portal.example.com./portal/", "https://portal.example.com", address.Public},
		{"https://portal.example.com:443", "https://portal.example.com", address.Public},
		{"https://portal.example.com:8443/portal", "https://portal.example.com:8443", address.Public},
		{"https://bücher.example", "https://xn--bcher-kva.example", address.Public},
		{"http://localhost:8765", "http://localhost:8765", address.Loopback},
		{"http://127.0.0.1:80/", "http://127.0.0.1", address.Loopback},
		{"http://[::1]:8765", "http://[::1]:8765", address.Loopback},
		{"http://192.168.1.20:8765", "http://192.168.1.20:8765", address.LAN},
		{"https://10.0.0.5", "https://10.0.0.5", address.LAN},
		{"http://[fd00::5]:8080", "http://[fd00::5]:8080", address.LAN},
		{"http://nas:8765", "http://nas:8765", address.LAN},
		{"http://office.lan", "http://office.lan", address.LAN},
		{"http://grantbook.local:8765", "http://grantbook.local:8765", address.LAN},
		{"https://203.0.113.7", "https://203.0.113.7", address.Public},
	}
	for _, c := range cases {
		a, err := address.Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if a.URL != c.url || a.Network != c.network || a.SignIn() != c.url+"/portal" {
			t.Errorf("Parse(%q) = %+v, want %s on %s", c.in, a, c.url, c.network)
		}
	}
	a, _ := address.Parse("https://[2001:db8::1]:8443")
	if a.Host != "2001:db8::1" || a.Port != "8443" || a.Scheme != "https" {
		t.Errorf("IPv6 parts %+v", a)
	}
}

func TestParseRefuses(t *testing.T) {
	cases := map[string]string{
		"":                                      "give the address",
		"http://portal.example.com":             "use https://",
		"ftp://portal.example.com":              "starts with https://",
		"https://portal.example.com/app":        "root of its address",
		"https://portal.example.com/portal/x":   "root of its address",
		"https://portal.example.com/../portal":  "root of its address",
		"https://portal.example.com?next=/x":    "no query",
		"https://portal.example.com?":           "no query",
		"https://portal.example.com#top":        "no query, fragment",
		"https://user@portal.example.com":       "no spaces, @",
		"https://evil.example\\@portal.example": "backslashes",
		"https://portal%2eexample.com":          "%",
		"https://portal.example.com:0":          "port must be",
		"https://portal.example.com:65536":      "port must be",
		"https://portal.example.com:08443":      "port must be",
		"https://portal.example.com:x":          "port",
		"https://portal..example.com":           "not a host name",
		"https://-portal.example.com":           "not a host name",
		"https://portal_x.example.com":          "not a host name",
		"https://127.1":                         "looks like an IP address",
		"https://0x7f.0.0.1":                    "looks like an IP address",
		"https://0.0.0.0":                       "not an address contacts can reach",
		"https://[fe80::1%25eth0]":              "%",
		"https://::1":                           "",
		"https://portal.example.com\n.evil":     "no spaces",
		"https:///portal":                       "not an address",
		"https:portal.example.com":              "not an address",
		"https://" + strings.Repeat("a", 200):   "too long",
	}
	for in, want := range cases {
		_, err := address.Parse(in)
		var ae *address.Error
		if err == nil || !errors.As(err, &ae) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}

// Whatever comes in, what comes out parses again to itself and keeps to
// the form mails and the host check rely on.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"https://portal.example.com", "http://[::1]:8765/portal", "portal.example.com:8443",
		"https://a@b", "http://10.0.0.1", "https://xn--bcher-kva.example", "https://x/%2e%2e", "HTTPS://A.B./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, err := address.Parse(in)
		if err != nil {
			return
		}
		again, err := address.Parse(a.URL)
		if err != nil || again != a {
			t.Fatalf("Parse(%q) = %+v, but its URL parses to %+v, %v", in, a, again, err)
		}
		if strings.ContainsAny(a.URL, "?#@\\% \r\n") || strings.Count(a.URL, "/") != 2 || a.URL != strings.ToLower(a.URL) {
			t.Fatalf("Parse(%q) = %q", in, a.URL)
		}
		if a.Scheme == "http" && a.Network == address.Public {
			t.Fatalf("Parse(%q): plain http on the internet", in)
		}
	})
}
