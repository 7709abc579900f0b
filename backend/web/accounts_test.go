package web_test

import (
	"net/http"
	"slices"
	"testing"
)

type portalAccount struct {
	ContactID float64 `json:"contact_id"`
	Account   string  `json:"account"`
}

// accountsOf reads the client areas a session may open.
func accountsOf(t *testing.T, p *portal) []string {
	t.Helper()
	var v struct {
		Accounts []portalAccount `json:"accounts"`
	}
	r := p.get("/api/portal/accounts")
	if r.status != 200 {
		t.Fatalf("accounts: %d %s", r.status, r.body)
	}
	r.into(t, &v)
	var out []string
	for _, a := range v.Accounts {
		out = append(out, a.Account)
	}
	return out
}

func (p *portal) choose(contactID float64) resp {
	return p.post("POST", "/api/portal/account", `{"contact_id":`+ftoa(contactID)+`}`)
}

func TestOneAddressInSeveralAccounts(t *testing.T) {
	e := newEnv(t)
	e.startMail()
	const pat = "pat@example.com"
	account := func(name string) portalData {
		acc := e.ok(201, "POST", "/api/accounts", map[string]any{"name": name}).json(t)["id"].(float64)
		e.ok(201, "POST", "/api/accounts/"+ftoa(acc)+"/services", map[string]any{"name": name + " hosting", "kind": "hosting"})
		return portalData{acc: acc}
	}
	acme := e.addContact(account("Acme"), pat, map[string]any{"preset": "technical"})
	beta := e.addContact(account("Beta"), pat, map[string]any{"preset": "billing"})
	e.ok(201, "POST", "/api/invitations", map[string]any{"account_id": account("Delta").acc, "first_name": "Pat",
		"last_name": "Invited", "email": pat, "preset": "full"})
	// Suspended last: the most recently changed contact of the address.
	gamma := e.addContact(account("Gamma"), pat, map[string]any{"preset": "full"})
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(gamma), map[string]any{"status": "suspended"})

	p := e.newPortal()
	r := p.verify(pat, e.waitCode(pat, p.askCode(pat)))
	var v struct {
		Contact  map[string]any  `json:"contact"`
		Accounts []portalAccount `json:"accounts"`
		CSRF     string          `json:"csrf_token"`
	}
	if r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	r.into(t, &v)
	p.csrf = v.CSRF
	if v.Contact != nil || len(v.Accounts) != 2 || v.Accounts[0].Account != "Acme" || v.Accounts[1].Account != "Beta" {
		t.Fatalf("verify: contact %v, accounts %+v; want none chosen among Acme and Beta", v.Contact, v.Accounts)
	}
	if r := p.get("/api/portal/me"); r.status != http.StatusConflict {
		t.Errorf("before choosing, /me: %d %s, want 409", r.status, r.body)
	} else if code, _ := r.errorOf(t); code != "choose_account" {
		t.Errorf("before choosing: code %q", code)
	}
	if r := p.req("POST", "/api/portal/account", `{"contact_id":`+ftoa(acme)+`}`, nil); r.status != 403 {
		t.Errorf("choosing without the CSRF header: %d, want 403", r.status)
	}
	for _, id := range []float64{gamma, 9999} {
		if r := p.choose(id); r.status != 422 {
			t.Errorf("choosing contact %v: %d %s, want 422", id, r.status, r.body)
		}
	}

	if r := p.choose(acme); r.status != 200 {
		t.Fatalf("choose Acme: %d %s", r.status, r.body)
	}
	if got := listNames(t, p.get("/api/portal/services"), "services", "name"); !slices.Equal(got, []string{"Acme hosting"}) {
		t.Errorf("in Acme, services %v", got)
	}
	// Switching needs no new sign-in; each account's grant applies.
	if r := p.choose(beta); r.status != 200 {
		t.Fatalf("switch to Beta: %d %s", r.status, r.body)
	}
	if r := p.get("/api/portal/services"); r.status != 403 {
		t.Errorf("in Beta (billing), services: %d, want 403", r.status)
	}
	var home struct {
		Account  string          `json:"account"`
		Accounts []portalAccount `json:"accounts"`
	}
	p.get("/api/portal/me").into(t, &home)
	if home.Account != "Beta" || len(home.Accounts) != 2 {
		t.Errorf("home after the switch: %+v", home)
	}

	// The owner signs Pat out of Acme: Beta goes on, Acme cannot be chosen.
	e.ok(200, "POST", "/api/contacts/"+ftoa(acme)+"/sessions/revoke", map[string]any{})
	if r := p.get("/api/portal/invoices"); r.status != 200 {
		t.Errorf("Beta after Acme's revocation: %d %s", r.status, r.body)
	}
	if r := p.choose(acme); r.status != 422 {
		t.Errorf("back to Acme after its revocation: %d %s, want 422", r.status, r.body)
	}
	// Beta is suspended while chosen: choose again, and nothing is left.
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(beta), map[string]any{"status": "suspended"})
	if r := p.get("/api/portal/invoices"); r.status != 401 {
		t.Errorf("no account left: %d %s, want 401", r.status, r.body)
	}
}

func TestChosenAccountIsRecheckedOnEveryRequest(t *testing.T) {
	e := newEnv(t)
	e.startMail()
	const pat = "pat@example.com"
	var ids []float64
	for _, name := range []string{"Acme", "Beta"} {
		acc := e.ok(201, "POST", "/api/accounts", map[string]any{"name": name}).json(t)["id"].(float64)
		ids = append(ids, e.addContact(portalData{acc: acc}, pat, map[string]any{"preset": "billing"}))
	}
	p := e.signIn(pat)
	if r := p.choose(ids[0]); r.status != 200 {
		t.Fatalf("choose: %d %s", r.status, r.body)
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(ids[0]), map[string]any{"expires_at": "2026-01-01"})
	if r := p.get("/api/portal/invoices"); r.status != http.StatusConflict {
		t.Errorf("chosen contact expired: %d %s, want 409 choose_account", r.status, r.body)
	}
	if got := accountsOf(t, p); !slices.Equal(got, []string{"Beta"}) {
		t.Errorf("accounts left: %v, want [Beta]", got)
	}
}

func TestEmailChangeEndsSessionsAndVoidsCodes(t *testing.T) {
	e, _, id := newTechPortal(t)
	signedIn := e.signIn("tech@example.com")
	waiting := e.newPortal()
	code := e.waitCode("tech@example.com", waiting.askCode("tech@example.com"))

	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"email": "tess@example.org"})
	if r := signedIn.get("/api/portal/services"); r.status != 401 {
		t.Errorf("session after the email changed: %d %s, want 401", r.status, r.body)
	}
	var sessions struct {
		Sessions []struct {
			RevokedAt *string `json:"revoked_at"`
		} `json:"sessions"`
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(id)+"/sessions", nil).into(t, &sessions)
	if len(sessions.Sessions) != 1 || sessions.Sessions[0].RevokedAt == nil {
		t.Errorf("the owner's list: %+v, want the session signed out", sessions.Sessions)
	}
	for _, addr := range []string{"tech@example.com", "tess@example.org"} {
		if r := waiting.verify(addr, code); r.status != 422 {
			t.Errorf("a code mailed to the old address, verified as %s: %d %s, want 422", addr, r.status, r.body)
		}
	}
	// Only the address counts, not its case.
	again := e.signIn("tess@example.org")
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"email": "Tess@Example.org"})
	if r := again.get("/api/portal/services"); r.status != 200 {
		t.Errorf("session after a change of case only: %d %s, want 200", r.status, r.body)
	}
}
