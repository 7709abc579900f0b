package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantbook/backend/mailtest"
	"grantbook/backend/web"
)

// portal is a browser-like client of the contact portal: a cookie jar and
// the CSRF token it was given.
type portal struct {
	e      *env
	client *http.Client
	csrf   string
	// remote, when set, is the browser's address: requests go straight to
	// a Server (no socket), so limits per address can be told apart.
	remote string
	srv    http.Handler
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
	if p.remote != "" {
		return p.direct(req)
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

// askCode asks for a sign-in code from this browser and returns the number
// of mails the SMTP server had before, for waitCode.
func (p *portal) askCode(email string) int {
	p.e.t.Helper()
	before := len(p.e.smtp.Messages())
	if r := p.req("POST", "/api/portal/signin", `{"email":"`+email+`"}`, nil); r.status != http.StatusAccepted {
		p.e.t.Fatalf("signin %s: %d %s", email, r.status, r.body)
	}
	return before
}

func (p *portal) verify(email, code string) resp {
	return p.req("POST", "/api/portal/verify", `{"email":"`+email+`","code":"`+code+`"}`, nil)
}

// waitCode waits for the next sign-in mail to `to` after the first `after`
// messages (other mail, an invitation, is passed over), as the contact
// would read their email, and returns its code.
func (e *env) waitCode(to string, after int) string {
	e.t.Helper()
	return e.smtp.WaitCode(to, after, 10*time.Second)
}

func (e *env) newPortal() *portal {
	jar, _ := cookiejar.New(nil)
	return &portal{e: e, client: &http.Client{Jar: jar}}
}

// browserAt is a browser at a client address of its own.
func (e *env) browserAt(remote string) *portal {
	p := e.newPortal()
	p.remote, p.srv = remote, web.NewServer(e.api, testAssets, token)
	return p
}

func (p *portal) direct(req *http.Request) resp {
	for _, c := range p.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.RemoteAddr = p.remote + ":40000"
	rec := httptest.NewRecorder()
	p.srv.ServeHTTP(rec, req)
	p.client.Jar.SetCookies(req.URL, rec.Result().Cookies())
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// signIn asks for a code, reads it from the mail and verifies it.
func (e *env) signIn(email string) *portal {
	e.t.Helper()
	p := e.newPortal()
	r := p.verify(email, e.waitCode(email, p.askCode(email)))
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

// startMail points the owner's SMTP settings at an in-process server and
// starts the core's background work: sign-in codes reach the contact only
// by mail.
func (e *env) startMail() {
	e.t.Helper()
	e.smtp = mailtest.NewSMTP(e.t)
	e.ok(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{
		"host": e.smtp.Host, "port": e.smtp.Port, "security": "plain", "from_email": "owner@example.test"}})
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	e.app.Start(ctx)
}

type portalData struct {
	acc, svc1, svc2       float64
	invSvc1, invSvc2, inv float64
}

// seedPortal makes an account with two services, invoices and support
// requests tied to each and to none, and a mail server for the codes.
func (e *env) seedPortal() portalData {
	e.t.Helper()
	e.startMail()
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

// newTechPortal is a seeded portal with one contact, tech@example.com,
// with the technical preset.
func newTechPortal(t *testing.T) (e *env, d portalData, techID float64) {
	t.Helper()
	e = newEnv(t)
	d = e.seedPortal()
	return e, d, e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
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
