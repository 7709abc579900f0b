package core_test

import (
	"testing"

	"grantbook/backend/core"
)

// The window's switch is kept with an audit row per change; saving the
// settings tells a serving window; a port for this computer is a port.
func TestPublishingSwitch(t *testing.T) {
	f := &fixture{app: openApp(t, t.TempDir())}
	a := f.app
	changed := make(chan core.Event, 4)
	defer a.Subscribe(func(e core.Event) {
		if e.Kind == core.EventClientArea {
			changed <- e
		}
	})()
	if on, err := a.Publishing(bg); on || err != nil {
		t.Fatalf("fresh: %v %v", on, err)
	}
	audit, _ := f.counts(t)
	must0(t, a.SetPublishing(bg, true))
	must0(t, a.SetPublishing(bg, true)) // no change, no row
	if on, _ := a.Publishing(bg); !on {
		t.Error("not kept on")
	}
	if e := f.lastAudit(t); e.Action != "settings.publish" || e.Summary != "Let contacts sign in: this window serves the client area" {
		t.Errorf("audit %+v", e)
	}
	must0(t, a.SetPublishing(bg, false))
	if n, _ := f.counts(t); n != audit+2 {
		t.Errorf("%d audit rows for two changes", n-audit)
	}

	if _, err := a.PutClientArea(bg, core.ClientArea{Address: "https://portal.example.com", Certificate: core.CertAutomatic, ListenPort: "8443"}); err != nil {
		t.Fatal(err)
	}
	<-changed // a serving window starts again on the new settings
	if ca, _ := a.ClientArea(bg); ca.ListenPort != "8443" {
		t.Errorf("listen port %q", ca.ListenPort)
	}
	for _, p := range []string{"0", "65536", "08443", "https"} {
		_, err := a.PutClientArea(bg, core.ClientArea{Address: "https://portal.example.com", Certificate: core.CertAutomatic, ListenPort: p})
		if e := asCoreError(t, err); e.Field != "listen_port" {
			t.Errorf("port %q: %+v", p, e)
		}
	}
	if n, err := a.SignedIn(bg); n != 0 || err != nil {
		t.Errorf("signed in: %d %v", n, err)
	}
}

func must0(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
