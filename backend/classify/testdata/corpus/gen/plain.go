package main

import (
	"fmt"
	"strings"
)

// Plain-text failure notices: no multipart/report, only the mail system's
// words and the returned original, inline or attached.

type notice struct {
	subject, from, text string
	extra               string // more header fields
	attach              bool   // the original goes as a message/rfc822 part
}

// plainMTA makes the notice for a reason; final is false for a delay.
// ret is the returned original (inline after the MTA's marker, or attached).
type plainMTA struct {
	name   string
	final  []reason // nil: finals
	delays []reason // nil: this MTA sends no delay warnings
	make   func(r reason, final bool, ret string) notice
}

func plainCorpus() {
	for _, m := range plainMTAs {
		fs := m.final
		if fs == nil {
			fs = finals
		}
		for i, r := range fs {
			to := deliveredTo[(i+1)%2]
			ret := plainReturned[i%len(plainReturned)]
			add(entry{dir: "bounce", name: fmt.Sprintf("plain-%s-%s-%s-%s", m.name, r.name, ret.name, to.name),
				raw: m.build(r, true, ret, to.addr), verdict: "bounce", ret: to.ret, diag: r.expect})
		}
		for i, r := range m.delays {
			to := deliveredTo[i%2]
			ret := plainReturned[(i+1)%len(plainReturned)]
			add(entry{dir: "delayed", name: fmt.Sprintf("plain-%s-%s-%s-%s", m.name, r.name, ret.name, to.name),
				raw: m.build(r, false, ret, to.addr), verdict: "delayed", ret: to.ret, diag: r.expect})
		}
	}
}

// plainReturned: what comes back with a plain notice; the body alone
// still carries the invitation code.
var plainReturned = []returned{{"full", full}, {"headers", headers}, {"body", bodyOnly}, {"folded", foldedHeaders}}

func (m plainMTA) build(r reason, final bool, ret returned, to string) string {
	n := m.make(r, final, ret.text())
	var b strings.Builder
	b.WriteString("Return-Path: <>\nDelivered-To: " + to + "\nDate: Mon, 10 Mar 2025 09:00:05 +0000\n")
	b.WriteString("From: " + n.from + "\nTo: " + to + "\nSubject: " + n.subject + "\n")
	b.WriteString("Message-ID: <notice." + m.name + "." + r.name + "@bounce.example.net>\n" + n.extra + "MIME-Version: 1.0\n")
	if !n.attach {
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + n.text)
		return b.String()
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=\"ndr-part\"\n\n--ndr-part\nContent-Type: text/plain; charset=utf-8\n\n" + n.text +
		"\n--ndr-part\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + ret.text() + "\n--ndr-part--\n")
	return b.String()
}

// remoteSaid is the usual "the server said" line.
func remoteSaid(r reason) string {
	if r.code == "" {
		return r.line()
	}
	return r.reply()
}

var qmailFinals = []reason{
	{"no-mailbox", "", "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)", "no mailbox here by that name"},
	{"remote-unknown", "550", "5.1.1", "<%s>... User Unknown", "User Unknown"},
	{"quota", "", "5.2.2", "The users mailfolder is over the allowed quota (size). (#5.2.2)", "over the allowed quota"},
	{"no-host", "", "5.1.2", "Sorry, I couldn't find any host named example.com. (#5.1.2)", "couldn't find any host"},
	{"queue-too-long", "", "4.4.1", "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\nI'm not going to try again; this message has been in the queue too long.", "establish an SMTP connection"},
	{"spam", "554", "5.7.1", "Message rejected as spam by Content Filtering", "rejected as spam"},
}

var plainMTAs = []plainMTA{
	{name: "qmail", final: qmailFinals, make: func(r reason, final bool, ret string) notice {
		s := "Hi. This is the qmail-send program at mail.example.com.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n" +
			"This is a permanent error; I've given up. Sorry it didn't work out.\n\n<" + invitee + ">:\n"
		if r.code != "" {
			s += "192.0.2.25 does not like recipient.\nRemote host said: " + r.reply() + "\nGiving up on 192.0.2.25.\n"
		} else {
			s += r.line() + "\n"
		}
		return notice{subject: "failure notice", from: "MAILER-DAEMON@mail.example.com",
			extra: "Received: (qmail 12345 invoked for bounce); 10 Mar 2025 09:00:05 -0000\n",
			text:  s + "\n--- Below this line is a copy of the message.\n\n" + ret}
	}},
	{name: "yahoo", final: qmailFinals[1:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Failure Notice", from: "MAILER-DAEMON@yahoo.com",
			text: "Sorry, we were unable to deliver your message to the following address.\n\n<" + invitee + ">:\n" +
				"Remote host said: " + remoteSaid(r) + " [RCPT_TO]\n\n--- Below this line is a copy of the message.\n\n" + ret}
	}},
	{name: "aol", final: []reason{{"no-account", "554", "5.1.1", "delivery error: dd This user doesn't have a aol.com account (%s) [0] - mta1234.mail.gq1.yahoo.com", "doesn't have a aol.com account"}},
		make: func(r reason, final bool, ret string) notice {
			return notice{subject: "Failure Notice", from: "MAILER-DAEMON@aol.com",
				text: "Sorry, we were unable to deliver your message to the following address.\n\n<" + invitee + ">:\n" +
					r.code + ": " + r.line() + "\n\n--- Below this line is a copy of the message.\n\n" + ret}
		}},
	{name: "exim", delays: delays, make: eximNotice("Mail Delivery System <Mailer-Daemon@mx.example.org>", "mx.example.org", "")},
	{name: "mailru", final: finals[:4], make: eximNotice("Mail Delivery System <mailer-daemon@corp.mail.ru>", "smtp31.i.mail.ru",
		"Это письмо создано автоматически сервером Mail.Ru, отвечать на него не нужно.\n\n"+
			"К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:\n\n  "+invitee+"\n\n**********************\n\n")},
	{name: "gmx", final: finals[:5], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Mail delivery failed: returning message to sender", from: "\"Mail Delivery System\" <mailer-daemon@gmx.net>",
			text: "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of\n" +
				"its recipients. This is a permanent error. The following address\nfailed:\n\n\"" + invitee + "\":\nSMTP error from remote server after RCPT command:\n" +
				"host: mx.example.com\n" + remoteSaid(r) + "\n\n\n--- The header of the original message is following. ---\n\n" + headers()}
	}},
}
