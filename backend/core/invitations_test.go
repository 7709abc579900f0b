package core_test

// Invitations end to end: settings with sealed passwords, the outbox sending
// to an in-process SMTP server, replies handed to App.Process (or picked up
// from an in-process IMAP server by the running watcher), and what each kind
// of reply may and may not grant.
//
// Identifiers here start with "inv" so as not to clash with core_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"grantbook/backend/core"
	gmail "grantbook/backend/mail"
	"grantbook/backend/mailtest"
	"grantbook/backend/model"
)

const (
	invOwner     = "owner@example.test"
	invSMTPPass  = "smtp-Pa55word-7Qx9"
	invIMAPPass  = "imap-Pa55word-K2m4"
	invFromName  = "Acme Support"
	invInviteeAt = "client.test"
)

var invCtx = context.Background()

type invRig struct {
	t    *testing.T
	dir  string
	app  *core.App
	smtp *mailtest.SMTP
	imap *mailtest.IMAP
	acc  *model.Account

	mu  sync.Mutex
	now time.Time
	uid uint32
}

// newInvRig opens an app on a fresh data directory (secrets in a key file,
// never the user's keyring), with mail servers; configure saves settings
// pointing at them. fixedClock replaces the clock with one the test moves.
func newInvRig(t *testing.T, configure, fixedClock bool) *invRig {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	r := &invRig{t: t, dir: t.TempDir(), now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	app, err := core.Open(invCtx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	r.app = app
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if fixedClock {
		app.SetClock(r.clock)
	}
	if r.acc, err = app.CreateAccount(invCtx, "Acme Ltd"); err != nil {
		t.Fatal(err)
	}
	r.smtp = mailtest.NewSMTP(t, mailtest.WithAuth(invOwner, invSMTPPass))
	r.imap = mailtest.NewIMAP(t, mailtest.WithUser(invOwner, invIMAPPass))
	if configure {
		if _, err := app.PutMailSettings(invCtx, r.settings()); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// invServID is the owner's receiving server in these tests.
const invServID = "mx.example.test"

func (r *invRig) settings() gmail.Settings {
	s := r.smtp.Settings(invOwner)
	s.FromName = invFromName
	imap := r.imap.Settings()
	imap.TrustedAuthServID = invServID
	return gmail.Settings{SMTP: s, IMAP: imap}
}

func (r *invRig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *invRig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *invRig) input(first, last, email string) core.InvitationInput {
	return core.InvitationInput{ContactInput: core.ContactInput{AccountID: r.acc.ID, FirstName: first, LastName: last,
		Email: email, Preset: "billing"}, Note: "Looking forward to working with you."}
}

func (r *invRig) invite(first, last, email string) *model.Invitation {
	r.t.Helper()
	inv, err := r.app.Invite(invCtx, r.input(first, last, email))
	if err != nil {
		r.t.Fatalf("Invite %s: %v", email, err)
	}
	return inv
}

func (r *invRig) flush(want int) {
	r.t.Helper()
	n, err := r.app.Outbox().Flush(invCtx)
	if err != nil || n != want {
		r.t.Fatalf("Flush = %d, %v; want %d sent", n, err, want)
	}
}

func (r *invRig) invitation(id int64) *model.Invitation {
	r.t.Helper()
	inv, err := r.app.Invitation(invCtx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return inv
}

func (r *invRig) contact(id int64) *model.Contact {
	r.t.Helper()
	c, err := r.app.Contact(invCtx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// allowed asks Check whether the contact may view invoices (in the
// billing preset) now.
func (r *invRig) allowed(contactID int64) bool {
	r.t.Helper()
	res, err := r.app.Check(invCtx, contactID, "invoices.view", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Allowed
}

// process hands raw to the app as the next message of INBOX.
func (r *invRig) process(raw []byte) {
	r.t.Helper()
	r.mu.Lock()
	r.uid++
	uid := r.uid
	r.mu.Unlock()
	if err := r.app.Process(invCtx, "INBOX", 1, uid, raw); err != nil {
		r.t.Fatalf("Process: %v", err)
	}
}

// lastEvent is the newest mail event about an invitation.
func (r *invRig) lastEvent(invID int64) *model.MailEvent {
	r.t.Helper()
	evs, err := r.app.MailEvents(invCtx, invID, 1)
	if err != nil || len(evs) == 0 {
		r.t.Fatalf("no mail event for invitation %d (%v)", invID, err)
	}
	return evs[0]
}

// sentTo finds the message the SMTP server accepted with a Message-ID.
func (r *invRig) sentWithID(id string) (mailtest.Message, *invParsed) {
	r.t.Helper()
	for _, m := range r.smtp.Messages() {
		if p := invParse(r.t, m.Data); p.messageID == id {
			return m, p
		}
	}
	r.t.Fatalf("no message with Message-ID %s among %v", id, r.smtp.Messages())
	return mailtest.Message{}, nil
}

type invParsed struct {
	header    mail.Header
	messageID string
	text      string
}

func invParse(t *testing.T, raw []byte) *invParsed {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("sent message does not parse: %v", err)
	}
	p := &invParsed{header: mr.Header}
	p.messageID, _ = mr.Header.MessageID()
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if ih, ok := part.Header.(*mail.InlineHeader); ok {
			if mt, _, _ := ih.ContentType(); mt == "text/plain" {
				b, _ := io.ReadAll(part.Body)
				p.text = string(b)
			}
		}
	}
	return p
}

var (
	invTokenRE      = regexp.MustCompile(`^grantbook\.([a-z2-7]{26})@example\.test$`)
	invReturnPathRE = regexp.MustCompile(`^owner\+bounce-[a-z2-7]{20}@example\.test$`)
)

// invReply is a reply as a mail client writes it: quoting the invitation.
type invReply struct {
	from, to, inReplyTo, references, body string
	extra                                 []string // more header lines
}

func (m invReply) bytes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: Re: %s invites you to access Acme Ltd\r\n", m.from, m.to, invFromName)
	fmt.Fprintf(&b, "Date: Mon, 01 Jun 2026 10:00:00 +0000\r\nMessage-ID: <reply.%d@%s>\r\n", time.Now().UnixNano(), invInviteeAt)
	if m.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.inReplyTo)
	}
	if m.references != "" {
		fmt.Fprintf(&b, "References: <%s>\r\n", m.references)
	}
	for _, h := range m.extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.body, "\n", "\r\n"))
	return []byte(b.String())
}

// invAnswer is a reply to inv from its invitee with body as new text, as
// the owner's receiving server delivers it: with a DMARC pass.
func invAnswer(inv *model.Invitation, body string) invReply {
	return invReply{from: inv.Name + " <" + inv.Email + ">", to: "owner+" + inv.Token + "@example.test",
		inReplyTo: inv.MessageID, references: inv.MessageID, extra: []string{invPass(inv.Email)},
		body: body + "\n\nOn Mon, 1 Jun 2026, Acme Support wrote:\n> To accept, simply reply to this email.\n> Invitation code: " + inv.Token + "\n"}
}

// invPass is the receiving server's verdict that mail from addr passed DMARC.
func invPass(addr string) string {
	return "Authentication-Results: " + invServID + "; dmarc=pass header.from=" + addr[strings.LastIndexByte(addr, '@')+1:]
}

// invEvents collects the app's events.
type invEvents struct {
	mu  sync.Mutex
	got []core.Event
	ch  chan struct{}
}

func invSubscribe(t *testing.T, app *core.App) *invEvents {
	e := &invEvents{ch: make(chan struct{}, 100)}
	cancel := app.Subscribe(func(ev core.Event) {
		e.mu.Lock()
		e.got = append(e.got, ev)
		e.mu.Unlock()
		select {
		case e.ch <- struct{}{}:
		default:
		}
	})
	t.Cleanup(cancel)
	return e
}

// waitAccepted waits for an event naming who accepted.
func (e *invEvents) waitAccepted(t *testing.T, name string) core.Event {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		e.mu.Lock()
		for _, ev := range e.got {
			if ev.Accepted != "" {
				e.mu.Unlock()
				if ev.Kind != "invitations:changed" || ev.Accepted != name {
					t.Errorf("event %+v, want invitations:changed accepted by %q", ev, name)
				}
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-deadline:
			t.Fatalf("no acceptance event; got %+v", e.got)
		}
	}
}

func (e *invEvents) accepted() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.got {
		if ev.Accepted != "" {
			out = append(out, ev.Accepted)
		}
	}
	return out
}

// startWatching runs the app's workers until the test ends, then saves the
// settings (which wakes them) and waits for the watcher to idle.
func (r *invRig) startWatching() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(invCtx)
	r.t.Cleanup(cancel) // runs before the app is closed
	r.app.Start(ctx)
	if _, err := r.app.PutMailSettings(invCtx, r.settings()); err != nil {
		r.t.Fatal(err)
	}
	invPoll(r.t, 3*time.Second, "the watcher to connect", func() bool {
		st, _ := r.app.MailStatus(invCtx)
		return st.Inbox.State == "idle"
	})
}

func invPoll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMailSettingsNeverExposePasswords(t *testing.T) {
	r := newInvRig(t, false, true)
	got, err := r.app.PutMailSettings(invCtx, r.settings())
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, s gmail.Settings) {
		t.Helper()
		if s.SMTP.Password != "" || s.IMAP.Password != "" {
			t.Errorf("%s returns a password: %+v", what, s)
		}
		if !s.SMTP.PasswordSet || !s.IMAP.PasswordSet {
			t.Errorf("%s: password_set %v/%v, want true", what, s.SMTP.PasswordSet, s.IMAP.PasswordSet)
		}
		js, _ := json.Marshal(s)
		if bytes.Contains(js, []byte(invSMTPPass)) || bytes.Contains(js, []byte(invIMAPPass)) || bytes.Contains(js, []byte(`"password"`)) {
			t.Errorf("%s as JSON carries a password: %s", what, js)
		}
	}
	check("PutMailSettings", got)
	loaded, err := r.app.MailSettings(invCtx)
	if err != nil {
		t.Fatal(err)
	}
	check("MailSettings", loaded)
	if loaded.SMTP.Host != "127.0.0.1" || loaded.SMTP.Port != r.smtp.Port || loaded.SMTP.Security != gmail.SecurityPlain ||
		loaded.SMTP.FromEmail != invOwner || loaded.IMAP.Mailbox != "INBOX" || loaded.InvitationExpiryDays != 14 {
		t.Errorf("settings not saved as given: %+v", loaded)
	}

	// The settings rows hold references, never the passwords.
	rows, err := r.app.StoreForTest().DB().Query(`SELECT key, value FROM settings`)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		refs[k] = v
		if strings.Contains(v, invSMTPPass) || strings.Contains(v, invIMAPPass) {
			t.Errorf("setting %s holds a password in clear: %s", k, v)
		}
	}
	rows.Close()
	for _, k := range []string{"mail.smtp.password", "mail.imap.password"} {
		if !strings.HasPrefix(refs[k], "sealed:") {
			t.Errorf("setting %s = %q, want a sealed reference", k, refs[k])
		}
	}
	// Nor anywhere else in the database files (audit log, WAL, ...).
	invScanDir(t, r.dir)

	// The sealed passwords work: the SMTP server demands its login.
	for _, which := range []string{"smtp", "imap"} {
		res, err := r.app.TestMail(invCtx, which)
		if err != nil || !res.OK {
			t.Errorf("TestMail(%s) = %+v, %v", which, res, err)
		}
	}

	// An empty password keeps the stored one.
	keep := r.settings()
	keep.SMTP.Password, keep.IMAP.Password = "", ""
	keep.SMTP.FromName = "Acme Billing"
	if got, err = r.app.PutMailSettings(invCtx, keep); err != nil {
		t.Fatal(err)
	}
	check("PutMailSettings without passwords", got)
	if res, _ := r.app.TestMail(invCtx, "smtp"); !res.OK {
		t.Errorf("the stored password was lost: %+v", res)
	}

	// A new, wrong password replaces it.
	wrong := r.settings()
	wrong.SMTP.Password = "not-the-password"
	if _, err := r.app.PutMailSettings(invCtx, wrong); err != nil {
		t.Fatal(err)
	}
	if res, _ := r.app.TestMail(invCtx, "smtp"); res.OK || res.Message == "" {
		t.Errorf("TestMail with a wrong password: %+v", res)
	}

	// A server without a host drops its password.
	none := r.settings()
	none.SMTP = gmail.SMTP{}
	if got, err = r.app.PutMailSettings(invCtx, none); err != nil {
		t.Fatal(err)
	}
	if got.SMTP.PasswordSet || !got.IMAP.PasswordSet {
		t.Errorf("after removing SMTP: password_set %v/%v, want false/true", got.SMTP.PasswordSet, got.IMAP.PasswordSet)
	}
	invScanDir(t, r.dir)

	// Bad settings are refused with the field named.
	bad := r.settings()
	bad.SMTP.Host, bad.SMTP.Security = "smtp.example.com", gmail.SecurityPlain
	if _, err := r.app.PutMailSettings(invCtx, bad); err == nil {
		t.Error("plain SMTP to a remote host accepted")
	} else if e, ok := core.AsError(err); !ok || e.Code != core.CodeInvalid || e.Field != "smtp.security" {
		t.Errorf("error %v, want invalid smtp.security", err)
	}
}

// invScanDir fails when a password appears in any file of the data
// directory.
func invScanDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	scanned := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		scanned++
		for _, pw := range []string{invSMTPPass, invIMAPPass} {
			if bytes.Contains(b, []byte(pw)) {
				t.Errorf("%s contains a password in clear", e.Name())
			}
		}
	}
	if scanned == 0 {
		t.Fatal("no file scanned")
	}
}

func TestInvitationAcceptedByReply(t *testing.T) {
	r := newInvRig(t, true, true)
	events := invSubscribe(t, r.app)

	inv := r.invite("Zoë", "Ångström", "zoe@client.test")
	if inv.State != model.InvQueued || inv.SentAt != nil || inv.Email != "zoe@client.test" {
		t.Errorf("new invitation %+v", inv)
	}
	if want := r.clock().AddDate(0, 0, 14); !inv.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", inv.ExpiresAt, want)
	}
	m := invTokenRE.FindStringSubmatch(inv.MessageID)
	if m == nil || m[1] != inv.Token {
		t.Fatalf("Message-ID %q does not carry the token %q", inv.MessageID, inv.Token)
	}
	c := r.contact(inv.ContactID)
	if c.Status != model.StatusInvited || r.allowed(c.ID) {
		t.Fatalf("invited contact: status %s, allowed %v; want invited and no access", c.Status, r.allowed(c.ID))
	}
	var kind, rcpt, state string
	var ref int64
	if err := r.app.StoreForTest().DB().QueryRow(`SELECT kind, ref_id, rcpt, state FROM outbox WHERE message_id = ?`, inv.MessageID).
		Scan(&kind, &ref, &rcpt, &state); err != nil {
		t.Fatalf("no outbox row for the invitation: %v", err)
	}
	if kind != "invitation" || ref != inv.ID || rcpt != "zoe@client.test" || state != "pending" {
		t.Errorf("outbox row %s %d %s %s", kind, ref, rcpt, state)
	}

	r.flush(1)
	sent := r.invitation(inv.ID)
	if sent.State != model.InvSent || sent.SentAt == nil || !sent.SentAt.Equal(r.clock()) {
		t.Errorf("after sending: %+v", sent)
	}
	st, err := r.app.MailStatus(invCtx)
	if err != nil || st.Pending["sent"] != 1 || st.Pending["pending"] != 0 || st.Secrets != "file" {
		t.Errorf("MailStatus %+v, %v", st, err)
	}

	msg, p := r.sentWithID(inv.MessageID)
	if !invReturnPathRE.MatchString(msg.From) || len(msg.To) != 1 || msg.To[0] != "zoe@client.test" {
		t.Errorf("envelope from %s to %v, want the owner's address with a return tag", msg.From, msg.To)
	}
	replyTo, err := p.header.AddressList("Reply-To")
	if err != nil || len(replyTo) != 1 || replyTo[0].Address != "owner+"+inv.Token+"@example.test" {
		t.Errorf("Reply-To %v (%v), want the plus address with the token", replyTo, err)
	}
	if !strings.Contains(p.text, "Invitation code: "+inv.Token) {
		t.Errorf("text lacks the invitation code:\n%s", p.text)
	}
	for _, want := range []string{"Hello Zoë,", `"Acme Ltd"`, "Looking forward to working with you.", "15 June 2026"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.text)
		}
	}
	if subj, _ := p.header.Subject(); subj != "Acme Support invites you to access Acme Ltd" {
		t.Errorf("Subject %q", subj)
	}
	if p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Error("no Auto-Submitted: the invitation could trigger auto-replies")
	}

	// The invitee answers.
	r.advance(time.Hour)
	r.process(invAnswer(sent, "Yes, happy to help!").bytes())
	acc := r.invitation(inv.ID)
	if acc.State != model.InvAccepted || acc.DecidedAt == nil || !acc.DecidedAt.Equal(r.clock()) {
		t.Errorf("after the reply: %+v", acc)
	}
	c = r.contact(inv.ContactID)
	if c.Status != model.StatusActive || !r.allowed(c.ID) {
		t.Errorf("after accepting: status %s, allowed %v; want active with access", c.Status, r.allowed(c.ID))
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "accept" || ev.From != "zoe@client.test" || ev.UID != r.uid {
		t.Errorf("mail event %+v", ev)
	}
	events.waitAccepted(t, "Zoë Ångström")
	if v, last, ok, err := r.app.Cursor(invCtx, "INBOX"); err != nil || !ok || v != 1 || last != r.uid {
		t.Errorf("cursor (%d, %d, %v, %v), want (1, %d)", v, last, ok, err, r.uid)
	}
	audit, _, err := r.app.Audit(invCtx, core.AuditFilter{Entity: "invitation", EntityID: inv.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "invitation.accept,invitation.sent,invitation.create" {
		t.Errorf("audit of the invitation: %v", actions)
	}

	// The same reply seen again (a rescan) changes nothing.
	r.process(invAnswer(sent, "No.").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvAccepted {
		t.Errorf("a second reply changed the invitation to %s", got.State)
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "already accepted") {
		t.Errorf("second reply: %+v", ev)
	}
	if !r.allowed(c.ID) {
		t.Error("a later reply took access away")
	}
}

// Replies are matched whichever clue the mail client kept.
func TestInvitationReplyClues(t *testing.T) {
	r := newInvRig(t, true, true)
	cases := []struct {
		name string
		edit func(m *invReply, inv *model.Invitation)
	}{
		{"In-Reply-To only", func(m *invReply, inv *model.Invitation) {
			m.references, m.to, m.body = "", invOwner, "Yes"
		}},
		{"References only", func(m *invReply, inv *model.Invitation) {
			m.inReplyTo, m.to, m.body = "", invOwner, "Yes"
		}},
		{"plus address only", func(m *invReply, inv *model.Invitation) {
			m.inReplyTo, m.references, m.body = "", "", "Yes"
		}},
		{"code in the quoted text only", func(m *invReply, inv *model.Invitation) {
			m.inReplyTo, m.references, m.to = "", "", invOwner
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := r.invite("Test", fmt.Sprint("Person", i), fmt.Sprintf("p%d@client.test", i))
			r.flush(1)
			inv = r.invitation(inv.ID)
			inv.Token = invTokenRE.FindStringSubmatch(inv.MessageID)[1]
			m := invAnswer(inv, "Sure, thanks")
			tc.edit(&m, inv)
			r.process(m.bytes())
			if got := r.invitation(inv.ID); got.State != model.InvAccepted {
				t.Errorf("state %s (%+v), want accepted", got.State, r.lastEvent(inv.ID))
			}
			if !r.allowed(inv.ContactID) {
				t.Error("no access after accepting")
			}
			r.flush(1) // the welcome mail
		})
	}
}

func TestInvitationDeclined(t *testing.T) {
	r := newInvRig(t, true, true)
	events := invSubscribe(t, r.app)
	inv := r.invite("Dan", "Decliner", "dan@client.test")
	r.flush(1)
	r.process(invAnswer(inv, "No, thanks.").bytes())
	got := r.invitation(inv.ID)
	if got.State != model.InvDeclined || got.DecidedAt == nil {
		t.Errorf("after a decline: %+v", got)
	}
	if c := r.contact(inv.ContactID); c.Status != model.StatusInvited || r.allowed(c.ID) {
		t.Errorf("declined contact: status %s, allowed %v", c.Status, r.allowed(c.ID))
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "decline" {
		t.Errorf("event %+v", ev)
	}
	// Changing one's mind by mail does not work: the owner must re-invite.
	r.process(invAnswer(inv, "Actually, yes!").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvDeclined || r.allowed(inv.ContactID) {
		t.Errorf("a yes after a no: state %s", got.State)
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "already declined") {
		t.Errorf("event %+v", ev)
	}
	time.Sleep(50 * time.Millisecond) // events are delivered asynchronously
	if a := events.accepted(); len(a) != 0 {
		t.Errorf("acceptance events for a decline: %v", a)
	}
}

func TestInvitationRepliesThatMustNotGrant(t *testing.T) {
	r := newInvRig(t, true, true)
	cases := []struct {
		name   string
		edit   func(m *invReply)
		reason string
	}{
		{"spoofed From", func(m *invReply) { m.from = "Mallory <mallory@evil.test>" }, "mallory@evil.test"},
		{"invitee's address as the name", nil, "mallory@evil.test"},
		{"two From addresses", func(m *invReply) { m.from += ", mallory@evil.test" }, ""},
		{"auto-reply", func(m *invReply) {
			m.extra = append(m.extra, "Auto-Submitted: auto-replied")
			m.body = "I am out of the office until Monday."
		}, "auto"},
		{"vacation responder", func(m *invReply) { m.extra = append(m.extra, "X-Autoreply: yes") }, ""},
		{"mailing list", func(m *invReply) { m.extra = append(m.extra, "List-Id: <team.lists.client.test>") }, ""},
		{"null return path", func(m *invReply) { m.extra = append(m.extra, "Return-Path: <>") }, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := r.invite("Vic", fmt.Sprint("Tim", i), fmt.Sprintf("v%d@client.test", i))
			r.flush(1)
			m := invAnswer(inv, "Yes")
			if tc.edit != nil {
				tc.edit(&m)
			} else {
				m.from = fmt.Sprintf(`"%s" <mallory@evil.test>`, inv.Email)
			}
			r.process(m.bytes())
			got := r.invitation(inv.ID)
			if got.State != model.InvSent {
				t.Errorf("state %s, want still sent", got.State)
			}
			if c := r.contact(inv.ContactID); c.Status != model.StatusInvited || r.allowed(c.ID) {
				t.Errorf("contact %s, allowed %v: access granted", c.Status, r.allowed(c.ID))
			}
			ev := r.lastEvent(inv.ID)
			if ev.Verdict != "reject" || ev.Reason == "" || !strings.Contains(strings.ToLower(ev.Reason), tc.reason) {
				t.Errorf("event %+v, want a reject with a reason mentioning %q", ev, tc.reason)
			}
		})
	}
}

func TestUnrelatedMailIsLoggedAndIgnored(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Una", "Related", "una@client.test")
	r.flush(1)
	r.process(invReply{from: "Bob <bob@else.test>", to: invOwner, body: "Lunch on Friday?"}.bytes())
	if got := r.invitation(inv.ID); got.State != model.InvSent {
		t.Errorf("state %s", got.State)
	}
	evs, err := r.app.MailEvents(invCtx, 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Verdict != "ignore" || evs[0].InvitationID != 0 || evs[0].From != "bob@else.test" {
		t.Errorf("events %+v, %v; want one ignore not tied to an invitation", evs, err)
	}
	// Our own invitation, if it lands in the watched mailbox, is ignored.
	msg, _ := r.sentWithID(inv.MessageID)
	r.process(msg.Data)
	if got := r.invitation(inv.ID); got.State != model.InvSent || r.allowed(inv.ContactID) {
		t.Errorf("our own invitation changed it to %s", got.State)
	}
}

// A report that reaches the invitation's return path bounces it; one that
// reaches the plain address is a possible bounce the owner confirms.
func TestInvitationBounce(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Bea", "Bounce", "nobody@client.test")
	r.flush(1)
	msg, _ := r.sentWithID(inv.MessageID)
	r.process(invDSN(inv, msg.From))
	got := r.invitation(inv.ID)
	if got.State != model.InvBounced || !strings.Contains(got.Detail, "550 5.1.1") || !strings.Contains(got.Detail, "User unknown") {
		t.Errorf("after the bounce: state %s, detail %q", got.State, got.Detail)
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "bounce" {
		t.Errorf("event %+v", ev)
	}
	if c := r.contact(inv.ContactID); c.Status != model.StatusInvited || r.allowed(c.ID) {
		t.Errorf("bounced contact %s", c.Status)
	}
	// A bounced invitation cannot be accepted afterwards.
	r.process(invAnswer(inv, "Yes").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvBounced || r.allowed(inv.ContactID) {
		t.Errorf("reply after a bounce: %s", got.State)
	}
}

// A 5xx from our own SMTP server bounces the invitation at once.
func TestInvitationRefusedBySMTP(t *testing.T) {
	r := newInvRig(t, true, true)
	r.smtp.RefuseRcpt(550, nil)
	inv := r.invite("Rex", "Refused", "rex@client.test")
	if n, err := r.app.Outbox().Flush(invCtx); err != nil || n != 0 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	got := r.invitation(inv.ID)
	if got.State != model.InvBounced || !strings.Contains(got.Detail, "550") {
		t.Errorf("after a 550: state %s, detail %q", got.State, got.Detail)
	}
	// A 4xx only delays it.
	r.smtp.RefuseRcpt(451, nil)
	inv2 := r.invite("Tem", "Porary", "tem@client.test")
	if _, err := r.app.Outbox().Flush(invCtx); err != nil {
		t.Fatal(err)
	}
	if got := r.invitation(inv2.ID); got.State != model.InvQueued {
		t.Errorf("after a 451: state %s, want still queued", got.State)
	}
	r.smtp.RefuseRcpt(0, nil)
	r.advance(time.Minute)
	r.flush(1)
	if got := r.invitation(inv2.ID); got.State != model.InvSent {
		t.Errorf("after the retry: %s", got.State)
	}
}

func TestResendVoidsOldCode(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Rae", "Resend", "rae@client.test")
	r.flush(1)
	old := r.invitation(inv.ID)
	old.Token = inv.Token

	r.advance(time.Hour)
	re, err := r.app.Resend(invCtx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if re.ID != inv.ID || re.Token == old.Token || re.MessageID == old.MessageID || re.State != model.InvQueued {
		t.Fatalf("resent %+v", re)
	}
	if want := r.clock().AddDate(0, 0, 14); !re.ExpiresAt.Equal(want) {
		t.Errorf("resend expires %v, want %v (a fresh period)", re.ExpiresAt, want)
	}
	r.flush(1)
	if _, p := r.sentWithID(re.MessageID); !strings.Contains(p.text, "Invitation code: "+re.Token) {
		t.Error("the new message lacks the new code")
	}

	// A reply to the old message grants nothing.
	r.process(invAnswer(old, "Yes").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvSent || r.allowed(inv.ContactID) {
		t.Fatalf("reply to the old code: state %s, allowed %v", got.State, r.allowed(inv.ContactID))
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "voided") {
		t.Errorf("event %+v, want a reject for a voided code", ev)
	}
	// Even with only the old code in the body.
	m := invAnswer(old, "Yes")
	m.inReplyTo, m.references, m.to = "", "", invOwner
	r.process(m.bytes())
	if r.allowed(inv.ContactID) {
		t.Fatal("the old code in the body granted access")
	}

	// A reply to the new message accepts.
	r.process(invAnswer(re, "Yes").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvAccepted || !r.allowed(inv.ContactID) {
		t.Errorf("reply to the new code: state %s", got.State)
	}
	if _, err := r.app.Resend(invCtx, inv.ID); err == nil {
		t.Error("Resend of an accepted invitation succeeded")
	}
}

// Resending before the first message left cancels it: only the new one goes.
func TestResendBeforeSending(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Una", "Sent", "unsent@client.test")
	re, err := r.app.Resend(invCtx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.flush(1)
	msgs := r.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent, want only the resent one", len(msgs))
	}
	if id := invParse(t, msgs[0].Data).messageID; id != re.MessageID {
		t.Errorf("sent %s, want the new %s", id, re.MessageID)
	}
	var state string
	if err := r.app.StoreForTest().DB().QueryRow(`SELECT state FROM outbox WHERE message_id = ?`, inv.MessageID).Scan(&state); err != nil || state != "cancelled" {
		t.Errorf("first outbox row %q, %v; want cancelled", state, err)
	}
	if got := r.invitation(inv.ID); got.State != model.InvSent {
		t.Errorf("state %s", got.State)
	}
}

func TestRevokedInvitationGrantsNothing(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Ray", "Revoked", "ray@client.test")
	r.flush(1)
	rv, err := r.app.Revoke(invCtx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rv.State != model.InvRevoked || rv.DecidedAt == nil {
		t.Errorf("revoked %+v", rv)
	}
	r.process(invAnswer(inv, "Yes please").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvRevoked || r.allowed(inv.ContactID) {
		t.Errorf("reply after revoking: state %s, allowed %v", got.State, r.allowed(inv.ContactID))
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "revoked") {
		t.Errorf("event %+v", ev)
	}
	if _, err := r.app.Revoke(invCtx, inv.ID); err == nil {
		t.Error("revoking twice succeeded")
	}

	// Revoked before it was sent: it never goes out.
	inv2 := r.invite("Ray", "Early", "early@client.test")
	if _, err := r.app.Revoke(invCtx, inv2.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := r.app.Outbox().Flush(invCtx); err != nil || n != 0 {
		t.Errorf("Flush after revoking = %d, %v; want nothing sent", n, err)
	}
	if len(r.smtp.Messages()) != 1 {
		t.Errorf("%d messages sent, want 1", len(r.smtp.Messages()))
	}
}

func TestInvitationExpiry(t *testing.T) {
	r := newInvRig(t, true, true)
	st := r.settings()
	st.InvitationExpiryDays = 3
	if _, err := r.app.PutMailSettings(invCtx, st); err != nil {
		t.Fatal(err)
	}
	inv := r.invite("Eve", "Expired", "eve@client.test")
	late := r.invite("Lee", "Late", "lee@client.test")
	r.flush(2)
	if !inv.ExpiresAt.Equal(r.clock().AddDate(0, 0, 3)) {
		t.Errorf("expires %v, want in 3 days", inv.ExpiresAt)
	}

	r.advance(3*24*time.Hour - time.Second)
	if err := r.app.ExpireInvitations(invCtx); err != nil {
		t.Fatal(err)
	}
	if got := r.invitation(inv.ID); got.State != model.InvSent {
		t.Fatalf("expired a second early: %s", got.State)
	}

	r.advance(2 * time.Second)
	// A reply after the expiry, before the expiry job ran: refused too.
	r.process(invAnswer(late, "Yes").bytes())
	if r.allowed(late.ContactID) {
		t.Fatal("a reply after the expiry granted access")
	}
	if ev := r.lastEvent(late.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "expired") {
		t.Errorf("event %+v", ev)
	}
	if err := r.app.ExpireInvitations(invCtx); err != nil {
		t.Fatal(err)
	}
	got := r.invitation(inv.ID)
	if got.State != model.InvExpired || got.DecidedAt == nil || !strings.Contains(got.Detail, "no reply before") {
		t.Errorf("after expiry: %+v", got)
	}
	r.process(invAnswer(inv, "Yes").bytes())
	if r.allowed(inv.ContactID) || r.invitation(inv.ID).State != model.InvExpired {
		t.Error("a reply to an expired invitation granted access")
	}
	list, total, err := r.app.Invitations(invCtx, core.InvitationFilter{State: model.InvExpired})
	if err != nil || total != 2 || len(list) != 2 {
		t.Errorf("expired invitations: %d (%v)", total, err)
	}
}

func TestInviteErrors(t *testing.T) {
	r := newInvRig(t, false, true)
	_, err := r.app.Invite(invCtx, r.input("No", "Smtp", "nosmtp@client.test"))
	e, ok := core.AsError(err)
	if !ok || e.Code != core.CodeInvalid || e.Field != "email" {
		t.Fatalf("Invite without SMTP: %v, want an invalid email *core.Error", err)
	}
	if _, total, _ := r.app.Contacts(invCtx, core.ContactFilter{}); total != 0 {
		t.Errorf("a failed invitation left %d contacts", total)
	}
	if st, _ := r.app.MailStatus(invCtx); len(st.Pending) != 0 {
		t.Errorf("a failed invitation left mail: %v", st.Pending)
	}

	if _, err := r.app.PutMailSettings(invCtx, r.settings()); err != nil {
		t.Fatal(err)
	}
	active, err := r.app.CreateContact(invCtx, r.input("Al", "Active", "al@client.test").ContactInput)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"al@client.test", "AL@Client.Test"} {
		_, err = r.app.Invite(invCtx, r.input("Al", "Again", email))
		if e, ok := core.AsError(err); !ok || e.Code != core.CodeConflict {
			t.Errorf("Invite of the active contact as %s: %v, want a conflict", email, err)
		}
	}
	if c := r.contact(active.ID); c.Status != model.StatusActive {
		t.Errorf("the active contact became %s", c.Status)
	}

	r.invite("Ivy", "Invited", "ivy@client.test")
	if _, err := r.app.Invite(invCtx, r.input("Ivy", "Twice", "ivy@client.test")); err == nil {
		t.Error("inviting an invited address again succeeded")
	} else if e, ok := core.AsError(err); !ok || e.Code != core.CodeConflict {
		t.Errorf("second invitation: %v, want a conflict", err)
	}

	in := r.input("Nora", "Note", "nora@client.test")
	in.Note = strings.Repeat("x", 2001)
	if _, err := r.app.Invite(invCtx, in); err == nil {
		t.Error("a 2001-character note was accepted")
	}
	in = r.input("", "Nameless", "nameless@client.test")
	if _, err := r.app.Invite(invCtx, in); err == nil {
		t.Error("an invitation without a first name was accepted")
	}
	if _, err := r.app.Resend(invCtx, 4242); err == nil {
		t.Error("Resend of a missing invitation succeeded")
	}
}

// With Start running, everything happens on its own: the outbox sends, the
// watcher sees the reply in the IMAP inbox and the contact becomes active.
func TestInvitationEndToEnd(t *testing.T) {
	r := newInvRig(t, false, false)
	events := invSubscribe(t, r.app)
	r.startWatching()

	inv := r.invite("Ed", "Endtoend", "ed@"+invInviteeAt)
	msgs := r.smtp.WaitMessages(1, 2*time.Second)
	p := invParse(t, msgs[0].Data)
	if p.messageID != inv.MessageID {
		t.Fatalf("sent %s, want %s", p.messageID, inv.MessageID)
	}
	invPoll(t, 2*time.Second, "the invitation to be marked sent", func() bool {
		return r.invitation(inv.ID).State == model.InvSent
	})

	// Something unrelated arrives first, then the reply.
	r.imap.Append(invReply{from: "bob@else.test", to: invOwner, body: "Lunch?"}.bytes())
	replyTo, _ := p.header.AddressList("Reply-To")
	reply := invReply{from: "Ed Endtoend <ed@client.test>", to: replyTo[0].String(), inReplyTo: p.messageID,
		extra: []string{invPass("ed@client.test")},
		body:  "Yes, thank you.\n\n> " + strings.ReplaceAll(strings.TrimSpace(p.text), "\n", "\n> ") + "\n"}
	appended := time.Now()
	uid := r.imap.Append(reply.bytes())
	invPoll(t, 2*time.Second, "the contact to become active", func() bool {
		return r.contact(inv.ContactID).Status == model.StatusActive
	})
	t.Logf("active %v after the reply arrived", time.Since(appended))
	if !r.allowed(inv.ContactID) || r.invitation(inv.ID).State != model.InvAccepted {
		t.Error("accepted but no access")
	}
	events.waitAccepted(t, "Ed Endtoend")
	invPoll(t, 2*time.Second, "the cursor to pass the reply", func() bool {
		_, last, ok, _ := r.app.Cursor(invCtx, "INBOX")
		return ok && last >= uid
	})
	// The acceptance queued the welcome mail and woke the outbox: it goes
	// at once (it used to wait for the outbox's next tick, so reading the
	// count here saw 1 or 2 sent, by timing).
	welcome := invParse(t, r.smtp.WaitMessages(2, 2*time.Second)[1].Data)
	if subj, _ := welcome.header.Subject(); !strings.HasSuffix(subj, " is ready") {
		t.Errorf("second mail %q, want the welcome mail", subj)
	}
	var st core.MailStatus
	invPoll(t, 2*time.Second, "both mails to be marked sent", func() bool {
		st, _ = r.app.MailStatus(invCtx)
		return st.Pending["sent"] == 2
	})
	if st.Inbox.Mode != "idle" || st.Inbox.LastError != "" || st.Outbox.LastError != "" || len(r.smtp.Messages()) != 2 {
		t.Errorf("MailStatus %+v, %d mails", st, len(r.smtp.Messages()))
	}
	if evs, _ := r.app.MailEvents(invCtx, 0, 10); len(evs) != 1 || evs[0].Verdict != "accept" {
		// The unrelated message does not mention Grantbook and has no plus
		// address: the watcher's SEARCH leaves it out entirely.
		t.Errorf("mail events %+v, want only the acceptance", evs)
	}
}
