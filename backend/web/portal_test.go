package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// portal is a browser-like client of the contact portal: a cookie jar and
// the CSRF token it was given.
type portal struct {
	e      *env
	client *http.Client
	csrf   string
}

func (p *portal) req(method, path, body string, hdr map[string]string) resp {
	p.e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.e.srv.URL+path, rd)
	if err != nil {
		p.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (p *portal) get(path string) resp { return p.req("GET", path, "", nil) }

// post sends a state-changing request the way the portal page does.
func (p *portal) post(method, path, body string) resp {
	return p.req(method, path, body, map[string]string{"X-CSRF-Token": p.csrf, "Origin": p.e.srv.URL})
}

var codeRE = regexp.MustCompile(`is:\s+(\d{6})`)

// lastCode reads the newest sign-in code from the outbox, as the contact
// would from their email.
func (e *env) lastCode(to string) string {
	e.t.Helper()
	msgs, err := e.app.Store().DueMail(e.t.Context(), e.now.Add(time.Hour), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Kind != "signin_code" || m.To != to {
			continue
		}
		r, err := mail.CreateReader(strings.NewReader(string(m.Raw)))
		if err != nil {
			e.t.Fatal(err)
		}
		for {
			part, err := r.NextPart()
			if err != nil {
				break
			}
			if h, ok := part.Header.(*mail.InlineHeader); ok {
				if ct, _, _ := h.ContentType(); ct == "text/plain" {
					b, _ := io.ReadAll(part.Body)
					if m := codeRE.FindSubmatch(b); m != nil {
						return string(m[1])
					}
				}
			}
		}
	}
	e.t.Fatalf("no sign-in code mailed to %s", to)
	return ""
}

func (e *env) newPortal() *portal {
	jar, _ := cookiejar.New(nil)
	return &portal{e: e, client: &http.Client{Jar: jar}}
}

// signIn asks for a code, reads it from the mail and verifies it.
func (e *env) signIn(email string) *portal {
	e.t.Helper()
	p := e.newPortal()
	if r := p.req("POST", "/api/portal/signin", `{"email":"`+email+`"}`, nil); r.status != http.StatusAccepted {
		e.t.Fatalf("signin: %d %s", r.status, r.body)
	}
	r := p.req("POST", "/api/portal/verify", `{"email":"`+email+`","code":"`+e.lastCode(email)+`"}`, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("verify: %d %s", r.status, r.body)
	}
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	r.into(e.t, &v)
	p.csrf = v.CSRF
	if p.csrf == "" {
		e.t.Fatal("verify gave no CSRF token")
	}
	return p
}

type portalData struct {
	acc, svc1, svc2       float64
	invSvc1, invSvc2, inv float64
}

// seedPortal makes an account with two services, invoices and support
// requests tied to each and to none, and mail settings so codes can queue.
func (e *env) seedPortal() portalData {
	e.t.Helper()
	e.ok(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{
		"host": "127.0.0.1", "port": 2525, "security": "plain", "from_email": "owner@example.test"}})
	var d portalData
	d.acc = e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).json(e.t)["id"].(float64)
	acc := "/api/accounts/" + ftoa(d.acc)
	d.svc1 = e.ok(201, "POST", acc+"/services", map[string]any{"name": "acme.com", "kind": "domain"}).json(e.t)["id"].(float64)
	d.svc2 = e.ok(201, "POST", acc+"/services", map[string]any{"name": "VPS", "kind": "hosting"}).json(e.t)["id"].(float64)
	d.invSvc1 = e.ok(201, "POST", acc+"/invoices", map[string]any{"service_id": d.svc1, "number": "INV-1", "amount_cents": 1200}).json(e.t)["id"].(float64)
	d.invSvc2 = e.ok(201, "POST", acc+"/invoices", map[string]any{"service_id": d.svc2, "number": "INV-2", "amount_cents": 5000}).json(e.t)["id"].(float64)
	d.inv = e.ok(201, "POST", acc+"/invoices", map[string]any{"number": "INV-3", "amount_cents": 100}).json(e.t)["id"].(float64)
	e.ok(201, "POST", acc+"/support", map[string]any{"service_id": d.svc1, "subject": "DNS for acme.com"})
	e.ok(201, "POST", acc+"/support", map[string]any{"service_id": d.svc2, "subject": "VPS is slow"})
	e.ok(201, "POST", acc+"/support", map[string]any{"subject": "General question"})
	e.ok(201, "POST", acc+"/quotes", map[string]any{"number": "Q-1", "title": "New shop", "amount_cents": 99900})
	return d
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (e *env) addContact(d portalData, email string, grant map[string]any) float64 {
	e.t.Helper()
	body := map[string]any{"account_id": d.acc, "first_name": "C", "last_name": email, "email": email}
	for k, v := range grant {
		body[k] = v
	}
	return e.ok(201, "POST", "/api/contacts", body).json(e.t)["id"].(float64)
}

func listNames(t *testing.T, r resp, key, field string) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("list %s: %d %s", key, r.status, r.body)
	}
	var m map[string][]map[string]any
	r.into(t, &m)
	var out []string
	for _, it := range m[key] {
		out = append(out, it[field].(string))
	}
	return out
}

func TestPortalShowsOnlyWhatTheGrantAllows(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
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
	if r := tech.post("POST", "/api/portal/invoices/"+ftoa(d.invSvc1)+"/pay", ""); r.status != 403 {
		t.Errorf("technical pays an invoice: %d %s", r.status, r.body)
	}

	bill := e.signIn("bill@example.com")
	if got := listNames(t, bill.get("/api/portal/invoices"), "invoices", "number"); len(got) != 3 {
		t.Errorf("billing sees invoices %v, want all three", got)
	}
	if r := bill.get("/api/portal/support"); r.status != 403 {
		t.Errorf("billing opens support: %d %s", r.status, r.body)
	}
	if r := bill.post("POST", "/api/portal/invoices/"+ftoa(d.invSvc2)+"/pay", ""); r.status != 200 {
		t.Fatalf("billing pays: %d %s", r.status, r.body)
	}
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
		{"grant expired", func(e *env, id float64) { e.now = e.now.Add(49 * time.Hour) }},
		{"idle an hour", func(e *env, id float64) { e.now = e.now.Add(61 * time.Minute) }},
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
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	p := e.newPortal()
	p.req("POST", "/api/portal/signin", `{"email":"tech@example.com"}`, nil)
	r := p.req("POST", "/api/portal/verify", `{"email":"tech@example.com","code":"`+e.lastCode("tech@example.com")+`"}`, nil)
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
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
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
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	p := e.newPortal()
	p.req("POST", "/api/portal/signin", `{"email":"tech@example.com"}`, nil)
	code := e.lastCode("tech@example.com")
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
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
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
