package web_test

import (
	"strings"
	"testing"
	"time"
)

// payReport is a contact's report of a bank transfer, confirmed.
const payReport = `{"method":"bank_transfer","paid_on":"2026-06-01","reference":"INV","confirm":true}`

func TestPortalShowsOnlyWhatTheGrantAllows(t *testing.T) {
	e, d, _ := newTechPortal(t)
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	e.addContact(d, "one@example.com", map[string]any{"preset": "custom",
		"permissions": []string{"services.view", "support.view", "invoices.view"}, "service_ids": []float64{d.svc1}})

	tech := e.signIn("tech@example.com")
	if got := listNames(t, tech.get("/api/portal/services"), "services", "name"); len(got) != 2 {
		t.Errorf("technical sees services %v, want both", got)
	}
	if got := listNames(t, tech.get("/api/portal/support"), "support_requests", "subject"); len(got) != 3 {
		t.Errorf("technical (all services) sees support %v, want all three", got)
	}
	if r := tech.get("/api/portal/invoices"); r.status != 403 {
		t.Errorf("technical opens invoices: %d %s", r.status, r.body)
	} else if !strings.Contains(string(r.body), "invoices.view not included") {
		t.Errorf("refusal does not give the reason: %s", r.body)
	}
	if r := tech.post("POST", "/api/portal/invoices/"+ftoa(d.invSvc1)+"/payment-report", payReport); r.status != 403 {
		t.Errorf("technical reports paying an invoice: %d %s", r.status, r.body)
	}

	bill := e.signIn("bill@example.com")
	if got := listNames(t, bill.get("/api/portal/invoices"), "invoices", "number"); len(got) != 3 {
		t.Errorf("billing sees invoices %v, want all three", got)
	}
	if r := bill.get("/api/portal/support"); r.status != 403 {
		t.Errorf("billing opens support: %d %s", r.status, r.body)
	}
	e.ok(200, "PUT", "/api/settings/payments", map[string]any{"bank_transfer": map[string]any{"enabled": true, "details": "IBAN DE02 1203 0000 0000 2020 51"}})
	if r := bill.post("POST", "/api/portal/invoices/"+ftoa(d.invSvc2)+"/payment-report", payReport); r.status != 201 {
		t.Fatalf("billing reports a payment: %d %s", r.status, r.body)
	}
	e.ok(200, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/confirm-payment", nil)
	var paid []map[string]any
	var m map[string][]map[string]any
	e.ok(200, "GET", "/api/accounts/"+ftoa(d.acc)+"/invoices", nil).into(t, &m)
	for _, inv := range m["invoices"] {
		if inv["status"] == "paid" {
			paid = append(paid, inv)
		}
	}
	if len(paid) != 1 || paid[0]["number"] != "INV-2" || paid[0]["paid_by"] != "bill@example.com" {
		t.Errorf("owner sees paid invoices %v, want INV-2 paid by bill", paid)
	}

	one := e.signIn("one@example.com")
	if got := listNames(t, one.get("/api/portal/services"), "services", "name"); len(got) != 1 || got[0] != "acme.com" {
		t.Errorf("single-service contact sees services %v, want [acme.com]", got)
	}
	if got := listNames(t, one.get("/api/portal/invoices"), "invoices", "number"); len(got) != 1 || got[0] != "INV-1" {
		t.Errorf("single-service contact sees invoices %v, want [INV-1]", got)
	}
	if got := listNames(t, one.get("/api/portal/support"), "support_requests", "subject"); len(got) != 1 || got[0] != "DNS for acme.com" {
		t.Errorf("single-service contact sees support %v", got)
	}

	// Every portal decision, allowed or denied, is in the audit log.
	var audit struct {
		Entries []struct{ Actor, Action, Summary string } `json:"entries"`
	}
	e.ok(200, "GET", "/api/audit?limit=500", nil).into(t, &audit)
	var denied, allowed int
	for _, en := range audit.Entries {
		if !strings.HasPrefix(en.Action, "portal.") {
			continue
		}
		if strings.Contains(en.Summary, "— denied") {
			denied++
		}
		if strings.Contains(en.Summary, "— allowed") {
			allowed++
		}
	}
	if denied < 3 || allowed < 6 {
		t.Errorf("audit has %d denied and %d allowed portal rows, want at least 3 and 6", denied, allowed)
	}
}

func TestPortalSessionEndsWithTheGrant(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(e *env, id float64)
	}{
		{"revoked by the owner", func(e *env, id float64) {
			e.ok(200, "POST", "/api/contacts/"+ftoa(id)+"/sessions/revoke", map[string]any{})
		}},
		{"contact suspended", func(e *env, id float64) {
			e.ok(200, "PATCH", "/api/contacts/"+ftoa(id), map[string]any{"status": "suspended"})
		}},
		{"contact deleted", func(e *env, id float64) { e.ok(204, "DELETE", "/api/contacts/"+ftoa(id), nil) }},
		{"grant expired", func(e *env, id float64) { e.setNow(e.now.Add(49 * time.Hour)) }},
		{"idle an hour", func(e *env, id float64) { e.setNow(e.now.Add(61 * time.Minute)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.seedPortal()
			id := e.addContact(d, "tech@example.com", map[string]any{"preset": "technical",
				"expires_at": e.now.Add(48 * time.Hour).Format(time.RFC3339)})
			p := e.signIn("tech@example.com")
			if r := p.get("/api/portal/services"); r.status != 200 {
				t.Fatalf("before: %d %s", r.status, r.body)
			}
			tc.end(e, id)
			r := p.get("/api/portal/services")
			if r.status != 401 {
				t.Fatalf("after: %d %s, want 401", r.status, r.body)
			}
			if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "gb_session=;") {
				t.Errorf("the cookie is not cleared: %q", c)
			}
		})
	}
}

func TestPortalCSRFAndCookieFlags(t *testing.T) {
	e, d, _ := newTechPortal(t)
	p := e.newPortal()
	r := p.verify("tech@example.com", e.waitCode("tech@example.com", p.askCode("tech@example.com")))
	cookie := r.header.Get("Set-Cookie")
	for _, flag := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, flag) {
			t.Errorf("session cookie %q lacks %s", cookie, flag)
		}
	}
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	r.into(t, &v)
	p.csrf = v.CSRF
	body := `{"subject":"Help","service_id":` + ftoa(d.svc1) + `}`
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"no CSRF header", map[string]string{}, 403},
		{"wrong CSRF header", map[string]string{"X-CSRF-Token": "x" + p.csrf}, 403},
		{"foreign origin", map[string]string{"X-CSRF-Token": p.csrf, "Origin": "https://evil.example"}, 403},
		{"same host, other scheme", map[string]string{"X-CSRF-Token": p.csrf, "Origin": strings.Replace(e.srv.URL, "http:", "https:", 1)}, 403},
		{"the page's request", map[string]string{"X-CSRF-Token": p.csrf, "Origin": e.srv.URL}, 201},
	} {
		if r := p.req("POST", "/api/portal/support", body, tc.hdr); r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
	// A contact's session never opens the owner's API, nor the owner's
	// token the portal.
	if r := p.get("/api/contacts"); r.status != 401 {
		t.Errorf("contact session on the owner API: %d", r.status)
	}
	if r := e.do("GET", "/api/portal/services", nil); r.status != 401 {
		t.Errorf("owner token on the portal: %d", r.status)
	}
}

func TestPortalSigninRevealsNothingAndIsLimited(t *testing.T) {
	e, _, _ := newTechPortal(t)
	p := e.newPortal()
	known := p.req("POST", "/api/portal/signin", `{"email":"tech@example.com"}`, nil)
	unknown := p.req("POST", "/api/portal/signin", `{"email":"nobody@example.com"}`, nil)
	if known.status != unknown.status || string(known.body) != string(unknown.body) {
		t.Errorf("known and unknown addresses answer differently: %d %s / %d %s", known.status, known.body, unknown.status, unknown.body)
	}
	// Three more requests reach the per-address limit of five a minute.
	for i := 0; i < 3; i++ {
		p.req("POST", "/api/portal/signin", `{"email":"x@example.com"}`, nil)
	}
	if r := p.req("POST", "/api/portal/signin", `{"email":"tech@example.com"}`, nil); r.status != 429 {
		t.Errorf("sixth request a minute: %d %s, want 429", r.status, r.body)
	}
}

func TestPortalCodeGuessing(t *testing.T) {
	e, _, _ := newTechPortal(t)
	p := e.newPortal()
	code := e.waitCode("tech@example.com", p.askCode("tech@example.com"))
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 0; i < 5; i++ {
		if r := p.req("POST", "/api/portal/verify", `{"email":"tech@example.com","code":"`+wrong+`"}`, nil); r.status != 422 {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
		}
	}
	// After five wrong guesses the code is spent: the right one fails too.
	if r := p.req("POST", "/api/portal/verify", `{"email":"tech@example.com","code":"`+code+`"}`, nil); r.status != 422 {
		t.Errorf("right code after five wrong guesses: %d %s, want 422", r.status, r.body)
	}
	// And guessing from one address is limited to ten tries a minute.
	var last int
	for i := 0; i < 6; i++ {
		last = p.req("POST", "/api/portal/verify", `{"email":"tech@example.com","code":"`+wrong+`"}`, nil).status
	}
	if last != 429 {
		t.Errorf("eleventh guess a minute: %d, want 429", last)
	}
}

func TestPortalSupportTargetsFollowTheGrant(t *testing.T) {
	e, d, _ := newTechPortal(t)
	e.addContact(d, "one@example.com", map[string]any{"preset": "custom",
		"permissions": []string{"support.open"}, "service_ids": []float64{d.svc2}})
	for _, tc := range []struct {
		email string
		ids   []float64
		none  bool
	}{
		{"tech@example.com", []float64{d.svc1, d.svc2}, true},
		{"one@example.com", []float64{d.svc2}, false},
	} {
		var home struct {
			Targets struct {
				Services []struct{ ID float64 } `json:"services"`
				None     bool                   `json:"none"`
			} `json:"support_targets"`
		}
		e.signIn(tc.email).get("/api/portal/me").into(t, &home)
		var ids []float64
		for _, s := range home.Targets.Services {
			ids = append(ids, s.ID)
		}
		if len(ids) != len(tc.ids) || (len(ids) > 0 && ids[len(ids)-1] != tc.ids[len(tc.ids)-1]) || home.Targets.None != tc.none {
			t.Errorf("%s: support targets %v none=%v, want %v none=%v", tc.email, ids, home.Targets.None, tc.ids, tc.none)
		}
	}
}
