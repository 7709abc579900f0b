//go:build siteauth

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/mailtest"
	"grantbook/backend/proxytest"
)

// stack is grantbook serve with an SMTP server for its codes, the admin
// site, and the port a proxy in front of both will take.
type stack struct {
	t           *testing.T
	base, token string // serve, straight (the owner's API)
	smtp        *mailtest.SMTP
	upstream    string // the admin site's host:port
	proxy       string // 127.0.0.1:port of the proxy
	port        string
	dir         string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	st := &stack{t: t, smtp: mailtest.NewSMTP(t), dir: t.TempDir()}
	ports, err := certstest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	st.port = strconv.Itoa(ports[0])
	st.proxy = "127.0.0.1:" + st.port
	st.upstream = strings.TrimPrefix(adminSite(t).URL, "http://")
	_, st.base, st.token = serve(t, noEnvToken, "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(st.dir, "data"),
		"--host", "grantbook.localhost", "--trusted-proxy", "127.0.0.1")
	st.owner(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{
		"host": st.smtp.Host, "port": st.smtp.Port, "security": "plain", "from_email": "owner@example.test"}})
	st.owner(200, "PUT", "/api/settings/client-area", map[string]any{"address": st.grantbook()})
	var v struct{ Sites []map[string]any }
	st.owner(200, "GET", "/api/sites", nil).into(t, &v)
	shop := v.Sites[0]
	shop["name"], shop["base_url"] = "Shop", st.shop()
	st.owner(200, "PUT", "/api/sites/1", shop)
	return st
}

func (st *stack) grantbook() string { return "http://grantbook.localhost:" + st.port }
func (st *stack) shop() string      { return "http://shop.localhost:" + st.port }

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("reply %d: %v\n%s", r.status, err, r.body)
	}
}

// owner calls the owner's API straight (not through the proxy).
func (st *stack) owner(status int, method, path string, body any) reply {
	st.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, st.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+st.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		st.t.Fatalf("%s %s: %d, want %d\n%s", method, path, res.StatusCode, status, b)
	}
	return reply{res.StatusCode, res.Header, b}
}

// contact adds a contact of the account "Acme" with a grant.
func (st *stack) contact(email string, grant map[string]any) string {
	st.t.Helper()
	var accs struct{ Accounts []struct{ ID float64 } }
	st.owner(200, "GET", "/api/accounts", nil).into(st.t, &accs)
	var acc float64
	if len(accs.Accounts) == 0 {
		var a struct{ ID float64 }
		st.owner(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).into(st.t, &a)
		acc = a.ID
	} else {
		acc = accs.Accounts[0].ID
	}
	body := map[string]any{"account_id": acc, "first_name": "Olga", "last_name": "Ops", "email": email}
	for k, v := range grant {
		body[k] = v
	}
	var c struct{ ID float64 }
	st.owner(201, "POST", "/api/contacts", body).into(st.t, &c)
	return strconv.FormatFloat(c.ID, 'f', -1, 64)
}

func do(t *testing.T, b *http.Client, method, u string, body string, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, out}
}

func hop(t *testing.T, b *http.Client, u string) string {
	t.Helper()
	r := do(t, b, "GET", u, "", nil)
	if r.status != http.StatusFound {
		t.Fatalf("GET %s: %d, want a redirect\n%s", u, r.status, r.body)
	}
	loc := r.header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		p, _ := url.Parse(u)
		loc = p.Scheme + "://" + p.Host + loc
	}
	return loc
}

// portalSignin signs in at Grantbook (through the proxy) as the client
// area's page does: ask for a code, read it from the mail, send it.
func (st *stack) portalSignin(b *http.Client, base, email string) {
	st.t.Helper()
	before := len(st.smtp.Messages())
	if r := do(st.t, b, "POST", base+"/api/portal/signin", `{"email":"`+email+`"}`,
		map[string]string{"Content-Type": "application/json"}); r.status != 202 {
		st.t.Fatalf("portal signin: %d %s", r.status, r.body)
	}
	code := st.smtp.WaitCode(email, before, 20*time.Second)
	if r := do(st.t, b, "POST", base+"/api/portal/verify", `{"email":"`+email+`","code":"`+code+`"}`,
		map[string]string{"Content-Type": "application/json"}); r.status != 200 {
		st.t.Fatalf("portal verify: %d %s", r.status, r.body)
	}
}

// signInVia opens a guarded page unsigned and follows the hand-over: the
// site's start, Grantbook's sign-in, the client area's code, back to the
// site's callback and the page. start is where the first answer sent the
// browser.
func (st *stack) signInVia(b *http.Client, path, email string) reply {
	t := st.t
	t.Helper()
	start := hop(t, b, st.shop()+path)
	if want := st.shop() + "/_grantbook/start?rd=" + url.QueryEscape(st.shop()+path); start != want {
		t.Fatalf("unsigned %s went to %q, want %q", path, start, want)
	}
	signin := hop(t, b, start)
	if !strings.HasPrefix(signin, st.grantbook()+"/auth/signin?") {
		t.Fatalf("the site's start went to %q", signin)
	}
	if toPortal := hop(t, b, signin); !strings.HasPrefix(toPortal, st.grantbook()+"/portal?return=") {
		t.Fatalf("Grantbook's sign-in, unsigned, went to %q", toPortal)
	}
	st.portalSignin(b, st.grantbook(), email)
	callback := hop(t, b, signin)
	if !strings.HasPrefix(callback, st.shop()+"/_grantbook/callback?ticket=") {
		t.Fatalf("Grantbook's sign-in, signed in, went to %q", callback)
	}
	if back := hop(t, b, callback); back != st.shop()+path {
		t.Fatalf("the callback went to %q, want %s", back, st.shop()+path)
	}
	return do(t, b, "GET", st.shop()+path, "", nil)
}

// nginx runs the documented configuration, made to listen on the test's
// port without TLS and to reach the test's Grantbook and admin site.
func (st *stack) nginx() {
	t := st.t
	dir := filepath.Join(st.dir, "nginx")
	gb := strings.TrimPrefix(st.base, "http://")
	local := func(s string) string {
		return strings.NewReplacer("127.0.0.1:8765", gb, "127.0.0.1:8080", st.upstream, "shop.example.com", "shop.localhost",
			"include snippets/", "include "+dir+"/snippets/").Replace(s)
	}
	os.MkdirAll(filepath.Join(dir, "snippets"), 0o755)
	for name, file := range map[string]string{"nginx-site-paths": "grantbook.conf", "nginx-guard": "grantbook-guard.conf"} {
		os.WriteFile(filepath.Join(dir, "snippets", file), []byte(local(proxytest.Snippet(t, deployDoc, name))), 0o644)
	}
	// The test has no certificate: plain HTTP on loopback.
	site := proxytest.Replace(t, local(proxytest.Snippet(t, deployDoc, "nginx-shop")),
		"    listen 443 ssl;\n", "    listen "+st.proxy+";\n",
		"    ssl_certificate /etc/letsencrypt/live/shop.localhost/fullchain.pem;\n", "",
		"    ssl_certificate_key /etc/letsencrypt/live/shop.localhost/privkey.pem;\n", "")
	grantbook := fmt.Sprintf(`server {
	listen %s;
	server_name grantbook.localhost;
	location / {
		proxy_pass http://%s;
		proxy_set_header Host $host;
		proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		proxy_set_header X-Forwarded-Proto $scheme;
	}
}
`, st.proxy, gb)
	proxytest.Nginx(t, grantbook+site, st.proxy)
}

// caddy runs the documented Caddyfile over plain HTTP on the test's port.
func (st *stack) caddy() {
	t := st.t
	gb := strings.TrimPrefix(st.base, "http://")
	site := proxytest.Replace(t, proxytest.Snippet(t, deployDoc, "caddy-shop"), "127.0.0.1:8765", gb, "127.0.0.1:8080", st.upstream,
		"shop.example.com {", "http://shop.localhost:"+st.port+" {")
	conf := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n}\nhttp://grantbook.localhost:%s {\n\treverse_proxy %s\n}\n%s", st.port, gb, site)
	proxytest.Caddy(t, conf, st.proxy)
}

// adminSite is the owner's site behind the proxy: it shows the path and
// what the proxy told it about the visitor.
func adminSite(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "admin site: %s\nemail=%s\nname=%s\nareas=%s\n", r.URL.Path,
			r.Header.Get("X-Grantbook-Email"), r.Header.Get("X-Grantbook-Name"), r.Header.Get("X-Grantbook-Areas"))
	}))
	t.Cleanup(s.Close)
	return s
}

// browserVia is a browser with a cookie jar whose every host name
// (grantbook.localhost, shop.localhost) resolves to the proxy; it follows
// no redirect by itself, so the test sees each hop.
func browserVia(t *testing.T, proxyAddr string) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, proxyAddr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// guardedSite runs the checks both proxies must pass.
func guardedSite(t *testing.T, st *stack) {
	ops := st.contact("ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	b := browserVia(t, st.proxy)

	// Unsigned: redirected to sign in, and back to the page.
	page := st.signInVia(b, "/admin/orders", "ops@example.com")
	if page.status != 200 || !bytes.Contains(page.body, []byte("admin site: /admin/orders\nemail=ops@example.com\nname=Olga Ops\nareas=orders\n")) {
		t.Fatalf("orders after sign-in: %d\n%s", page.status, page.body)
	}
	t.Logf("GET /admin/orders → %d\n%s", page.status, page.body)
	// Another area: 403, with the reason.
	r := do(t, b, "GET", st.shop()+"/admin/settings", "", nil)
	if r.status != 403 || bytes.Contains(r.body, []byte("admin site")) {
		t.Fatalf("settings: %d\n%s", r.status, r.body)
	}
	t.Logf("GET /admin/settings → %d %s", r.status, r.header.Get("X-Grantbook-Reason"))
	// A path that servers might read as another area's is refused.
	if r := do(t, b, "GET", st.shop()+"/admin/orders/..%2Fsettings", "", nil); r.status != 403 && r.status != 400 {
		t.Fatalf("encoded traversal: %d\n%s", r.status, r.body)
	}
	// Headers the browser makes up never reach the site.
	spoof := map[string]string{"X-Grantbook-Email": "boss@example.com", "X-Grantbook-Areas": "settings,users"}
	if r := do(t, b, "GET", st.shop()+"/admin/orders", "", spoof); !bytes.Contains(r.body, []byte("email=ops@example.com\nname=Olga Ops\nareas=orders\n")) {
		t.Fatalf("spoofed headers on a guarded page reached the site:\n%s", r.body)
	}
	if r := do(t, b, "GET", st.shop()+"/", "", spoof); r.status != 200 || !bytes.Contains(r.body, []byte("admin site: /\nemail=\nname=\nareas=\n")) {
		t.Fatalf("spoofed headers on a public page reached the site: %d\n%s", r.status, r.body)
	}

	// Expiry and suspension apply at the next request.
	st.owner(200, "PATCH", "/api/contacts/"+ops, map[string]any{"expires_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})
	if r := do(t, b, "GET", st.shop()+"/admin/orders", "", nil); r.status != 403 || !strings.HasPrefix(r.header.Get("X-Grantbook-Reason"), "denied: grant expired") {
		t.Fatalf("after expiry: %d %q\n%s", r.status, r.header.Get("X-Grantbook-Reason"), r.body)
	}
	st.owner(200, "PATCH", "/api/contacts/"+ops, map[string]any{"expires_at": nil})
	if r := do(t, b, "GET", st.shop()+"/admin/orders", "", nil); r.status != 200 {
		t.Fatalf("expiry lifted: %d\n%s", r.status, r.body)
	}
	st.owner(200, "PATCH", "/api/contacts/"+ops, map[string]any{"status": "suspended"})
	r = do(t, b, "GET", st.shop()+"/admin/orders", "", nil)
	if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), st.shop()+"/_grantbook/start?") {
		t.Fatalf("after suspension: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	t.Logf("suspended: GET /admin/orders → %d to %s", r.status, r.header.Get("Location"))
}

func TestSiteAuthNginx(t *testing.T) {
	st := newStack(t)
	st.nginx()
	guardedSite(t, st)
}

func TestSiteAuthCaddy(t *testing.T) {
	st := newStack(t)
	st.caddy()
	guardedSite(t, st)
}
