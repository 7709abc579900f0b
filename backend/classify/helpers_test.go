package classify

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ---- fixtures ----

var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	invitee   = "invitee@example.com"
	owner     = "owner@grantbook.example"
	ownerHost = "grantbook.example"
	ourServID = "mx.grantbook.example"
)

// tok makes a valid 26-character token from a readable prefix.
func tok(prefix string) string { return (prefix + strings.Repeat("2", 26))[:26] }

var (
	tokSent      = tok("sent")
	tokQueued    = tok("queued")
	tokRevoked   = tok("revoked")
	tokVoided    = tok("voided") // superseded by a newer token
	tokVoidedInv = tok("voidedinv")
	tokAwaiting  = tok("awaiting")
	tokExpired   = tok("expired")
	tokLate      = tok("late") // state sent, ExpiresAt in the past
	tokAccepted  = tok("accepted")
	tokDeclined  = tok("declined")
	tokBounced   = tok("bounced")
	tokUnknown   = tok("unknown") // not in the lookup
)

func invMsgID(t string) string { return "grantbook." + t + "@" + ownerHost }

// testReturnTag stands for the HMAC tag of an invitation's return path:
// any 20-character [a-z2-7] string the lookup reports.
func testReturnTag(t string) string { return (strings.Repeat("r", 6) + t)[:20] }

type fakeLookup struct {
	byTok map[string]*Invitation
	byID  map[string]*Invitation
}

func newLookup() *fakeLookup {
	l := &fakeLookup{byTok: map[string]*Invitation{}, byID: map[string]*Invitation{}}
	add := func(t, state string, exp time.Time) {
		inv := &Invitation{Token: t, Email: invitee, MessageID: invMsgID(t), State: state, ExpiresAt: exp,
			ReturnTag: testReturnTag(t)}
		l.byTok[t] = inv
		l.byID[inv.MessageID] = inv
	}
	future := testNow.Add(72 * time.Hour)
	add(tokSent, "sent", future)
	add(tokQueued, "queued", future)
	add(tokRevoked, "revoked", future)
	add(tokVoided, "superseded", future)
	add(tokVoidedInv, "voided", future)
	add(tokAwaiting, "awaiting", future)
	add(tokExpired, "expired", testNow.Add(-time.Hour))
	add(tokLate, "sent", testNow.Add(-time.Minute))
	add(tokAccepted, "accepted", future)
	add(tokDeclined, "declined", future)
	add(tokBounced, "bounced", future)
	return l
}

func (l *fakeLookup) ByToken(_ context.Context, t string) (*Invitation, error) {
	return l.byTok[t], nil
}

func (l *fakeLookup) ByMessageID(_ context.Context, id string) (*Invitation, error) {
	return l.byID[id], nil
}

var testCfg = Config{AuthServID: ourServID, Now: testNow}

var ctx = context.Background()

// mustClassify classifies raw; the fake lookups never fail.
func mustClassify(t testing.TB, raw []byte, l Lookup, cfg Config) Result {
	t.Helper()
	res, err := Classify(ctx, raw, l, cfg)
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	return res
}

// ---- message builder ----

type field struct{ k, v string }

// mb builds raw RFC 5322 messages with CRLF line endings.
type mb struct {
	fields []field
	body   string
}

// reply is a genuine top-posted reply of the invitee to invitation t.
func reply(t string) *mb {
	m := &mb{}
	m.add("Return-Path", "<"+invitee+">")
	m.add("Delivered-To", owner)
	m.add("Date", "Mon, 10 Mar 2025 11:00:00 +0000")
	m.add("From", "Ivy Invitee <"+invitee+">")
	m.add("To", "Owner <owner+"+t+"@"+ownerHost+">")
	m.add("Subject", "Re: You are invited to Grantbook")
	m.add("Message-ID", "<reply-"+t[:6]+"@mail.example.com>")
	m.add("In-Reply-To", "<"+invMsgID(t)+">")
	m.add("References", "<"+invMsgID(t)+">")
	m.add("MIME-Version", "1.0")
	m.add("Content-Type", "text/plain; charset=utf-8")
	m.add("Content-Transfer-Encoding", "8bit")
	m.body = "Yes, happy to join!\n\n" + quoted(t)
	return m
}

// quoted is the quoted original invitation as Gmail writes it.
func quoted(t string) string {
	return "On Mon, Mar 10, 2025 at 9:00 AM Owner <" + owner + "> wrote:\n" +
		"> Hello Ivy,\n" +
		"> you are invited to Grantbook. Reply to accept, or reply \"no\" to decline.\n" +
		">\n" +
		"> Invitation code: " + t + "\n"
}

func (m *mb) add(k, v string) *mb { m.fields = append(m.fields, field{k, v}); return m }

func (m *mb) set(k, v string) *mb {
	for i := range m.fields {
		if strings.EqualFold(m.fields[i].k, k) {
			m.fields[i].v = v
			return m
		}
	}
	return m.add(k, v)
}

func (m *mb) del(k string) *mb {
	out := m.fields[:0]
	for _, f := range m.fields {
		if !strings.EqualFold(f.k, k) {
			out = append(out, f)
		}
	}
	m.fields = out
	return m
}

// prepend adds a field at the top, as a receiving server does.
func (m *mb) prepend(k, v string) *mb {
	m.fields = append([]field{{k, v}}, m.fields...)
	return m
}

func (m *mb) text(body string) *mb { m.body = body; return m }

// base64Body sets a base64-encoded text/plain body in the given charset.
func (m *mb) base64Body(charset string, body []byte) *mb {
	m.set("Content-Type", "text/plain; charset="+charset)
	m.set("Content-Transfer-Encoding", "base64")
	enc := base64.StdEncoding.EncodeToString(body)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	m.body = b.String()
	return m
}

func (m *mb) bytes() []byte {
	var b strings.Builder
	for _, f := range m.fields {
		fmt.Fprintf(&b, "%s: %s\r\n", f.k, f.v)
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

// dsn builds a multipart/report delivery status notification for the
// invitation t, with the given per-recipient fields.
func dsn(t string, recipientFields string, returned string) *mb {
	m := &mb{}
	m.add("Return-Path", "<>")
	m.add("Delivered-To", owner)
	m.add("Date", "Mon, 10 Mar 2025 09:00:05 +0000")
	m.add("From", "Mail Delivery System <MAILER-DAEMON@mx.grantbook.example>")
	m.add("To", "<"+owner+">")
	m.add("Subject", "Undelivered Mail Returned to Sender")
	m.add("Message-ID", "<20250310090005.ABC@mx.grantbook.example>")
	m.add("Auto-Submitted", "auto-replied")
	m.add("MIME-Version", "1.0")
	m.add("Content-Type", `multipart/report; report-type=delivery-status; boundary="BOUND"`)
	if returned == "" {
		returned = "Content-Type: message/rfc822\n\n" +
			"From: Owner <" + owner + ">\n" +
			"To: " + invitee + "\n" +
			"Reply-To: owner+" + t + "@" + ownerHost + "\n" +
			"Subject: You are invited to Grantbook\n" +
			"Message-ID: <" + invMsgID(t) + ">\n" +
			"\n" +
			"Invitation code: " + t + "\n"
	}
	m.body = "This is a MIME-encapsulated message.\n\n" +
		"--BOUND\n" +
		"Content-Description: Notification\n" +
		"Content-Type: text/plain; charset=us-ascii\n\n" +
		"This is the mail system at host mx.grantbook.example.\n\n" +
		"I'm sorry to have to inform you that your message could not\n" +
		"be delivered to one or more recipients.\n\n" +
		"--BOUND\n" +
		"Content-Description: Delivery report\n" +
		"Content-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.grantbook.example\n" +
		"X-Postfix-Queue-ID: ABC\n" +
		"Arrival-Date: Mon, 10 Mar 2025 09:00:00 +0000\n\n" +
		recipientFields + "\n" +
		"--BOUND\n" +
		returned + "\n" +
		"--BOUND--\n"
	return m
}

const failedRecipient = "Final-Recipient: rfc822; invitee@example.com\n" +
	"Original-Recipient: rfc822;invitee@example.com\n" +
	"Action: failed\n" +
	"Status: 5.1.1\n" +
	"Remote-MTA: dns; mx.example.com\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"

const delayedRecipient = "Final-Recipient: rfc822; invitee@example.com\n" +
	"Action: delayed\n" +
	"Status: 4.4.1\n" +
	"Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.1]:25: Connection timed\n" +
	"    out\n" +
	"Will-Retry-Until: Mon, 15 Mar 2025 09:00:00 +0000\n"
