package core_test

import (
	"bytes"
	"strings"
	"testing"

	"grantbook/backend/certs/certstest"
	"grantbook/backend/core"
)

func TestClientAreaSettings(t *testing.T) {
	dir := t.TempDir()
	f := &fixture{app: openApp(t, dir)}
	a := f.app
	if ca, err := a.ClientArea(bg); err != nil || ca.Address != "" || a.ClientAreaHost() != "" {
		t.Fatalf("fresh settings %+v, %v", ca, err)
	}
	audit, _ := f.counts(t)
	ca, err := a.PutClientArea(bg, core.ClientArea{Address: "http://192.168.1.20:8765/", TimeZone: "America/New_York"})
	if err != nil || ca.Address != "http://192.168.1.20:8765" || ca.SignIn != "http://192.168.1.20:8765/portal" ||
		ca.Network != "lan" || ca.Host != "192.168.1.20" || ca.Port != "8765" {
		t.Fatalf("PutClientArea = %+v, %v", ca, err)
	}
	if n, _ := f.counts(t); n != audit+1 {
		t.Errorf("%d audit rows for one change", n-audit)
	}
	if e := f.lastAudit(t); e.Action != "settings.client_area" || !strings.Contains(e.Summary, "http://192.168.1.20:8765") {
		t.Errorf("audit %+v", e)
	}
	if got, _ := a.ClientArea(bg); got != ca || a.ClientAreaHost() != "192.168.1.20" {
		t.Errorf("read back %+v (host %q), want %+v", got, a.ClientAreaHost(), ca)
	}

	// Reopened, the settings and the host are read from the data folder.
	a.Close()
	a2 := openApp(t, dir)
	if got, _ := a2.ClientArea(bg); got.Address != ca.Address || got.TimeZone != "America/New_York" || a2.ClientAreaHost() != "192.168.1.20" {
		t.Errorf("after reopening %+v, host %q", got, a2.ClientAreaHost())
	}
}

func TestClientAreaCertificateChoice(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	files, err := certstest.Throwaway(dir, "portal", "portal.example.com")
	if err != nil {
		t.Fatal(err)
	}
	other, err := certstest.Throwaway(dir, "other", "other.example.com")
	if err != nil {
		t.Fatal(err)
	}
	ok := []core.ClientArea{
		{Address: "https://portal.example.com", Certificate: core.CertAutomatic},
		{Address: "https://portal.example.com", Certificate: core.CertFiles, CertFile: files.CertFile, KeyFile: files.KeyFile},
		{Address: "https://portal.example.com"},
	}
	for _, in := range ok {
		got, err := f.app.PutClientArea(bg, in)
		if err != nil || got.Certificate != in.Certificate || got.CertFile != in.CertFile {
			t.Errorf("PutClientArea(%+v) = %+v, %v", in, got, err)
		}
	}
	bad := []struct {
		in          core.ClientArea
		field, says string
	}{
		{core.ClientArea{Address: "https://10.0.0.5", Certificate: core.CertAutomatic}, "certificate", "public name"},
		{core.ClientArea{Address: "https://portal.example.com:8443", Certificate: core.CertAutomatic}, "certificate", "port 443"},
		{core.ClientArea{Address: "https://203.0.113.9", Certificate: core.CertAutomatic}, "certificate", "IP address"},
		{core.ClientArea{Certificate: core.CertAutomatic}, "certificate", "public name"},
		{core.ClientArea{Address: "http://192.168.1.2", Certificate: core.CertFiles, CertFile: files.CertFile, KeyFile: files.KeyFile}, "cert_file", "not for 192.168.1.2"},
		{core.ClientArea{Address: "https://portal.example.com", Certificate: core.CertFiles, CertFile: other.CertFile, KeyFile: other.KeyFile}, "cert_file", "not for portal.example.com"},
		{core.ClientArea{Address: "https://portal.example.com", Certificate: core.CertFiles, CertFile: files.CertFile, KeyFile: other.KeyFile}, "cert_file", "cannot be used"},
		{core.ClientArea{Address: "https://portal.example.com", Certificate: core.CertFiles, CertFile: "portal.pem", KeyFile: files.KeyFile}, "cert_file", "full path"},
		{core.ClientArea{Address: "https://portal.example.com", Certificate: "self-signed"}, "certificate", "must be"},
		{core.ClientArea{Address: "https://portal.example.com", TimeZone: "Local"}, "time_zone", "not a time zone"},
	}
	before, _ := f.app.ClientArea(bg)
	for _, c := range bad {
		_, err := f.app.PutClientArea(bg, c.in)
		e := asCoreError(t, err)
		if e.Field != c.field || !strings.Contains(e.Message, c.says) {
			t.Errorf("PutClientArea(%+v): %s %q, want %s saying %q", c.in, e.Field, e.Message, c.field, c.says)
		}
	}
	if after, _ := f.app.ClientArea(bg); after != before {
		t.Errorf("refused settings changed them: %+v", after)
	}
}

const areaLink = "https://portal.example.com/portal"

// setArea sets the client area's address (and the owner's time zone).
func (r *invRig) setArea(addr, zone string) {
	r.t.Helper()
	if _, err := r.app.PutClientArea(invCtx, core.ClientArea{Address: addr, TimeZone: zone}); err != nil {
		r.t.Fatal(err)
	}
}

// A restored backup brings its own address, and the host check follows it.
func TestClientAreaHostFollowsARestore(t *testing.T) {
	a := openCore(t)
	if _, err := a.PutClientArea(bg, core.ClientArea{Address: "https://before.example.com"}); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := a.BackupStream(bg, &backup); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutClientArea(bg, core.ClientArea{Address: "https://after.example.com"}); err != nil || a.ClientAreaHost() != "after.example.com" {
		t.Fatalf("host %q, %v", a.ClientAreaHost(), err)
	}
	if _, err := a.Restore(bg, &backup); err != nil {
		t.Fatal(err)
	}
	if h := a.ClientAreaHost(); h != "before.example.com" {
		t.Errorf("after the restore the host check answers for %q, want the backup's before.example.com", h)
	}
}

// Passkeys are made for the client area's address, the same one the mails
// carry: there is no second public address.
func TestPasskeysAreForTheClientAreaAddress(t *testing.T) {
	a := openApp(t, t.TempDir())
	if _, err := a.RelyingParty(bg, "192.168.1.20:8765", false); err == nil {
		t.Error("a relying party for an IP address without a client area address")
	}
	if _, err := a.PutClientArea(bg, core.ClientArea{Address: "https://portal.example.com:8443"}); err != nil {
		t.Fatal(err)
	}
	rp, err := a.RelyingParty(bg, "localhost:8765", false)
	if err != nil || rp.ID != "portal.example.com" || rp.Origin != "https://portal.example.com:8443" {
		t.Errorf("RelyingParty = %+v, %v", rp, err)
	}
}
