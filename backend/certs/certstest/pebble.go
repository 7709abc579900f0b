// Package certstest runs Pebble, Let's Encrypt's test CA, on loopback for
// the ACME tests and benchmark: built with `go install` from the Go module
// proxy into a work folder, with pebble-challtestsrv as its DNS server so any
// name resolves to 127.0.0.1, and Pebble's validation authority sending its
// HTTP-01 requests to the port the caller listens on.
package certstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// PebbleVersion is the Pebble module version used, from the Go proxy.
const PebbleVersion = "v2.10.3"

// Options configure one Pebble.
type Options struct {
	Dir string // work folder: binaries, config, certificates
	// HTTPPort is where Pebble asks for HTTP-01 challenges: the server under
	// test's HTTP listener.
	HTTPPort int
	// TLSPort is where Pebble tries tls-alpn-01. Zero picks a closed port,
	// so the validation that succeeds is HTTP-01.
	TLSPort int
	// Validity is the certificates' lifetime; zero is Pebble's (90 days).
	Validity time.Duration
	// Log receives Pebble's and the DNS server's output (nil: discarded).
	Log io.Writer
}

// Pebble is a running CA.
type Pebble struct {
	DirectoryURL string // the ACME directory
	// ListenerCA is a PEM file: the CA of Pebble's own HTTPS listeners (what
	// --acme-root takes).
	ListenerCA string
	mgmt       string
	dns        string
	client     *http.Client
	procs      []*exec.Cmd
	waits      sync.WaitGroup
}

// Build installs pebble and pebble-challtestsrv into dir/bin (the Go build
// cache makes later builds quick) and returns the folder.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "bin")
	cmd := exec.Command("go", "install",
		"github.com/letsencrypt/pebble/v2/cmd/pebble@"+PebbleVersion,
		"github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@"+PebbleVersion)
	// Outside any module, with the project's GOFLAGS out of the way.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building pebble %s: %w\n%s", PebbleVersion, err, out)
	}
	return bin, nil
}

// Start builds and runs Pebble and its DNS server, and waits until Pebble
// answers.
func Start(ctx context.Context, o Options) (*Pebble, error) {
	bin, err := Build(o.Dir)
	if err != nil {
		return nil, err
	}
	listener, err := Throwaway(o.Dir, "listener", "127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts(5)
	if err != nil {
		return nil, err
	}
	acmePort, mgmtPort, dnsPort, closed, dnsMgmt := ports[0], ports[1], ports[2], ports[3], ports[4]
	if o.TLSPort == 0 {
		o.TLSPort = closed
	}
	cfg, err := writeConfig(o, acmePort, mgmtPort, listener.CertFile, listener.KeyFile)
	if err != nil {
		return nil, err
	}
	p := &Pebble{
		DirectoryURL: fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort),
		ListenerCA:   listener.CAFile,
		mgmt:         fmt.Sprintf("https://127.0.0.1:%d", mgmtPort),
		client:       &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: listener.Pool}}},
	}
	dns := fmt.Sprintf("127.0.0.1:%d", dnsPort)
	p.dns = dns
	// Only A records (127.0.0.1): an AAAA answer would send Pebble to ::1.
	err = p.run(o.Log, filepath.Join(bin, "pebble-challtestsrv"), "-dnsserver", dns, "-defaultIPv6", "",
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
		"-management", fmt.Sprintf("127.0.0.1:%d", dnsMgmt))
	if err == nil {
		err = p.run(o.Log, filepath.Join(bin, "pebble"), "-config", cfg, "-dnsserver", dns)
	}
	if err == nil {
		err = p.waitReady(ctx)
	}
	if err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Pebble) run(log io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	// No random validation delays, no random nonce rejections, and a fresh
	// validation for every order (renewals included).
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", filepath.Base(name), err)
	}
	p.procs = append(p.procs, cmd)
	p.waits.Add(1)
	go func() { cmd.Wait(); p.waits.Done() }()
	return nil
}

// answers is nil once the DNS server and Pebble both answer.
func (p *Pebble) answers() error {
	c, err := net.DialTimeout("tcp", p.dns, time.Second)
	if err != nil {
		return err
	}
	c.Close()
	res, err := p.client.Get(p.DirectoryURL)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("directory: %s", res.Status)
	}
	return nil
}

func (p *Pebble) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := p.answers()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pebble did not answer at %s: %v", p.DirectoryURL, err)
		case <-tick.C:
		}
	}
}

// Root is Pebble's issuing root, from its management interface: trust it
// (and nothing else) to check the certificates Pebble issued.
func (p *Pebble) Root() (*x509.CertPool, []byte, error) {
	res, err := p.client.Get(p.mgmt + "/roots/0")
	if err != nil {
		return nil, nil, fmt.Errorf("fetching pebble's root: %w", err)
	}
	defer res.Body.Close()
	pem, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetching pebble's root: %d %v", res.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, errors.New("pebble's root is not PEM")
	}
	return pool, pem, nil
}

// Stop ends Pebble and its DNS server.
func (p *Pebble) Stop() {
	for _, c := range p.procs {
		c.Process.Kill()
	}
	p.waits.Wait()
}

func writeConfig(o Options, acmePort, mgmtPort int, certFile, keyFile string) (string, error) {
	var c struct {
		Pebble map[string]any `json:"pebble"`
	}
	c.Pebble = map[string]any{
		"listenAddress":           "127.0.0.1:" + strconv.Itoa(acmePort),
		"managementListenAddress": "127.0.0.1:" + strconv.Itoa(mgmtPort),
		"certificate":             certFile,
		"privateKey":              keyFile,
		"httpPort":                o.HTTPPort,
		"tlsPort":                 o.TLSPort,
		"keyAlgorithm":            "ecdsa",
		"retryAfter":              map[string]int{"authz": 1, "order": 1},
	}
	if o.Validity > 0 {
		c.Pebble["profiles"] = map[string]any{"default": map[string]any{
			"description": "short-lived, for renewal tests", "validityPeriod": int(o.Validity / time.Second)}}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	file := filepath.Join(o.Dir, "pebble-config.json")
	return file, os.WriteFile(file, b, 0o600)
}

// FreePorts returns n loopback TCP ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Client trusts pool only and dials name on loopback, one connection per
// request (so each sees the certificate served at that moment); it does
// not follow redirects.
func Client(pool *x509.CertPool, name string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if host, port, _ := net.SplitHostPort(addr); host == name {
					addr = net.JoinHostPort("127.0.0.1", port)
				}
				return d.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
