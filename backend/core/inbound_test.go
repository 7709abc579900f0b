package core_test

import (
	"strings"
	"testing"
	"time"

	"grantbook/backend/model"
)

// A storage error while deciding leaves the message undecided and the
// cursor before it; it is decided on the next try.
func TestStorageErrorIsRetried(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Sto", "Rage", "storage@client.test")
	r.flush(1)
	db := r.app.StoreForTest().DB()
	if _, err := db.Exec(`ALTER TABLE invitation_tokens RENAME TO invitation_tokens_away`); err != nil {
		t.Fatal(err)
	}
	err := r.app.Process(invCtx, "INBOX", 1, 7, invAnswer(inv, "Yes").bytes())
	if _, rerr := db.Exec(`ALTER TABLE invitation_tokens_away RENAME TO invitation_tokens`); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || !strings.Contains(err.Error(), "invitation_tokens") {
		t.Fatalf("Process = %v, want the storage error", err)
	}
	if _, last, ok, _ := r.app.Cursor(invCtx, "INBOX"); ok && last >= 7 {
		t.Errorf("cursor moved to %d past the undecided message", last)
	}
	if evs, _ := r.app.MailEvents(invCtx, 0, 10); len(evs) != 0 {
		t.Errorf("events %+v for an undecided message", evs)
	}
	if err := r.app.Process(invCtx, "INBOX", 1, 7, invAnswer(inv, "Yes").bytes()); err != nil {
		t.Fatal(err)
	}
	if got := r.invitation(inv.ID); got.State != model.InvAccepted {
		t.Errorf("on the retry: %s", got.State)
	}
}

// The watcher reads every message from an invitee: a reply without thread
// headers to the plain address is decided, and every message of theirs is
// in the invitation's mail activity, even those it ignores.
func TestEveryMessageFromAnInviteeIsDecided(t *testing.T) {
	r := newInvRig(t, false, false)
	r.startWatching()
	inv := r.invite("Ned", "Noheaders", "ned@client.test")
	r.smtp.WaitMessages(1, 2*time.Second)
	invPoll(t, 2*time.Second, "the invitation to be sent", func() bool { return r.invitation(inv.ID).State == model.InvSent })

	r.imap.Append(invReply{from: "Ned <ned@client.test>", to: invOwner, body: "A question before I answer: who else has access?",
		extra: []string{invPass("ned@client.test")}}.bytes())
	r.imap.Append(invReply{from: "Bob <bob@else.test>", to: invOwner, body: "Lunch?"}.bytes())
	uid := r.imap.Append(invReply{from: "Ned <ned@client.test>", to: invOwner, extra: []string{invPass("ned@client.test")},
		body: "Yes please.\n\n> Invitation code: " + inv.Token + "\n"}.bytes())
	invPoll(t, 3*time.Second, "the cursor to pass the reply", func() bool {
		_, last, ok, _ := r.app.Cursor(invCtx, "INBOX")
		return ok && last >= uid
	})
	if got := r.invitation(inv.ID); got.State != model.InvAccepted {
		t.Errorf("a reply without thread headers left the invitation %s", got.State)
	}
	evs, err := r.app.MailEvents(invCtx, inv.ID, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events for the invitee's two messages (%v): %+v", len(evs), err, evs)
	}
	if evs[0].Verdict != "accept" || evs[1].Verdict != "ignore" || !strings.Contains(evs[1].Reason, "not a reply") {
		t.Errorf("events %+v", evs)
	}
	if all, _ := r.app.MailEvents(invCtx, 0, 10); len(all) != 2 {
		t.Errorf("%d events in all: the stranger's message is not fetched", len(all))
	}
}
