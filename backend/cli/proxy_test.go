//go:build proxy

package cli_test

// serve behind Debian's nginx and Caddy, configured as docs/deploy.md says,
// with TLS at the proxy. Run with: go test -tags proxy,sqlite_fts5 -run Proxy ./backend/cli/

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/mailtest"
	"grantbook/backend/proxytest"
)

const proxyName = "portal.grantbook.test"

// proxied is one proxy in front of one serve.
type proxied struct {
	ca                *certstest.CA
	https, http, back int // the proxy's ports, serve's port
}

func TestProxyNginx(t *testing.T) {
	behindProxy(t, func(t *testing.T, p proxied) {
		conf := proxytest.Replace(t, proxytest.Snippet(t, deployDoc, "nginx"),
			"\tlisten [::]:443 ssl http2;\n", "",
			"\tlisten [::]:80;\n", "",
			"listen 443 ssl", fmt.Sprintf("listen 127.0.0.1:%d ssl", p.https),
			"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", p.http),
			"/etc/letsencrypt/live/portal.example.com/fullchain.pem", p.ca.CertFile,
			"/etc/letsencrypt/live/portal.example.com/privkey.pem", p.ca.KeyFile,
			"portal.example.com", proxyName,
			"127.0.0.1:8765", fmt.Sprintf("127.0.0.1:%d", p.back))
		proxytest.Nginx(t, conf, fmt.Sprintf("127.0.0.1:%d", p.https))

		// Plain http is sent to https, path kept.
		res, err := proxyClient(t, p.ca, "127.0.0.2").Get(fmt.Sprintf("http://%s:%d/portal?x=1", proxyName, p.http))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "https://"+proxyName+"/portal?x=1" {
			t.Errorf("http: %d to %q, want 301 to https", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestProxyCaddy(t *testing.T) {
	behindProxy(t, func(t *testing.T, p proxied) {
		site := proxytest.Replace(t, proxytest.Snippet(t, deployDoc, "caddy"),
			"portal.example.com {\n", fmt.Sprintf("%s {\n\ttls %s %s\n", proxyName, p.ca.CertFile, p.ca.KeyFile),
			"127.0.0.1:8765", fmt.Sprintf("127.0.0.1:%d", p.back))
		// What only a test needs: its ports, loopback only, no admin
		// endpoint, no redirect server, no CA of Caddy's own.
		global := fmt.Sprintf("{\n\tadmin off\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n"+
			"\tauto_https disable_redirects\n\tskip_install_trust\n}\n\n", p.http, p.https)
		proxytest.Caddy(t, global+site, fmt.Sprintf("127.0.0.1:%d", p.https))
	})
}

// recipeFlags are serve's options as the VPS recipe sets them, for name and
// port; the recipe's Caddyfile must be the documented one.
func recipeFlags(t *testing.T, back int) []string {
	t.Helper()
	vps := proxytest.Snippet(t, deployDoc, "vps")
	m := regexp.MustCompile(`GRANTBOOK_OPTS="([^"]*)"`).FindStringSubmatch(vps)
	if m == nil {
		t.Fatalf("the recipe sets no GRANTBOOK_OPTS:\n%s", vps)
	}
	caddy := strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(proxytest.Snippet(t, deployDoc, "caddy"))
	if !strings.Contains(vps, "printf '"+caddy+"'") {
		t.Errorf("the recipe's Caddyfile is not the documented one (%q):\n%s", caddy, vps)
	}
	return strings.Fields(proxytest.Replace(t, m[1], "127.0.0.1:8765", fmt.Sprintf("127.0.0.1:%d", back), "portal.example.com", proxyName))
}

func behindProxy(t *testing.T, startProxy func(*testing.T, proxied)) {
	dir := t.TempDir()
	ca, err := certstest.Throwaway(dir, "proxy", proxyName)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := certstest.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	p := proxied{ca: ca, https: ports[0], http: ports[1], back: ports[2]}
	const token = "proxytest-proxytest-proxytest-0001"
	smtp := mailtest.NewSMTP(t)
	serve(t, []string{"GRANTBOOK_TOKEN=" + token}, append(recipeFlags(t, p.back), "--data-dir", filepath.Join(dir, "data"))...)
	startProxy(t, p)
	base := fmt.Sprintf("https://%s:%d", proxyName, p.https)

	// The owner's API, with the token and without.
	owner := &visitor{t: t, c: proxyClient(t, ca, "127.0.0.2"), base: base, auth: "Bearer " + token}
	if code, _ := owner.call("GET", "/api/accounts", nil, nil); code != 200 {
		t.Fatalf("owner API through the proxy: %d", code)
	}
	if code, _ := (&visitor{t: t, c: owner.c, base: base}).call("GET", "/api/accounts", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	owner.must(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{"host": smtp.Host, "port": smtp.Port,
		"security": "plain", "from_email": "owner@example.test", "from_name": "Acme Support"}})
	acc := owner.must(201, "POST", "/api/accounts", map[string]any{"name": "Acme Ltd"})
	contact := owner.must(201, "POST", "/api/contacts", map[string]any{"account_id": acc["id"], "first_name": "Tess",
		"last_name": "Tester", "email": "tess@example.test", "preset": "technical"})
	owner.must(200, "PUT", "/api/settings/client-area", map[string]any{"address": base})

	// A contact signs in through the proxy with the mailed code.
	tess := &visitor{t: t, c: proxyClient(t, ca, "127.0.0.3"), base: base, origin: base}
	code, res := tess.call("POST", "/api/portal/signin", map[string]any{"email": "tess@example.test"}, nil)
	if code != http.StatusAccepted || !secureCookie(res, "gb_signin") {
		t.Fatalf("sign-in request: %d, cookies %q", code, res.Header.Values("Set-Cookie"))
	}
	mail := strings.ReplaceAll(string(smtp.WaitMessages(1, 10*time.Second)[0].Data), "=\r\n", "") // quoted-printable soft breaks
	if !strings.Contains(mail, "Enter it only on the sign-in page at "+base+"/portal") {
		t.Errorf("the code mail does not name the address behind the proxy:\n%s", mail)
	}
	m := regexp.MustCompile(`is:\s+(\d{6})`).FindStringSubmatch(mail)
	if m == nil {
		t.Fatalf("no code in the mail:\n%s", mail)
	}
	code, res = tess.call("POST", "/api/portal/verify", map[string]any{"email": "tess@example.test", "code": m[1]}, nil)
	if code != 200 || !secureCookie(res, "gb_session") {
		t.Fatalf("verify: %d, cookies %q", code, res.Header.Values("Set-Cookie"))
	}
	var session struct {
		CSRF string `json:"csrf_token"`
	}
	json.Unmarshal(tess.last, &session)
	if code, _ := tess.call("GET", "/api/portal/me", nil, nil); code != 200 {
		t.Fatalf("the session does not work through the proxy: %d", code)
	}
	csrf := map[string]string{"X-CSRF-Token": session.CSRF}
	plain := &visitor{t: t, c: tess.c, base: base, origin: fmt.Sprintf("http://%s:%d", proxyName, p.https)}
	if code, _ := plain.call("POST", "/api/portal/signout", map[string]any{}, csrf); code != http.StatusForbidden {
		t.Errorf("an http:// Origin: %d, want 403", code)
	}
	if code, _ := tess.call("POST", "/api/portal/signout", map[string]any{}, csrf); code != 200 {
		t.Errorf("sign out with the https:// Origin: %d, want 200", code)
	}
	audit := owner.must(200, "GET", fmt.Sprintf("/api/audit?entity=contact&entity_id=%v", contact["id"]), nil)
	if b, _ := json.Marshal(audit); !strings.Contains(string(b), "signed in to the portal from 127.0.0.3") {
		t.Errorf("the audit log does not name the client's address: %s", b)
	}

	// Limits count the client's address, not the proxy's, and an address
	// written into X-Forwarded-For by a client is not believed.
	stranger := &visitor{t: t, c: proxyClient(t, ca, "127.0.0.4"), base: base, origin: base}
	n := 0
	for ; n < 20; n++ {
		if code, _ := stranger.call("POST", "/api/portal/signin", map[string]any{"email": "nobody@example.test"}, nil); code == http.StatusTooManyRequests {
			break
		}
	}
	if n != 5 {
		t.Errorf("127.0.0.4 was limited after %d sign-in requests, want 5", n)
	}
	forger := &visitor{t: t, c: proxyClient(t, ca, "127.0.0.5"), base: base, origin: base}
	if code, _ := forger.call("POST", "/api/portal/signin", map[string]any{"email": "nobody@example.test"},
		map[string]string{"X-Forwarded-For": "127.0.0.4"}); code != http.StatusAccepted {
		t.Errorf("127.0.0.5 claiming to be 127.0.0.4: %d, want 202 (its own limit)", code)
	}
}

func secureCookie(res *http.Response, name string) bool {
	for _, c := range res.Cookies() {
		if c.Name == name && c.Secure && c.HttpOnly {
			return true
		}
	}
	return false
}

// proxyClient trusts ca only, reaches proxyName on loopback from the
// address from (127.0.0.0/8 is all this machine's), keeps cookies and does
// not follow redirects.
func proxyClient(t *testing.T, ca *certstest.CA, from string) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if host, port, _ := net.SplitHostPort(addr); host == proxyName {
					addr = net.JoinHostPort("127.0.0.1", port)
				}
				return d.DialContext(ctx, network, addr)
			}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// visitor calls base's API as a browser page would (Origin) or the owner's
// script (auth).
type visitor struct {
	t                  *testing.T
	c                  *http.Client
	base, origin, auth string
	last               []byte
}

func (v *visitor) call(method, path string, body any, hdr map[string]string) (int, *http.Response) {
	v.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, v.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if v.origin != "" {
		req.Header.Set("Origin", v.origin)
	}
	if v.auth != "" {
		req.Header.Set("Authorization", v.auth)
	}
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	res, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	v.last, _ = io.ReadAll(res.Body)
	return res.StatusCode, res
}

func (v *visitor) must(status int, method, path string, body any) map[string]any {
	v.t.Helper()
	if code, _ := v.call(method, path, body, nil); code != status {
		v.t.Fatalf("%s %s: %d, want %d\n%s", method, path, code, status, v.last)
	}
	var out map[string]any
	json.Unmarshal(v.last, &out)
	return out
}
