package publish

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"
)

// fileCert serves the owner's PEM files and reads them again when the
// certificate file changes, so a renewal (certbot, the company's CA) is
// picked up without switching off.
type fileCert struct {
	cert, key, host string

	mu   sync.Mutex
	mod  time.Time
	pair *tls.Certificate
}

func (f *fileCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	st, err := os.Stat(f.cert)
	if err != nil {
		return nil, fmt.Errorf("the certificate file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pair != nil && st.ModTime().Equal(f.mod) {
		return f.pair, nil
	}
	pair, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return nil, fmt.Errorf("the certificate and key cannot be used: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("the certificate cannot be read: %w", err)
	}
	if err := leaf.VerifyHostname(f.host); err != nil {
		return nil, fmt.Errorf("the certificate is not for %s: %w", f.host, err)
	}
	if time.Now().After(leaf.NotAfter) {
		return nil, fmt.Errorf("the certificate expired on %s: renew it", leaf.NotAfter.Format("2 January 2006"))
	}
	pair.Leaf = leaf
	f.pair, f.mod = &pair, st.ModTime()
	return f.pair, nil
}
