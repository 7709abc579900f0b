//go:build acme

// The ACME end-to-end test: serve --domain against Pebble on loopback. It
// builds Pebble from the Go module proxy, so it runs apart from the unit
// tests: go test -tags acme,sqlite_fts5 -run ACME ./backend/cli/ (scripts/test.sh does).
package cli_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/proctest"
)

const testName = "portal.grantbook.test"

// validity is short enough for autocert (renewing at a third of the
// lifetime left) to renew within the test.
const validity = 30 * time.Second

// served is the certificate behind one successful GET of url.
func served(c *http.Client, url string) (*x509.Certificate, error) {
	res, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return res.TLS.PeerCertificates[0], nil
}

// pollCert asks until ok accepts the served certificate or within passes.
func pollCert(t *testing.T, c *http.Client, url string, within time.Duration, ok func(*x509.Certificate) bool) *x509.Certificate {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cert, err := served(c, url)
		if err == nil && ok(cert) {
			return cert
		}
		last = err
		select {
		case <-deadline:
			t.Fatalf("no fitting certificate at %s within %v (last error: %v)", url, within, last)
		case <-tick.C:
		}
	}
}

func TestACMEServeDomain(t *testing.T) {
	work := t.TempDir()
	ports, err := certstest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, httpPort := ports[0], ports[1]
	var pebbleLog proctest.Buffer
	pebble, err := certstest.Start(context.Background(), certstest.Options{Dir: work, HTTPPort: httpPort, Validity: validity, Log: &pebbleLog})
	if err != nil {
		t.Fatal(err)
	}
	defer pebble.Stop()
	pool, rootPEM, err := pebble.Root()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(work, "pebble-root.pem"), rootPEM, 0o600)

	dir := t.TempDir()
	args := []string{"--domain", testName, "--data-dir", dir,
		"--https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort), "--http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--acme-ca", pebble.DirectoryURL, "--acme-root", pebble.ListenerCA, "--acme-email", "owner@grantbook.test"}
	p, base, token := serve(t, noEnvToken, args...)
	if want := fmt.Sprintf("https://%s:%d", testName, httpsPort); base != want {
		t.Errorf("serve printed %s, want %s", base, want)
	}
	client := certstest.Client(pool, testName)

	first := pollCert(t, client, base+"/api/health", time.Minute, func(*x509.Certificate) bool { return true })
	if err := first.VerifyHostname(testName); err != nil {
		t.Errorf("certificate: %v", err)
	}
	if life := first.NotAfter.Sub(first.NotBefore); life > validity {
		t.Errorf("certificate lifetime %v, Pebble was set to %v", life, validity)
	}
	if !strings.Contains(p.stderr.String(), "answering an ACME HTTP-01 challenge") {
		t.Errorf("Pebble did not validate over HTTP-01 on our HTTP listener; log:\n%s", p.stderr.String())
	}
	checkOwnerAndRedirect(t, client, base, token, httpPort, httpsPort)
	checkCacheModes(t, filepath.Join(dir, "acme"))

	// Renewal, well before expiry.
	renewed := pollCert(t, client, base+"/api/health", 2*validity, func(c *x509.Certificate) bool {
		return c.SerialNumber.Cmp(first.SerialNumber) != 0
	})
	if !renewed.NotBefore.Before(first.NotAfter) {
		t.Errorf("renewed only after expiry: first until %v, next from %v", first.NotAfter, renewed.NotBefore)
	}

	// A restart serves the cached certificate without asking the CA again
	// (unless its own renewal time has come meanwhile).
	p.stop()
	p, base, _ = serve(t, noEnvToken, args...)
	again := pollCert(t, client, base+"/api/health", 20*time.Second, func(*x509.Certificate) bool { return true })
	if time.Since(renewed.NotBefore) < validity/2 {
		if again.SerialNumber.Cmp(renewed.SerialNumber) != 0 {
			t.Errorf("after a restart serve got certificate %v, not the cached %v", again.SerialNumber, renewed.SerialNumber)
		}
		if strings.Contains(p.stderr.String(), "answering an ACME HTTP-01 challenge") {
			t.Errorf("after a restart serve asked the CA again: %s", p.stderr.String())
		}
	} else {
		t.Logf("the restart came too late to check the cache: the renewed certificate was due again")
	}
	t.Logf("issued %v, renewed %v (serials %v → %v); curl: curl --cacert %s --resolve %s:%d:127.0.0.1 %s/api/health",
		first.NotBefore.Format(time.TimeOnly), renewed.NotBefore.Format(time.TimeOnly), first.SerialNumber, renewed.SerialNumber,
		filepath.Join(work, "pebble-root.pem"), testName, httpsPort, base)
}

// checkOwnerAndRedirect: the printed token works over HTTPS, and plain HTTP
// sends browsers to the HTTPS address, path and query kept.
func checkOwnerAndRedirect(t *testing.T, c *http.Client, base, token string, httpPort, httpsPort int) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("owner API over HTTPS: %v %v", res, err)
	}
	res.Body.Close()
	res, err = c.Get(fmt.Sprintf("http://%s:%d/contacts?x=1", testName, httpPort))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	want := fmt.Sprintf("https://%s:%d/contacts?x=1", testName, httpsPort)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
		t.Errorf("HTTP: %d to %q, want 301 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
}

// checkCacheModes: the account key and certificates are the owner's only.
func checkCacheModes(t *testing.T, root string) {
	t.Helper()
	var files int
	filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if files < 2 {
		t.Errorf("the cache %s holds %d files, want the account key and a certificate", root, files)
	}
}

// Without an HTTP listener the certificate comes over tls-alpn-01 on the
// HTTPS port, which is also what autocert tries first on :443.
func TestACMETLSALPNWithoutHTTP(t *testing.T) {
	work := t.TempDir()
	ports, err := certstest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, unused := ports[0], ports[1]
	var pebbleLog proctest.Buffer
	pebble, err := certstest.Start(context.Background(), certstest.Options{Dir: work, HTTPPort: unused, TLSPort: httpsPort, Log: &pebbleLog})
	if err != nil {
		t.Fatal(err)
	}
	defer pebble.Stop()
	pool, _, err := pebble.Root()
	if err != nil {
		t.Fatal(err)
	}
	p, base, _ := serve(t, noEnvToken, "--domain", testName, "--data-dir", t.TempDir(), "--http-addr", "",
		"--https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort), "--acme-ca", pebble.DirectoryURL, "--acme-root", pebble.ListenerCA)
	cert := pollCert(t, certstest.Client(pool, testName), base+"/api/health", time.Minute, func(*x509.Certificate) bool { return true })
	if err := cert.VerifyHostname(testName); err != nil {
		t.Error(err)
	}
	// Nothing listens on Pebble's HTTP-01 port: the certificate proves the
	// tls-alpn-01 answer; Pebble must not even have tried HTTP-01.
	if strings.Contains(pebbleLog.String(), "validate w/ HTTP") || strings.Contains(p.stderr.String(), "HTTP-01") {
		t.Errorf("want tls-alpn-01 only\nserve: %s\npebble: %s", p.stderr.String(), pebbleLog.String())
	}
}
