package publish_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/core"
	"grantbook/backend/openid"
	"grantbook/backend/publish"
	"grantbook/backend/web"
)

var bg = context.Background()

// rig is a core with the published face on it, and a certificate for this
// computer's name from a throwaway CA the self-check trusts.
type rig struct {
	t    *testing.T
	app  *core.App
	pub  *publish.Publisher
	ca   *certstest.CA
	host string // this computer's name, as the system resolver finds it
	dir  string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host = strings.ToLower(host)
	if _, err := net.LookupHost(host); err != nil {
		t.Fatalf("this computer's name %q does not resolve (%v): the publishing tests reach the window by it, as a contact on the network would; add it to /etc/hosts", host, err)
	}
	r := &rig{t: t, host: host, dir: t.TempDir()}
	if r.ca, err = certstest.Throwaway(r.dir, "publish", host, "nowhere.invalid"); err != nil {
		t.Fatal(err)
	}
	r.open()
	return r
}

// open starts the core and a publisher on the rig's data folder, as the
// window does at each start.
func (r *rig) open() {
	r.t.Helper()
	app, err := core.Open(bg, filepath.Join(r.dir, "data"))
	if err != nil {
		r.t.Fatal(err)
	}
	app.SetLogger(slog.New(slog.DiscardHandler))
	r.t.Cleanup(func() { app.Close() })
	api := web.NewAPI(app, slog.New(slog.DiscardHandler))
	op, err := openid.New(app)
	if err != nil {
		r.t.Fatal(err)
	}
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Grantbook</title>")}, "assets/app.js": {Data: []byte("1")}}
	h := web.NewServer(api, assets, "owner-token-owner-token-owner-token-1", web.ContactsOnly(), web.WithOpenID(op))
	r.app = app
	r.pub = publish.New(app, h, publish.Options{Roots: r.ca.Pool})
	r.pub.Start(bg)
	r.t.Cleanup(r.pub.Close)
}

func freePort(t *testing.T) string {
	t.Helper()
	ports, err := certstest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(ports[0])
}

// area saves the client area's address with the rig's certificate files.
func (r *rig) area(host, port string) core.ClientArea {
	r.t.Helper()
	ca, err := r.app.PutClientArea(bg, core.ClientArea{Address: "https://" + host + ":" + port, Certificate: core.CertFiles,
		CertFile: r.ca.CertFile, KeyFile: r.ca.KeyFile})
	if err != nil {
		r.t.Fatal(err)
	}
	return ca
}

// get asks base+path as a contact's browser that trusts the CA would.
func (r *rig) get(base, path string, hdr ...string) (*http.Response, string, error) {
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool}, DisableKeepAlives: true}}
	req, _ := http.NewRequest("GET", base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b), nil
}

func (r *rig) must(base, path string, status int, hdr ...string) (*http.Response, string) {
	r.t.Helper()
	res, body, err := r.get(base, path, hdr...)
	if err != nil {
		r.t.Fatalf("GET %s%s: %v", base, path, err)
	}
	if res.StatusCode != status {
		r.t.Fatalf("GET %s%s: %d, want %d\n%s", base, path, res.StatusCode, status, body)
	}
	return res, body
}

// refused says the address takes no connection at all.
func refused(t *testing.T, hostport string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", hostport, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("%s still takes connections", hostport)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%s: %v, want connection refused", hostport, err)
	}
}

func TestPublishServesTheClientAreaOnly(t *testing.T) {
	r := newRig(t)
	port := freePort(t)
	ca := r.area(r.host, port)
	st, err := r.pub.Set(bg, true)
	if err != nil || !st.On || !st.Serving || st.Listen != ":"+port || st.SignIn != ca.SignIn {
		t.Fatalf("switched on: %+v, %v", st, err)
	}
	base := ca.Address
	res, _ := r.must(base, "/api/health", 200)
	if res.Header.Get(publish.InstanceHeader) == "" {
		t.Error("answers carry no instance header")
	}
	r.must(base, "/portal", 200)
	r.must(base, "/assets/app.js", 200)
	if res, _ := r.must(base, "/", 302); res.Header.Get("Location") != "/portal" {
		t.Errorf("/ goes to %q", res.Header.Get("Location"))
	}
	// The owner's API is not there, the right token included.
	for _, p := range []string{"/api/accounts", "/api/settings/client-area", "/api/settings/token", "/api/backup"} {
		_, body := r.must(base, p, 404, "Authorization", "Bearer owner-token-owner-token-owner-token-1")
		if !strings.Contains(body, "not served on the client area's address") {
			t.Errorf("%s: %s", p, body)
		}
	}
	r.must(base, "/#token=owner-token", 302)
	r.must(base, "/settings", 404)
	// The client area's API, the sites' sign-in and OpenID Connect are.
	r.must(base, "/api/portal/me", 401)
	if _, body := r.must(base, "/.well-known/openid-configuration", 200); !strings.Contains(body, `"issuer":"`+base+`"`) {
		t.Errorf("discovery: %s", body)
	}
	if res, _, _ := r.get(base, "/auth/verify"); res == nil || res.StatusCode == 404 {
		t.Errorf("/auth/verify is not served: %v", res)
	}

	st, err = r.pub.SelfCheck(bg)
	if err != nil || st.Check == nil || !st.Check.OK {
		t.Fatalf("self-check: %+v %+v, %v", st, st.Check, err)
	}

	st, err = r.pub.Set(bg, false)
	if err != nil || st.On || st.Serving {
		t.Fatalf("switched off: %+v, %v", st, err)
	}
	refused(t, net.JoinHostPort(r.host, port))
	if st, _ = r.pub.SelfCheck(bg); st.Check.OK || st.Check.Step != "connect" {
		t.Errorf("self-check when off: %+v", st.Check)
	}
}

// The switch is kept: the next window serves again; a change of address
// moves the listener; closing stops it without turning the switch off.
func TestPublishFollowsTheSwitchAndTheSettings(t *testing.T) {
	r := newRig(t)
	first, second := freePort(t), freePort(t)
	r.area(r.host, first)
	if _, err := r.pub.Set(bg, true); err != nil {
		t.Fatal(err)
	}
	r.area(r.host, second) // saved in Settings while serving
	deadline := time.Now().Add(10 * time.Second)
	for r.pub.Status(bg).Listen != ":"+second {
		if time.Now().After(deadline) {
			t.Fatalf("still %+v after the address changed", r.pub.Status(bg))
		}
		time.Sleep(20 * time.Millisecond) // polling the restart the event starts, with a deadline
	}
	r.must("https://"+net.JoinHostPort(r.host, second), "/api/health", 200)
	refused(t, net.JoinHostPort(r.host, first))

	r.pub.Close()
	r.app.Close()
	refused(t, net.JoinHostPort(r.host, second))
	r.open()
	if st := r.pub.Status(bg); !st.On || !st.Serving {
		t.Fatalf("after reopening: %+v", st)
	}
	r.must("https://"+net.JoinHostPort(r.host, second), "/portal", 200)
}

// What cannot serve is refused with the field to fix, and the switch stays off.
func TestPublishRefusesWhatCannotServe(t *testing.T) {
	r := newRig(t)
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	for _, c := range []struct {
		name  string
		area  core.ClientArea
		field string
	}{
		{"no address", core.ClientArea{}, "address"},
		{"this computer only", core.ClientArea{Address: "http://localhost:8765"}, "address"},
		{"plain http on the network", core.ClientArea{Address: "http://192.168.1.20:8765"}, "address"},
		{"no certificate on the network", core.ClientArea{Address: "https://192.168.1.20:8443"}, "certificate"},
		{"no certificate on the internet", core.ClientArea{Address: "https://portal.example.com"}, "certificate"},
		{"port in use", core.ClientArea{Address: "https://" + r.host + ":" + taken, Certificate: core.CertFiles,
			CertFile: r.ca.CertFile, KeyFile: r.ca.KeyFile}, "address"},
	} {
		if _, err := r.app.PutClientArea(bg, c.area); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		st, err := r.pub.Set(bg, true)
		e, ok := core.AsError(err)
		if !ok || e.Field != c.field || st.On || st.Serving {
			t.Errorf("%s: %+v, %v", c.name, st, err)
		}
	}
	// A certificate that stopped matching the address (files replaced).
	if _, err := r.app.PutClientArea(bg, core.ClientArea{Address: "https://" + r.host + ":" + freePort(t), Certificate: core.CertFiles,
		CertFile: r.ca.CertFile, KeyFile: r.ca.KeyFile}); err != nil {
		t.Fatal(err)
	}
	other, err := certstest.Throwaway(t.TempDir(), "other", "other.example.com")
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, other.CertFile, r.ca.CertFile)
	copyFile(t, other.KeyFile, r.ca.KeyFile)
	if _, err := r.pub.Set(bg, true); err == nil || !strings.Contains(err.Error(), "not for "+r.host) {
		t.Errorf("a certificate for another name: %v", err)
	}
	if on, _ := r.app.Publishing(bg); on {
		t.Error("the switch was recorded on")
	}
}

// Each step of the self-check names what failed.
func TestSelfCheckSaysWhatFailed(t *testing.T) {
	r := newRig(t)
	port := freePort(t)
	if _, err := r.app.PutClientArea(bg, core.ClientArea{Address: "https://nowhere.invalid:" + port, Certificate: core.CertFiles,
		CertFile: r.ca.CertFile, KeyFile: r.ca.KeyFile}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.pub.SelfCheck(bg); st.Check.Step != "dns" {
		t.Errorf("a name that does not resolve: %+v", st.Check)
	}
	ca := r.area(r.host, port)
	if _, err := r.pub.Set(bg, true); err != nil {
		t.Fatal(err)
	}
	distrust := publish.New(r.app, http.NotFoundHandler(), publish.Options{}) // this computer's roots only
	if st, _ := distrust.SelfCheck(bg); st.Check.Step != "tls" || !strings.Contains(st.Check.Message, "browsers would warn") {
		t.Errorf("a certificate this computer does not trust: %+v", st.Check)
	}
	r.pub.Set(bg, false)
	// Another server with the right certificate answers there.
	pair, err := tls.LoadX509KeyPair(r.ca.CertFile, r.ca.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", ":"+port, &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	other := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) })}
	go other.Serve(ln)
	defer other.Close()
	if st, _ := r.pub.SelfCheck(bg); st.Check.Step != "answer" || !strings.Contains(st.Check.Message, "not from this window") {
		t.Errorf("another server at %s: %+v", ca.Address, st.Check)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}
