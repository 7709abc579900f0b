package publish

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"grantbook/backend/core"
)

// Check is the result of asking the public address from this computer.
type Check struct {
	OK bool `json:"ok"`
	// Step is what failed: dns, connect, tls or answer ("" when OK).
	Step    string    `json:"step"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// selfCheck walks what a contact's browser does: find the name, connect,
// check the certificate against this computer's roots, ask /api/health,
// and see that this window answered.
func (p *Publisher) selfCheck(ctx context.Context, ca core.ClientArea) *Check {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c := &Check{At: time.Now().UTC()}
	fail := func(step, format string, args ...any) *Check {
		c.Step, c.Message = step, fmt.Sprintf(format, args...)
		return c
	}
	port := ca.Port
	if port == "" {
		port = "443"
	}
	ips := []string{ca.Host}
	if net.ParseIP(ca.Host) == nil {
		var err error
		if ips, err = net.DefaultResolver.LookupHost(ctx, ca.Host); err != nil {
			return fail("dns", "%s does not resolve to an address here (%v): its DNS record is missing, or not seen yet", ca.Host, err)
		}
	}
	var conn net.Conn
	var lastErr error
	d := net.Dialer{Timeout: 5 * time.Second}
	for _, ip := range ips {
		if conn, lastErr = d.DialContext(ctx, "tcp", net.JoinHostPort(ip, port)); lastErr == nil {
			break
		}
	}
	if conn == nil {
		return fail("connect", "nothing answers at %s port %s (%v): is the switch on, does the router forward the port to "+
			"this computer, does a firewall let it through?", ca.Host, port, lastErr)
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{ServerName: ca.Host, RootCAs: p.opts.Roots, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail("tls", "the certificate at %s is not accepted (%v): contacts' browsers would warn them", ca.Host, err)
	}
	tr := &http.Transport{DisableKeepAlives: true, DialTLSContext: func(context.Context, string, string) (net.Conn, error) { return tc, nil }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ca.Address+"/api/health", nil)
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fail("answer", "no web answer from %s: %v", ca.Address, err)
	}
	defer res.Body.Close()
	var h struct{ Status string }
	json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&h)
	switch {
	case res.StatusCode != http.StatusOK || h.Status != "ok":
		return fail("answer", "%s answered %q, not Grantbook's health check: another server or a proxy answers there", ca.Address, res.Status)
	case res.Header.Get(InstanceHeader) != p.instance:
		return fail("answer", "%s answers, but not from this window: another Grantbook or a proxy to it is there", ca.Address)
	}
	c.OK = true
	c.Message = ca.Address + " answers over HTTPS with a trusted certificate (asked from this computer, through the address)"
	return c
}

// localAddresses are this computer's name and its addresses on its
// networks, to choose the client area's address from.
func localAddresses() []string {
	var out []string
	if h, err := os.Hostname(); err == nil && h != "" {
		out = append(out, h)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() && n.IP.To4() != nil {
			out = append(out, n.IP.String())
		}
	}
	return out
}
