package web_test

import (
	"testing"
)

// The settings and second factors that every check and client-area
// request reads are kept in memory (migration 19): a change reaches the
// very next request.
func TestSettingsAndFactorsReachTheNextRequest(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	fay := e.addContact(d, "fay@example.com", map[string]any{"preset": "full", "expires_at": "2026-07-01T02:00:00Z"})
	check := "contact_id=" + ftoa(fay) + "&permission=services.view&service_id=" + ftoa(d.svc1)

	// The owner's time zone words the next check's dates.
	e.setNow(e.now.AddDate(0, 2, 0))
	for zone, when := range map[string]string{"America/New_York": "2026-06-30 22:00 EDT", "Asia/Tokyo": "2026-07-01 11:00 JST", "UTC": "2026-07-01 02:00 UTC"} {
		e.check(check) // the zone before, in memory
		e.ok(200, "PUT", "/api/settings/time-zone", map[string]any{"time_zone": zone})
		if got := e.check(check).Reason; got != "denied: grant expired "+when {
			t.Errorf("after setting %s: %q", zone, got)
		}
	}

	// Requiring a second factor holds the next client-area request.
	e.setNow(e.now.AddDate(0, -2, 0))
	p := e.signIn("fay@example.com")
	want(t, p.get("/api/portal/invoices"), 200)
	lifecycle := func(required bool) {
		st := e.ok(200, "GET", "/api/settings/lifecycle", nil).json(t)
		st["require_second_factor"] = required
		e.ok(200, "PUT", "/api/settings/lifecycle", st)
	}
	lifecycle(true)
	if code, _ := want(t, p.get("/api/portal/invoices"), 403).errorOf(t); code != "second_factor_setup" {
		t.Fatalf("required: %s", code)
	}
	lifecycle(false)
	want(t, p.get("/api/portal/invoices"), 200)

	// A factor set up in one session holds the others until they prove it.
	q := e.signIn("fay@example.com")
	want(t, q.get("/api/portal/invoices"), 200)
	var setup struct{ Secret string }
	want(t, p.send("POST", "/api/portal/totp", nil), 200).into(t, &setup)
	want(t, q.get("/api/portal/invoices"), 200) // not confirmed yet
	want(t, p.send("POST", "/api/portal/totp/confirm", map[string]any{"code": totpCode(t, setup.Secret, e.now)}), 200)
	if code, _ := want(t, q.get("/api/portal/invoices"), 403).errorOf(t); code != "second_factor" {
		t.Fatalf("after a factor was set up: %s", code)
	}
	want(t, p.get("/api/portal/invoices"), 200) // the session that proved it

	// The owner's reset of the factors lets them through again.
	e.ok(200, "POST", "/api/contacts/"+ftoa(fay)+"/factors/reset", nil)
	r := e.signIn("fay@example.com")
	want(t, r.get("/api/portal/invoices"), 200)
}
