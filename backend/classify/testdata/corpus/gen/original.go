package main

import "strings"

// The invitation as it left Grantbook, and the ways mail systems return it.

const originalHeader = `Return-Path: <` + "RETURNPATH" + `>
Received: from mail.grantbook.example (mail.grantbook.example [198.51.100.7])
	by mx.example.com with ESMTPS id 4Z1abc0QxXz9sRq
	for <ivy.invitee@example.com>; Mon, 10 Mar 2025 09:00:02 +0000
Date: Mon, 10 Mar 2025 09:00:00 +0000
From: "Acme Support" <owner@grantbook.example>
To: "Ivy Invitee" <ivy.invitee@example.com>
Reply-To: "Acme Support" <REPLYTO>
Subject: Acme Support invites you to access Acme Ltd
Message-ID: <MSGID>
Auto-Submitted: auto-generated
X-Auto-Response-Suppress: OOF, AutoReply
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="gbalt"
`

const originalText = `Hello Ivy,

Acme Support would like to give you Billing access to the account "Acme Ltd".

To accept, simply reply to this email: any reply will do.
To decline, reply with "no".

This invitation expires on 24 March 2025.

Invitation code: TOKEN
(sent with Grantbook)
`

func fill(s string) string {
	return strings.NewReplacer("RETURNPATH", returnPath, "REPLYTO", replyTo, "MSGID", msgID, "TOKEN", token).Replace(s)
}

// headers is the invitation's header block.
func headers() string { return fill(originalHeader) }

// full is the whole invitation.
func full() string {
	return headers() + "\n--gbalt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
		fill(originalText) + "\n--gbalt\nContent-Type: text/html; charset=utf-8\n\n<p>Hello Ivy,</p><p>Invitation code: " +
		token + "</p>\n--gbalt--\n"
}

// bodyOnly is what a mail system returns "without the headers".
func bodyOnly() string { return fill(originalText) }

// foldedHeaders folds the Message-ID onto its own line, as some relays do.
func foldedHeaders() string {
	return strings.Replace(headers(), "Message-ID: <", "Message-ID:\n <", 1)
}

// noIDHeaders lost the Message-ID on the way but kept the Reply-To.
func noIDHeaders() string {
	var out []string
	for _, l := range strings.Split(headers(), "\n") {
		if !strings.HasPrefix(l, "Message-ID:") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// returned is one way of returning the original, named for file names.
type returned struct {
	name string
	text func() string
}

var returnedForms = []returned{
	{"full", full},
	{"headers", headers},
	{"folded", foldedHeaders},
	{"noid", noIDHeaders},
}

// deliveredTo is the two addresses a report can reach.
var deliveredTo = []struct{ name, addr, ret string }{
	{"rp", returnPath, "yes"},
	{"plain", owner, "no"},
}
