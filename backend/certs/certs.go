// Package certs gets and renews TLS certificates over ACME (Let's Encrypt
// unless told otherwise) for the public names Grantbook answers to, and
// keeps the account key and the certificates in the data folder. serve
// --domain uses it; the window's public-domain option is meant to as well.
package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"grantbook/backend/version"
)

// LetsEncrypt is the default certificate authority's ACME directory.
const LetsEncrypt = acme.LetsEncryptURL

// Config says which names to certify and how to reach the CA.
type Config struct {
	Domains []string // checked with CheckDomains
	DataDir string   // the cache goes to DataDir/acme/<CA>
	CA      string   // ACME directory URL; empty: Let's Encrypt
	// RootsFile is a PEM bundle to trust, instead of the system's roots, when
	// talking to the CA (a test CA such as Pebble).
	RootsFile string
	Email     string // for the CA's notices; optional
	// HTTPSPort is where the HTTP listener redirects browsers; empty or
	// "443" gives plain https:// links.
	HTTPSPort string
	Log       *slog.Logger
}

// Manager answers TLS handshakes and ACME challenges for the configured
// names, obtaining certificates on first use and renewing them early.
type Manager struct {
	m       *autocert.Manager
	domains []string
	dir     string
	port    string
	log     *slog.Logger
}

// Check reports what is wrong with cfg, touching neither the disk nor the
// network, so a command line can be refused before anything starts.
func Check(cfg Config) error {
	_, _, err := cfg.check()
	return err
}

func (cfg Config) check() ([]string, *acme.Client, error) {
	domains, err := CheckDomains(cfg.Domains)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Email != "" {
		if a, err := mail.ParseAddress(cfg.Email); err != nil || a.Address != cfg.Email {
			return nil, nil, fmt.Errorf("--acme-email %q is not an email address", cfg.Email)
		}
	}
	client, err := acmeClient(cfg.ca(), cfg.RootsFile)
	return domains, client, err
}

func (cfg Config) ca() string {
	if cfg.CA == "" {
		return LetsEncrypt
	}
	return cfg.CA
}

// New checks cfg and prepares the cache folder (0700; files are 0600).
// Nothing talks to the CA until a handshake or Obtain needs a certificate.
func New(cfg Config) (*Manager, error) {
	domains, client, err := cfg.check()
	if err != nil {
		return nil, err
	}
	dir, err := cacheDir(cfg.DataDir, cfg.ca())
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &autocert.Manager{
		// Choosing --domain is agreeing to the CA's terms, as with PocketBase.
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: hostPolicy(domains),
		Client:     client,
		Email:      cfg.Email,
		// RenewBefore stays zero: autocert then renews when a third of the
		// lifetime is left (at most 30 days before), which suits short-lived
		// certificates as well as 90-day ones.
	}
	return &Manager{m: m, domains: domains, dir: dir, port: cfg.HTTPSPort, log: cfg.Log}, nil
}

// Domains are the names certified, normalised.
func (m *Manager) Domains() []string { return m.domains }

// Dir is the folder that holds the ACME account key and certificates.
func (m *Manager) Dir() string { return m.dir }

// TLSConfig serves the managed certificates and tls-alpn-01 challenges.
func (m *Manager) TLSConfig() *tls.Config {
	c := m.m.TLSConfig()
	c.MinVersion = tls.VersionTLS12
	return c
}

// Obtain makes sure every name has a valid certificate, getting missing
// ones now rather than on a visitor's first handshake, so a mistake (DNS
// not pointing here, port 80 closed) shows in the log at once.
func (m *Manager) Obtain(ctx context.Context) error {
	var errs []error
	for _, d := range m.domains {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cert, err := m.m.GetCertificate(ecdsaHello(d))
		if err != nil {
			errs = append(errs, fmt.Errorf("getting a certificate for %s: %w", d, err))
			continue
		}
		m.log.Info("certificate ready", "domain", d, "expires", cert.Leaf.NotAfter.Format(time.RFC3339))
	}
	return errors.Join(errs...)
}

// ecdsaHello looks like a modern browser's handshake, so the certificate
// obtained ahead of time is the ECDSA one browsers will ask for.
func ecdsaHello(name string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:        name,
		SignatureSchemes:  []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:   []tls.CurveID{tls.CurveP256},
		CipherSuites:      []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12},
	}
}

// hostPolicy accepts only the configured names. The CA's HTTP-01 request
// carries a port in Host when it does not use 80 (test CAs): drop it.
func hostPolicy(domains []string) autocert.HostPolicy {
	allowed := autocert.HostWhitelist(domains...)
	return func(ctx context.Context, host string) error {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return allowed(ctx, strings.ToLower(host))
	}
}

// acmeClient talks to the CA at dirURL, trusting rootsFile if given.
func acmeClient(dirURL, rootsFile string) (*acme.Client, error) {
	u, err := url.Parse(dirURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--acme-ca %q: want the https:// URL of an ACME directory", dirURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if rootsFile != "" {
		pool, err := loadRoots(rootsFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &acme.Client{
		DirectoryURL: dirURL,
		HTTPClient:   &http.Client{Transport: tr, Timeout: time.Minute},
		UserAgent:    "grantbook/" + version.Version,
	}, nil
}

func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading --acme-root: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--acme-root %s holds no PEM certificate", file)
	}
	return pool, nil
}

// cacheDir is one folder per CA, so certificates from a test or staging CA
// are never served once the owner switches to the real one.
func cacheDir(dataDir, ca string) (string, error) {
	if dataDir == "" {
		return "", errors.New("certificates: no data folder to keep them in")
	}
	u, err := url.Parse(ca)
	if err != nil {
		return "", fmt.Errorf("--acme-ca %q: %w", ca, err)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(u.Host+u.Path))
	dir := filepath.Join(dataDir, "acme", name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("certificate folder: %w", err)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o700); err != nil {
			return "", fmt.Errorf("certificate folder: %w", err)
		}
	}
	return dir, nil
}
