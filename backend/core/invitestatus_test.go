package core_test

import (
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// A declined or expired invitation leaves the contact invited, but their
// status says so, inviting again says to resend, and Resend sends it again.
func TestInvitationEndsShowInTheContactsStatus(t *testing.T) {
	r := newInvRig(t, true, true)
	dan := r.invite("Dan", "Decliner", "dan@client.test")
	eve := r.invite("Eve", "Expired", "eve@client.test")
	r.flush(2)
	status := func(id int64) (string, *model.ContactInvitation) {
		t.Helper()
		c, err := r.app.Contact(invCtx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.EffectiveStatus, c.Invitation
	}
	if s, inv := status(dan.ContactID); s != model.StatusInvited || inv == nil || inv.ID != dan.ID || inv.State != model.InvSent {
		t.Fatalf("pending: %s %+v", s, inv)
	}
	if _, err := r.app.Invite(invCtx, r.input("Dan", "Again", "dan@client.test")); err == nil ||
		!strings.Contains(err.Error(), "already has a pending invitation: resend or revoke it") {
		t.Errorf("inviting a pending invitee: %v", err)
	}

	r.process(invAnswer(dan, "No, thanks.").bytes())
	if s, inv := status(dan.ContactID); s != model.StatusDeclined || inv.State != model.InvDeclined || inv.DecidedAt == nil {
		t.Errorf("declined: %s %+v", s, inv)
	}
	_, err := r.app.Invite(invCtx, r.input("Dan", "Again", "dan@client.test"))
	if e, ok := core.AsError(err); !ok || e.Code != core.CodeConflict || !strings.Contains(e.Message, "invitation was declined: send it again with Resend") {
		t.Errorf("inviting a decliner: %v", err)
	}

	// Past its expiry the status reads so before the timer marks it.
	r.advance(15 * 24 * time.Hour)
	if s, _ := status(eve.ContactID); s != model.StatusInvitationExpired {
		t.Errorf("expired, before the timer: %s", s)
	}
	if err := r.app.ExpireInvitations(invCtx); err != nil {
		t.Fatal(err)
	}
	list, _, err := r.app.Contacts(invCtx, core.ContactFilter{AccountID: r.acc.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range list {
		got[c.Email] = c.EffectiveStatus
	}
	if got["dan@client.test"] != model.StatusDeclined || got["eve@client.test"] != model.StatusInvitationExpired {
		t.Errorf("listed: %v", got)
	}

	// One click: Resend, and they are invited again.
	for _, inv := range []*model.Invitation{dan, eve} {
		again, err := r.app.Resend(invCtx, inv.ID)
		if err != nil || again.State != model.InvQueued {
			t.Fatalf("resend %s: %+v %v", inv.Email, again, err)
		}
		if s, latest := status(inv.ContactID); s != model.StatusInvited || latest.State != model.InvQueued {
			t.Errorf("after resending %s: %s %+v", inv.Email, s, latest)
		}
	}
}

// Days left are calendar days in the owner's time zone: a fresh 14-day
// invitation reads 14 (not 13 for the seconds already gone), one ending
// later today reads 0, one ending just after midnight reads 1.
func TestInvitationDaysLeftAreCalendarDays(t *testing.T) {
	r := newInvRig(t, true, true)
	if _, err := r.app.PutOwnerTimeZone(invCtx, core.TimeZone{TimeZone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	inv := r.invite("Ivy", "Invitee", "ivy@client.test")
	left := func() int {
		t.Helper()
		cur := r.invitation(inv.ID)
		if cur.ExpiresInDays == nil {
			t.Fatalf("no days left on %+v", cur)
		}
		return *cur.ExpiresInDays
	}
	r.now = r.now.Add(time.Minute)
	if n := left(); n != 14 {
		t.Errorf("a minute after sending: %d days left, want 14", n)
	}
	ny, _ := time.LoadLocation("America/New_York")
	end := inv.ExpiresAt.In(ny)     // 05:00 there (09:00 UTC)
	r.now = end.Add(-4 * time.Hour) // 01:00 the same day there, 05:00 UTC
	if n := left(); n != 0 {
		t.Errorf("four hours before, the same day in New York: %d, want 0", n)
	}
	r.now = end.Add(-6 * time.Hour) // 23:00 the evening before there, 03:00 UTC the same UTC day
	if n := left(); n != 1 {
		t.Errorf("the evening before in New York: %d, want 1", n)
	}
}
