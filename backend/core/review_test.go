package core_test

import (
	"fmt"
	"strings"
	"testing"

	"grantbook/backend/model"
)

// invDSN is a multipart/report bounce of the invitation, delivered to rcpt.
func invDSN(inv *model.Invitation, rcpt string) []byte {
	return []byte("Delivered-To: " + rcpt + "\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.client.test>\r\n" +
		"To: " + rcpt + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Date: Mon, 01 Jun 2026 09:05:00 +0000\r\nMessage-ID: <dsn." + inv.Token[:8] + "@mx.client.test>\r\nAuto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BND\"\r\n\r\n" +
		"--BND\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n" +
		"--BND\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.client.test\r\n\r\n" +
		"Final-Recipient: rfc822; " + inv.Email + "\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <" + inv.Email + ">: Recipient address rejected: User unknown\r\n\r\n" +
		"--BND\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
		"From: Acme Support <owner@example.test>\r\nTo: " + inv.Email + "\r\n" +
		"Subject: Acme Support invites you to access Acme Ltd\r\nMessage-ID: <" + inv.MessageID + ">\r\n\r\n" +
		"--BND--\r\n")
}

func TestPossibleBounce(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Pia", "Possible", "pia@client.test")
	r.flush(1)
	msg, _ := r.sentWithID(inv.MessageID)
	for name, rcpt := range map[string]string{
		"plain address":         invOwner,
		"another message's tag": strings.Replace(msg.From, "bounce-", "bounce-a", 1)[:len(msg.From)],
	} {
		r.process(invDSN(inv, rcpt))
		got := r.invitation(inv.ID)
		if got.State != model.InvSent || got.Notice != model.NoticePossibleBounce || !strings.Contains(got.NoticeDetail, "User unknown") {
			t.Fatalf("%s: state %s, notice %q %q; want still sent with a possible bounce", name, got.State, got.Notice, got.NoticeDetail)
		}
		if ev := r.lastEvent(inv.ID); ev.Verdict != "possible_bounce" {
			t.Errorf("%s: event %+v", name, ev)
		}
	}
	if _, err := r.app.RejectReply(invCtx, inv.ID); err == nil {
		t.Error("RejectReply of an invitation that awaits nothing succeeded")
	}
	got, err := r.app.ConfirmBounce(invCtx, inv.ID)
	if err != nil || got.State != model.InvBounced || got.Notice != "" || !strings.Contains(got.Detail, "confirmed by owner") {
		t.Fatalf("ConfirmBounce = %+v, %v", got, err)
	}
	if _, err := r.app.ConfirmBounce(invCtx, inv.ID); err == nil {
		t.Error("a second ConfirmBounce succeeded")
	}

	// Dismissing a notice leaves the invitation as it was.
	inv2 := r.invite("Dee", "Dismiss", "dee@client.test")
	r.flush(1)
	r.process(invDSN(inv2, invOwner))
	got, err = r.app.DismissNotice(invCtx, inv2.ID)
	if err != nil || got.State != model.InvSent || got.Notice != "" {
		t.Fatalf("DismissNotice = %+v, %v", got, err)
	}
}

// A reply our own receiving server does not vouch for waits for the
// owner, with the reason; it never activates anything by itself.
func TestUnverifiedReplyAwaitsConfirmation(t *testing.T) {
	r := newInvRig(t, true, true)
	ar := func(v string) string { return "Authentication-Results: " + v }
	cases := []struct {
		name, why string
		extra     []string
	}{
		{"no Authentication-Results", "no Authentication-Results header from " + invServID, nil},
		{"dmarc=none", "dmarc=none", []string{ar(invServID + "; dmarc=none header.from=client.test")}},
		{"spf=softfail", "spf=softfail", []string{ar(invServID + "; spf=softfail smtp.mailfrom=client.test")}},
		{"dmarc=fail", "dmarc=fail", []string{ar(invServID + "; dmarc=fail header.from=client.test")}},
		{"case variant of the authserv-id", "no Authentication-Results header from", []string{ar("MX.EXAMPLE.TEST; dmarc=pass header.from=client.test")}},
		{"forged pass lower down", "dkim=fail", []string{ar(invServID + "; dkim=fail header.d=client.test"),
			"Received: from mx.evil.test by " + invServID, ar(invServID + "; dkim=pass header.d=client.test; dmarc=pass header.from=client.test")}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := r.invite("Una", fmt.Sprint("Verified", i), fmt.Sprintf("una%d@client.test", i))
			r.flush(1)
			m := invAnswer(inv, "Yes, gladly.")
			m.extra = tc.extra
			r.process(m.bytes())
			got := r.invitation(inv.ID)
			if got.State != model.InvAwaiting || got.Review != "accept" || !strings.Contains(got.Detail, tc.why) {
				t.Fatalf("state %s review %q detail %q; want awaiting an accept because of %q", got.State, got.Review, got.Detail, tc.why)
			}
			if c := r.contact(inv.ContactID); c.Status != model.StatusInvited || r.allowed(c.ID) {
				t.Fatalf("contact %s after an unverified reply", c.Status)
			}
			if ev := r.lastEvent(inv.ID); ev.Verdict != "awaiting" || !strings.Contains(ev.Reason, tc.why) {
				t.Errorf("event %+v", ev)
			}
		})
	}

	// No trusted authserv-id at all: even a "pass" is not believed.
	st := r.settings()
	st.IMAP.TrustedAuthServID = ""
	if _, err := r.app.PutMailSettings(invCtx, st); err != nil {
		t.Fatal(err)
	}
	inv := r.invite("Ned", "Noid", "ned@client.test")
	r.flush(1)
	r.process(invAnswer(inv, "Yes").bytes())
	got := r.invitation(inv.ID)
	if got.State != model.InvAwaiting || !strings.Contains(got.Detail, "no trusted authserv-id") {
		t.Fatalf("without a trusted id: %s %q", got.State, got.Detail)
	}

	// The owner confirms: the contact is active.
	got, err := r.app.ConfirmReply(invCtx, inv.ID)
	if err != nil || got.State != model.InvAccepted || !strings.Contains(got.Detail, "confirmed by owner") {
		t.Fatalf("ConfirmReply = %+v, %v", got, err)
	}
	if c := r.contact(inv.ContactID); c.Status != model.StatusActive || !r.allowed(c.ID) {
		t.Errorf("contact %s after confirming", c.Status)
	}
	if _, err := r.app.ConfirmReply(invCtx, inv.ID); err == nil {
		t.Error("confirming twice succeeded")
	}
}

// unverified sends inv's invitee reply with body and no pass from the
// receiving server.
func (r *invRig) unverified(first, last, email, body string) *model.Invitation {
	r.t.Helper()
	inv := r.invite(first, last, email)
	r.flush(1)
	m := invAnswer(inv, body)
	m.extra = nil
	r.process(m.bytes())
	return inv
}

func TestRejectedReplyWaitsForAVerifiedOne(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.unverified("Rae", "Reject", "rae@client.test", "Yes")
	got, err := r.app.RejectReply(invCtx, inv.ID)
	if err != nil || got.State != model.InvSent || got.Review != "" {
		t.Fatalf("RejectReply = %+v, %v", got, err)
	}
	if _, err := r.app.ConfirmReply(invCtx, inv.ID); err == nil {
		t.Error("confirming a rejected reply succeeded")
	}
	r.process(invAnswer(inv, "Yes, this is really me.").bytes())
	if got := r.invitation(inv.ID); got.State != model.InvAccepted || !r.allowed(inv.ContactID) {
		t.Errorf("a verified reply after the rejection: %s", got.State)
	}
}

func TestUnverifiedDeclineIsConfirmedToo(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.unverified("Dan", "Decline", "dan@client.test", "No, thanks.")
	if got := r.invitation(inv.ID); got.State != model.InvAwaiting || got.Review != "decline" {
		t.Fatalf("unverified decline: %s %q", got.State, got.Review)
	}
	got, err := r.app.ConfirmReply(invCtx, inv.ID)
	if err != nil || got.State != model.InvDeclined || r.contact(inv.ContactID).Status != model.StatusInvited {
		t.Fatalf("confirmed decline = %+v, %v", got, err)
	}
}

// A delay changes nothing but is shown; a possible bounce is not replaced
// by a later delay.
func TestDelayNotice(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Del", "Ay", "delay@client.test")
	r.flush(1)
	delay := strings.Replace(strings.Replace(string(invDSN(inv, invOwner)), "Action: failed\r\nStatus: 5.1.1", "Action: delayed\r\nStatus: 4.4.1", 1),
		"550 5.1.1", "451 4.4.1", 1)
	r.process([]byte(delay))
	got := r.invitation(inv.ID)
	if got.State != model.InvSent || got.Notice != model.NoticeDelayed || !strings.Contains(got.NoticeDetail, "4.4.1") {
		t.Fatalf("after a delay: %s %q %q", got.State, got.Notice, got.NoticeDetail)
	}
	if ev := r.lastEvent(inv.ID); ev.Verdict != "delayed" {
		t.Errorf("event %+v", ev)
	}
	r.process(invDSN(inv, invOwner))
	r.process([]byte(strings.Replace(delay, "dsn.", "dsn2.", 1)))
	if got := r.invitation(inv.ID); got.Notice != model.NoticePossibleBounce {
		t.Errorf("notice %q after a possible bounce and a delay", got.Notice)
	}
}
