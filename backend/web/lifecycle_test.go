package web_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	"grantbook/backend/web"
)

func init() {
	for p, a := range map[string]web.Auth{
		"GET /api/attention":                             web.Owner,
		"GET /api/settings/lifecycle":                    web.Owner,
		"PUT /api/settings/lifecycle":                    web.Owner,
		"POST /api/contacts/{id}/extend":                 web.Owner,
		"GET /api/access-requests":                       web.Owner,
		"POST /api/access-requests/{id}/approve":         web.Owner,
		"POST /api/access-requests/{id}/decline":         web.Owner,
		"GET /api/access-reviews":                        web.Owner,
		"POST /api/access-reviews":                       web.Owner,
		"GET /api/access-reviews/{id}":                   web.Owner,
		"POST /api/access-reviews/{id}/items/{position}": web.Owner,
		"POST /api/access-reviews/{id}/finish":           web.Owner,
		"GET /api/portal/access-requests":                web.Contact,
		"POST /api/portal/access-requests":               web.Contact,
	} {
		routeAuth[p] = a
	}
}

type offer struct {
	Kind, Item, Label string
}

// offerOf is the access request a refusal offers.
func offerOf(t *testing.T, r resp) *offer {
	t.Helper()
	var v struct {
		Error struct{ Request *offer } `json:"error"`
	}
	r.into(t, &v)
	return v.Error.Request
}

func (e *env) grantOf(id float64) (perms []string, services []float64, preset string) {
	e.t.Helper()
	var c struct {
		Grant struct {
			Preset      string
			Permissions []string
			ServiceIDs  []float64 `json:"service_ids"`
		}
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(id), nil).into(e.t, &c)
	return c.Grant.Permissions, c.Grant.ServiceIDs, c.Grant.Preset
}

func TestAccessRequestFromARefusal(t *testing.T) {
	e, d, tech := newTechPortal(t)
	p := e.signIn("tech@example.com")

	// The refusal says what a request would ask for.
	r := p.get("/api/portal/invoices")
	refused(t, r, "denied: grant is Technical; invoices.view not included")
	if o := offerOf(t, r); o == nil || o.Kind != "permission" || o.Item != "invoices.view" {
		t.Fatalf("offer %+v", o)
	}
	created := want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": "invoices.view",
		"note": "I reconcile the hosting bills"}), 201).json(t)
	again := want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": "invoices.view"}), 201).json(t)
	if again["id"] != created["id"] || again["coalesced"] != true || again["note"] != "I reconcile the hosting bills" {
		t.Fatalf("a repeated request: %v", again)
	}
	if m := e.mailed(d.acc, "access_request"); len(m) != 1 || !strings.HasPrefix(m[0], "owner: ") {
		t.Fatalf("owner notices %v", m)
	}
	// Nothing changed yet.
	refused(t, p.get("/api/portal/invoices"), "denied: grant is Technical; invoices.view not included")

	var list struct {
		Requests []struct {
			ID    float64
			State string
		} `json:"access_requests"`
		Total int
	}
	e.ok(200, "GET", "/api/access-requests?state=pending", nil).into(t, &list)
	if list.Total != 1 || list.Requests[0].ID != created["id"] {
		t.Fatalf("owner's list %+v", list)
	}
	e.ok(200, "POST", "/api/access-requests/"+ftoa(list.Requests[0].ID)+"/approve", nil)
	perms, _, preset := e.grantOf(tech)
	if preset != "custom" || !slices.Equal(perms, []string{"invoices.view", "services.view", "support.open", "support.view"}) {
		t.Fatalf("after approval: %s %v", preset, perms)
	}
	want(t, p.get("/api/portal/invoices"), 200)
	if !e.audited("owner (web)", "approved request: View invoices (invoices.view)") {
		t.Error("no audit row for the grant change")
	}
	if m := e.mailed(d.acc, "access_request"); len(m) != 2 || m[1] != "client: tech@example.com" {
		t.Fatalf("decision mail %v", m)
	}

	// quotes.accept needs quotes.view: a request for it asks for both.
	r = want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": "quotes.accept"}), 201)
	q := r.json(t)
	if adds := q["adds"].([]any); len(adds) != 2 || adds[0] != "quotes.accept" || adds[1] != "quotes.view" {
		t.Fatalf("adds %v", q["adds"])
	}
	e.ok(200, "POST", "/api/access-requests/"+ftoa(q["id"].(float64))+"/decline", map[string]any{"reason": "Quotes go to the holder"})
	perms, _, _ = e.grantOf(tech)
	if slices.Contains(perms, "quotes.view") {
		t.Fatal("a declined request changed the grant")
	}
	ms := e.mails(d.acc)
	if last := ms[len(ms)-1]; !strings.Contains(last.Body, "Quotes go to the holder") {
		t.Errorf("decline mail %+v", last)
	}
	e.ok(409, "POST", "/api/access-requests/"+ftoa(q["id"].(float64))+"/approve", nil)

	// Asking for what the grant has is refused; so is a kind nobody knows.
	want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": "services.view"}), 409)
	want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "root"}), 422)
}

func TestAccessRequestForAServiceAndTheDailyLimit(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	one := e.addContact(d, "one@example.com", map[string]any{"preset": "custom", "permissions": []string{"services.view"},
		"service_ids": []float64{d.svc1}})
	p := e.signIn("one@example.com")
	r := p.get("/api/portal/services/" + ftoa(d.svc2))
	o := offerOf(t, r)
	if r.status != 403 || o == nil || o.Kind != "service" || o.Item != ftoa(d.svc2) {
		t.Fatalf("offer %d %+v", r.status, o)
	}
	id := id(t, want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": o.Kind, "item": o.Item}), 201))
	e.ok(200, "POST", "/api/access-requests/"+ftoa(id)+"/approve", nil)
	perms, svcs, _ := e.grantOf(one)
	if !slices.Equal(svcs, []float64{d.svc1, d.svc2}) || !slices.Equal(perms, []string{"services.view"}) {
		t.Fatalf("after approval: %v %v", perms, svcs)
	}
	want(t, p.get("/api/portal/services/"+ftoa(d.svc2)), 200)

	// Five new requests a day by default: the sixth waits.
	for _, perm := range []string{"invoices.view", "quotes.view", "emails.view", "orders.place"} {
		want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": perm}), 201)
	}
	r = want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "permission", "item": "profile.view"}), 429)
	if code, _ := r.errorOf(t); code != "rate_limited" {
		t.Fatalf("code %s", code)
	}
	var mine struct {
		Requests []struct{ Kind, Item, State string } `json:"access_requests"`
	}
	want(t, p.get("/api/portal/access-requests"), 200).into(t, &mine)
	if len(mine.Requests) != 5 || mine.Requests[4].State != "approved" {
		t.Fatalf("the contact's requests %+v", mine.Requests)
	}
}

func TestOwnerLifecycleRoutes(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	c := e.addContact(d, "temp@example.com", map[string]any{"preset": "billing", "expires_at": "2026-06-05"})
	att := e.ok(200, "GET", "/api/attention", nil).json(t)
	if att["total"] != 1.0 || att["ending"].(map[string]any)["count"] != 1.0 {
		t.Fatalf("attention %v", att)
	}
	ext := e.ok(200, "POST", "/api/contacts/"+ftoa(c)+"/extend", nil).json(t)
	// Through 5 June (the owner's zone here is UTC) is a term of 5 days.
	if g := ext["grant"].(map[string]any); g["expires_at"] != "2026-06-11T00:00:00Z" || g["term_days"] != 5.0 {
		t.Fatalf("extended %v", g)
	}
	e.ok(200, "POST", "/api/contacts/"+ftoa(c)+"/extend", map[string]any{"until": "2026-12-31"})
	e.ok(422, "POST", "/api/contacts/"+ftoa(c)+"/extend", map[string]any{"until": "2026-01-01"})

	st := e.ok(200, "GET", "/api/settings/lifecycle", nil).json(t)
	if st["review_every_days"] != 90.0 || st["invitation_reminder_days"] != 2.0 || st["grant_reminders"] != true {
		t.Fatalf("defaults %v", st)
	}
	st["confirm_high_privilege"] = true
	st["reminder_days"] = []int{14, 1}
	if got := e.ok(200, "PUT", "/api/settings/lifecycle", st).json(t); got["confirm_high_privilege"] != true {
		t.Fatalf("saved %v", got)
	}
	st["requests_per_day"] = 0
	e.ok(422, "PUT", "/api/settings/lifecycle", st)

	rv := e.ok(201, "POST", "/api/access-reviews", nil).json(t)
	e.ok(409, "POST", "/api/access-reviews", nil)
	rid := ftoa(rv["id"].(float64))
	e.ok(200, "POST", "/api/access-reviews/"+rid+"/items/1", map[string]any{"decision": "keep"})
	e.ok(404, "POST", "/api/access-reviews/"+rid+"/items/9", map[string]any{"decision": "keep"})
	e.ok(422, "POST", "/api/access-reviews/"+rid+"/items/1", map[string]any{"decision": "maybe"})
	done := e.ok(200, "POST", "/api/access-reviews/"+rid+"/finish", nil).json(t)
	if done["finished_at"] == nil {
		t.Fatalf("finished %v", done)
	}
	if all := e.ok(200, "GET", "/api/access-reviews", nil).json(t); all["open"] != nil || all["last_finished_at"] == nil {
		t.Fatalf("reviews %v", all)
	}
}

// Forward authentication's 403 names the request the client area would
// file, and the approved request opens the area at the next request.
func TestForwardAuthRefusalOffersARequest(t *testing.T) {
	se := newSiteEnv(t)
	se.addContact(se.d, "ops@example.com", map[string]any{"preset": "custom", "admin": map[string]any{"areas": []string{"orders"}}})
	b := se.browser()
	se.signInToSite(b, "ops@example.com", "/admin/orders")
	res := se.verify(b, "/admin/settings", nil)
	if res.StatusCode != 403 || res.Header.Get("X-Grantbook-Request") != "admin_area settings" {
		t.Fatalf("verify settings: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Request"))
	}
	// Its page (Caddy shows it as is) links to the client area's offer.
	body, _ := io.ReadAll(res.Body)
	if link := `<a href="` + se.srv.URL + `/portal?item=settings&amp;request=admin_area">Request access</a>`; !strings.Contains(string(body), link) {
		t.Fatalf("the refusal page does not link to the request: %s", body)
	}
	p := &portal{e: se.env, client: b}
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	want(t, p.get("/api/portal/me"), 200).into(t, &v)
	p.csrf = v.CSRF
	r := want(t, p.send("POST", "/api/portal/access-requests", map[string]any{"kind": "admin_area", "item": "settings"}), 201)
	if l := r.json(t)["label"]; l != "Admin area Shop: Site settings" {
		t.Errorf("label %v", l)
	}
	se.ok(200, "POST", "/api/access-requests/"+ftoa(id(t, r))+"/approve", nil)
	if res := se.verify(b, "/admin/settings", nil); res.StatusCode != 200 || res.Header.Get("X-Grantbook-Areas") != "orders,settings" {
		t.Fatalf("after approval: %d %q", res.StatusCode, res.Header.Get("X-Grantbook-Areas"))
	}
}
