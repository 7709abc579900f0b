package main

import (
	"fmt"
	"strings"
)

// Delivery status notifications (multipart/report; report-type=
// delivery-status, RFC 3464 and RFC 6522), each in its MTA's layout.

// dsnMTA builds one report: a notification text, the per-message fields,
// the per-recipient fields, and how it returns the original.
type dsnMTA struct {
	name    string
	head    func(subject, to string) string // header fields, without Content-Type
	subject func(final bool) string
	notice  func(r reason, final bool) string
	perMsg  string
	rcpt    func(r reason, final bool) string
	// headersOnly: the MTA returns text/rfc822-headers, never the body.
	headersOnly bool
}

func dsnCorpus() {
	for _, m := range dsnMTAs {
		for i, r := range finals {
			to := deliveredTo[i%2]
			ret := returnedForms[(i/2)%len(returnedForms)]
			add(entry{dir: "bounce", name: fmt.Sprintf("dsn-%s-%s-%s-%s", m.name, r.name, ret.name, to.name),
				raw: m.build(r, true, ret, to.addr), verdict: "bounce", ret: to.ret, diag: r.expect})
		}
		if m.name == "amazonses" || m.name == "powermta" || m.name == "mimecast" {
			continue // these report final failures only
		}
		for i, r := range delays {
			to := deliveredTo[(i+1)%2]
			ret := returnedForms[i%len(returnedForms)]
			add(entry{dir: "delayed", name: fmt.Sprintf("dsn-%s-%s-%s-%s", m.name, r.name, ret.name, to.name),
				raw: m.build(r, false, ret, to.addr), verdict: "delayed", ret: to.ret, diag: r.expect})
		}
	}
}

const dsnBoundary = "dsn-boundary-4Z1abc1Yz2z9sRr"

func (m dsnMTA) build(r reason, final bool, ret returned, to string) string {
	var b strings.Builder
	b.WriteString("Delivered-To: " + to + "\n")
	b.WriteString(m.head(m.subject(final), to))
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"" + dsnBoundary + "\"\n\n")
	b.WriteString("This is a MIME-encapsulated message.\n\n--" + dsnBoundary + "\n")
	b.WriteString("Content-Description: Notification\nContent-Type: text/plain; charset=utf-8\n\n")
	b.WriteString(m.notice(r, final) + "\n--" + dsnBoundary + "\n")
	b.WriteString("Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n")
	b.WriteString(m.perMsg + "\n" + m.rcpt(r, final) + "\n--" + dsnBoundary + "\n")
	text := ret.text()
	if m.headersOnly || !final || ret.name != "full" {
		if ret.name == "full" {
			text = headers()
		}
		b.WriteString("Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n" + text)
	} else {
		b.WriteString("Content-Description: Undelivered Message\nContent-Type: message/rfc822\n\n" + text)
	}
	b.WriteString("\n--" + dsnBoundary + "--\n")
	return b.String()
}

func action(final bool) string {
	if final {
		return "failed"
	}
	return "delayed"
}

// standardRcpt is the usual per-recipient block.
func standardRcpt(own, remote string, extra func(final bool) string) func(r reason, final bool) string {
	return func(r reason, final bool) string {
		s := "Final-Recipient: rfc822; " + invitee + "\nOriginal-Recipient: rfc822;" + invitee + "\n" +
			"Action: " + action(final) + "\nStatus: " + r.status + "\n"
		if r.code != "" {
			s += "Remote-MTA: dns; " + remote + "\n"
		}
		s += "Diagnostic-Code: " + r.dsnType(own) + "; " + r.reply() + "\n"
		if extra != nil {
			s += extra(final)
		}
		return s
	}
}

func fixed(s string) func(bool) string {
	return func(final bool) string { return s }
}

func subjects(final, delay string) func(bool) string {
	return func(f bool) string {
		if f {
			return final
		}
		return delay
	}
}

func head(from, id, extra string) func(subject, to string) string {
	return func(subject, to string) string {
		return "Return-Path: <>\nDate: Mon, 10 Mar 2025 09:00:05 +0000\nFrom: " + from + "\nTo: <" + to + ">\n" +
			"Subject: " + subject + "\nMessage-ID: <" + id + ">\nAuto-Submitted: auto-replied\n" + extra
	}
}
