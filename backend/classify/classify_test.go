package classify

import (
	"context"
	"strings"
	"testing"
)

type tcase struct {
	name   string
	raw    []byte
	cfg    *Config // nil: testCfg
	want   Verdict
	token  string // expected Result.Token ("-" = don't check)
	reason string // substring of Result.Reason, "" = don't check
	diag   string // expected Result.Diagnostic, "" = don't check
	authed string // "yes"/"no": expected Result.Authenticated, "" = don't check
	auth   string // substring of Result.Auth, "" = don't check
	ret    string // "yes"/"no": expected Result.ReturnPath, "" = don't check
}

// cases returns every message used by the tests; FuzzClassify seeds from
// them too.
func cases() []tcase {
	var cs []tcase
	add := func(c tcase) { cs = append(cs, c) }

	// ---- finding the invitation ----
	add(tcase{name: "genuine reply by In-Reply-To", raw: reply(tokSent).bytes(), want: Accept, token: tokSent, reason: "In-Reply-To"})
	add(tcase{name: "reply by References only", want: Accept, token: tokSent, reason: "References",
		raw: reply(tokSent).del("In-Reply-To").set("To", owner).
			set("References", "<older@example.com> <"+invMsgID(tokSent)+">\r\n <unrelated@mail.example.com>").bytes()})
	add(tcase{name: "reply by plus address only", want: Accept, token: tokSent, reason: "plus address",
		raw: reply(tokSent).del("In-Reply-To").del("References").text("Sure, count me in.\n").bytes()})
	add(tcase{name: "plus address in Cc", want: Accept, token: tokSent, reason: "plus address",
		raw: reply(tokSent).del("In-Reply-To").del("References").set("To", "someone@else.example").
			add("Cc", "\"Owner\" <owner+"+tokSent+"@"+ownerHost+">").text("ok\n").bytes()})
	add(tcase{name: "reply by code in body only", want: Accept, token: tokSent, reason: "code in body",
		raw: reply(tokSent).del("In-Reply-To").del("References").set("To", owner).bytes()})
	add(tcase{name: "code in body, upper case, bare", want: Accept, token: tokSent, reason: "code in body",
		raw: reply(tokSent).del("In-Reply-To").del("References").set("To", owner).
			text("Accepting. My code is\n" + strings.ToUpper(tokSent) + "\n").bytes()})
	add(tcase{name: "In-Reply-To with comment and no brackets elsewhere", want: Accept, token: tokSent,
		raw: reply(tokSent).set("In-Reply-To", "<"+invMsgID(tokSent)+"> (Owner's message of Mon, 10 Mar 2025)").del("References").bytes()})
	add(tcase{name: "grantbook Message-ID unknown to ByMessageID falls back to token", want: Accept, token: tokSent,
		raw: reply(tokSent).set("In-Reply-To", "<grantbook."+tokSent+"@other-host.example>").del("References").set("To", owner).bytes()})
	add(tcase{name: "unrelated message", want: Ignore, token: "", reason: "not a reply",
		raw: (&mb{}).add("From", "friend@example.org").add("To", owner).add("Subject", "Lunch?").
			add("Message-ID", "<x1@example.org>").text("Lunch tomorrow? My code is not here.\n").bytes()})
	add(tcase{name: "unknown token", want: Ignore, token: "",
		raw: reply(tokUnknown).bytes()})
	add(tcase{name: "own invitation message", want: Ignore, token: tokSent, reason: "own invitation",
		raw: (&mb{}).add("From", owner).add("To", invitee).add("Reply-To", "owner+"+tokSent+"@"+ownerHost).
			add("Message-ID", "<"+invMsgID(tokSent)+">").add("Subject", "You are invited").
			text("Invitation code: " + tokSent + "\n").bytes()})

	// ---- sender ----
	add(tcase{name: "From with different case", want: Accept, token: tokSent,
		raw: reply(tokSent).set("From", "IVY <InVitee@Example.COM>").bytes()})
	add(tcase{name: "bare From address", want: Accept, token: tokSent,
		raw: reply(tokSent).set("From", invitee).bytes()})
	add(tcase{name: "spoofed From", want: Reject, token: tokSent, reason: "From evil@y.com is not the invitee invitee@example.com",
		raw: reply(tokSent).set("From", "Ivy <evil@y.com>").bytes()})
	add(tcase{name: "display-name trick", want: Reject, token: tokSent, reason: "is not the invitee",
		raw: reply(tokSent).set("From", `"invitee@example.com" <evil@y.com>`).bytes()})
	add(tcase{name: "comment trick", want: Reject, token: tokSent, reason: "is not the invitee",
		raw: reply(tokSent).set("From", `evil@y.com (invitee@example.com)`).bytes()})
	add(tcase{name: "encoded display name trick", want: Reject, token: tokSent, reason: "is not the invitee",
		raw: reply(tokSent).set("From", `=?utf-8?q?invitee=40example=2Ecom_=3Cinvitee=40example=2Ecom=3E?= <evil@y.com>`).bytes()})
	add(tcase{name: "non-ASCII look-alike", want: Reject, token: tokSent, reason: "is not the invitee",
		raw: reply(tokSent).set("From", "inv\u0130tee@example.com").bytes()})
	add(tcase{name: "multiple From addresses", want: Reject, token: tokSent, reason: "multiple From addresses",
		raw: reply(tokSent).set("From", invitee+", evil@y.com").bytes()})
	add(tcase{name: "multiple From fields", want: Reject, token: tokSent, reason: "multiple From fields",
		raw: reply(tokSent).add("From", "evil@y.com").bytes()})
	add(tcase{name: "unparseable From", want: Reject, token: tokSent, reason: "unparseable From",
		raw: reply(tokSent).set("From", "invitee@example.com <").bytes()})
	add(tcase{name: "no From", want: Reject, token: tokSent, reason: "no From",
		raw: reply(tokSent).del("From").bytes()})

	// ---- automatic messages ----
	autos := []struct{ k, v, reason string }{
		{"Auto-Submitted", "auto-replied", "auto-reply (Auto-Submitted: auto-replied)"},
		{"Auto-Submitted", "auto-generated", "Auto-Submitted: auto-generated"},
		{"Auto-Submitted", "Auto-Replied; owner-email=\"invitee@example.com\"", "Auto-Submitted"},
		{"X-Autoreply", "yes", "X-Autoreply"},
		{"X-Autorespond", "Out of office", "X-Autorespond"},
		{"Precedence", "bulk", "Precedence: bulk"},
		{"Precedence", "junk", "Precedence: junk"},
		{"Precedence", "List", "Precedence: List"},
		{"List-Id", "<team.lists.example.com>", "List-Id"},
		{"Return-Path", "<>", "Return-Path: <>"},
		{"Return-Path", " < > (null)", "Return-Path: <>"},
	}
	for _, a := range autos {
		add(tcase{name: "auto-reply " + a.k + ": " + a.v, want: Reject, token: tokSent, reason: a.reason,
			raw: reply(tokSent).set(a.k, a.v).text("I am out of the office until Monday.\n").bytes()})
	}
	add(tcase{name: "auto-reply From MAILER-DAEMON", want: Reject, token: tokSent, reason: "automatic message (From",
		raw: reply(tokSent).set("From", "MAILER-DAEMON@example.com").bytes()})
	add(tcase{name: "auto-reply From postmaster", want: Reject, token: tokSent, reason: "automatic message (From",
		raw: reply(tokSent).set("From", "Postmaster <postmaster@example.com>").bytes()})
	add(tcase{name: "read receipt (multipart/report MDN)", want: Reject, token: tokSent, reason: "disposition-notification",
		raw: reply(tokSent).set("Content-Type", `multipart/report; report-type=disposition-notification; boundary="B"`).
			text("--B\nContent-Type: text/plain\n\nYour message was read.\n--B\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--B--\n").bytes()})
	add(tcase{name: "Auto-Submitted: no is a person", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Auto-Submitted", "no (manually sent)").bytes()})
	add(tcase{name: "X-Auto-Response-Suppress alone", want: Accept, token: tokSent,
		raw: reply(tokSent).set("X-Auto-Response-Suppress", "All").bytes()})
	add(tcase{name: "Outlook out-of-office decline words still reject", want: Reject, token: tokSent, reason: "auto-reply",
		raw: reply(tokSent).set("Auto-Submitted", "auto-generated").text("No.\n").bytes()})

	// ---- bounces ----
	add(tcase{name: "bounce 5.1.1", want: Bounce, token: tokSent, diag: "550 5.1.1 user unknown", reason: "5.1.1",
		raw: dsn(tokSent, failedRecipient, "").bytes()})
	add(tcase{name: "bounce without Diagnostic-Code", want: Bounce, token: tokSent, diag: "5.2.2",
		raw: dsn(tokSent, "Final-Recipient: rfc822; invitee@example.com\nAction: failed\nStatus: 5.2.2 (mailbox full)\n", "").bytes()})
	add(tcase{name: "bounce with text/rfc822-headers", want: Bounce, token: tokSent, diag: "550 5.1.1 user unknown",
		raw: dsn(tokSent, failedRecipient, "Content-Type: text/rfc822-headers\n\nFrom: "+owner+"\nTo: "+invitee+
			"\nMessage-ID: <"+invMsgID(tokSent)+">\nSubject: You are invited\n").bytes()})
	add(tcase{name: "bounce matched by token in report only", want: Bounce, token: tokSent,
		raw: dsn(tokSent, failedRecipient, "Content-Type: text/plain\n\n(original message truncated)\n"+
			"Reply-To: owner+"+tokSent+"@"+ownerHost+"\n").bytes()})
	add(tcase{name: "bounce prefers the invitee's recipient block", want: Bounce, token: tokSent, diag: "550 5.1.1 user unknown",
		raw: dsn(tokSent, "Final-Recipient: rfc822; other@example.net\nAction: failed\nStatus: 5.7.1\n"+
			"Diagnostic-Code: smtp; 550 5.7.1 relay denied\n\n"+failedRecipient, "").bytes()})
	add(tcase{name: "bounce of an unrelated message", want: Ignore, token: "", reason: "not related",
		raw: dsn(tokUnknown, failedRecipient, "Content-Type: text/rfc822-headers\n\nMessage-ID: <x@example.org>\n").bytes()})
	add(tcase{name: "delayed DSN", want: Delayed, token: tokSent, reason: "delivery delayed",
		raw: dsn(tokSent, delayedRecipient, "").bytes()})
	add(tcase{name: "failed with 4.x.x status is final (delivery time expired)", want: Bounce, token: tokSent, reason: "(4.4.7)",
		raw: dsn(tokSent, "Final-Recipient: rfc822; invitee@example.com\nAction: failed\nStatus: 4.4.7\nDiagnostic-Code: X-Postfix; delivery time expired\n", "").bytes()})
	add(tcase{name: "5.x.x status without Action is final", want: Bounce, token: tokSent, diag: "5.2.2",
		raw: dsn(tokSent, "Final-Recipient: rfc822; invitee@example.com\nStatus: 5.2.2\n", "").bytes()})
	add(tcase{name: "DSN to the return path", want: Bounce, token: tokSent, ret: "yes",
		raw: dsn(tokSent, failedRecipient, "").set("Delivered-To", "owner+bounce-"+testReturnTag(tokSent)+"@"+ownerHost).bytes()})
	add(tcase{name: "DSN with another message's return tag", want: Bounce, token: tokSent, ret: "no",
		raw: dsn(tokSent, failedRecipient, "").set("Delivered-To", "owner+bounce-"+testReturnTag(tokQueued)+"@"+ownerHost).bytes()})
	add(tcase{name: "DSN to the plain address", want: Bounce, token: tokSent, ret: "no",
		raw: dsn(tokSent, failedRecipient, "").bytes()})
	add(tcase{name: "DSN from anyone, quoting the Message-ID", want: Bounce, token: tokSent, ret: "no",
		raw: dsn(tokSent, failedRecipient, "").set("From", "mallory@evil.example").del("Auto-Submitted").set("Return-Path", "<mallory@evil.example>").bytes()})
	add(tcase{name: "delivery-status part inside multipart/mixed", want: Bounce, token: tokSent,
		raw: dsn(tokSent, failedRecipient, "").set("Content-Type", `multipart/mixed; boundary="BOUND"`).bytes()})
	add(tcase{name: "DSN without recipient blocks, notice says it failed", want: Bounce, token: tokSent,
		raw: dsn(tokSent, "", "").bytes()})
	add(tcase{name: "delivered DSN", want: Ignore, token: tokSent, reason: "without failure",
		raw: dsn(tokSent, "Final-Recipient: rfc822; invitee@example.com\nAction: delivered\nStatus: 2.0.0\n", "").bytes()})
	add(tcase{name: "plain-text bounce from MAILER-DAEMON, related", want: Bounce, token: tokSent, reason: "delivery failed",
		raw: (&mb{}).add("From", "MAILER-DAEMON@mx.example.com").add("To", "owner+"+tokSent+"@"+ownerHost).
			add("Subject", "failure notice").text("I'm afraid I wasn't able to deliver your message.\n\n--- Below this line is a copy of the message.\n\nInvitation code: " + tokSent + "\n").bytes()})
	add(tcase{name: "plain-text bounce from MAILER-DAEMON, unrelated", want: Ignore, token: "",
		raw: (&mb{}).add("From", "MAILER-DAEMON@mx.example.com").add("To", owner).
			add("Subject", "failure notice").text("I'm afraid I wasn't able to deliver your message.\n").bytes()})

	// ---- invitation state ----
	states := []struct{ t, reason string }{
		{tokRevoked, "invitation revoked"},
		{tokVoided, "token voided by a newer invitation"},
		{tokVoidedInv, "invitation voided (the contact was suspended or removed)"},
		{tokExpired, "invitation expired"},
		{tokLate, "invitation expired"},
		{tokAccepted, "already accepted"},
		{tokDeclined, "already declined"},
		{tokBounced, "invitation bounced"},
	}
	for _, s := range states {
		add(tcase{name: "state " + s.reason + " " + s.t[:6], want: Reject, token: s.t, reason: s.reason, raw: reply(s.t).bytes()})
	}
	add(tcase{name: "queued invitation may be answered", want: Accept, token: tokQueued, raw: reply(tokQueued).bytes()})
	add(tcase{name: "awaiting invitation may be answered again", want: Accept, token: tokAwaiting, raw: reply(tokAwaiting).bytes()})
	add(tcase{name: "decline of a revoked invitation is a reject", want: Reject, token: tokRevoked, reason: "revoked",
		raw: reply(tokRevoked).text("No.\n").bytes()})

	// ---- declines ----
	declines := map[string][]string{
		"en": {"No.", "no", "NO!", "No, thanks.", "No thanks", "no thank you", "Decline", "I decline, sorry.", "Reject", "Refuse", "Not interested", "No - sorry"},
		"fr": {"Non", "Non !", "Non merci", "Je refuse.", "Refuser"},
		"de": {"Nein", "Nein, danke", "Ablehnen", "Lehne ab", "Ich lehne ab."},
		"es": {"No acepto", "¡No!", "No gracias", "Rechazo la invitación", "Rechazar"},
		"it": {"Rifiuto", "Non accetto, grazie", "No grazie"},
		"nl": {"Nee", "Nee, bedankt", "Weiger", "Ik weiger"},
	}
	for lang, words := range declines {
		for _, w := range words {
			add(tcase{name: "decline " + lang + " " + w, want: Decline, token: tokSent, reason: "decline word",
				raw: reply(tokSent).text(w + "\n\n" + quoted(tokSent)).bytes()})
		}
	}
	add(tcase{name: "decline as the whole reply", want: Decline, token: tokSent, raw: reply(tokSent).text("no").bytes()})
	add(tcase{name: "decline after blank lines", want: Decline, token: tokSent, raw: reply(tokSent).text("\n\n   No.\nSorry, too busy.\n").bytes()})
	add(tcase{name: "bottom-posted decline", want: Decline, token: tokSent,
		raw: reply(tokSent).text(quoted(tokSent) + "\nNo, sorry.\n").bytes()})
	add(tcase{name: "interleaved decline", want: Decline, token: tokSent,
		raw: reply(tokSent).text("> Reply to accept.\nNein\n").bytes()})
	add(tcase{name: "Outlook separator", want: Decline, token: tokSent,
		raw: reply(tokSent).text("No\n\n________________________________\nFrom: Owner <" + owner + ">\nSent: Monday, March 10, 2025 9:00 AM\nTo: Ivy\nSubject: You are invited\n\nReply to accept.\n").bytes()})
	add(tcase{name: "Original Message separator with accept", want: Accept, token: tokSent,
		raw: reply(tokSent).text("Gladly.\n\n-----Original Message-----\nFrom: Owner\nSent: today\n\nno\n").bytes()})
	add(tcase{name: "signature does not matter", want: Accept, token: tokSent,
		raw: reply(tokSent).text("Sure!\n-- \nNo reply needed\n").bytes()})
	add(tcase{name: "French attribution with nbsp", want: Decline, token: tokSent,
		raw: reply(tokSent).text("Le lun. 10 mars 2025 à 09:00, Owner <" + owner + "> a\u00a0écrit\u00a0:\n> Invitation\n\nNon, merci.\n").bytes()})
	add(tcase{name: "German attribution wrapped", want: Accept, token: tokSent,
		raw: reply(tokSent).text("Gerne!\n\nAm 10.03.2025 um 09:00 schrieb Owner\n<" + owner + ">:\n> nein\n").bytes()})

	// ---- accepts that look like declines, or are plain yes ----
	accepts := []string{"yes", "Yes!", "ok", "OK.", "accept", "Oui", "Ja", "Sí", "", "No problem, happy to help!",
		"No-brainer, count me in", "Nobody could say no to that", "Not a problem", "Nonetheless, yes", "Neinsager? Ich nicht. Ja!",
		"Happy to join. No.", "Hi Owner,\nno thanks needed, I accept."}
	for _, w := range accepts {
		add(tcase{name: "accept " + w, want: Accept, token: tokSent, raw: reply(tokSent).text(w + "\n\n" + quoted(tokSent)).bytes()})
	}
	add(tcase{name: "quoted original containing decline", want: Accept, token: tokSent,
		raw: reply(tokSent).text("Count me in.\n\n" + quoted(tokSent) + "> To decline, reply decline.\n> No.\n").bytes()})
	add(tcase{name: "only quoted text", want: Accept, token: tokSent,
		raw: reply(tokSent).text("> No.\n> decline\n").bytes()})

	// ---- encodings ----
	add(tcase{name: "base64 UTF-8 Nein, danke", want: Decline, token: tokSent, reason: "nein",
		raw: reply(tokSent).base64Body("UTF-8", []byte("Nein, danke – das passt leider nicht.\r\n\r\n> Invitation code: "+tokSent+"\r\n")).bytes()})
	add(tcase{name: "ISO-8859-1 quoted-printable decline", want: Decline, token: tokSent, reason: "je décline",
		raw: reply(tokSent).set("Content-Type", "text/plain; charset=ISO-8859-1").set("Content-Transfer-Encoding", "quoted-printable").
			text("Je d=E9cline l'invitation, d=E9sol=E9.\n\n> Invitation code: " + tokSent + "\n").bytes()})
	add(tcase{name: "ISO-8859-1 8bit accept", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Content-Type", "text/plain; charset=iso-8859-1").
			text("Tr\xe8s volontiers, merci !\n").bytes()})
	add(tcase{name: "unknown charset still read", want: Decline, token: tokSent,
		raw: reply(tokSent).set("Content-Type", "text/plain; charset=x-no-such-charset").text("No.\n").bytes()})
	add(tcase{name: "HTML-only decline", want: Decline, token: tokSent,
		raw: reply(tokSent).set("Content-Type", "text/html; charset=utf-8").
			text(`<html><head><title>Re: invited</title><style>p{color:red}</style></head><body><div dir="ltr">No, thanks.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 10, 2025 at 9:00 AM Owner &lt;` + owner + `&gt; wrote:<br></div><blockquote class="gmail_quote">Invitation code: ` + tokSent + `</blockquote></div></body></html>`).bytes()})
	add(tcase{name: "HTML-only accept with quoted decline", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Content-Type", "text/html; charset=utf-8").
			text(`<p>Yes &amp; thanks!</p><blockquote type="cite"><p>No.</p><p>Invitation code: ` + tokSent + `</p></blockquote>`).bytes()})
	add(tcase{name: "HTML-only, code in body only", want: Accept, token: tokSent, reason: "code in body",
		raw: reply(tokSent).del("In-Reply-To").del("References").set("To", owner).set("Content-Type", "text/html").
			text(`<p>Yes</p><blockquote><b>Invitation code:</b>&nbsp;<code>` + tokSent + `</code></blockquote>`).bytes()})
	add(tcase{name: "multipart/alternative prefers text/plain", want: Decline, token: tokSent,
		raw: reply(tokSent).set("Content-Type", `multipart/alternative; boundary="alt"`).del("Content-Transfer-Encoding").
			text("--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nNo, tha=\nnks.\n--alt\nContent-Type: text/html\n\n<p>Yes</p>\n--alt--\n").bytes()})
	add(tcase{name: "multipart/mixed with attachment", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Content-Type", `multipart/mixed; boundary="mix"`).del("Content-Transfer-Encoding").
			text("--mix\nContent-Type: text/plain\n\nHere is my CV, glad to join.\n--mix\nContent-Type: text/plain\nContent-Disposition: attachment; filename=no.txt\n\nNo.\n--mix--\n").bytes()})
	add(tcase{name: "RFC 2047 subject with stacked prefixes", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Subject", "=?UTF-8?B?UmU6IEFXOiDlm57lpI3vvJo=?= SV[2]: Vs: Invitation to =?iso-8859-1?q?caf=E9?=").bytes()})
	add(tcase{name: "bare LF line endings", want: Decline, token: tokSent,
		raw: []byte(strings.ReplaceAll(string(reply(tokSent).text("No.\n").bytes()), "\r\n", "\n"))})
	add(tcase{name: "mbox From line", want: Accept, token: tokSent,
		raw: append([]byte("From invitee@example.com Mon Mar 10 11:00:00 2025\n"), reply(tokSent).bytes()...)})

	authCases(add)

	// ---- garbage ----
	add(tcase{name: "empty input", want: Ignore, token: "", raw: nil})
	add(tcase{name: "no header", want: Ignore, token: "", raw: []byte("\r\nNo.\r\n")})
	add(tcase{name: "not a message", want: Ignore, token: "", reason: "unparseable", raw: []byte("this is not an email at all\n")})
	add(tcase{name: "malformed header line", want: Ignore, token: "", reason: "unparseable",
		raw: []byte("From: " + invitee + "\r\nIn-Reply-To: <" + invMsgID(tokSent) + ">\r\nBad Header Line\r\n\r\nyes\r\n")})
	add(tcase{name: "header only", want: Accept, token: tokSent,
		raw: []byte("From: " + invitee + "\r\nIn-Reply-To: <" + invMsgID(tokSent) + ">")})
	add(tcase{name: "broken multipart", want: Accept, token: tokSent,
		raw: reply(tokSent).set("Content-Type", "multipart/mixed").text("--x\nno boundary param\n").bytes()})
	return cs
}

func TestClassify(t *testing.T) {
	l := newLookup()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			cfg := testCfg
			if c.cfg != nil {
				cfg = *c.cfg
			}
			res := mustClassify(t, c.raw, l, cfg)
			if res.Verdict != c.want {
				t.Fatalf("verdict %q, want %q (reason %q)", res.Verdict, c.want, res.Reason)
			}
			if c.token != "-" && res.Token != c.token {
				t.Errorf("token %q, want %q", res.Token, c.token)
			}
			if c.reason != "" && !strings.Contains(res.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", res.Reason, c.reason)
			}
			if c.diag != "" && res.Diagnostic != c.diag {
				t.Errorf("diagnostic %q, want %q", res.Diagnostic, c.diag)
			}
			if c.authed != "" && res.Authenticated != (c.authed == "yes") {
				t.Errorf("authenticated %v, want %s (auth %q)", res.Authenticated, c.authed, res.Auth)
			}
			if c.auth != "" && !strings.Contains(res.Auth, c.auth) {
				t.Errorf("auth %q, want it to contain %q", res.Auth, c.auth)
			}
			if c.ret != "" && res.ReturnPath != (c.ret == "yes") {
				t.Errorf("return path %v, want %s", res.ReturnPath, c.ret)
			}
			if strings.HasPrefix(res.Reason, "internal error") {
				t.Errorf("internal error: %s", res.Reason)
			}
		})
	}
}

func TestResultFields(t *testing.T) {
	res := mustClassify(t, reply(tokSent).set("Subject", "=?UTF-8?B?UmU6IEFXOiDlm57lpI3vvJo=?= SV[2]: Vs: Invitation to =?iso-8859-1?q?caf=E9?=").bytes(), newLookup(), testCfg)
	if res.Subject != "Invitation to café" {
		t.Errorf("subject %q", res.Subject)
	}
	if res.From != invitee {
		t.Errorf("from %q", res.From)
	}
	if res.MessageID != "reply-"+tokSent[:6]+"@mail.example.com" {
		t.Errorf("message id %q", res.MessageID)
	}
	for in, want := range map[string]string{
		"Re: Re: RE: hello":         "hello",
		"AW: WG: x":                 "WG: x", // forward prefixes are kept
		"Antw: REF: Re[3]: x":       "x",
		"回复：回覆: Re(2)：x":            "x",
		"Reply: x":                  "Reply: x",
		"  re :  sv:vs: Invitation": "Invitation",
	} {
		if got := cleanSubject(in); got != want {
			t.Errorf("cleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddressFolding(t *testing.T) {
	if normalizeAddr("\u212Aate@x.example") == normalizeAddr("kate@x.example") {
		t.Error("Kelvin sign folded to k")
	}
	if normalizeAddr("Kate <KATE@X.example>") != normalizeAddr("kate@x.example") {
		t.Error("ASCII case not folded")
	}
}

func TestNilLookup(t *testing.T) {
	res := mustClassify(t, reply(tokSent).bytes(), nil, Config{})
	if res.Verdict != Ignore {
		t.Fatalf("verdict %q", res.Verdict)
	}
}

type panickyLookup struct{}

func (panickyLookup) ByToken(context.Context, string) (*Invitation, error) { panic("boom") }
func (panickyLookup) ByMessageID(context.Context, string) (*Invitation, error) {
	return nil, nil
}

func TestLookupPanicIsRecovered(t *testing.T) {
	res := mustClassify(t, reply(tokSent).bytes(), panickyLookup{}, testCfg)
	if res.Verdict != Ignore || !strings.HasPrefix(res.Reason, "internal error") {
		t.Fatalf("got %+v", res)
	}
}

func TestNewText(t *testing.T) {
	for in, want := range map[string]string{
		"Yes\n\nOn Mon, Mar 10, 2025 at 9:00 AM Owner <o@x> wrote:\n> hi\n":   "Yes",
		"Yes\n\nOn Mon, Mar 10, 2025 at 9:00 AM Owner <\no@x> wrote:\n> hi\n": "Yes",
		"On Mon, Owner wrote:\n> hi\n\nNo\n":                                  "No",
		"El lun, 10 mar 2025, Owner escribió:\n> hola\nNo acepto":             "No acepto",
		"Il giorno lun 10 mar, Owner ha scritto:\n> ciao\nRifiuto":            "Rifiuto",
		"Op ma 10 mrt 2025 schreef Owner <o@x>:\n> hoi\nNee":                  "Nee",
		"Sure\n-----Ursprüngliche Nachricht-----\nVon: x\nnein":               "Sure",
		"On second thought: yes":                                              "On second thought: yes",
	} {
		if got := newText(in); got != want {
			t.Errorf("newText(%q) = %q, want %q", in, got, want)
		}
	}
}
