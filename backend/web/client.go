package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// client is who a request comes from, as far as the server can tell.
type client struct {
	ip    string // the client's address: the peer, or from X-Forwarded-For when the peer is a trusted proxy
	https bool   // TLS here, or X-Forwarded-Proto: https from a trusted proxy
}

type clientKey struct{}

func withClient(r *http.Request, c client) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientKey{}, &c))
}

// clientOf is the client Server resolved, or the bare peer for a request
// that did not come through Server (tests, the window).
func clientOf(r *http.Request) client {
	if c, ok := r.Context().Value(clientKey{}).(*client); ok {
		return *c
	}
	return client{ip: peerIP(r).String(), https: r.TLS != nil}
}

func clientIP(r *http.Request) string { return clientOf(r).ip }

// peerIP is the address of the other end of the connection.
func peerIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(r.RemoteAddr)
	return a.Unmap()
}

// proxies are the networks whose forwarding headers are believed.
type proxies []netip.Prefix

func (p proxies) trusts(a netip.Addr) bool {
	for _, n := range p {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// resolve finds the client. Only a trusted peer's X-Forwarded-For counts,
// read from the right: each trusted hop vouches for the address to its
// left, so the rightmost address that is not a trusted proxy is the
// client; what lies left of it anyone could have written. Garbage in the
// chain stops the walk at the last hop that can be believed.
func (p proxies) resolve(r *http.Request) client {
	peer := peerIP(r)
	c := client{ip: ipString(peer, r.RemoteAddr), https: r.TLS != nil}
	if !p.trusts(peer) {
		return c
	}
	if proto := r.Header.Values("X-Forwarded-Proto"); len(proto) > 0 {
		last := strings.Split(proto[len(proto)-1], ",")
		c.https = c.https || strings.EqualFold(strings.TrimSpace(last[len(last)-1]), "https")
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := hopAddr(hops[i])
		if !ok {
			break
		}
		c.ip = a.String()
		if !p.trusts(a) {
			break
		}
	}
	return c
}

// ipString is a.String(), the host of hostport itself when it is written
// so: the peer's address of every request then costs no allocation.
func ipString(a netip.Addr, hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i > 0 && a.IsValid() {
		host := strings.TrimSuffix(strings.TrimPrefix(hostport[:i], "["), "]")
		var buf [48]byte
		if string(a.AppendTo(buf[:0])) == host {
			return host
		}
	}
	return a.String()
}

// hopAddr parses one X-Forwarded-For entry: an address, maybe with a port,
// IPv6 maybe in brackets.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil
}

// ParseProxy reads a --trusted-proxy value: a CIDR or a single address.
func ParseProxy(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// hosts are the names the server answers for, besides loopback. A page
// served under any other name (a DNS rebinding attack, a stray vhost) gets
// 421 and never reaches the API with the browser's cookies.
type hosts map[string]bool

func (h hosts) allows(hostport string) bool {
	name := HostName(hostport)
	switch name {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return h[name]
}

// HostName normalises a --host value as allows compares it.
func HostName(s string) string {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(s, "[]")), ".")
}
