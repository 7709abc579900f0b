package web_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// send sends a state-changing JSON request from the portal page.
func (p *portal) send(method, path string, body any) resp {
	p.e.t.Helper()
	b := ""
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			p.e.t.Fatal(err)
		}
		b = string(js)
	}
	return p.post(method, path, b)
}

// want requires a status of a portal response and returns it.
func want(t *testing.T, r resp, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	return r
}

// refused requires a 403 whose message is exactly reason, the evaluation's.
func refused(t *testing.T, r resp, reason string) {
	t.Helper()
	if r.status != 403 {
		t.Fatalf("status %d, want 403 (%s)\n%s", r.status, reason, r.body)
	}
	if got := message(t, r); got != reason {
		t.Errorf("refusal %q, want %q", got, reason)
	}
}

func message(t *testing.T, r resp) string {
	t.Helper()
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	r.into(t, &e)
	return e.Error.Message
}

// notice is one mail of a notice in an account's mail history.
type notice struct {
	Kind, Audience, Subject, Body string
	To                            []string // addresses
}

// mails reads an account's mail history through the owner API, oldest first.
func (e *env) mails(acc float64) []notice {
	e.t.Helper()
	var v struct {
		Emails []struct {
			Kind, Audience, Subject, Body string
			Recipients                    []struct{ Email string }
		} `json:"emails"`
	}
	e.ok(200, "GET", "/api/accounts/"+ftoa(acc)+"/emails?limit=500", nil).into(e.t, &v)
	var out []notice
	for i := len(v.Emails) - 1; i >= 0; i-- {
		n := v.Emails[i]
		m := notice{Kind: n.Kind, Audience: n.Audience, Subject: n.Subject, Body: n.Body}
		for _, r := range n.Recipients {
			m.To = append(m.To, r.Email)
		}
		out = append(out, m)
	}
	return out
}

// mailed finds the notices of a kind, as "audience: to1,to2".
func (e *env) mailed(acc float64, kind string) []string {
	e.t.Helper()
	var out []string
	for _, m := range e.mails(acc) {
		if m.Kind == kind {
			out = append(out, m.Audience+": "+strings.Join(m.To, ","))
		}
	}
	return out
}

// audited reports whether the audit log has an entry by actor whose
// summary contains text.
func (e *env) audited(actor, text string) bool {
	e.t.Helper()
	var a struct {
		Entries []struct{ Actor, Summary string } `json:"entries"`
	}
	e.ok(200, "GET", "/api/audit?limit=500", nil).into(e.t, &a)
	for _, en := range a.Entries {
		if en.Actor == actor && strings.Contains(en.Summary, text) {
			return true
		}
	}
	return false
}

// id reads a number from a response (its "id" when no path is given).
func id(t *testing.T, r resp, path ...string) float64 {
	t.Helper()
	if len(path) == 0 {
		path = []string{"id"}
	}
	var v any = r.json(t)
	for _, k := range path {
		v = v.(map[string]any)[k]
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("no id at %v in %s", path, r.body)
	}
	return f
}
