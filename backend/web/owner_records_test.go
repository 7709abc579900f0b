package web_test

import (
	"testing"
)

// The owner corrects and deletes quotes and support requests (issue 14
// item 5), each audited; contacts see the corrected record or none.
func TestOwnerCorrectsQuotesAndSupport(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	acc := "/api/accounts/" + ftoa(d.acc)
	e.addContact(d, "full@example.com", map[string]any{"preset": "full"})
	full := e.signIn("full@example.com")
	q := id(t, e.ok(201, "POST", acc+"/quotes", map[string]any{"number": "Q-7", "title": "Logo", "amount_cents": 900}))
	quote := "/api/quotes/" + ftoa(q)

	for body, field := range map[string]string{
		`{"amount_cents":-1}`: "amount_cents", `{"currency":"eur"}`: "currency", `{"title":" "}`: "title",
		`{"number":""}`: "number", `{"status":"paid"}`: "status",
	} {
		r := e.do("PATCH", quote, body)
		if _, f := r.errorOf(t); r.status != 422 || f != field {
			t.Errorf("PATCH %s: %d %s, want 422 on %s", body, r.status, r.body, field)
		}
	}
	var got struct {
		Number, Title, Status, Currency string
		AmountCents                     int64   `json:"amount_cents"`
		DecidedBy                       string  `json:"decided_by"`
		DecidedAt                       *string `json:"decided_at"`
	}
	e.ok(200, "PATCH", quote, map[string]any{"title": " New logo ", "amount_cents": 1500, "currency": "GBP"}).into(t, &got)
	if got.Title != "New logo" || got.AmountCents != 1500 || got.Currency != "GBP" || got.Number != "Q-7" || got.Status != "open" {
		t.Errorf("corrected quote %+v", got)
	}
	// A decision heard of elsewhere, then taken back: the contact may decide again.
	e.ok(200, "PATCH", quote, map[string]any{"status": "accepted"}).into(t, &got)
	if got.Status != "accepted" || got.DecidedBy != "Owner" || got.DecidedAt == nil {
		t.Errorf("accepted by the owner: %+v", got)
	}
	want(t, full.send("POST", "/api/portal/quotes/"+ftoa(q)+"/decline", nil), 409)
	e.ok(200, "PATCH", quote, map[string]any{"status": "open"}).into(t, &got)
	if got.Status != "open" || got.DecidedBy != "" || got.DecidedAt != nil {
		t.Errorf("reopened: %+v", got)
	}
	want(t, full.send("POST", "/api/portal/quotes/"+ftoa(q)+"/decline", map[string]any{"note": "Too dear"}), 200)
	e.ok(204, "DELETE", quote, nil)
	e.ok(404, "DELETE", quote, nil)
	e.ok(404, "PATCH", quote, map[string]any{"title": "x"})
	if names := listNames(t, full.get("/api/portal/quotes"), "quotes", "number"); len(names) != 1 || names[0] != "Q-1" {
		t.Errorf("contact's quotes after the delete: %v", names)
	}

	// A support request: subject, body and service corrected, its replies
	// gone with it.
	other := id(t, e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}))
	foreign := id(t, e.ok(201, "POST", "/api/accounts/"+ftoa(other)+"/services", map[string]any{"name": "theirs.com", "kind": "domain"}))
	sr := id(t, want(t, full.send("POST", "/api/portal/support", map[string]any{"service_id": d.svc1, "subject": "Mail", "body": "MX?"}), 201))
	req := "/api/support/" + ftoa(sr)
	e.ok(201, "POST", req+"/replies", map[string]any{"body": "Done."})
	for body, field := range map[string]string{`{"subject":""}`: "subject", `{"service_id":` + ftoa(foreign) + `}`: "service_id"} {
		r := e.do("PATCH", req, body)
		if _, f := r.errorOf(t); r.status != 422 || f != field {
			t.Errorf("PATCH %s: %d %s, want 422 on %s", body, r.status, r.body, field)
		}
	}
	var th struct {
		Request struct {
			Subject, Body, Status string
			ServiceID             float64 `json:"service_id"`
		}
		Replies []struct{ Body string }
	}
	e.ok(200, "PATCH", req, map[string]any{"subject": "Mail records", "body": "Where does MX point?", "service_id": d.svc2}).into(t, &th)
	if th.Request.Subject != "Mail records" || th.Request.Body != "Where does MX point?" || th.Request.ServiceID != d.svc2 ||
		th.Request.Status != "answered" || len(th.Replies) != 1 {
		t.Errorf("corrected request %+v", th)
	}
	want(t, full.get("/api/portal/support/"+ftoa(sr)), 200).into(t, &th)
	if th.Request.Subject != "Mail records" {
		t.Errorf("the contact sees %+v", th.Request)
	}
	e.ok(200, "PATCH", req, map[string]any{"service_id": 0}).into(t, &th)
	if th.Request.ServiceID != 0 {
		t.Errorf("request still about service %v", th.Request.ServiceID)
	}
	e.ok(204, "DELETE", req, nil)
	e.ok(404, "GET", req, nil)
	want(t, full.get("/api/portal/support/"+ftoa(sr)), 404)

	for _, s := range []string{"Corrected quote Q-7", "Deleted quote Q-7", `Corrected support request "Mail records"`,
		`Deleted support request "Mail records"`} {
		if !e.audited("owner (web)", s) {
			t.Errorf("not audited: %s", s)
		}
	}
}
