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

// lifeContact adds an active Billing contact whose grant ends in d.
func (r *invRig) lifeContact(email string, d time.Duration) *model.Contact {
	r.t.Helper()
	end := core.Expiry{Time: r.clock().Add(d)}
	c, err := r.app.CreateContact(invCtx, core.ContactInput{AccountID: r.acc.ID, FirstName: "Tem", LastName: "Porary",
		Email: email, Preset: "billing", ExpiresAt: &end})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// remind runs the reminder job and sends what it queued: want mails.
func (r *invRig) remind(want int) {
	r.t.Helper()
	if err := r.app.RemindExpiringGrants(invCtx); err != nil {
		r.t.Fatal(err)
	}
	r.flush(want)
}

// reopen closes the app and opens the same data folder again, as after a
// restart.
func (r *invRig) reopen() {
	r.t.Helper()
	if err := r.app.Close(); err != nil {
		r.t.Fatal(err)
	}
	app, err := core.Open(invCtx, r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { app.Close() })
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	app.SetClock(r.clock)
	r.app = app
}

func (r *invRig) reminderRows(contactID int64) []int {
	r.t.Helper()
	rows, err := r.app.StoreForTest().DB().QueryContext(invCtx, `SELECT days FROM grant_reminders WHERE contact_id = ? ORDER BY days DESC`, contactID)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var d int
		rows.Scan(&d)
		out = append(out, d)
	}
	return out
}

func TestGrantRemindersOnceEachAcrossRestartsAndOfflineTime(t *testing.T) {
	r := newInvRig(t, true, true)
	c := r.lifeContact("tem@client.test", 40*24*time.Hour)
	ends := *c.Grant.ExpiresAt

	r.remind(0) // 40 days left: nothing due
	r.now = ends.Add(-30*24*time.Hour + time.Hour)
	r.remind(2) // the contact and the owner
	msgs := r.smtp.Messages()
	var toContact *invParsed
	for _, m := range msgs {
		p := invParse(t, m.Data)
		if m.To[0] == c.Email {
			toContact = p
		}
	}
	if toContact == nil || !strings.Contains(toContact.text, "please extend") ||
		!strings.HasPrefix(toContact.header.Get("Reply-To"), "\"Acme Support\" <owner+") {
		t.Fatalf("the contact's reminder: %+v", toContact)
	}
	if e := lastAuditOf(t, r.app, "grant.reminder"); e == nil || e.EntityID != c.ID {
		t.Fatalf("reminder audit: %+v", e)
	}
	r.remind(0) // once
	r.reopen()
	r.remind(0) // once, after a restart too

	// Offline from 29 days before the end until 12 hours before it: only
	// the latest due reminder (1 day) goes, the 7-day one never.
	r.now = ends.Add(-12 * time.Hour)
	r.reopen()
	r.remind(2)
	if got := r.reminderRows(c.ID); len(got) != 2 || got[0] != 30 || got[1] != 1 {
		t.Fatalf("reminders recorded %v, want [30 1]", got)
	}
	last := r.smtp.Messages()[len(r.smtp.Messages())-1]
	if p := invParse(t, last.Data); !strings.Contains(p.header.Get("Subject"), "within a day") {
		t.Errorf("last reminder subject %q", p.header.Get("Subject"))
	}
	r.remind(0)

	// Past the end nothing goes.
	r.now = ends.Add(time.Hour)
	r.remind(0)

	// An extension gives a new end, whose reminders start afresh.
	ext, err := r.app.ExtendGrant(invCtx, c.ID, core.ExtendInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := r.now.Truncate(time.Second).AddDate(0, 0, 40); !ext.Grant.ExpiresAt.Equal(want) || ext.Grant.TermDays != 40 {
		t.Fatalf("extended to %v (term %d), want %v (40)", ext.Grant.ExpiresAt, ext.Grant.TermDays, want)
	}
	r.now = ext.Grant.ExpiresAt.Add(-6 * 24 * time.Hour)
	r.remind(2)
}

func TestGrantRemindersSettings(t *testing.T) {
	r := newInvRig(t, true, true)
	c := r.lifeContact("tem@client.test", 5*24*time.Hour)
	st := core.DefaultLifecycle()
	st.RemindOwner = false
	st.ReminderDays = []int{3}
	if _, err := r.app.PutLifecycle(invCtx, st); err != nil {
		t.Fatal(err)
	}
	r.remind(0) // 5 days left, the only reminder is at 3
	r.now = c.Grant.ExpiresAt.Add(-3 * 24 * time.Hour)
	r.remind(1) // the contact only
	st.GrantReminders = false
	if _, err := r.app.PutLifecycle(invCtx, st); err != nil {
		t.Fatal(err)
	}
	r.lifeContact("other@client.test", 2*24*time.Hour)
	r.remind(0) // switched off
	for _, bad := range [][]int{{0}, {400}, {1, 2, 3, 4, 5, 6}} {
		st.ReminderDays = bad
		if _, err := r.app.PutLifecycle(invCtx, st); err == nil {
			t.Errorf("reminder days %v accepted", bad)
		}
	}
}

func TestExtendGrant(t *testing.T) {
	r := newInvRig(t, true, true)
	c := r.lifeContact("tem@client.test", 30*24*time.Hour)
	end := *c.Grant.ExpiresAt
	got, err := r.app.ExtendGrant(invCtx, c.ID, core.ExtendInput{})
	if err != nil || !got.Grant.ExpiresAt.Equal(end.AddDate(0, 0, 30)) {
		t.Fatalf("by the original length: %v, %v", got.Grant.ExpiresAt, err)
	}
	if e := lastAuditOf(t, r.app, "grant.extend"); e == nil || e.EntityID != c.ID {
		t.Fatalf("audit: %+v", e)
	}
	// Again: the length stays 30 days, not the 60 now left.
	if got, _ = r.app.ExtendGrant(invCtx, c.ID, core.ExtendInput{}); !got.Grant.ExpiresAt.Equal(end.AddDate(0, 0, 60)) {
		t.Fatalf("second extension to %v", got.Grant.ExpiresAt)
	}
	until := core.Expiry{Time: end.AddDate(1, 0, 0)}
	if got, err = r.app.ExtendGrant(invCtx, c.ID, core.ExtendInput{Until: &until}); err != nil || !got.Grant.ExpiresAt.Equal(until.Time) {
		t.Fatalf("to a date: %v, %v", got.Grant.ExpiresAt, err)
	}
	earlier := core.Expiry{Time: end}
	if _, err := r.app.ExtendGrant(invCtx, c.ID, core.ExtendInput{Until: &earlier}); asCoreError(t, err).Field != "until" {
		t.Fatalf("an earlier date: %v", err)
	}
	forever, err := r.app.CreateContact(invCtx, core.ContactInput{AccountID: r.acc.ID, FirstName: "Per", LastName: "Manent",
		Email: "per@client.test", Preset: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.ExtendGrant(invCtx, forever.ID, core.ExtendInput{}); asCoreError(t, err).Code != core.CodeInvalid {
		t.Fatalf("a grant without an end: %v", err)
	}
}

func TestInvitationReminderOnceAndAnswerable(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Ivy", "Invitee", "ivy@client.test")
	r.flush(1)
	if err := r.app.RemindInvitations(invCtx); err != nil {
		t.Fatal(err)
	}
	r.flush(0) // not due: 14 days left
	r.now = inv.ExpiresAt.Add(-2*24*time.Hour + time.Minute)
	for range 2 {
		if err := r.app.RemindInvitations(invCtx); err != nil {
			t.Fatal(err)
		}
	}
	r.flush(1)
	cur := r.invitation(inv.ID)
	if cur.RemindedAt == nil || cur.ExpiresInDays == nil || *cur.ExpiresInDays != 2 {
		t.Fatalf("reminded invitation: %+v", cur)
	}
	last := r.smtp.Messages()[1]
	p := invParse(t, last.Data)
	if p.header.Get("In-Reply-To") != "<"+inv.MessageID+">" || !strings.Contains(p.text, inv.Token) {
		t.Fatalf("reminder threads under the invitation and carries its code: %q / %q", p.header.Get("In-Reply-To"), p.text)
	}
	if !invReturnPathRE.MatchString(last.From) {
		t.Errorf("reminder's return path %q", last.From)
	}
	// A reply to the reminder answers the invitation.
	reply := invAnswer(cur, "Happy to!")
	reply.inReplyTo = p.messageID
	r.process(reply.bytes())
	if got := r.invitation(inv.ID); got.State != model.InvAccepted {
		t.Fatalf("after replying to the reminder: %s (%s)", got.State, got.Detail)
	}
}

// lastAuditOf is the newest audit row with action.
func lastAuditOf(t *testing.T, app *core.App, action string) *model.AuditEntry {
	t.Helper()
	es, _, err := app.Audit(invCtx, core.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == action {
			return e
		}
	}
	return nil
}
