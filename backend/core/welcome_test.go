package core_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// accessMails lists the welcome and notice mails in the outbox by state.
func (r *invRig) accessMails() map[string]int {
	r.t.Helper()
	rows, err := r.app.StoreForTest().DB().Query(`SELECT state, count(*) FROM outbox WHERE kind = 'access' GROUP BY state`)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		rows.Scan(&s, &n)
		out[s] = n
	}
	return out
}

// restart closes the core and opens it again on the same data folder, as
// a new process does.
func (r *invRig) restart() {
	r.t.Helper()
	r.app.Close()
	r.app = openQuiet(r.t, r.dir, r.clock)
}

// openQuiet opens the core on dir with clock and no log output, closed
// when the test ends.
func openQuiet(t *testing.T, dir string, clock func() time.Time) *core.App {
	t.Helper()
	app, err := core.Open(invCtx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	app.SetClock(clock)
	return app
}

// The welcome mail: queued with the acceptance, sent after a restart, once,
// with the sign-in link and the grant in plain words.
func TestWelcomeMailOnAcceptance(t *testing.T) {
	r := newInvRig(t, true, true)
	r.setArea("https://Portal.Example.com/", "Europe/Paris")
	hosting, err := r.app.CreateService(invCtx, r.acc.ID, core.ServiceInput{Name: "acme.com hosting", Kind: "hosting"})
	if err != nil {
		t.Fatal(err)
	}
	in := r.input("Zoë", "Ångström", "zoe@client.test")
	in.Preset, in.ServiceIDs = "technical", []int64{hosting.ID}
	in.ExpiresAt = &core.Expiry{Time: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}
	in.Admin = &core.AdminInput{Areas: []string{"reports", "orders"}}
	inv, err := r.app.Invite(invCtx, in)
	if err != nil {
		t.Fatal(err)
	}
	r.flush(1)
	if _, p := r.sentWithID(inv.MessageID); !strings.Contains(p.text, "After you accept, sign in at "+areaLink+" with this email address.") {
		t.Errorf("the invitation does not say where to sign in:\n%s", p.text)
	}

	r.smtp.Down() // the welcome mail must wait, across a restart
	r.process(invAnswer(r.invitation(inv.ID), "Yes!").bytes())
	if got := r.accessMails(); got["pending"] != 1 {
		t.Fatalf("after the acceptance the outbox holds %v access mails, want 1 pending", got)
	}
	r.restart()
	r.smtp.Up()
	r.flush(1)
	msgs := r.smtp.Messages()
	welcome := invParse(t, msgs[len(msgs)-1].Data)
	welcome.text = strings.ReplaceAll(welcome.text, "\r\n", "\n")
	t.Logf("the welcome mail as received:\n%s", welcome.text)
	if subj, _ := welcome.header.Subject(); subj != "Your access to Acme Ltd is ready" {
		t.Errorf("Subject %q", subj)
	}
	if to := msgs[len(msgs)-1].To; len(to) != 1 || to[0] != "zoe@client.test" {
		t.Errorf("sent to %v", to)
	}
	for _, want := range []string{
		"Hello Zoë,",
		`your access to "Acme Ltd" is now active.`,
		"Sign in at " + areaLink + " with this email address (zoe@client.test).",
		"What you may do (Technical access):\n- View services\n- Open support requests\n- View support requests\n",
		"Services: only acme.com hosting.",
		"Admin access to the website: Orders, Reports.",
		"Your access ends on 30 June 2027 at 02:00 (Europe/Paris time).",
	} {
		if !strings.Contains(welcome.text, want) {
			t.Errorf("the welcome mail lacks %q", want)
		}
	}
	if a := r.lastAuditOf(t, "contact", inv.ContactID); a.Action != "contact.access_mail" {
		t.Errorf("last audit of the contact %+v, want the mail's", a)
	}

	// The same reply again, another flush, another restart: nothing more.
	r.process(invAnswer(r.invitation(inv.ID), "Yes!").bytes())
	r.restart()
	r.flush(0)
	if got := r.accessMails(); got["sent"] != 1 || len(got) != 1 {
		t.Errorf("access mails %v, want exactly one sent", got)
	}
}

// Acceptance by the owner's confirmation of an unverified reply sends the
// welcome mail too; a rejected reply sends none.
func TestWelcomeMailAfterTheOwnerConfirms(t *testing.T) {
	r := newInvRig(t, true, true)
	r.setArea("https://portal.example.com", "")
	rejected := r.unverified("Rae", "Reject", "rae@client.test", "Yes")
	inv := r.unverified("Con", "Firm", "con@client.test", "Yes")
	if got := r.accessMails(); len(got) != 0 {
		t.Fatalf("an unverified reply queued %v access mails", got)
	}
	if _, err := r.app.RejectReply(invCtx, rejected.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.ConfirmReply(invCtx, inv.ID); err != nil {
		t.Fatal(err)
	}
	r.flush(1)
	msgs := r.smtp.Messages()
	last := msgs[len(msgs)-1]
	p := invParse(t, last.Data)
	p.text = strings.ReplaceAll(p.text, "\r\n", "\n")
	if last.To[0] != "con@client.test" || !strings.Contains(p.text, "Sign in at "+areaLink) ||
		!strings.Contains(p.text, "What you may do (Billing access):\n- View invoices\n- Pay invoices\n- View quotes\n- View emails and payment notices\n") ||
		!strings.Contains(p.text, "Services: all of this account's services.") || !strings.Contains(p.text, "Your access does not expire.") {
		t.Errorf("welcome mail to %v:\n%s", last.To, p.text)
	}
}

// Without an address the mails say nothing wrong: no link, and who will
// tell the contact where to go.
func TestMailsWithoutAnAddress(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Nia", "Noaddr", "nia@client.test")
	r.flush(1)
	if _, p := r.sentWithID(inv.MessageID); strings.Contains(p.text, "sign in at") || strings.Contains(p.text, "http") {
		t.Errorf("the invitation names a place to sign in:\n%s", p.text)
	}
	r.process(invAnswer(r.invitation(inv.ID), "Yes").bytes())
	r.flush(1)
	msgs := r.smtp.Messages()
	p := invParse(t, msgs[len(msgs)-1].Data)
	if strings.Contains(p.text, "http") || !strings.Contains(p.text, invFromName+" will tell you where to sign in.") {
		t.Errorf("welcome mail without an address:\n%s", p.text)
	}
}

// "Add new contact" with notify: the contact is active and told where to
// sign in; without a mail server the request is refused and writes nothing.
func TestAccessNoticeForAContactAddedDirectly(t *testing.T) {
	r := newInvRig(t, false, true)
	in := core.ContactInput{AccountID: r.acc.ID, FirstName: "Ada", LastName: "Direct", Email: "ada@client.test", Preset: "personal", Notify: true}
	_, err := r.app.CreateContact(invCtx, in)
	if e, ok := core.AsError(err); !ok || e.Field != "notify" {
		t.Fatalf("notify without a mail server: %v", err)
	}
	if cs, n, _ := r.app.Contacts(invCtx, core.ContactFilter{}); n != 0 {
		t.Fatalf("a refused contact was written: %v", cs)
	}
	if _, err := r.app.PutMailSettings(invCtx, r.settings()); err != nil {
		t.Fatal(err)
	}
	r.setArea("https://portal.example.com", "")
	c, err := r.app.CreateContact(invCtx, in)
	if err != nil || c.Status != model.StatusActive {
		t.Fatalf("CreateContact = %+v, %v", c, err)
	}
	quiet := in
	quiet.Email, quiet.Notify = "quiet@client.test", false
	if _, err := r.app.CreateContact(invCtx, quiet); err != nil {
		t.Fatal(err)
	}
	r.flush(1)
	m := r.smtp.Messages()[0]
	p := invParse(t, m.Data)
	p.text = strings.ReplaceAll(p.text, "\r\n", "\n")
	subj, _ := p.header.Subject()
	if m.To[0] != "ada@client.test" || subj != invFromName+" gave you access to Acme Ltd" ||
		!strings.Contains(p.text, invFromName+` gave you access to the account "Acme Ltd".`) ||
		!strings.Contains(p.text, "Sign in at "+areaLink+" with this email address (ada@client.test).") ||
		!strings.Contains(p.text, "- Edit profile and personal data\n") {
		t.Errorf("notice to %v, %q:\n%s", m.To, subj, p.text)
	}
	// Billing on one service, invoices of the whole account.
	svc, err := r.app.CreateService(invCtx, r.acc.ID, core.ServiceInput{Name: "acme.com", Kind: "domain"})
	if err != nil {
		t.Fatal(err)
	}
	bill := in
	bill.Email, bill.Preset, bill.ServiceIDs, bill.BillingScope = "bill@client.test", "billing", []int64{svc.ID}, "account"
	if _, err := r.app.CreateContact(invCtx, bill); err != nil {
		t.Fatal(err)
	}
	r.flush(1)
	msgs := r.smtp.Messages()
	text := strings.ReplaceAll(invParse(t, msgs[len(msgs)-1].Data).text, "\r\n", "\n")
	if !strings.Contains(text, "Services: only acme.com.\nInvoices: all of the account's, whatever the service.\n") {
		t.Errorf("billing on the whole account:\n%s", text)
	}
}

func (r *invRig) lastAuditOf(t *testing.T, entity string, id int64) *model.AuditEntry {
	t.Helper()
	es, _, err := r.app.Audit(invCtx, core.AuditFilter{Entity: entity, EntityID: id, Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("audit of %s %d: %v %v", entity, id, es, err)
	}
	return es[0]
}
