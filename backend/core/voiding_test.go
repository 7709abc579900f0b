package core_test

import (
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

func invStatus(s string) core.ContactPatch { return core.ContactPatch{Status: &s} }

// Suspending an invited contact voids its invitation: a later reply,
// verified or not, activates nothing.
func TestSuspendingVoidsTheInvitation(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Sam", "Suspended", "sam@client.test")
	r.flush(1)
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusSuspended)); err != nil {
		t.Fatal(err)
	}
	got := r.invitation(inv.ID)
	if got.State != model.InvVoided || !strings.Contains(got.Detail, "suspended") {
		t.Fatalf("invitation %s %q after suspending, want voided", got.State, got.Detail)
	}
	r.process(invAnswer(inv, "Yes").bytes())
	if c := r.contact(inv.ContactID); c.Status != model.StatusSuspended || r.allowed(c.ID) {
		t.Errorf("contact %s after a reply to the voided invitation", c.Status)
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "reject" || !strings.Contains(ev.Reason, "invitation voided") {
		t.Errorf("event %+v", ev)
	}
	if _, err := r.app.ConfirmReply(invCtx, inv.ID); err == nil {
		t.Error("ConfirmReply of a voided invitation succeeded")
	}
}

// An unsent invitation is cancelled with it.
func TestSuspendingCancelsUnsentMail(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Una", "Sent", "unsent@client.test")
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusSuspended)); err != nil {
		t.Fatal(err)
	}
	if n, err := r.app.Outbox().Flush(invCtx); err != nil || n != 0 {
		t.Errorf("Flush = %d, %v: the voided invitation went out", n, err)
	}
	if st := outboxState(t, r, inv.MessageID); st != "cancelled" {
		t.Errorf("outbox %q, want cancelled", st)
	}
}

func TestDeletingCancelsUnsentMail(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Del", "Eted", "deleted@client.test")
	if err := r.app.DeleteContact(invCtx, inv.ContactID); err != nil {
		t.Fatal(err)
	}
	if st := outboxState(t, r, inv.MessageID); st != "cancelled" {
		t.Errorf("outbox %q after deleting the contact, want cancelled", st)
	}
	if n, err := r.app.Outbox().Flush(invCtx); err != nil || n != 0 {
		t.Errorf("Flush = %d, %v", n, err)
	}
}

func outboxState(t *testing.T, r *invRig, messageID string) string {
	t.Helper()
	var st string
	if err := r.app.StoreForTest().DB().QueryRow(`SELECT state FROM outbox WHERE message_id = ?`, messageID).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// invited → suspended → active is refused like invited → active; resending
// invites the contact again.
func TestNeverAcceptedContactStaysOutOfActive(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Ivy", "Invited", "ivy@client.test")
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusActive)); err == nil {
		t.Error("invited → active accepted")
	}
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusSuspended)); err != nil {
		t.Fatal(err)
	}
	_, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusActive))
	if e, ok := core.AsError(err); !ok || e.Field != "status" || !strings.Contains(e.Message, "never accepted") {
		t.Fatalf("invited → suspended → active: %v, want a status error", err)
	}
	if c := r.contact(inv.ContactID); c.Status != model.StatusSuspended {
		t.Errorf("contact %s", c.Status)
	}
	resent, err := r.app.Resend(invCtx, inv.ID)
	if err != nil || resent.State != model.InvQueued {
		t.Fatalf("Resend of the voided invitation = %+v, %v", resent, err)
	}
	if c := r.contact(inv.ContactID); c.Status != model.StatusInvited {
		t.Errorf("contact %s after resending, want invited", c.Status)
	}
	r.flush(1)
	r.process(invAnswer(r.invitation(inv.ID), "Yes").bytes())
	if c := r.contact(inv.ContactID); c.Status != model.StatusActive {
		t.Errorf("contact %s after accepting the new invitation", c.Status)
	}
	// Once accepted, suspending and reactivating is the owner's choice.
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusSuspended)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.UpdateContact(invCtx, inv.ContactID, invStatus(model.StatusActive)); err != nil {
		t.Errorf("reactivating a contact who had accepted: %v", err)
	}
}

// An acceptance activates only a contact that is still invited, even if
// its invitation was somehow left pending.
func TestAcceptanceActivatesOnlyAnInvitedContact(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Lee", "Left", "left@client.test")
	r.flush(1)
	if _, err := r.app.StoreForTest().DB().Exec(`UPDATE contacts SET status = 'suspended' WHERE id = ?`, inv.ContactID); err != nil {
		t.Fatal(err)
	}
	r.process(invAnswer(inv, "Yes").bytes())
	if c := r.contact(inv.ContactID); c.Status != model.StatusSuspended || r.allowed(c.ID) {
		t.Errorf("contact %s: an acceptance activated a contact that was not invited", c.Status)
	}
	if got := r.invitation(inv.ID); got.State == model.InvAccepted {
		t.Errorf("invitation %s", got.State)
	}
}
