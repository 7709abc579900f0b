//go:build integration

package integration

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"grantbook/backend/model"
)

// maxGrantLatency bounds LMTP delivery of a genuine reply → active grant.
const maxGrantLatency = 2 * time.Second

// latencies collects delivery → grant times for the summary.
type latencies struct {
	mu   sync.Mutex
	seen []string
	all  []time.Duration
}

func (l *latencies) add(name string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, fmt.Sprintf("%s %v", name, d.Round(time.Millisecond)))
	l.all = append(l.all, d)
}

// accept sends the invitee's genuine reply to m, signed by their provider
// and checked by the owner's border MTA, and checks that it grants,
// through IDLE, within maxGrantLatency of Dovecot storing it.
func (h *harness) accept(t *testing.T, lat *latencies, inv *model.Invitation, m *invitationMail, name, addr string) {
	t.Helper()
	h.waitIdle(t)
	sessions := h.sessions()
	id, raw := reply{FromName: name, FromAddr: addr, Text: "Yes, happy to accept. Thanks!\n\n" + name}.build(m)
	delivered := h.arrive(t, addr, m.ReplyTo, raw, true)
	var latency time.Duration
	eventually(t, 10*time.Second, "the genuine reply did not make the grant active", func() (bool, string) {
		ok, state := h.granted(t, inv.ContactID)
		if ok {
			latency = time.Since(delivered)
		}
		return ok, state
	})
	lat.add(t.Name(), latency)
	t.Logf("LMTP delivery → grant active: %v", latency)
	if latency > maxGrantLatency {
		t.Errorf("grant active %v after delivery, want within %v", latency, maxGrantLatency)
	}
	if st := h.app.Inbox().Status(); st.Mode != "idle" {
		t.Errorf("inbox watcher mode %q (%+v), want idle", st.Mode, st)
	}
	if n := h.sessions(); n != sessions {
		t.Errorf("the watcher reconnected (%d → %d IMAP sessions): the reply was not seen through IDLE", sessions, n)
	}
	expectEvent(t, h.event(t, inv.ID, id), "accept", "reply from the invitee")
	got := h.invitation(t, inv.ID)
	if got.State != model.InvAccepted || got.DecidedAt == nil {
		t.Errorf("invitation %s (decided %v), want accepted", got.State, got.DecidedAt)
	}
}

// rejected delivers raw (a reply that must not grant) and waits until the
// watcher has recorded its decision.
func (h *harness) rejected(t *testing.T, inv *model.Invitation, envelopeFrom, rcpt, id string, raw []byte, reason string) {
	t.Helper()
	h.deliver(t, envelopeFrom, rcpt, raw)
	ev := h.event(t, inv.ID, id)
	expectEvent(t, ev, "reject", reason)
	h.assertNotGranted(t, inv.ContactID)
}

func TestDovecot(t *testing.T) {
	h := newHarness(t)
	lat := &latencies{}

	// (1) The invitation reaches the invitee's real mailbox; the reply,
	// delivered to the owner's mailbox, is seen through IDLE and grants.
	t.Run("genuine_reply_grants_via_idle", func(t *testing.T) {
		acc := h.account(t, "Acme 1")
		inv := h.invite(t, acc.ID, "Ivy", "One", "invitee1@example.test")
		h.assertNotGranted(t, inv.ContactID)
		inv = h.waitState(t, inv.ID, model.InvSent, 10*time.Second)
		if inv.SentAt == nil {
			t.Error("sent invitation without sent_at")
		}
		m := h.receive(t, "invitee1@example.test", inv.MessageID)
		if !strings.Contains(m.Text, "Hello Ivy") || !strings.Contains(m.Text, "See you on the portal.") {
			t.Errorf("invitation text lacks the greeting or the note:\n%s", m.Text)
		}
		h.accept(t, lat, inv, m, "Ivy One", "invitee1@example.test")
		if n := h.relay.count(inv.MessageID); n != 1 {
			t.Errorf("relay delivered the invitation %d times, want 1", n)
		}
	})

	// (2) Someone else answers with the right In-Reply-To and Reply-To:
	// refused, recorded, and the invitation stays open for the invitee.
	t.Run("spoofed_from_grants_nothing", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 2", "Ivy", "Two", "invitee2@example.test")
		id, raw := reply{FromName: "Ivy Two", FromAddr: "mallory@evil.test", Text: "Yes, I accept."}.build(m)
		h.rejected(t, inv, "mallory@evil.test", m.ReplyTo, id, raw, "From mallory@evil.test is not the invitee")
		if got := h.invitation(t, inv.ID); got.State != model.InvSent {
			t.Errorf("invitation %s after a spoofed reply, want still sent", got.State)
		}
		h.accept(t, lat, inv, m, "Ivy Two", "invitee2@example.test")
	})

	// (3) An out-of-office answer (RFC 3834) is not consent.
	t.Run("auto_reply_grants_nothing", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 3", "Ivy", "Three", "invitee3@example.test")
		id, raw := reply{FromName: "Ivy Three", FromAddr: "invitee3@example.test",
			Text:    "I am out of the office until Monday and will answer then.",
			Headers: map[string]string{"Auto-Submitted": "auto-replied"}}.build(m)
		// RFC 3834: automatic responses go out with a null return path.
		h.rejected(t, inv, "", m.ReplyTo, id, raw, "auto-reply (Auto-Submitted: auto-replied)")
		if got := h.invitation(t, inv.ID); got.State != model.InvSent {
			t.Errorf("invitation %s after an auto-reply, want still sent", got.State)
		}
	})

	// (4) The address does not exist: the relay accepts the message, Dovecot
	// refuses the recipient with 5.1.1 and the relay returns a
	// multipart/report delivery-status bounce to the owner's mailbox.
	t.Run("bounce_marks_invitation_bounced", func(t *testing.T) {
		acc := h.account(t, "Acme 4")
		inv := h.invite(t, acc.ID, "Nobody", "Four", "nobody4@example.test")
		inv = h.waitState(t, inv.ID, model.InvBounced, 15*time.Second)
		if !strings.Contains(inv.Detail, "5.1.1") || !strings.Contains(inv.Detail, "nobody4@example.test") {
			t.Errorf("bounce detail %q lacks the 5.1.1 diagnostic for nobody4@example.test", inv.Detail)
		}
		var bounce *model.MailEvent
		eventually(t, 10*time.Second, "no bounce event", func() (bool, string) {
			evs, err := h.app.MailEvents(h.ctx, inv.ID, 100)
			if err != nil {
				return false, err.Error()
			}
			for _, e := range evs {
				if e.Verdict == "bounce" {
					bounce = e
				}
			}
			return bounce != nil, fmt.Sprintf("%d events", len(evs))
		})
		expectEvent(t, bounce, "bounce", "delivery failed for nobody4@example.test (5.1.1)")
		if !strings.Contains(bounce.Reason, "550 5.1.1") {
			t.Errorf("bounce event %q lacks the diagnostic", bounce.Reason)
		}
		if !strings.Contains(strings.ToLower(bounce.From), "mailer-daemon@") {
			t.Errorf("bounce event from %q, want the relay's MAILER-DAEMON", bounce.From)
		}
		if n := h.relay.count(inv.MessageID); n != 0 {
			t.Errorf("relay counted %d deliveries of a refused message", n)
		}
		h.assertNotGranted(t, inv.ContactID)
	})

	// (5) After Resend the first code is void: a reply to the first
	// message grants nothing, a reply to the new one does.
	t.Run("replayed_old_token_grants_nothing", func(t *testing.T) {
		acc := h.account(t, "Acme 5")
		inv := h.invite(t, acc.ID, "Ivy", "Five", "invitee5@example.test")
		inv = h.waitState(t, inv.ID, model.InvSent, 10*time.Second)
		first := h.receive(t, "invitee5@example.test", inv.MessageID)

		resent, err := h.app.Resend(h.ctx, inv.ID)
		if err != nil {
			t.Fatalf("Resend: %v", err)
		}
		if resent.MessageID == inv.MessageID {
			t.Fatal("Resend kept the Message-ID")
		}
		resent = h.waitState(t, inv.ID, model.InvSent, 10*time.Second)
		second := h.receive(t, "invitee5@example.test", resent.MessageID)
		if second.Code == first.Code || second.ReplyTo == first.ReplyTo {
			t.Fatalf("Resend reused the code %s / Reply-To %s", first.Code, first.ReplyTo)
		}

		id, raw := reply{FromName: "Ivy Five", FromAddr: "invitee5@example.test", Text: "Yes, accepted."}.build(first)
		h.rejected(t, inv, "invitee5@example.test", first.ReplyTo, id, raw, "token voided by a newer invitation")
		if got := h.invitation(t, inv.ID); got.State != model.InvSent {
			t.Errorf("invitation %s after a reply to the old message, want still sent", got.State)
		}
		h.accept(t, lat, resent, second, "Ivy Five", "invitee5@example.test")
	})

	// (6) A reply that arrives after the owner revoked grants nothing.
	t.Run("reply_after_revoke_grants_nothing", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 6", "Ivy", "Six", "invitee6@example.test")
		if _, err := h.app.Revoke(h.ctx, inv.ID); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		id, raw := reply{FromName: "Ivy Six", FromAddr: "invitee6@example.test", Text: "Yes please!"}.build(m)
		h.rejected(t, inv, "invitee6@example.test", m.ReplyTo, id, raw, "invitation revoked")
		if got := h.invitation(t, inv.ID); got.State != model.InvRevoked {
			t.Errorf("invitation %s after a late reply, want still revoked", got.State)
		}
	})

	// (7) The SMTP server is down when the owner invites: the invitation
	// waits in the outbox, is retried with backoff and, once the server is
	// back on the same port, delivered exactly once.
	t.Run("relay_down_then_up_delivers_once", func(t *testing.T) {
		acc := h.account(t, "Acme 7")
		port := h.relay.port()
		h.relay.stop()
		inv := h.invite(t, acc.ID, "Ivy", "Seven", "invitee7@example.test")

		// Two failed attempts: the first at once, the next after the backoff.
		var firstErr time.Time
		eventually(t, 10*time.Second, "the outbox did not try the dead relay", func() (bool, string) {
			st := h.app.Outbox().Status()
			firstErr = st.LastErrorAt
			return st.LastError != "" && !st.RetryAt.IsZero(), fmt.Sprintf("%+v", st)
		})
		eventually(t, 10*time.Second, "the outbox did not retry", func() (bool, string) {
			st := h.app.Outbox().Status()
			return st.LastErrorAt.After(firstErr), fmt.Sprintf("%+v", st)
		})
		st := h.app.Outbox().Status()
		t.Logf("outbox while the relay is down: %q, retry at %s", st.LastError, st.RetryAt.Format("15:04:05.000"))
		if !strings.Contains(st.LastError, "connect") {
			t.Errorf("outbox error %q does not say it could not connect", st.LastError)
		}
		if got := h.invitation(t, inv.ID); got.State != model.InvQueued {
			t.Fatalf("invitation %s while the relay is down, want queued", got.State)
		}

		if err := h.relay.start(); err != nil {
			t.Fatal(err)
		}
		if h.relay.port() != port {
			t.Fatalf("relay came back on port %d, want %d", h.relay.port(), port)
		}
		up := time.Now()
		inv = h.waitState(t, inv.ID, model.InvSent, 20*time.Second)
		t.Logf("relay up → invitation sent: %v", time.Since(up).Round(time.Millisecond))
		m := h.receive(t, "invitee7@example.test", inv.MessageID)

		// Nothing is left to send, however often the outbox looks.
		h.app.Outbox().Wake()
		eventually(t, 5*time.Second, "the outbox still has pending mail", func() (bool, string) {
			ms, err := h.app.MailStatus(h.ctx)
			if err != nil {
				return false, err.Error()
			}
			return ms.Pending["pending"] == 0 && ms.Outbox.LastError == "" && ms.Outbox.RetryAt.IsZero(), fmt.Sprintf("%+v", ms)
		})
		msgs, err := mailbox(h.env.imapAddr, "invitee7@example.test", h.env.inviteePass)
		if err != nil {
			t.Fatal(err)
		}
		inMailbox := len(withMessageID(msgs, inv.MessageID))
		relayed := h.relay.count(inv.MessageID)
		t.Logf("relay deliveries %d, copies in invitee7's mailbox %d (of %d messages)", relayed, inMailbox, len(msgs))
		if relayed != 1 || inMailbox != 1 {
			t.Errorf("invitation delivered %d times by the relay, %d copies in the mailbox; want exactly once", relayed, inMailbox)
		}
		h.accept(t, lat, inv, m, "Ivy Seven", "invitee7@example.test")
	})

	// (8) A reply stripped of its thread headers, sent to the owner's plain
	// address, with only the code in the quoted text: the watcher reads it
	// because it comes from an invitee, and it grants.
	t.Run("reply_without_thread_headers_is_decided", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 8", "Ivy", "Eight", "invitee8@example.test")
		id, raw := reply{FromName: "Ivy Eight", FromAddr: "invitee8@example.test", Text: "Yes!",
			NoThread: true, To: h.env.owner}.build(m)
		h.arrive(t, "invitee8@example.test", h.env.owner, raw, true)
		expectEvent(t, h.event(t, inv.ID, id), "accept", "code in body")
		eventually(t, 10*time.Second, "the reply without thread headers did not grant", func() (bool, string) {
			return h.granted(t, inv.ContactID)
		})
	})

	// (9) An unsigned reply, and one carrying a forged pass in the border
	// MTA's name: both wait for the owner, who confirms the first.
	t.Run("unauthenticated_reply_awaits_confirmation", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 9", "Ivy", "Nine", "invitee9@example.test")
		id, raw := reply{FromName: "Ivy Nine", FromAddr: "invitee9@example.test", Text: "Yes, accepted.",
			Headers: map[string]string{"Authentication-Results": servID + "; dkim=pass header.d=example.test; dmarc=pass header.from=example.test"}}.build(m)
		h.arrive(t, "invitee9@example.test", m.ReplyTo, raw, false)
		ev := h.event(t, inv.ID, id)
		expectEvent(t, ev, "awaiting", "not verified: "+servID+" reported dkim=none")
		got := h.waitState(t, inv.ID, model.InvAwaiting, 10*time.Second)
		if got.Review != "accept" || !strings.Contains(got.Detail, "could not be verified") {
			t.Errorf("awaiting invitation: review %q, detail %q", got.Review, got.Detail)
		}
		h.assertNotGranted(t, inv.ContactID)
		if _, err := h.app.ConfirmReply(h.ctx, inv.ID); err != nil {
			t.Fatalf("ConfirmReply: %v", err)
		}
		if ok, state := h.granted(t, inv.ContactID); !ok {
			t.Errorf("after the owner confirmed: %s", state)
		}
	})

	// (10) The relay's bounce of an invitation goes to its return path
	// (VERP): test (4) shows it bounces. A report about it that reaches the
	// plain address is only a possible bounce.
	t.Run("bounce_to_the_plain_address_is_a_possible_bounce", func(t *testing.T) {
		inv, m := h.sentInvitation(t, "Acme 10", "Ivy", "Ten", "invitee@example.test")
		refused := map[string]*smtp.SMTPError{"invitee@example.test": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}}
		dsn := buildDSN(h.env.owner, []string{"invitee@example.test"}, refused, m.Raw, 1000)
		h.deliver(t, "", h.env.owner, dsn)
		got := h.invitationEventually(t, inv.ID, func(i *model.Invitation) bool { return i.Notice == model.NoticePossibleBounce })
		if got.State != model.InvSent || !strings.Contains(got.NoticeDetail, "5.1.1") {
			t.Errorf("after a report to the plain address: state %s, notice %q %q", got.State, got.Notice, got.NoticeDetail)
		}
	})

	t.Logf("the watcher used %d IMAP session(s) in all", h.sessions())
	lat.mu.Lock()
	defer lat.mu.Unlock()
	if len(lat.all) > 0 {
		s := append([]time.Duration(nil), lat.all...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		t.Logf("delivery → grant latencies (min %v, max %v): %s", s[0].Round(time.Millisecond),
			s[len(s)-1].Round(time.Millisecond), strings.Join(lat.seen, ", "))
	}
}
