package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"grantbook/backend/core"
	"grantbook/backend/store"
	"grantbook/backend/web"
)

// store is a second handle on the test's database: the core keeps its own
// to itself.
func (e *env) store() *store.Store {
	e.t.Helper()
	st, err := store.Open(e.t.Context(), filepath.Join(e.app.DataDir(), core.DBFile))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// sentinel asks for a code for an active contact and waits for its mail:
// requests are handled in order, so every earlier one is done by then. It
// returns the recipients of the mails after the first `after`, sentinel
// excluded.
func (e *env) sentinel(d portalData, after int) []string {
	e.t.Helper()
	const addr = "sentinel@example.com"
	if _, err := e.store().ContactByEmail(e.t.Context(), addr, 0); err != nil {
		e.addContact(d, addr, map[string]any{"preset": "technical"})
	}
	p := e.browserAt("192.0.2.250")
	e.waitCode(addr, p.askCode(addr))
	var to []string
	for _, m := range e.smtp.Messages()[after:] {
		if !slices.Contains(m.To, addr) && m.Code() != "" {
			to = append(to, m.To...)
		}
	}
	return to
}

func TestSigninAnswersAlikeForEveryAddress(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "active@example.com", map[string]any{"preset": "technical"})
	e.addContact(d, "busy@example.com", map[string]any{"preset": "technical"})
	susp := e.addContact(d, "suspended@example.com", map[string]any{"preset": "technical"})
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(susp), map[string]any{"status": "suspended"})
	e.ok(201, "POST", "/api/invitations", map[string]any{"account_id": d.acc, "first_name": "In", "last_name": "Vited",
		"email": "invited@example.com", "preset": "billing"})
	e.addContact(d, "expired@example.com", map[string]any{"preset": "technical", "expires_at": "2026-01-01"})
	before := len(e.smtp.Messages())
	// busy@ uses up its quota first: three codes in a quarter of an hour.
	for i := range core.CodesPerQuarter {
		e.browserAt(fmt.Sprintf("192.0.2.%d", 100+i)).askCode("busy@example.com")
	}

	type answer struct {
		status  int
		body    string
		cookies []string
	}
	var answers []answer
	for i, addr := range []string{"active@example.com", "nobody@example.com", "invited@example.com",
		"suspended@example.com", "expired@example.com", "busy@example.com", "ACTIVE@example.com"} {
		r := e.browserAt(fmt.Sprintf("192.0.2.%d", i+1)).req("POST", "/api/portal/signin", `{"email":"`+addr+`"}`, nil)
		var cookies []string
		for _, c := range r.header.Values("Set-Cookie") {
			name, rest, _ := strings.Cut(c, "=")
			_, attrs, _ := strings.Cut(rest, ";")
			cookies = append(cookies, name+";"+attrs)
		}
		answers = append(answers, answer{r.status, string(r.body), cookies})
		if answers[i].status != http.StatusAccepted || !slices.Equal(answers[i].cookies, answers[0].cookies) ||
			answers[i].body != answers[0].body {
			t.Errorf("%s: %+v, but active@example.com got %+v", addr, answers[i], answers[0])
		}
	}
	if len(answers[0].cookies) != 1 || !strings.HasPrefix(answers[0].cookies[0], web.SigninCookie+"; Path=/api/portal/; Max-Age=600; HttpOnly; SameSite=Strict") {
		t.Errorf("sign-in cookie %q", answers[0].cookies)
	}

	// Only the active contact (twice: two spellings) and busy@'s first
	// three requests were mailed.
	got := e.sentinel(d, before)
	slices.Sort(got)
	want := []string{"active@example.com", "active@example.com", "busy@example.com", "busy@example.com", "busy@example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("mailed %v, want %v", got, want)
	}
}

func TestCodeWorksOnlyInTheBrowserThatAskedForIt(t *testing.T) {
	e, _, _ := newTechPortal(t)
	owner := e.browserAt("192.0.2.10")
	code := e.waitCode("tech@example.com", owner.askCode("tech@example.com"))

	// Elsewhere, the right code without the cookie is refused, and guesses
	// change nothing.
	stranger := e.browserAt("192.0.2.11")
	for i := 0; i < 8; i++ {
		guess := code
		if i > 0 {
			guess = fmt.Sprintf("%06d", i)
		}
		if r := stranger.verify("tech@example.com", guess); r.status != 422 {
			t.Fatalf("guess %d without the cookie: %d %s, want 422", i, r.status, r.body)
		}
	}
	// A stranger with a code request of their own burns only that one.
	other := e.browserAt("192.0.2.12")
	e.waitCode("tech@example.com", other.askCode("tech@example.com"))
	for i := 0; i < core.CodeAttempts+1; i++ {
		if r := other.verify("tech@example.com", code); r.status != 422 {
			t.Fatalf("another browser's code, try %d: %d %s, want 422", i, r.status, r.body)
		}
	}
	r := owner.verify("tech@example.com", code)
	if r.status != 200 {
		t.Fatalf("the browser that asked: %d %s, want 200", r.status, r.body)
	}
	if c := r.header.Values("Set-Cookie"); len(c) != 2 || !strings.HasPrefix(c[1], web.SigninCookie+"=;") {
		t.Errorf("verify does not clear the sign-in cookie: %q", c)
	}
}

func TestSigninMailSubjectHasNoCode(t *testing.T) {
	e, _, _ := newTechPortal(t)
	p := e.newPortal()
	n := p.askCode("tech@example.com")
	code := e.waitCode("tech@example.com", n)
	msg := e.smtp.Messages()[n]
	h, err := mail.CreateReader(bytes.NewReader(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	if subj, _ := h.Header.Subject(); strings.Contains(subj, code) || subj == "" {
		t.Errorf("subject %q carries the code", subj)
	}
	// The database side (pending and sent, on disk) is core's TestCodeMailIsNeverInTheDatabase.
	if r := p.verify("tech@example.com", code); r.status != 200 {
		t.Errorf("the mailed code does not work: %d %s", r.status, r.body)
	}
}

func TestSigninDoesTheLookupOutsideTheRequest(t *testing.T) {
	e := newEnv(t) // the core's background work is not running
	e.ok(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{
		"host": "127.0.0.1", "port": 2525, "security": "plain", "from_email": "owner@example.test"}})
	acc := e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).json(t)["id"].(float64)
	e.addContact(portalData{acc: acc}, "tech@example.com", map[string]any{"preset": "technical"})
	if r := e.newPortal().req("POST", "/api/portal/signin", `{"email":"tech@example.com"}`, nil); r.status != 202 {
		t.Fatalf("signin: %d %s", r.status, r.body)
	}
	counts, err := e.store().OutboxCounts(t.Context())
	if err != nil || len(counts) != 0 {
		t.Errorf("the request itself queued mail (%v, %v): its time would tell a contact from a stranger", counts, err)
	}
}
