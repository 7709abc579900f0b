package web_test

import (
	"strings"
	"testing"
)

func TestServicesModify(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	e.addContact(d, "mod@example.com", map[string]any{"preset": "custom",
		"permissions": []string{"services.view", "services.modify"}, "service_ids": []float64{d.svc1}})
	mod, tech := e.signIn("mod@example.com"), e.signIn("tech@example.com")
	svc1, svc2 := "/api/portal/services/"+ftoa(d.svc1), "/api/portal/services/"+ftoa(d.svc2)

	var detail struct {
		Fields []struct {
			Name     string
			Editable bool
		}
		CanModify    bool   `json:"can_modify"`
		ModifyReason string `json:"modify_reason"`
	}
	want(t, mod.get(svc1), 200).into(t, &detail)
	if len(detail.Fields) != 3 || detail.Fields[0].Name != "nameservers" || !detail.Fields[0].Editable || !detail.CanModify {
		t.Errorf("domain detail %+v", detail)
	}
	if !strings.HasPrefix(detail.ModifyReason, "allowed: grant is Custom; services.modify on selected service #") {
		t.Errorf("modify reason %q", detail.ModifyReason)
	}

	r := want(t, mod.send("PATCH", svc1+"/settings", map[string]any{
		"nameservers": []string{"NS1.example.net.", "ns2.example.net"}, "auto_renew": true}), 200)
	var after struct {
		Service struct{ Settings map[string]any }
		Changes []map[string]any
	}
	r.into(t, &after)
	if ns := after.Service.Settings["nameservers"].([]any); len(ns) != 2 || ns[0] != "ns1.example.net" {
		t.Errorf("nameservers stored as %v", ns)
	}
	if len(after.Changes) != 2 || after.Changes[0]["actor_name"] != "C mod@example.com" || after.Changes[0]["actor"] != nil {
		t.Errorf("contact sees changes %v (names, never addresses)", after.Changes)
	}

	// Denials, each with the evaluation's reason; bad values with the field.
	refused(t, mod.send("PATCH", svc2+"/settings", map[string]any{"label": "x"}),
		"denied: service #"+ftoa(d.svc2)+" is not among the grant's selected services")
	refused(t, tech.send("PATCH", svc1+"/settings", map[string]any{"auto_renew": false}),
		"denied: grant is Technical; services.modify not included")
	for body, field := range map[string]string{
		`{"nameservers":["ns1.example.net"]}`:           "settings.nameservers",
		`{"nameservers":["ns1.example.net","1.2.3.4"]}`: "settings.nameservers",
		`{"label":"shop"}`:                              "settings.label",
		`{"auto_renew":"yes"}`:                          "settings.auto_renew",
	} {
		r := mod.post("PATCH", svc1+"/settings", body)
		if code, f := r.errorOf(t); r.status != 422 || code != "invalid" || f != field {
			t.Errorf("%s: %d %s %s, want 422 on %s", body, r.status, code, f, field)
		}
	}
	other := e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}).json(t)["id"].(float64)
	foreign := e.ok(201, "POST", "/api/accounts/"+ftoa(other)+"/services", map[string]any{"name": "other.com", "kind": "domain"}).json(t)["id"].(float64)
	want(t, mod.get("/api/portal/services/"+ftoa(foreign)), 404)
	want(t, mod.send("PATCH", "/api/portal/services/"+ftoa(foreign)+"/settings", map[string]any{"auto_renew": true}), 404)

	// The owner sees who changed what, is mailed, and can revert.
	var owner struct {
		Changes []struct {
			ID         float64
			Field      string
			Actor      string
			Before     any
			RevertedBy float64 `json:"reverted_by"`
		}
	}
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc1), nil).into(t, &owner)
	if len(owner.Changes) != 2 || owner.Changes[0].Actor != "contact mod@example.com" {
		t.Fatalf("owner sees changes %+v", owner.Changes)
	}
	if got := e.mailed(d.acc, "service.changed"); len(got) != 1 || got[0] != "owner: owner@example.test" {
		t.Errorf("service change mails %v", got)
	}
	if !e.audited("contact mod@example.com", "change the settings of acme.com") {
		t.Error("no audit row with the contact as actor")
	}
	var ns float64
	for _, c := range owner.Changes {
		if c.Field == "nameservers" {
			ns = c.ID
		}
	}
	var reverted struct {
		Service struct{ Settings map[string]any }
	}
	e.ok(200, "POST", "/api/service-changes/"+ftoa(ns)+"/revert", nil).into(t, &reverted)
	if _, set := reverted.Service.Settings["nameservers"]; set || reverted.Service.Settings["auto_renew"] != true {
		t.Errorf("after the revert: %v", reverted.Service.Settings)
	}
	if r := e.do("POST", "/api/service-changes/"+ftoa(ns)+"/revert", nil); r.status != 409 {
		t.Errorf("second revert: %d %s", r.status, r.body)
	}
	if got := e.mailed(d.acc, "service.reverted"); len(got) != 1 || got[0] != "client: mod@example.com" {
		t.Errorf("revert mails %v", got)
	}
	// A value changed again since cannot be reverted without the newer change.
	want(t, mod.send("PATCH", svc1+"/settings", map[string]any{"auto_renew": false}), 200)
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc1), nil).into(t, &owner)
	var older float64
	for _, c := range owner.Changes {
		if c.Field == "auto_renew" && c.Before == nil {
			older = c.ID
		}
	}
	if r := e.do("POST", "/api/service-changes/"+ftoa(older)+"/revert", nil); r.status != 409 || !strings.Contains(message(t, r), "revert the newer change first") {
		t.Errorf("revert under a newer change: %d %s", r.status, r.body)
	}
}

func TestServiceRequestsAndOwnerCorrections(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "full@example.com", map[string]any{"preset": "full"})
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	full, tech := e.signIn("full@example.com"), e.signIn("tech@example.com")
	vps := "/api/portal/services/" + ftoa(d.svc2)

	want(t, full.send("POST", vps+"/requests/password_reset", nil), 201)
	want(t, full.send("POST", vps+"/requests/reboot", nil), 404)
	refused(t, tech.send("POST", vps+"/requests/password_reset", nil), "denied: grant is Technical; services.modify not included")
	if got := e.mailed(d.acc, "service.request"); len(got) != 1 {
		t.Errorf("password reset request mails %v", got)
	}
	var rec struct {
		Changes []struct{ ID float64 }
	}
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc2), nil).into(t, &rec)
	if r := e.do("POST", "/api/service-changes/"+ftoa(rec.Changes[0].ID)+"/revert", nil); r.status != 409 {
		t.Errorf("reverting a request: %d %s", r.status, r.body)
	}

	// The owner corrects a service, owner-only settings included, and
	// removes one; every step is audited.
	lic := e.ok(201, "POST", "/api/accounts/"+ftoa(d.acc)+"/services", map[string]any{"name": "Office", "kind": "licence"}).json(t)["id"].(float64)
	e.ok(200, "PATCH", "/api/services/"+ftoa(lic), map[string]any{"name": "Office 365", "status": "suspended",
		"renews_at": "2027-01-01", "settings": map[string]any{"seats": 5}})
	r := want(t, full.send("PATCH", "/api/portal/services/"+ftoa(lic)+"/settings", map[string]any{"seats_in_use": 6}), 422)
	if _, f := r.errorOf(t); f != "settings.seats_in_use" {
		t.Errorf("seats above the licence: field %q", f)
	}
	if r := full.send("PATCH", "/api/portal/services/"+ftoa(lic)+"/settings", map[string]any{"seats": 50}); r.status != 422 ||
		!strings.Contains(message(t, r), "set by the owner") {
		t.Errorf("contact sets seats: %d %s", r.status, r.body)
	}
	want(t, full.send("PATCH", "/api/portal/services/"+ftoa(lic)+"/settings", map[string]any{"seats_in_use": 5, "licensee": "Acme"}), 200)
	if r := e.do("PATCH", "/api/services/"+ftoa(lic), map[string]any{"kind": "boat"}); r.status != 422 {
		t.Errorf("bad kind: %d", r.status)
	}
	e.ok(204, "DELETE", "/api/services/"+ftoa(lic), nil)
	e.ok(404, "GET", "/api/services/"+ftoa(lic), nil)
	if !e.audited("owner (web)", "Deleted service Office 365") {
		t.Error("deletion not audited")
	}
	var kinds struct {
		Kinds []struct{ Name string } `json:"kinds"`
	}
	e.ok(200, "GET", "/api/service-kinds", nil).into(t, &kinds)
	if len(kinds.Kinds) != 5 {
		t.Errorf("service kinds %v", kinds.Kinds)
	}
}
