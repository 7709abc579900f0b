//go:build acme

package publish_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/core"
	"grantbook/backend/publish"
	"grantbook/backend/web"
)

// The window's automatic certificate is serve --domain's code: Pebble
// validates over tls-alpn-01 on the window's own listener (no port 80),
// and the address then answers with Pebble's certificate.
// go test -tags acme,sqlite_fts5 -run ACME ./backend/publish/ (a step of scripts/test.sh).
func TestACMEWindowAutomaticCertificate(t *testing.T) {
	const name = "publish.grantbook.test"
	ports, err := certstest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	listen, closed := ports[0], ports[1]
	pebble, err := certstest.Start(context.Background(), certstest.Options{Dir: t.TempDir(), HTTPPort: closed, TLSPort: listen})
	if err != nil {
		t.Fatal(err)
	}
	defer pebble.Stop()
	pool, _, err := pebble.Root()
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.Open(bg, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.SetLogger(slog.New(slog.DiscardHandler))
	h := web.NewServer(web.NewAPI(app, slog.New(slog.DiscardHandler)), fstest.MapFS{"index.html": {Data: []byte("<title>Grantbook</title>")}},
		"owner-token-owner-token-owner-token-1", web.ContactsOnly())
	pub := publish.New(app, h, publish.Options{ACMECA: pebble.DirectoryURL, ACMERoot: pebble.ListenerCA, Roots: pool})
	pub.Start(bg)
	defer pub.Close()
	if _, err := app.PutClientArea(bg, core.ClientArea{Address: "https://" + name, Certificate: core.CertAutomatic,
		ListenPort: strconv.Itoa(listen)}); err != nil {
		t.Fatal(err)
	}
	if st, err := pub.Set(bg, true); err != nil || !st.Serving || st.Listen != ":"+strconv.Itoa(listen) {
		t.Fatalf("switched on: %+v, %v", st, err)
	}
	client := certstest.Client(pool, name)
	base := fmt.Sprintf("https://%s:%d", name, listen)
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := client.Get(base + "/api/health")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.TLS.PeerCertificates[0].VerifyHostname(name) != nil {
				t.Fatalf("health: %d %v", res.StatusCode, res.TLS.PeerCertificates[0].DNSNames)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no trusted answer within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling while Pebble validates, with the deadline above
	}
	if res, err := client.Get(base + "/api/accounts"); err != nil || res.StatusCode != 404 {
		t.Errorf("owner API on the published address: %v %v", res, err)
	}
	pub.Set(bg, false)
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(listen))); err == nil {
		c.Close()
		t.Error("still listening after switching off")
	}
}
