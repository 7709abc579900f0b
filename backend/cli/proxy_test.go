//go:build siteauth

// Admin access end to end: grantbook serve behind a real nginx and Caddy
// (Debian's packages) in front of a small admin site, and an OpenID
// Connect relying party. Run apart from the unit tests:
// go test -tags siteauth -run SiteAuth ./backend/cli/ (scripts/test.sh does).
package cli_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freePort finds a loopback port nobody listens on; the caller binds it
// soon after (a proxy needs its port in its configuration).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening polls until something accepts on addr, or the child dies.
func waitListening(t *testing.T, addr string, done <-chan struct{}, logs func() string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("the proxy exited before listening on %s:\n%s", addr, logs())
		case <-deadline:
			t.Fatalf("nothing listens on %s after 20 s:\n%s", addr, logs())
		case <-tick.C:
		}
	}
}

// need finds a program from Debian, or fails saying how to get it.
func need(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed for this test: apt-get install %s (scripts/setup.sh installs it)", name, pkg)
	}
	return p
}

// runProxy starts a proxy as a child (not a daemon) and stops it at the
// end of the test.
func runProxy(t *testing.T, addr string, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	// Caddy keeps its state under HOME/XDG: the test's folder, not the user's.
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	waitListening(t, addr, done, out.String)
}

// docBlocks are the fenced blocks of docs/deploy.md in a language: the
// tests run the configurations the documentation shows.
func docBlocks(t *testing.T, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

func docBlock(t *testing.T, lang, first string) string {
	t.Helper()
	for _, b := range docBlocks(t, lang) {
		if strings.HasPrefix(b, first) {
			return b
		}
	}
	t.Fatalf("docs/deploy.md has no %s block starting with %q", lang, first)
	return ""
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
