package web_test

import (
	"bytes"
	"testing"
)

// The client area's invoice and service lists are written from JSON made
// when the account's list was cached: byte for byte what encoding/json
// writes for the owner's list of the same records, also after a change
// and with characters it escapes.
func TestClientAreaListsAnswerAsTheOwnersDo(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "all@example.com", map[string]any{"preset": "full"})
	p := e.signIn("all@example.com")
	acc := "/api/accounts/" + ftoa(d.acc)
	same := func(what string) {
		t.Helper()
		got, want := p.get("/api/portal/"+what), e.ok(200, "GET", acc+"/"+what, nil)
		if got.status != 200 || !bytes.Equal(got.body, want.body) {
			t.Fatalf("portal %s: %d\n%s\nthe owner's:\n%s", what, got.status, got.body, want.body)
		}
		if cl := got.header.Get("Content-Length"); cl != ftoa(float64(len(got.body))) {
			t.Errorf("portal %s: Content-Length %q for %d bytes", what, cl, len(got.body))
		}
	}
	same("invoices")
	same("services")
	e.ok(200, "PATCH", "/api/invoices/"+ftoa(d.invSvc2), map[string]any{"number": `INV <2> & "x" é`})
	e.ok(200, "PATCH", "/api/services/"+ftoa(d.svc1), map[string]any{"name": "<b>acme</b>.com"})
	same("invoices")
	same("services")
}
