package web_test

import (
	"testing"
)

// manageEnv is an account with a manager (contacts.manage, invoices.view
// on acme.com, admin area orders, until 2026-12-31), a contact within the
// manager's access, one beyond it, and the account holder.
type manageEnv struct {
	*env
	d                         portalData
	mgr                       *portal
	mgrID, small, big, holder float64
}

func newManageEnv(t *testing.T) *manageEnv {
	e := newEnv(t)
	m := &manageEnv{env: e, d: e.seedPortal()}
	m.mgrID = e.addContact(m.d, "mgr@example.com", map[string]any{"preset": "custom",
		"permissions": []string{"contacts.manage", "invoices.view", "services.view"}, "service_ids": []float64{m.d.svc1},
		"expires_at": "2026-12-31", "admin": map[string]any{"areas": []string{"orders"}}})
	m.small = e.addContact(m.d, "small@example.com", within(m.d, nil))
	m.big = e.addContact(m.d, "big@example.com", map[string]any{"preset": "full"})
	m.holder = e.addContact(m.d, "holder@example.com", within(m.d, nil))
	e.ok(200, "PATCH", "/api/accounts/"+ftoa(m.d.acc), map[string]any{"holder_contact_id": m.holder})
	m.mgr = e.signIn("mgr@example.com")
	return m
}

// within is a grant inside the manager's, with changes.
func within(d portalData, change map[string]any) map[string]any {
	g := map[string]any{"preset": "custom", "permissions": []string{"invoices.view"}, "service_ids": []float64{d.svc1},
		"expires_at": "2026-10-01"}
	for k, v := range change {
		g[k] = v
	}
	return g
}

func (m *manageEnv) person(email string, grant map[string]any) map[string]any {
	body := map[string]any{"first_name": "New", "last_name": "Person", "email": email}
	for k, v := range grant {
		body[k] = v
	}
	return body
}

func TestContactsManageList(t *testing.T) {
	m := newManageEnv(t)
	var list struct {
		Contacts []struct {
			Email      string
			You        bool
			Holder     bool
			Manageable bool
			Reason     string `json:"manage_reason"`
		} `json:"contacts"`
	}
	want(t, m.mgr.get("/api/portal/contacts"), 200).into(t, &list)
	got := map[string]string{}
	for _, c := range list.Contacts {
		got[c.Email] = c.Reason
		if c.Manageable != (c.Email == "small@example.com") {
			t.Errorf("%s manageable=%v (%s)", c.Email, c.Manageable, c.Reason)
		}
	}
	for email, reason := range map[string]string{
		"mgr@example.com":    "denied: you cannot change your own access; ask the owner",
		"small@example.com":  "allowed: grant is Custom; contacts.manage included, within your own access",
		"big@example.com":    "denied: you cannot manage this contact: they hold profile.view, which your own grant does not include",
		"holder@example.com": "denied: this contact is the account holder; only the owner manages them",
	} {
		if got[email] != reason {
			t.Errorf("%s: %q, want %q", email, got[email], reason)
		}
	}
	e := m.env
	e.addContact(m.d, "bill@example.com", map[string]any{"preset": "billing"})
	refused(t, e.signIn("bill@example.com").get("/api/portal/contacts"), "denied: grant is Billing; contacts.manage not included")
}

func TestContactsManageAddAndInviteNoEscalation(t *testing.T) {
	m := newManageEnv(t)
	_, before := m.counts()
	for _, tc := range []struct {
		name   string
		grant  map[string]any
		reason string
	}{
		{"a permission not held", within(m.d, map[string]any{"permissions": []string{"invoices.view", "invoices.pay"}}),
			"denied: you cannot grant invoices.pay: your own grant does not include it"},
		{"a preset beyond", within(m.d, map[string]any{"preset": "billing"}),
			"denied: you cannot grant invoices.pay: your own grant does not include it"},
		{"every service", within(m.d, map[string]any{"service_ids": []float64{}}),
			"denied: you cannot grant invoices.view on the whole account: your own grant covers selected services only"},
		{"billing of the whole account", within(m.d, map[string]any{"billing_scope": "account"}),
			"denied: you cannot grant invoices.view on the whole account: your own grant covers selected services only"},
		{"another service", within(m.d, map[string]any{"service_ids": []float64{m.d.svc1, m.d.svc2}}),
			"denied: you cannot grant service \"VPS\": your own grant does not include it"},
		{"an admin area not held", within(m.d, map[string]any{"admin": map[string]any{"areas": []string{"orders", "settings"}}}),
			"denied: you cannot grant admin access to Site settings: your own admin access does not include it"},
		{"every admin area", within(m.d, map[string]any{"admin": map[string]any{"all": true}}),
			"denied: you cannot grant admin access to every area: yours covers chosen areas only"},
		{"no end", within(m.d, map[string]any{"expires_at": nil}),
			"denied: you cannot grant access beyond 2026-12-31, when your own access ends"},
		{"a later end", within(m.d, map[string]any{"expires_at": "2027-01-01"}),
			"denied: you cannot grant access beyond 2026-12-31, when your own access ends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, m.mgr.send("POST", "/api/portal/contacts", m.person("new@example.com", tc.grant)), tc.reason)
			refused(t, m.mgr.send("POST", "/api/portal/invitations", m.person("new@example.com", tc.grant)), tc.reason)
			if !m.audited("contact mgr@example.com", "add a contact — "+tc.reason) {
				t.Error("refusal not audited with its reason")
			}
		})
	}
	if _, n := m.counts(); n != before {
		t.Fatalf("refusals added contacts: %d → %d", before, n)
	}

	// Within the manager's access: added at once, or invited by email (the
	// owner's invitation flow); the owner is told.
	r := want(t, m.mgr.send("POST", "/api/portal/contacts", m.person("new@example.com",
		within(m.d, map[string]any{"admin": map[string]any{"areas": []string{"orders"}}}))), 201)
	if c := r.json(t); c["status"] != "active" || c["account_id"] != m.d.acc {
		t.Errorf("added contact %v", c)
	}
	inv := want(t, m.mgr.send("POST", "/api/portal/invitations", m.person("invitee@example.com", within(m.d, nil))), 201).json(t)
	if inv["state"] != "queued" || inv["email"] != "invitee@example.com" {
		t.Errorf("invitation %v", inv)
	}
	want(t, m.mgr.send("POST", "/api/portal/invitations", m.person("invitee@example.com", within(m.d, nil))), 409)
	// account_id in the body is ignored: contacts are added to one's own account.
	other := m.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}).json(t)["id"].(float64)
	added := want(t, m.mgr.send("POST", "/api/portal/contacts", m.person("elsewhere@example.com",
		within(m.d, map[string]any{"account_id": other}))), 201).json(t)
	if added["account_id"] != m.d.acc {
		t.Errorf("a contact added to account %v", added["account_id"])
	}
	if !m.audited("contact mgr@example.com", "Invited New Person <invitee@example.com>") {
		t.Error("invitation not audited with the contact as actor")
	}
	if got := m.mailed(m.d.acc, "contacts.changed"); len(got) != 3 {
		t.Errorf("owner told of %d changes, want 3: %v", len(got), got)
	}
}

func TestContactsManageEditSuspendRemove(t *testing.T) {
	m := newManageEnv(t)
	c := func(id float64) string { return "/api/portal/contacts/" + ftoa(id) }
	want(t, m.mgr.send("PATCH", c(m.small), map[string]any{"role": "bookkeeper", "expires_at": "2026-11-30"}), 200)
	refused(t, m.mgr.send("PATCH", c(m.small), map[string]any{"permissions": []string{"invoices.view", "invoices.pay"}}),
		"denied: you cannot grant invoices.pay: your own grant does not include it")
	refused(t, m.mgr.send("PATCH", c(m.small), map[string]any{"expires_at": nil}),
		"denied: you cannot grant access beyond 2026-12-31, when your own access ends")
	refused(t, m.mgr.send("PATCH", c(m.mgrID), map[string]any{"role": "boss"}), "denied: you cannot change your own access; ask the owner")
	refused(t, m.mgr.send("PATCH", c(m.mgrID), map[string]any{"expires_at": nil}), "denied: you cannot change your own access; ask the owner")
	refused(t, m.mgr.send("PATCH", c(m.big), map[string]any{"preset": "custom", "permissions": []string{"invoices.view"},
		"service_ids": []float64{m.d.svc1}, "expires_at": "2026-10-01"}),
		"denied: you cannot manage this contact: they hold profile.view, which your own grant does not include")
	refused(t, m.mgr.send("PATCH", c(m.holder), map[string]any{"status": "suspended"}),
		"denied: this contact is the account holder; only the owner manages them")

	// Suspend and restore; the owner's suspension only the owner lifts.
	var got struct{ Status string }
	want(t, m.mgr.send("PATCH", c(m.small), map[string]any{"status": "suspended"}), 200).into(t, &got)
	if got.Status != "suspended" {
		t.Errorf("suspended: %q", got.Status)
	}
	want(t, m.mgr.send("PATCH", c(m.small), map[string]any{"status": "active"}), 200)
	m.ok(200, "PATCH", "/api/contacts/"+ftoa(m.small), map[string]any{"status": "suspended"})
	refused(t, m.mgr.send("PATCH", c(m.small), map[string]any{"status": "active"}),
		"denied: the owner suspended this contact; only the owner can restore them")

	// Remove: within the manager's access only; another account's contacts
	// do not exist for them.
	refused(t, m.mgr.send("DELETE", c(m.holder), nil), "denied: this contact is the account holder; only the owner manages them")
	refused(t, m.mgr.send("DELETE", c(m.big), nil), "denied: you cannot manage this contact: they hold profile.view, which your own grant does not include")
	want(t, m.mgr.send("DELETE", c(m.small), nil), 204)
	m.ok(404, "GET", "/api/contacts/"+ftoa(m.small), nil)
	other := m.ok(201, "POST", "/api/accounts", map[string]any{"name": "Other"}).json(t)["id"].(float64)
	stranger := m.addContact(portalData{acc: other}, "stranger@example.com", map[string]any{"preset": "personal"})
	want(t, m.mgr.send("PATCH", c(stranger), map[string]any{"status": "suspended"}), 404)
	want(t, m.mgr.send("DELETE", c(stranger), nil), 404)
	if !m.audited("contact mgr@example.com", "Removed C small@example.com") {
		t.Error("removal not audited with the contact as actor")
	}
	// A manager who lost contacts.manage is refused at once.
	m.ok(200, "PATCH", "/api/contacts/"+ftoa(m.mgrID), map[string]any{"permissions": []string{"invoices.view"}})
	refused(t, m.mgr.send("PATCH", c(m.holder), map[string]any{"role": "x"}), "denied: grant is Custom; contacts.manage not included")
}
