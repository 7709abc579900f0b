// Package address reads the address contacts use to reach the client area
// (https://portal.example.com): it goes into every mail about a contact's
// access and into the host check, so it is held to one plain form.
package address

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxLength bounds the address as typed; mails and templates rely on it.
const MaxLength = 200

// PortalPath is where the client area lives under the address.
const PortalPath = "/portal"

// Network says who can reach an address.
type Network string

const (
	Loopback Network = "loopback" // this computer only
	LAN      Network = "lan"      // a private network: a home or office
	Public   Network = "public"   // the internet
)

// Address is a checked client-area address.
type Address struct {
	URL     string  // scheme://host[:port], lower case, no default port, no slash
	Scheme  string  // https or http
	Host    string  // name or IP as requests carry it (no brackets, no port)
	Port    string  // "" for the scheme's default
	Network Network // where it can be reached from
}

// SignIn is the link contacts follow to sign in.
func (a Address) SignIn() string { return a.URL + PortalPath }

// Error says what is wrong with an address, in words for the owner.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func fail(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// Parse checks and normalises an address. A bare name gets https://; the
// client area's own path (/portal) may be given and is dropped; any other
// path, a query, a fragment, user info, percent escapes or backslashes are
// refused, so the address cannot be made to mean two things. Plain http is
// only for this computer and a private network.
func Parse(raw string) (Address, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return Address{}, fail("give the address contacts use, e.g. https://portal.example.com")
	case len(s) > MaxLength:
		return Address{}, fail("the address is too long (%d characters at most)", MaxLength)
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\\%@ \t") || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return Address{}, fail("%q: give a plain address like https://portal.example.com (no spaces, @, %% or backslashes)", s)
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return Address{}, fail("%q is not an address like https://portal.example.com", raw)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return Address{}, fail("%q: the address starts with https:// (or http:// on this computer or a private network)", raw)
	}
	if u.User != nil || u.ForceQuery || u.RawQuery != "" || strings.Contains(s, "#") {
		return Address{}, fail("%q: give the scheme and host only (no query, fragment or user)", raw)
	}
	switch strings.TrimSuffix(u.Path, "/") {
	case "", PortalPath:
	default:
		return Address{}, fail("%q: Grantbook is served at the root of its address: give https://name only (the client area is at %s under it)", raw, PortalPath)
	}
	host, port, err := splitHost(u.Host)
	if err != nil {
		return Address{}, fail("%q: %v", raw, err)
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	a := Address{Scheme: scheme, Host: host, Port: port, Network: networkOf(host)}
	if scheme == "http" && a.Network == Public {
		return Address{}, fail("%q: use https:// for an address on the internet: sign-in codes and cookies must not cross it in clear (http:// is only for this computer or a private network)", raw)
	}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport += ":" + port
	}
	a.URL = scheme + "://" + hostport
	return a, nil
}

// splitHost checks the host and port of a URL.
func splitHost(hp string) (host, port string, err error) {
	host = hp
	if strings.HasPrefix(hp, "[") || strings.Count(hp, ":") == 1 {
		h, p, serr := net.SplitHostPort(hp)
		if serr != nil {
			if !strings.HasPrefix(hp, "[") || !strings.HasSuffix(hp, "]") {
				return "", "", fmt.Errorf("the port is not a number")
			}
			h, p = hp[1:len(hp)-1], ""
		}
		host, port = h, p
	}
	if port != "" {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", "", fmt.Errorf("the port must be a number from 1 to 65535")
		}
	}
	if ip, perr := netip.ParseAddr(host); perr == nil {
		if ip.Zone() != "" || ip.IsUnspecified() || ip.IsMulticast() {
			return "", "", fmt.Errorf("%s is not an address contacts can reach", host)
		}
		if strings.HasPrefix(hp, "[") != ip.Is6() {
			return "", "", fmt.Errorf("an IPv6 address goes in brackets, e.g. https://[2001:db8::1]")
		}
		return ip.Unmap().String(), port, nil
	}
	name, nerr := hostName(host)
	return name, port, nerr
}

// hostName checks a DNS name and returns it in ASCII, lower case, without
// the final dot.
func hostName(h string) (string, error) {
	h = strings.TrimSuffix(h, ".")
	ascii, err := idna.Lookup.ToASCII(h)
	if err == nil {
		// A name must come out the same when read again (mails carry it).
		if again, aerr := idna.Lookup.ToASCII(ascii); aerr != nil || again != ascii {
			err = fmt.Errorf("unstable")
		}
	}
	if err != nil || ascii == "" || len(ascii) > 253 {
		return "", fmt.Errorf("%q is not a host name", h)
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", fmt.Errorf("%q is not a host name", h)
		}
	}
	// 127.1 or 0x7f.1 parse as addresses in some software: refuse names
	// whose last label is a number rather than guess.
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" || strings.HasPrefix(labels[len(labels)-1], "0x") {
		return "", fmt.Errorf("%q looks like an IP address but is not one", h)
	}
	return ascii, nil
}

// lanSuffixes are names that only resolve inside a private network.
var lanSuffixes = []string{".local", ".lan", ".home", ".home.arpa", ".internal", ".intranet", ".corp"}

func networkOf(host string) Network {
	if ip, err := netip.ParseAddr(host); err == nil {
		switch {
		case ip.IsLoopback():
			return Loopback
		case ip.IsPrivate(), ip.IsLinkLocalUnicast():
			return LAN
		}
		return Public
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return Loopback
	}
	if !strings.Contains(host, ".") {
		return LAN // a single label never resolves on the internet
	}
	for _, s := range lanSuffixes {
		if strings.HasSuffix(host, s) {
			return LAN
		}
	}
	return Public
}
