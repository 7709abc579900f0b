package web_test

import (
	"context"
	"testing"
	"time"
)

func TestServicesCancel(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.ok(200, "PATCH", "/api/accounts/"+ftoa(d.acc), map[string]any{"email": "billing@acme.test"})
	e.addContact(d, "full@example.com", map[string]any{"preset": "full"})
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	e.addContact(d, "one@example.com", map[string]any{"preset": "custom", "permissions": []string{"services.view", "services.cancel"},
		"service_ids": []float64{d.svc1}})
	full, bill, one := e.signIn("full@example.com"), e.signIn("bill@example.com"), e.signIn("one@example.com")
	dom, vps := "/api/portal/services/"+ftoa(d.svc1), "/api/portal/services/"+ftoa(d.svc2)
	ask := map[string]any{"timing": "now", "reason": "We moved to another registrar"}

	refused(t, bill.send("POST", dom+"/cancellation", ask), "denied: grant is Billing; services.cancel not included")
	refused(t, one.send("POST", vps+"/cancellation", ask), "denied: service #"+ftoa(d.svc2)+" is not among the grant's selected services")
	for _, bad := range []map[string]any{{"timing": "soon", "reason": "x"}, {"timing": "now", "reason": " "}} {
		want(t, one.send("POST", dom+"/cancellation", bad), 422)
	}

	// Requested: the service shows it, both sides are mailed; a second
	// request waits for the first; withdrawing tells the owner.
	var v struct {
		Service      struct{ Status string }
		Cancellation struct {
			ID    float64
			State string
		}
	}
	want(t, one.send("POST", dom+"/cancellation", ask), 201).into(t, &v)
	if v.Service.Status != "active" || v.Cancellation.State != "requested" {
		t.Errorf("after the request: %+v", v)
	}
	want(t, full.send("POST", dom+"/cancellation", ask), 409)
	if got := e.mailed(d.acc, "cancellation.requested"); len(got) != 2 || got[0] != "owner: owner@example.test" || got[1] != "client: one@example.com" {
		t.Errorf("request mails %v", got)
	}
	want(t, one.send("POST", dom+"/cancellation/withdraw", nil), 200).into(t, &v)
	if v.Cancellation.State != "withdrawn" {
		t.Errorf("withdrawn: %+v", v.Cancellation)
	}
	want(t, one.send("POST", dom+"/cancellation/withdraw", nil), 409)
	refused(t, bill.send("POST", dom+"/cancellation/withdraw", nil), "denied: grant is Billing; services.cancel not included")

	// The owner confirms a request for now: the service is cancelled, the
	// requester and the account are told; nothing more can be decided.
	want(t, one.send("POST", dom+"/cancellation", ask), 201).into(t, &v)
	e.ok(200, "POST", "/api/cancellations/"+ftoa(v.Cancellation.ID)+"/confirm", nil)
	want(t, one.get(dom), 200).into(t, &v)
	if v.Service.Status != "cancelled" || v.Cancellation.State != "confirmed" {
		t.Errorf("after confirming: %+v", v)
	}
	e.ok(409, "POST", "/api/cancellations/"+ftoa(v.Cancellation.ID)+"/decline", map[string]any{"reason": "late"})
	want(t, one.send("POST", dom+"/cancellation/withdraw", nil), 409)
	if got := e.mailed(d.acc, "cancellation.confirmed"); len(got) != 1 || got[0] != "client: billing@acme.test,one@example.com" {
		t.Errorf("confirmation mails %v", got)
	}
	want(t, full.send("PATCH", dom+"/settings", map[string]any{"auto_renew": true}), 409)

	// At the end of the term: the owner needs a date, the service runs
	// until then and is cancelled once it passes.
	want(t, full.send("POST", vps+"/cancellation", map[string]any{"timing": "end_of_term", "reason": "Too slow"}), 201).into(t, &v)
	confirm := "/api/cancellations/" + ftoa(v.Cancellation.ID) + "/confirm"
	if r := e.do("POST", confirm, nil); r.status != 422 {
		t.Errorf("end of term without a date: %d %s", r.status, r.body)
	}
	e.ok(200, "POST", confirm, map[string]any{"effective_at": e.now.Add(48 * time.Hour).Format(time.RFC3339)})
	var svc struct {
		Service struct {
			Status   string
			CancelAt *time.Time `json:"cancel_at"`
		}
	}
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc2), nil).into(t, &svc)
	if svc.Service.Status != "active" || svc.Service.CancelAt == nil {
		t.Errorf("before the end of the term: %+v", svc.Service)
	}
	e.now = e.now.Add(49 * time.Hour)
	if err := e.app.CancelDueServices(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc2), nil).into(t, &svc)
	if svc.Service.Status != "cancelled" {
		t.Errorf("after the end of the term: %+v", svc.Service)
	}

	// Declining leaves the service as it was (a new session: two days passed).
	full = e.signIn("full@example.com")
	lic := e.ok(201, "POST", "/api/accounts/"+ftoa(d.acc)+"/services", map[string]any{"name": "Office", "kind": "licence"}).json(t)["id"].(float64)
	want(t, full.send("POST", "/api/portal/services/"+ftoa(lic)+"/cancellation", ask), 201).into(t, &v)
	e.ok(200, "POST", "/api/cancellations/"+ftoa(v.Cancellation.ID)+"/decline", map[string]any{"reason": "The licence runs a year"})
	var list struct {
		Cancellations []struct{ State, Note string } `json:"cancellations"`
	}
	e.ok(200, "GET", "/api/accounts/"+ftoa(d.acc)+"/cancellations", nil).into(t, &list)
	if len(list.Cancellations) != 4 || list.Cancellations[0].State != "declined" || list.Cancellations[0].Note != "The licence runs a year" {
		t.Errorf("owner's list %+v", list.Cancellations)
	}
	if !e.audited("contact full@example.com", "ask to cancel Office now") {
		t.Error("request not audited with the contact as actor")
	}
}
