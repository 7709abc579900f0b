package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Windows has no zone database of its own

	"grantbook/backend/address"
	"grantbook/backend/certs"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

const keyClientArea = "client_area"

// Certificate choices for an address Grantbook answers on itself.
const (
	CertAutomatic = "automatic" // ACME, as serve --domain does: a public name on port 443
	CertFiles     = "files"     // the owner's PEM certificate and key
)

// ClientArea is Settings → Client area: the address contacts use, which
// every mail about their access carries and the host check answers for.
// Certificate, CertFile and KeyFile say how HTTPS is had when Grantbook
// itself answers on the address (the window's "Let contacts sign in"); they
// stay empty when serve's flags or a proxy in front take care of it.
type ClientArea struct {
	Address     string `json:"address"` // e.g. https://portal.example.com; "" until set
	Certificate string `json:"certificate"`
	CertFile    string `json:"cert_file"`
	KeyFile     string `json:"key_file"`
	// ListenPort is where the window listens when it is not the address's
	// port: a router forwarding 443 to 8443, say ("" is the address's).
	ListenPort string `json:"listen_port"`
	// TimeZone is the IANA zone dates in mails are written in; "" is this
	// computer's.
	TimeZone string `json:"time_zone"`

	// Read only, from Address: the link mails carry (Address/portal), the
	// host requests name, and where the address can be reached from.
	SignIn  string          `json:"sign_in"`
	Host    string          `json:"host"`
	Port    string          `json:"port"`
	Network address.Network `json:"network"`
}

// areaCache keeps the host for the check every request makes.
type areaCache struct{ host atomic.Pointer[string] }

// ClientArea returns the client-area settings.
func (a *App) ClientArea(ctx context.Context) (ClientArea, error) {
	var ca ClientArea
	raw, ok, err := a.store.Setting(ctx, keyClientArea)
	if err != nil || !ok {
		return ca, err
	}
	if err := json.Unmarshal([]byte(raw), &ca); err != nil {
		return ClientArea{}, fmt.Errorf("client area settings are damaged: %w", err)
	}
	// Stored values were checked; a restored older or edited file is read
	// again, and an address that no longer passes counts as unset.
	if ca.Address != "" {
		ad, err := address.Parse(ca.Address)
		if err != nil {
			a.log.Warn("the stored client area address is not valid; it is ignored", "err", err)
			return ClientArea{TimeZone: ca.TimeZone}, nil
		}
		ca.fill(ad)
	}
	return ca, nil
}

// PublicAddress is Grantbook's one public address ("" until set): the
// client area's, which is also where the owner's sites send visitors to
// sign in and the OpenID Connect issuer.
func (a *App) PublicAddress(ctx context.Context) (string, error) {
	ca, err := a.ClientArea(ctx)
	return ca.Address, err
}

func (ca *ClientArea) fill(ad address.Address) {
	ca.Address, ca.SignIn, ca.Host, ca.Port, ca.Network = ad.URL, ad.SignIn(), ad.Host, ad.Port, ad.Network
}

// PutClientArea checks and saves the settings, with an audit row.
func (a *App) PutClientArea(ctx context.Context, in ClientArea) (ClientArea, error) {
	ca, err := checkClientArea(in)
	if err != nil {
		return in, err
	}
	before, err := a.ClientArea(ctx)
	if err != nil {
		return in, err
	}
	stored := ClientArea{Address: ca.Address, Certificate: ca.Certificate, CertFile: ca.CertFile, KeyFile: ca.KeyFile,
		ListenPort: ca.ListenPort, TimeZone: ca.TimeZone}
	raw, err := json.Marshal(stored)
	if err != nil {
		return in, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Before, e.After = "settings.client_area", "settings", before, stored
		e.Summary = "Set the client area's address to " + orDefault(ca.Address, "(none)")
		return tx.PutSetting(ctx, keyClientArea, string(raw))
	})
	if err != nil {
		return in, err
	}
	a.area.host.Store(&ca.Host)
	a.emit(Event{Kind: EventClientArea})
	return ca, nil
}

// checkClientArea validates and normalises the settings.
func checkClientArea(in ClientArea) (ClientArea, error) {
	ca := ClientArea{Certificate: strings.TrimSpace(in.Certificate), TimeZone: strings.TrimSpace(in.TimeZone),
		CertFile: strings.TrimSpace(in.CertFile), KeyFile: strings.TrimSpace(in.KeyFile), ListenPort: strings.TrimSpace(in.ListenPort)}
	if strings.TrimSpace(in.Address) != "" {
		ad, err := address.Parse(in.Address)
		if err != nil {
			return ca, invalid("address", "%s", err)
		}
		ca.fill(ad)
	}
	if ca.TimeZone != "" {
		if _, err := time.LoadLocation(ca.TimeZone); err != nil || ca.TimeZone == "Local" {
			return ca, invalid("time_zone", "%q is not a time zone like Europe/Paris or America/New_York", ca.TimeZone)
		}
	}
	if ca.ListenPort != "" {
		if n, err := strconv.Atoi(ca.ListenPort); err != nil || n < 1 || n > 65535 || ca.ListenPort[0] == '0' {
			return ca, invalid("listen_port", "the port must be a number from 1 to 65535, or empty for the address's own")
		}
	}
	switch ca.Certificate {
	case "":
		ca.CertFile, ca.KeyFile, ca.ListenPort = "", "", ""
	case CertAutomatic:
		ca.CertFile, ca.KeyFile = "", ""
		if ca.Address == "" || ca.Network != address.Public || ca.Port != "" {
			return ca, invalid("certificate", "an automatic certificate needs a public name on port 443 (https://portal.example.com) pointing at this computer")
		}
		if _, err := certs.CheckDomains([]string{ca.Host}); err != nil {
			return ca, invalid("certificate", "an automatic certificate needs a public name: %s", strings.TrimPrefix(err.Error(), fmt.Sprintf("--domain %q: ", ca.Host)))
		}
	case CertFiles:
		if err := checkCertFiles(ca); err != nil {
			return ca, err
		}
	default:
		return ca, invalid("certificate", "certificate must be %q, %q or empty", CertAutomatic, CertFiles)
	}
	if ca.Certificate != "" && !strings.HasPrefix(ca.Address, "https://") {
		return ca, invalid("certificate", "a certificate goes with an https:// address")
	}
	return ca, nil
}

// checkCertFiles loads the owner's certificate and key now, so a typo or a
// certificate for another name shows when saving, not when contacts come.
func checkCertFiles(ca ClientArea) error {
	for field, p := range map[string]string{"cert_file": ca.CertFile, "key_file": ca.KeyFile} {
		if p == "" || !filepath.IsAbs(p) {
			return invalid(field, "give the full path of the PEM file")
		}
	}
	if ca.Host == "" {
		return invalid("address", "give the address the certificate is for")
	}
	pair, err := tls.LoadX509KeyPair(ca.CertFile, ca.KeyFile)
	if err != nil {
		return invalid("cert_file", "the certificate and key cannot be used: %s", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return invalid("cert_file", "the certificate cannot be read: %s", err)
	}
	if err := leaf.VerifyHostname(ca.Host); err != nil {
		return invalid("cert_file", "the certificate is not for %s: %s", ca.Host, err)
	}
	if time.Now().After(leaf.NotAfter) {
		return invalid("cert_file", "the certificate expired on %s", leaf.NotAfter.Format("2 January 2006"))
	}
	return nil
}

// ClientAreaHost is the configured address's host ("" when none), for the
// host check of every request: kept in memory, read once.
func (a *App) ClientAreaHost() string {
	if h := a.area.host.Load(); h != nil {
		return *h
	}
	ca, err := a.ClientArea(context.Background())
	if err != nil {
		return ""
	}
	a.area.host.Store(&ca.Host)
	return ca.Host
}

// location is the zone dates in mails are written in.
func (ca ClientArea) location() *time.Location {
	if ca.TimeZone != "" {
		if loc, err := time.LoadLocation(ca.TimeZone); err == nil {
			return loc
		}
	}
	return time.Local
}
