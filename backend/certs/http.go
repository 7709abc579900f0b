package certs

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

const challengePrefix = "/.well-known/acme-challenge/"

// HTTPHandler answers the CA's HTTP-01 challenges and sends everything else
// to HTTPS. Serve it on port 80.
func (m *Manager) HTTPHandler() http.Handler {
	h := m.m.HTTPHandler(http.HandlerFunc(m.redirect))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, challengePrefix) {
			// Shows the owner that the CA reached this server.
			m.log.Info("answering an ACME HTTP-01 challenge", "host", r.Host, "from", r.RemoteAddr)
		}
		h.ServeHTTP(w, r)
	})
}

// redirect sends a browser to the HTTPS address of the name it asked for,
// or of the first name when it asked for another (an IP address, say).
func (m *Manager) redirect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "Use HTTPS: "+m.URL(m.domains[0]), http.StatusBadRequest)
		return
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if !slices.Contains(m.domains, host) {
		host = m.domains[0]
	}
	http.Redirect(w, r, m.URL(host)+r.URL.RequestURI(), http.StatusMovedPermanently)
}

// URL is the HTTPS base address of name (no trailing slash).
func (m *Manager) URL(name string) string {
	if m.port == "" || m.port == "443" {
		return "https://" + name
	}
	return "https://" + net.JoinHostPort(name, m.port)
}

// CheckDomains normalises public names for certificates: lower case, ASCII
// (punycode), no scheme, port, path or wildcard, no IP address, and at least
// two labels, which is what a public CA certifies over HTTP-01.
func CheckDomains(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
		if d == "" {
			continue
		}
		if err := checkDomain(d); err != nil {
			return nil, fmt.Errorf("--domain %q: %w", raw, err)
		}
		ascii, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return nil, fmt.Errorf("--domain %q: %w", raw, err)
		}
		if !slices.Contains(out, ascii) {
			out = append(out, ascii)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--domain: give the public name contacts will use, e.g. portal.example.com")
	}
	return out, nil
}

func checkDomain(d string) error {
	switch {
	case strings.Contains(d, "://"), strings.ContainsAny(d, "/:?#@ "):
		return fmt.Errorf("give the bare name, e.g. portal.example.com (no scheme, port or path)")
	case strings.Contains(d, "*"):
		return fmt.Errorf("wildcard names need DNS validation, which Grantbook does not do: list each name")
	case net.ParseIP(d) != nil:
		return fmt.Errorf("an IP address cannot get a certificate here: give a domain name")
	case !strings.Contains(d, "."):
		return fmt.Errorf("a public name has at least two parts, e.g. portal.example.com")
	}
	return nil
}
