package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

var bg = context.Background()

// fixture is an app on a fresh database with two accounts and services.
type fixture struct {
	app      *core.App
	now      time.Time
	acc      *model.Account
	other    *model.Account
	web, dns *model.Service // services of acc
	foreign  *model.Service // a service of other
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	app := openApp(t, t.TempDir())
	f := &fixture{app: app, now: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)}
	f.app.SetClock(func() time.Time { return f.now })
	f.acc = must(f.app.CreateAccount(bg, "Acme Ltd"))
	f.other = must(f.app.CreateAccount(bg, "Other Co"))
	f.web = must(f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: "acme.com hosting", Kind: "hosting"}))
	f.dns = must(f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: "acme.com", Kind: "domain"}))
	f.foreign = must(f.app.CreateService(bg, f.other.ID, core.ServiceInput{Name: "other.com", Kind: "domain"}))
	return f
}

// openApp opens the core on a fresh data directory. Secrets go to a key
// file there: tests never touch the user's keyring.
func openApp(t *testing.T, dir string) *core.App {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	app, err := core.Open(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (f *fixture) input() core.ContactInput {
	return core.ContactInput{AccountID: f.acc.ID, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+44 20 7946 0000", Company: "Analytical Ltd", Role: "accountant", Preset: "billing"}
}

// counts reports how many audit rows and contacts exist.
func (f *fixture) counts(t *testing.T) (audit, contacts int) {
	t.Helper()
	_, audit, err := f.app.Audit(bg, core.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, contacts, err = f.app.Contacts(bg, core.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return audit, contacts
}

func (f *fixture) lastAudit(t *testing.T) *model.AuditEntry {
	t.Helper()
	es, _, err := f.app.Audit(bg, core.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("audit: %v %v", es, err)
	}
	return es[0]
}

func asCoreError(t *testing.T, err error) *core.Error {
	t.Helper()
	e, ok := core.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *core.Error", err, err)
	}
	return e
}

func TestCreateContactValidation(t *testing.T) {
	f := newFixture(t)
	// An existing contact for the duplicate case.
	must(f.app.CreateContact(bg, core.ContactInput{AccountID: f.acc.ID, FirstName: "Taken", LastName: "Address",
		Email: "taken@example.com", Preset: "full"}))

	cases := []struct {
		name   string
		modify func(in *core.ContactInput)
		code   string
		field  string
	}{
		{"no account", func(in *core.ContactInput) { in.AccountID = 0 }, core.CodeInvalid, "account_id"},
		{"unknown account", func(in *core.ContactInput) { in.AccountID = 999 }, core.CodeNotFound, "account_id"},
		{"bad account type", func(in *core.ContactInput) { in.AccountType = "charity" }, core.CodeInvalid, "account_type"},
		{"company without company name", func(in *core.ContactInput) { in.AccountType, in.Company = "company", " " }, core.CodeInvalid, "company"},
		{"missing first name", func(in *core.ContactInput) { in.FirstName = "" }, core.CodeInvalid, "first_name"},
		{"blank first name", func(in *core.ContactInput) { in.FirstName = "   " }, core.CodeInvalid, "first_name"},
		{"missing last name", func(in *core.ContactInput) { in.LastName = "" }, core.CodeInvalid, "last_name"},
		{"first name too long", func(in *core.ContactInput) { in.FirstName = strings.Repeat("a", 201) }, core.CodeInvalid, "first_name"},
		{"control character", func(in *core.ContactInput) { in.LastName = "Love\x00lace" }, core.CodeInvalid, "last_name"},
		{"missing email", func(in *core.ContactInput) { in.Email = "" }, core.CodeInvalid, "email"},
		{"email without at", func(in *core.ContactInput) { in.Email = "ada.example.com" }, core.CodeInvalid, "email"},
		{"email with display name", func(in *core.ContactInput) { in.Email = "Ada <ada@example.com>" }, core.CodeInvalid, "email"},
		{"email without domain dot", func(in *core.ContactInput) { in.Email = "ada@localhost" }, core.CodeInvalid, "email"},
		{"two emails", func(in *core.ContactInput) { in.Email = "a@example.com, b@example.com" }, core.CodeInvalid, "email"},
		{"phone with letters", func(in *core.ContactInput) { in.Phone = "call me" }, core.CodeInvalid, "phone"},
		{"phone too short", func(in *core.ContactInput) { in.Phone = "12" }, core.CodeInvalid, "phone"},
		{"phone too long", func(in *core.ContactInput) { in.Phone = strings.Repeat("1", 33) }, core.CodeInvalid, "phone"},
		{"no preset", func(in *core.ContactInput) { in.Preset = "" }, core.CodeInvalid, "preset"},
		{"unknown preset", func(in *core.ContactInput) { in.Preset = "superuser" }, core.CodeInvalid, "preset"},
		{"custom without permissions", func(in *core.ContactInput) { in.Preset, in.Permissions = "custom", nil }, core.CodeInvalid, "permissions"},
		{"custom with unknown permission", func(in *core.ContactInput) {
			in.Preset, in.Permissions = "custom", []string{"invoices.view", "invoices.refund"}
		}, core.CodeUnknownPermission, "permissions"},
		{"service of another account", func(in *core.ContactInput) { in.ServiceIDs = []int64{f.web.ID, f.foreign.ID} }, core.CodeInvalid, "service_ids"},
		{"service that does not exist", func(in *core.ContactInput) { in.ServiceIDs = []int64{4242} }, core.CodeInvalid, "service_ids"},
		{"unknown admin area", func(in *core.ContactInput) { in.Admin = &core.AdminInput{Areas: []string{"orders", "kitchen"}} }, core.CodeUnknownPermission, "admin"},
		{"admin without areas", func(in *core.ContactInput) { in.Admin = &core.AdminInput{} }, core.CodeInvalid, "admin"},
		{"expiry out of range", func(in *core.ContactInput) {
			in.ExpiresAt = &core.Expiry{Time: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)}
		}, core.CodeInvalid, "expires_at"},
		{"duplicate email, other case", func(in *core.ContactInput) { in.Email = "TAKEN@Example.com" }, core.CodeConflict, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			audit, contacts := f.counts(t)
			in := f.input()
			c.modify(&in)
			got, err := f.app.CreateContact(bg, in)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			e := asCoreError(t, err)
			if e.Code != c.code || e.Field != c.field {
				t.Errorf("error code=%q field=%q (%s), want code=%q field=%q", e.Code, e.Field, e.Message, c.code, c.field)
			}
			if e.Message == "" {
				t.Error("error has no message")
			}
			if a2, c2 := f.counts(t); a2 != audit || c2 != contacts {
				t.Errorf("failed create wrote something: audit %d→%d, contacts %d→%d", audit, a2, contacts, c2)
			}
		})
	}

	// Control: the unmodified input is valid, so each case above failed for
	// its own reason.
	if _, err := f.app.CreateContact(bg, f.input()); err != nil {
		t.Fatalf("base input rejected: %v", err)
	}
}

func TestAccountAndServiceValidation(t *testing.T) {
	f := newFixture(t)
	check := func(name string, err error, code, field string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted", name)
			return
		}
		e := asCoreError(t, err)
		if e.Code != code || e.Field != field {
			t.Errorf("%s: %q/%q (%s), want %q/%q", name, e.Code, e.Field, e.Message, code, field)
		}
	}
	audit, _ := f.counts(t)
	_, err := f.app.CreateAccount(bg, "  ")
	check("blank account", err, core.CodeInvalid, "name")
	_, err = f.app.CreateAccount(bg, strings.Repeat("x", 201))
	check("long account", err, core.CodeInvalid, "name")
	_, err = f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: ""})
	check("blank service", err, core.CodeInvalid, "name")
	_, err = f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: "x", Kind: "spaceship"})
	check("bad kind", err, core.CodeInvalid, "kind")
	_, err = f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: "x", Status: "paused"})
	check("bad status", err, core.CodeInvalid, "status")
	_, err = f.app.CreateService(bg, 999, core.ServiceInput{Name: "x"})
	check("missing account", err, core.CodeNotFound, "")
	_, err = f.app.Account(bg, 999)
	check("get missing account", err, core.CodeNotFound, "")
	_, err = f.app.Services(bg, 999)
	check("services of missing account", err, core.CodeNotFound, "")
	if a2, _ := f.counts(t); a2 != audit {
		t.Errorf("failed account/service changes wrote %d audit rows", a2-audit)
	}

	s := must(f.app.CreateService(bg, f.acc.ID, core.ServiceInput{Name: "  mail  "}))
	if s.Name != "mail" || s.Kind != "other" || s.Status != "active" || s.AccountID != f.acc.ID {
		t.Errorf("defaults not applied: %+v", s)
	}
	acc := must(f.app.Account(bg, f.acc.ID))
	if acc.ServiceCount != 3 {
		t.Errorf("service count %d, want 3", acc.ServiceCount)
	}
}

type auditPayload struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Grant struct {
		Preset string `json:"preset"`
	} `json:"grant"`
	Admin *model.AdminAccess `json:"admin"`
}

func decodePayload(t *testing.T, v any) *auditPayload {
	t.Helper()
	if v == nil {
		return nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		t.Fatalf("audit payload is %T, want json.RawMessage", v)
	}
	var p auditPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestEveryChangeWritesOneAuditRow(t *testing.T) {
	f := newFixture(t)
	alice := core.WithActor(bg, "alice")
	var contactID int64

	steps := []struct {
		name          string
		run           func() (int64, error)
		action        string
		entity        string
		before, after bool
		check         func(t *testing.T, e *model.AuditEntry)
	}{
		{"create account", func() (int64, error) {
			a, err := f.app.CreateAccount(alice, "Audit Ltd")
			if err != nil {
				return 0, err
			}
			return a.ID, nil
		}, "account.create", "account", false, true, func(t *testing.T, e *model.AuditEntry) {
			if p := decodePayload(t, e.After); p.Name != "Audit Ltd" {
				t.Errorf("after %+v", p)
			}
		}},
		{"create service", func() (int64, error) {
			s, err := f.app.CreateService(alice, f.acc.ID, core.ServiceInput{Name: "vps"})
			if err != nil {
				return 0, err
			}
			return s.ID, nil
		}, "service.create", "service", false, true, nil},
		{"create contact", func() (int64, error) {
			c, err := f.app.CreateContact(alice, f.input())
			if err != nil {
				return 0, err
			}
			contactID = c.ID
			return c.ID, nil
		}, "contact.create", "contact", false, true, func(t *testing.T, e *model.AuditEntry) {
			if p := decodePayload(t, e.After); p.Email != "ada@example.com" || p.Grant.Preset != "billing" {
				t.Errorf("after %+v", p)
			}
			if !strings.Contains(e.Summary, "Ada Lovelace") || !strings.Contains(e.Summary, "Billing") {
				t.Errorf("summary %q", e.Summary)
			}
		}},
		{"update contact", func() (int64, error) {
			c, err := f.app.UpdateContact(alice, contactID, core.ContactPatch{Email: ptr("ada@lovelace.org")})
			if err != nil {
				return 0, err
			}
			return c.ID, nil
		}, "contact.update", "contact", true, true, func(t *testing.T, e *model.AuditEntry) {
			if b, a := decodePayload(t, e.Before), decodePayload(t, e.After); b.Email != "ada@example.com" || a.Email != "ada@lovelace.org" {
				t.Errorf("before %+v after %+v", b, a)
			}
			if !strings.Contains(e.Summary, "email") {
				t.Errorf("summary %q does not name the changed field", e.Summary)
			}
		}},
		{"delete contact", func() (int64, error) {
			return contactID, f.app.DeleteContact(alice, contactID)
		}, "contact.delete", "contact", true, false, func(t *testing.T, e *model.AuditEntry) {
			if b := decodePayload(t, e.Before); b.Email != "ada@lovelace.org" {
				t.Errorf("before %+v", b)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.now = f.now.Add(time.Minute)
			audit, _ := f.counts(t)
			id, err := st.run()
			if err != nil {
				t.Fatal(err)
			}
			if a2, _ := f.counts(t); a2 != audit+1 {
				t.Fatalf("audit rows %d → %d, want exactly one more", audit, a2)
			}
			e := f.lastAudit(t)
			if e.Actor != "alice" || e.Action != st.action || e.Entity != st.entity || e.EntityID != id {
				t.Errorf("entry %+v, want actor alice, %s %s %d", e, st.action, st.entity, id)
			}
			if !e.At.Equal(f.now) {
				t.Errorf("at %v, want the app clock %v", e.At, f.now)
			}
			if (e.Before != nil) != st.before || (e.After != nil) != st.after {
				t.Errorf("before present=%v after present=%v, want %v %v", e.Before != nil, e.After != nil, st.before, st.after)
			}
			if e.Summary == "" {
				t.Error("empty summary")
			}
			if st.check != nil {
				st.check(t, e)
			}
		})
	}

	// Without WithActor the owner acts.
	must(f.app.CreateAccount(bg, "Default Actor"))
	if e := f.lastAudit(t); e.Actor != "owner" {
		t.Errorf("default actor %q, want owner", e.Actor)
	}
	// Reads write nothing.
	audit, _ := f.counts(t)
	f.app.Accounts(bg)
	f.app.Contacts(bg, core.ContactFilter{Query: "x"})
	f.app.Check(bg, 1, "invoices.view", 0)
	f.app.LookupEmail(bg, "a@b.c", 0)
	if a2, _ := f.counts(t); a2 != audit {
		t.Errorf("reads wrote %d audit rows", a2-audit)
	}
}

func ptr[T any](v T) *T { return &v }

func patch(t *testing.T, js string) core.ContactPatch {
	t.Helper()
	var p core.ContactPatch
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatalf("patch %s: %v", js, err)
	}
	return p
}

func TestUpdateContactPatchSemantics(t *testing.T) {
	f := newFixture(t)
	in := f.input()
	in.ServiceIDs = []int64{f.dns.ID, f.web.ID}
	in.ExpiresAt = &core.Expiry{Time: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	in.Admin = &core.AdminInput{Areas: []string{"reports", "orders"}}
	orig := must(f.app.CreateContact(bg, in))

	t.Run("absent fields keep their values", func(t *testing.T) {
		f.now = f.now.Add(time.Hour)
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"first_name":"Augusta Ada"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Augusta Ada" {
			t.Errorf("first name %q", got.FirstName)
		}
		if got.LastName != orig.LastName || got.Email != orig.Email || got.Phone != orig.Phone || got.Company != orig.Company ||
			got.Role != orig.Role || got.AccountType != orig.AccountType || got.Status != orig.Status {
			t.Errorf("personal fields changed: %+v", got)
		}
		if got.Grant.Preset != "billing" || !slices.Equal(got.Grant.Permissions, orig.Grant.Permissions) ||
			got.Grant.AllServices || !slices.Equal(got.Grant.ServiceIDs, orig.Grant.ServiceIDs) ||
			got.Grant.ExpiresAt == nil || !got.Grant.ExpiresAt.Equal(*orig.Grant.ExpiresAt) {
			t.Errorf("grant changed: %+v, was %+v", got.Grant, orig.Grant)
		}
		if got.Admin == nil || !slices.Equal(got.Admin.Areas, []string{"orders", "reports"}) {
			t.Errorf("admin changed: %+v", got.Admin)
		}
		if !got.UpdatedAt.Equal(f.now) || !got.CreatedAt.Equal(orig.CreatedAt) {
			t.Errorf("times: created %v updated %v", got.CreatedAt, got.UpdatedAt)
		}
		stored := must(f.app.Contact(bg, orig.ID))
		if stored.FirstName != "Augusta Ada" || stored.Admin == nil || stored.Grant.ExpiresAt == nil {
			t.Errorf("stored %+v", stored)
		}
	})

	t.Run("expires_at null removes the expiry", func(t *testing.T) {
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"expires_at":null}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Grant.ExpiresAt != nil || must(f.app.Contact(bg, orig.ID)).Grant.ExpiresAt != nil {
			t.Errorf("expiry still %v", got.Grant.ExpiresAt)
		}
		if got.Admin == nil {
			t.Error("removing the expiry removed admin access")
		}
	})

	t.Run("expires_at as a date lasts through that day in the owner's time zone", func(t *testing.T) {
		must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "Europe/Paris"}))
		defer func() { must(f.app.PutOwnerTimeZone(bg, core.TimeZone{})) }()
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"expires_at":"2027-03-04"}`))
		if err != nil {
			t.Fatal(err)
		}
		// Midnight in Paris (UTC+1 in March) after the 4th.
		if want := time.Date(2027, 3, 4, 23, 0, 0, 0, time.UTC); got.Grant.ExpiresAt == nil || !got.Grant.ExpiresAt.Equal(want) {
			t.Errorf("expiry %v, want %v", got.Grant.ExpiresAt, want)
		}
	})

	t.Run("admin null removes admin access", func(t *testing.T) {
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"admin":null}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Admin != nil || must(f.app.Contact(bg, orig.ID)).Admin != nil {
			t.Errorf("admin still %+v", got.Admin)
		}
		res := must(f.app.Check(bg, orig.ID, "admin.orders", 0))
		if res.Allowed || !strings.Contains(res.Reason, "no admin access") {
			t.Errorf("check after removing admin: %+v", res)
		}
		if got.Grant.ExpiresAt == nil {
			t.Error("removing admin access removed the expiry")
		}
	})

	t.Run("admin all", func(t *testing.T) {
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"admin":{"all":true}}`))
		if err != nil {
			t.Fatal(err)
		}
		// Everything is every area of every site: no list to keep up to date.
		if got.Admin == nil || !got.Admin.All || len(got.Admin.Areas) != 0 {
			t.Errorf("admin %+v", got.Admin)
		}
	})

	t.Run("empty service_ids means all services", func(t *testing.T) {
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"service_ids":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Grant.AllServices || len(got.Grant.ServiceIDs) != 0 {
			t.Errorf("grant %+v", got.Grant)
		}
	})

	t.Run("preset change replaces permissions", func(t *testing.T) {
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"preset":"custom","permissions":["orders.place"]}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Grant.Preset != "custom" || !slices.Equal(got.Grant.Permissions, []string{"orders.place"}) {
			t.Errorf("grant %+v", got.Grant)
		}
		// Back to a preset: the preset's set wins over the old custom list.
		got, err = f.app.UpdateContact(bg, orig.ID, patch(t, `{"preset":"technical"}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"services.view", "support.open", "support.view"}; !slices.Equal(got.Grant.Permissions, want) {
			t.Errorf("permissions %q, want %q", got.Grant.Permissions, want)
		}
	})

	t.Run("suspend and restore", func(t *testing.T) {
		before := must(f.app.Check(bg, orig.ID, "services.view", 0))
		if !before.Allowed {
			t.Fatalf("setup: %+v", before)
		}
		got, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"status":"suspended"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusSuspended || got.EffectiveStatus != model.StatusSuspended {
			t.Errorf("status %q/%q", got.Status, got.EffectiveStatus)
		}
		res := must(f.app.Check(bg, orig.ID, "services.view", 0))
		if res.Allowed || !strings.Contains(res.Reason, "suspended") {
			t.Errorf("check while suspended: %+v", res)
		}
		if !strings.Contains(f.lastAudit(t).Summary, "status active → suspended") {
			t.Errorf("summary %q", f.lastAudit(t).Summary)
		}
		if _, err := f.app.UpdateContact(bg, orig.ID, patch(t, `{"status":"active"}`)); err != nil {
			t.Fatal(err)
		}
		if res := must(f.app.Check(bg, orig.ID, "services.view", 0)); !res.Allowed {
			t.Errorf("check after restore: %+v", res)
		}
	})

	t.Run("invalid patches write nothing", func(t *testing.T) {
		other := must(f.app.CreateContact(bg, core.ContactInput{AccountID: f.acc.ID, FirstName: "Grace", LastName: "Hopper",
			Email: "grace@example.com", Preset: "full"}))
		cases := []struct {
			js, code, field string
		}{
			{`{"status":"invited"}`, core.CodeInvalid, "status"},
			{`{"status":"expired"}`, core.CodeInvalid, "status"},
			{`{"email":"not an email"}`, core.CodeInvalid, "email"},
			{`{"email":"GRACE@example.com"}`, core.CodeConflict, "email"},
			{`{"first_name":""}`, core.CodeInvalid, "first_name"},
			{`{"phone":"abc"}`, core.CodeInvalid, "phone"},
			{`{"preset":"root"}`, core.CodeInvalid, "preset"},
			{`{"preset":"custom","permissions":[],"admin":null}`, core.CodeInvalid, "permissions"},
			{`{"preset":"custom","permissions":["x.y"]}`, core.CodeUnknownPermission, "permissions"},
			{fmt.Sprintf(`{"service_ids":[%d]}`, f.foreign.ID), core.CodeInvalid, "service_ids"},
			{`{"admin":{"areas":["kitchen"]}}`, core.CodeUnknownPermission, "admin"},
			{`{"admin":{"areas":[]}}`, core.CodeInvalid, "admin"},
		}
		for _, c := range cases {
			audit, contacts := f.counts(t)
			before := must(f.app.Contact(bg, orig.ID))
			_, err := f.app.UpdateContact(bg, orig.ID, patch(t, c.js))
			if err == nil {
				t.Errorf("%s accepted", c.js)
				continue
			}
			e := asCoreError(t, err)
			if e.Code != c.code || e.Field != c.field {
				t.Errorf("%s: %q/%q (%s), want %q/%q", c.js, e.Code, e.Field, e.Message, c.code, c.field)
			}
			after := must(f.app.Contact(bg, orig.ID))
			bj, _ := json.Marshal(before)
			aj, _ := json.Marshal(after)
			if string(bj) != string(aj) {
				t.Errorf("%s changed the contact:\n%s\n%s", c.js, bj, aj)
			}
			if a2, c2 := f.counts(t); a2 != audit || c2 != contacts {
				t.Errorf("%s wrote: audit %d→%d contacts %d→%d", c.js, audit, a2, contacts, c2)
			}
		}
		if _, err := f.app.UpdateContact(bg, other.ID, patch(t, `{"email":"Grace@Example.com"}`)); err != nil {
			t.Errorf("changing only the case of one's own email: %v", err)
		}
	})

	t.Run("bad expiry in JSON", func(t *testing.T) {
		var p core.ContactPatch
		err := json.Unmarshal([]byte(`{"expires_at":"31/12/2026"}`), &p)
		if e := asCoreError(t, err); e.Code != core.CodeInvalid || e.Field != "expires_at" {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("missing contact", func(t *testing.T) {
		_, err := f.app.UpdateContact(bg, 4242, patch(t, `{"first_name":"X"}`))
		if e := asCoreError(t, err); e.Code != core.CodeNotFound {
			t.Errorf("error %+v", e)
		}
		err = f.app.DeleteContact(bg, 4242)
		if e := asCoreError(t, err); e.Code != core.CodeNotFound {
			t.Errorf("delete error %+v", e)
		}
	})
}

func TestCreateContactStoresWhatWasAsked(t *testing.T) {
	f := newFixture(t)
	in := f.input()
	in.Email = "  Ada@Example.com "
	in.FirstName = " Ada "
	in.Preset = "custom"
	in.Permissions = []string{"services.view", "invoices.view", "services.view"}
	in.ServiceIDs = []int64{f.web.ID, f.dns.ID, f.web.ID}
	in.Admin = &core.AdminInput{Areas: []string{"users", "dashboard"}}
	c, err := f.app.CreateContact(bg, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "Ada@Example.com" || c.FirstName != "Ada" || c.AccountType != "individual" || c.Status != model.StatusActive ||
		c.EffectiveStatus != model.StatusActive {
		t.Errorf("contact %+v", c)
	}
	if !slices.Equal(c.Grant.Permissions, []string{"invoices.view", "services.view"}) {
		t.Errorf("permissions %q", c.Grant.Permissions)
	}
	if want := []int64{min(f.web.ID, f.dns.ID), max(f.web.ID, f.dns.ID)}; c.Grant.AllServices || !slices.Equal(c.Grant.ServiceIDs, want) {
		t.Errorf("services %v all=%v, want %v", c.Grant.ServiceIDs, c.Grant.AllServices, want)
	}
	if c.Admin == nil || c.Admin.All || !slices.Equal(c.Admin.Areas, []string{"dashboard", "users"}) {
		t.Errorf("admin %+v", c.Admin)
	}
	stored := must(f.app.Contact(bg, c.ID))
	cj, _ := json.Marshal(c)
	sj, _ := json.Marshal(stored)
	if string(cj) != string(sj) {
		t.Errorf("returned and stored contacts differ:\n%s\n%s", cj, sj)
	}

	// A preset ignores the permissions list.
	in2 := f.input()
	in2.Email, in2.Permissions = "b@example.com", []string{"orders.place"}
	b := must(f.app.CreateContact(bg, in2))
	if want := []string{"emails.view", "invoices.pay", "invoices.view", "quotes.view"}; !slices.Equal(b.Grant.Permissions, want) {
		t.Errorf("billing permissions %q, want %q", b.Grant.Permissions, want)
	}
	if !b.Grant.AllServices || b.Admin != nil || b.Grant.ExpiresAt != nil {
		t.Errorf("defaults %+v admin %+v", b.Grant, b.Admin)
	}

	// Unicode addresses are compared ignoring case.
	in3 := f.input()
	in3.Email = "élodie@x.fr"
	must(f.app.CreateContact(bg, in3))
	in3.Email = "ÉLODIE@x.fr"
	if _, err := f.app.CreateContact(bg, in3); err == nil || asCoreError(t, err).Code != core.CodeConflict {
		t.Errorf("ÉLODIE@x.fr after élodie@x.fr: %v, want conflict", err)
	}
	in3.AccountID = f.other.ID
	if _, err := f.app.CreateContact(bg, in3); err != nil {
		t.Errorf("same address in another account: %v", err)
	}
	found, err := f.app.LookupEmail(bg, "Élodie@X.fr", f.other.ID)
	if err != nil || found == nil || found.AccountID != f.other.ID {
		t.Errorf("lookup: %+v, %v", found, err)
	}
	if none, err := f.app.LookupEmail(bg, "nobody@x.fr", 0); none != nil || err != nil {
		t.Errorf("lookup of unknown address: %+v, %v", none, err)
	}
}

func TestCheckAndEffectiveAccess(t *testing.T) {
	f := newFixture(t)
	in := f.input() // billing
	in.ServiceIDs = []int64{f.web.ID}
	in.Admin = &core.AdminInput{Areas: []string{"orders"}}
	c := must(f.app.CreateContact(bg, in))

	cases := []struct {
		perm    string
		service int64
		allowed bool
		reason  string
	}{
		{"services.cancel", 0, false, "denied: grant is Billing; services.cancel not included"},
		{"invoices.pay", 0, true, "allowed: grant is Billing; invoices.pay on selected services only"},
		// Explanations name the service, not its id.
		{"invoices.pay", f.web.ID, true, `on selected service "acme.com hosting"`},
		{"invoices.pay", f.dns.ID, false, `service "acme.com" is not among the grant's selected services`},
		{"invoices.pay", f.foreign.ID, false, `service "other.com" belongs to another account`},
		{"quotes.view", f.dns.ID, true, "allowed: grant is Billing; quotes.view included"},
		{"admin.orders", 0, true, "allowed: admin access includes Your site: Orders"},
		{"admin.settings", 0, false, "denied: admin access does not include Your site: Site settings"},
		{"admin.site.1", 0, true, "allowed: the path is under no area of Your site"},
		{" invoices.view ", 0, true, "invoices.view"},
	}
	for _, tc := range cases {
		res, err := f.app.Check(bg, c.ID, tc.perm, tc.service)
		if err != nil {
			t.Errorf("%s on %d: %v", tc.perm, tc.service, err)
			continue
		}
		if res.Allowed != tc.allowed || !strings.Contains(res.Reason, tc.reason) {
			t.Errorf("%s on %d: %+v, want allowed=%v reason containing %q", tc.perm, tc.service, res, tc.allowed, tc.reason)
		}
	}

	errCases := []struct {
		contact   int64
		perm      string
		service   int64
		code, fld string
	}{
		{c.ID, "invoices.refund", 0, core.CodeUnknownPermission, "permission"},
		{c.ID, "admin.kitchen", 0, core.CodeUnknownPermission, "permission"},
		{c.ID, "", 0, core.CodeUnknownPermission, "permission"},
		{4242, "invoices.view", 0, core.CodeNotFound, ""},
		{c.ID, "invoices.view", 4242, core.CodeNotFound, ""},
	}
	for _, tc := range errCases {
		_, err := f.app.Check(bg, tc.contact, tc.perm, tc.service)
		if err == nil {
			t.Errorf("check(%d, %q, %d) succeeded", tc.contact, tc.perm, tc.service)
			continue
		}
		if e := asCoreError(t, err); e.Code != tc.code || e.Field != tc.fld {
			t.Errorf("check(%d, %q, %d): %+v, want %s/%s", tc.contact, tc.perm, tc.service, e, tc.code, tc.fld)
		}
	}

	rows, err := f.app.EffectiveAccess(bg, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One row per permission, per area of the first site, and its paths
	// under no area.
	if len(rows) != len(permission.All())+len(permission.AdminAreas())+1 {
		t.Fatalf("%d rows, want one per permission and admin area, and one for the site", len(rows))
	}
	billing := map[string]bool{"invoices.view": true, "invoices.pay": true, "quotes.view": true, "emails.view": true}
	for i, info := range permission.All() {
		r := rows[i]
		if r.Permission != info.Name || r.Label != info.Label || r.Group != info.Group {
			t.Errorf("row %d: %+v, want %s", i, r, info.Name)
		}
		if r.Allowed != billing[info.Name] {
			t.Errorf("%s: allowed=%v (%s)", r.Permission, r.Allowed, r.Reason)
		}
		prefix := "denied: "
		if r.Allowed {
			prefix = "allowed: "
		}
		if !strings.HasPrefix(r.Reason, prefix) || !strings.Contains(r.Reason, "Billing") {
			t.Errorf("%s: reason %q", r.Permission, r.Reason)
		}
		// The table and Check agree.
		if res := must(f.app.Check(bg, c.ID, info.Name, 0)); res.Allowed != r.Allowed || res.Reason != r.Reason {
			t.Errorf("%s: table %v %q, check %v %q", info.Name, r.Allowed, r.Reason, res.Allowed, res.Reason)
		}
	}
	for i, area := range permission.AdminAreas() {
		r := rows[len(permission.All())+i]
		if r.Permission != "admin."+area.Name || r.Allowed != (area.Name == "orders") || r.Group != "Admin: Your site" {
			t.Errorf("admin row %+v", r)
		}
		if res := must(f.app.Check(bg, c.ID, r.Permission, 0)); res.Allowed != r.Allowed || res.Reason != r.Reason {
			t.Errorf("%s: table %v %q, check %v %q", r.Permission, r.Allowed, r.Reason, res.Allowed, res.Reason)
		}
	}
	if r := rows[len(rows)-1]; r.Permission != "admin.site.1" || !r.Allowed || r.Label != "Paths under no area" {
		t.Errorf("site row %+v", r)
	}

	onDNS, err := f.app.EffectiveAccess(bg, c.ID, f.dns.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range onDNS {
		if r.Permission == "invoices.pay" && r.Allowed {
			t.Errorf("invoices.pay on an unselected service: %+v", r)
		}
		if r.Permission == "quotes.view" && !r.Allowed {
			t.Errorf("quotes.view (not service-scoped) on an unselected service: %+v", r)
		}
	}
	if _, err := f.app.EffectiveAccess(bg, 4242, 0); err == nil || asCoreError(t, err).Code != core.CodeNotFound {
		t.Errorf("access table of a missing contact: %v", err)
	}
}

func TestExpiryFollowsTheClock(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	in := f.input()
	exp, err := core.ParseExpiry("2026-01-31")
	if err != nil {
		t.Fatal(err)
	}
	in.ExpiresAt = &core.Expiry{Time: exp}
	c := must(f.app.CreateContact(bg, in))
	if want := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC); !c.Grant.ExpiresAt.Equal(want) {
		t.Fatalf("expiry %v, want %v", c.Grant.ExpiresAt, want)
	}

	statusList := func(status string) []int64 {
		cs, _, err := f.app.Contacts(bg, core.ContactFilter{Status: status})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, x := range cs {
			ids = append(ids, x.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		now     time.Time
		allowed bool
	}{
		{time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		f.now = tc.now
		res := must(f.app.Check(bg, c.ID, "invoices.pay", 0))
		got := must(f.app.Contact(bg, c.ID))
		wantStatus := model.StatusActive
		if !tc.allowed {
			wantStatus = model.StatusExpired
		}
		if res.Allowed != tc.allowed {
			t.Errorf("at %v: %+v", tc.now, res)
		}
		if !tc.allowed && res.Reason != "denied: grant was valid through 2026-01-30" {
			t.Errorf("at %v: reason %q", tc.now, res.Reason)
		}
		if got.EffectiveStatus != wantStatus || got.Status != model.StatusActive {
			t.Errorf("at %v: status %q effective %q, want effective %q", tc.now, got.Status, got.EffectiveStatus, wantStatus)
		}
		inActive, inExpired := slices.Contains(statusList("active"), c.ID), slices.Contains(statusList("expired"), c.ID)
		if inActive != tc.allowed || inExpired == tc.allowed {
			t.Errorf("at %v: listed active=%v expired=%v", tc.now, inActive, inExpired)
		}
		listed, _, _ := f.app.Contacts(bg, core.ContactFilter{})
		for _, x := range listed {
			if x.ID == c.ID && x.EffectiveStatus != wantStatus {
				t.Errorf("at %v: listing shows %q", tc.now, x.EffectiveStatus)
			}
		}
	}
	// Removing the expiry restores access at once.
	must(f.app.UpdateContact(bg, c.ID, patch(t, `{"expires_at":null}`)))
	if res := must(f.app.Check(bg, c.ID, "invoices.pay", 0)); !res.Allowed {
		t.Errorf("after removing expiry: %+v", res)
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-01-31", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{" 2026-01-31 ", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2026-01-31T12:30:00Z", time.Date(2026, 1, 31, 12, 30, 0, 0, time.UTC)},
		{"2026-01-31T12:30:00+02:00", time.Date(2026, 1, 31, 10, 30, 0, 0, time.UTC)},
		{"2026-01-31T12:30:00.999Z", time.Date(2026, 1, 31, 12, 30, 0, 0, time.UTC)},
	} {
		got, err := core.ParseExpiry(tc.in)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v UTC", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "31/01/2026", "2026-13-01", "tomorrow", "2026-01-31 12:00"} {
		_, err := core.ParseExpiry(bad)
		if e, ok := core.AsError(err); !ok || e.Field != "expires_at" || e.Code != core.CodeInvalid {
			t.Errorf("ParseExpiry(%q) error %v", bad, err)
		}
	}
}

func TestContactListing(t *testing.T) {
	f := newFixture(t)
	// 501 contacts written directly, in one transaction, to test paging bounds.
	err := f.app.StoreForTest().Tx(bg, func(tx *store.Tx) error {
		for i := range 501 {
			c := &model.Contact{AccountID: f.acc.ID, AccountType: "individual", FirstName: "P", LastName: fmt.Sprintf("N%04d", i),
				Email: fmt.Sprintf("p%d@example.com", i), Status: model.StatusActive, CreatedAt: f.now, UpdatedAt: f.now,
				Grant: model.Grant{Preset: "personal", Permissions: []string{"profile.view"}, AllServices: true}}
			if err := tx.InsertContact(bg, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit, offset, want int
	}{
		{0, 0, 50},     // default
		{-5, 0, 50},    // default
		{10, 0, 10},    //
		{1000, 0, 500}, // capped
		{10, 495, 6},   // last page
		{10, -3, 10},   // negative offset is 0
	} {
		cs, total, err := f.app.Contacts(bg, core.ContactFilter{Limit: tc.limit, Offset: tc.offset})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != tc.want || total != 501 {
			t.Errorf("limit %d offset %d: %d rows total %d, want %d rows total 501", tc.limit, tc.offset, len(cs), total, tc.want)
		}
		if tc.offset <= 0 && len(cs) > 0 && cs[0].LastName != "N0000" {
			t.Errorf("limit %d offset %d starts at %s", tc.limit, tc.offset, cs[0].LastName)
		}
	}
	_, _, err = f.app.Contacts(bg, core.ContactFilter{Preset: "boss"})
	if e := asCoreError(t, err); e.Code != core.CodeInvalid || e.Field != "preset" {
		t.Errorf("unknown preset filter: %+v", e)
	}
	_, _, err = f.app.Contacts(bg, core.ContactFilter{Status: "deleted"})
	if e := asCoreError(t, err); e.Code != core.CodeInvalid || e.Field != "status" {
		t.Errorf("unknown status filter: %+v", e)
	}
}

func TestOpenCreatesDataDir(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := filepath.Join(t.TempDir(), "nested", "data")
	app, err := core.Open(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	must(app.CreateAccount(bg, "Persisted"))
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, core.DBFile)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	app, err = core.Open(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	accs := must(app.Accounts(bg))
	if len(accs) != 1 || accs[0].Name != "Persisted" {
		t.Errorf("accounts after reopen: %+v", accs)
	}
	// A file where the directory should be is an error, not a panic.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	if _, err := core.Open(bg, blocker); err == nil {
		t.Error("Open on a regular file succeeded")
	}
}

func TestErrorText(t *testing.T) {
	e := &core.Error{Code: core.CodeInvalid, Field: "email", Message: "bad"}
	if e.Error() != "email: bad" {
		t.Errorf("%q", e.Error())
	}
	wrapped := fmt.Errorf("ctx: %w", e)
	if got, ok := core.AsError(wrapped); !ok || got != e {
		t.Error("AsError does not unwrap")
	}
	if _, ok := core.AsError(errors.New("plain")); ok {
		t.Error("AsError accepted a plain error")
	}
}
