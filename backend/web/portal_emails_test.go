package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/mailtest"
)

func TestInvoiceNoticesAndMailHistory(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	acc := "/api/accounts/" + ftoa(d.acc)
	e.ok(200, "PATCH", acc, map[string]any{"email": "billing@acme.test"})
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	e.addContact(d, "one@example.com", map[string]any{"preset": "custom", "permissions": []string{"invoices.view", "emails.view"},
		"service_ids": []float64{d.svc1}})
	e.addContact(d, "gone@example.com", map[string]any{"preset": "billing"})
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(e.addContact(d, "off@example.com", map[string]any{"preset": "billing"})), map[string]any{"status": "suspended"})
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})

	// Off by default: a new invoice mails nobody.
	e.ok(201, "POST", acc+"/invoices", map[string]any{"service_id": d.svc2, "number": "INV-10", "amount_cents": 100})
	if got := e.mailed(d.acc, "invoice.new"); len(got) != 0 {
		t.Errorf("notices off, yet mailed %v", got)
	}
	if r := e.do("PUT", "/api/settings/notices", map[string]any{"invoice_notices": true, "owner_email": "not an address"}); r.status != 422 {
		t.Errorf("bad owner address: %d", r.status)
	}
	e.ok(200, "PUT", "/api/settings/notices", map[string]any{"invoice_notices": true, "owner_email": "me@owner.test"})
	if ns := e.ok(200, "GET", "/api/settings/notices", nil).json(t); ns["invoice_notices"] != true || ns["owner_email"] != "me@owner.test" {
		t.Errorf("notice settings read back as %v", ns)
	}

	// On: to the account's email and the contacts whose grant allows
	// invoices.view on that invoice, now (not the suspended one, not the
	// one limited to another service).
	e.ok(201, "POST", acc+"/invoices", map[string]any{"service_id": d.svc2, "number": "INV-11", "amount_cents": 100,
		"due_at": "2026-06-10"})
	e.ok(201, "POST", acc+"/invoices", map[string]any{"service_id": d.svc1, "number": "INV-12", "amount_cents": 100})
	got := e.mailed(d.acc, "invoice.new")
	if len(got) != 2 || got[0] != "client: billing@acme.test,bill@example.com,gone@example.com" ||
		got[1] != "client: billing@acme.test,bill@example.com,gone@example.com,one@example.com" {
		t.Errorf("new invoice mails %v", got)
	}

	// One overdue reminder per invoice, when it is due, even if the app was
	// not running then; never twice.
	for range 2 {
		if err := e.app.SendReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.mailed(d.acc, "invoice.overdue"); len(got) != 0 {
		t.Errorf("reminders before the due date: %v", got)
	}
	e.now = e.now.Add(10 * 24 * time.Hour)
	for range 2 {
		if err := e.app.SendReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.mailed(d.acc, "invoice.overdue"); len(got) != 1 || !strings.HasPrefix(got[0], "client: billing@acme.test,") {
		t.Errorf("overdue reminders %v", got)
	}

	// emails.view: the mail to the account's side, recipients by name only,
	// nothing the owner was sent.
	one := e.signIn("one@example.com")
	var mine struct {
		Emails []struct {
			Kind, Subject string
			Audience      string
			Recipients    []map[string]any
		} `json:"emails"`
		Total int
	}
	want(t, one.get("/api/portal/emails"), 200).into(t, &mine)
	var kinds []string
	for _, m := range mine.Emails {
		kinds = append(kinds, m.Kind)
		if m.Audience != "client" {
			t.Errorf("contact sees a mail to the owner: %+v", m)
		}
		for _, r := range m.Recipients {
			if _, ok := r["email"]; ok || r["name"] == "" {
				t.Errorf("recipient shown as %v", r)
			}
		}
	}
	if !slices.Equal(kinds, []string{"invoice.overdue", "invoice.new", "invoice.new"}) || mine.Total != 3 {
		t.Errorf("mail history %v (%d)", kinds, mine.Total)
	}
	refused(t, e.signIn("tech@example.com").get("/api/portal/emails"), "denied: grant is Technical; emails.view not included")
	if r := one.get("/api/portal/emails?limit=x"); r.status != 422 {
		t.Errorf("bad limit: %d", r.status)
	}
}

// TestNoticeReachesSMTP follows one notice from the change to the mail
// server: the outbox delivers it, and the history shows it sent.
func TestNoticeReachesSMTP(t *testing.T) {
	e := newEnv(t)
	srv := mailtest.NewSMTP(t)
	e.ok(200, "PUT", "/api/settings/mail", map[string]any{"smtp": map[string]any{
		"host": srv.Host, "port": srv.Port, "security": "plain", "from_email": "owner@example.test", "from_name": "Acme Hosting"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan core.Event, 16)
	defer e.app.Subscribe(func(ev core.Event) {
		select {
		case changed <- ev:
		default:
		}
	})()
	e.app.Start(ctx)
	accID := e.ok(201, "POST", "/api/accounts", map[string]any{"name": "Acme"}).json(t)["id"].(float64)
	e.ok(200, "PATCH", "/api/accounts/"+ftoa(accID), map[string]any{"email": "billing@acme.test"})
	e.ok(200, "PUT", "/api/settings/notices", map[string]any{"invoice_notices": true})
	e.ok(201, "POST", "/api/accounts/"+ftoa(accID)+"/invoices", map[string]any{"number": "INV-9", "amount_cents": 4250, "currency": "GBP"})

	m := srv.WaitMessages(1, 10*time.Second)[0]
	body := string(m.Data)
	if !slices.Equal(m.To, []string{"billing@acme.test"}) || !strings.Contains(body, "Subject: New invoice INV-9") ||
		!strings.Contains(body, "42.50 GBP") || !strings.Contains(body, "Acme Hosting") {
		t.Errorf("delivered to %v:\n%s", m.To, body)
	}
	// The outbox tells live UIs after each commit: wait for the one that
	// records the delivery.
	var hist struct {
		Emails []struct {
			Recipients []struct{ State string }
		} `json:"emails"`
	}
	for timeout := time.After(10 * time.Second); ; {
		e.ok(200, "GET", "/api/accounts/"+ftoa(accID)+"/emails", nil).into(t, &hist)
		if len(hist.Emails) == 1 && hist.Emails[0].Recipients[0].State == "sent" {
			break
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("history never shows the mail sent: %+v", hist)
		}
	}
}
