package main

// Genuine replies from common mail programs: they must accept (or
// decline), never be taken for an automatic message. Every second one
// carries the receiving server's pass and is verified.

type client struct {
	name    string
	subject string // reply subject
	fields  string // the program's own header fields
	body    string // new text, then the program's quote
	ctype   string // Content-Type, "" plain UTF-8
}

func quoteGmail(s string) string {
	return s + "\n\nOn Mon, Mar 10, 2025 at 9:00 AM Acme Support <" + owner + "> wrote:\n> Hello Ivy,\n>\n> Invitation code: " + token + "\n"
}

var clients = []client{
	{"gmail-web", "Re: " + inviteSubj, "X-Gm-Message-State: AOJu0Yw\nX-Google-Smtp-Source: AGHT+IF\n", quoteGmail("Yes, happy to help!"), ""},
	{"gmail-android", "Re: " + inviteSubj, "X-Gm-Message-State: AOJu0Yw\n", quoteGmail("Sure thing"), ""},
	{"outlook-desktop", "RE: " + inviteSubj, "Thread-Topic: " + inviteSubj + "\nThread-Index: AQHblGKx3f0r\nX-MS-Has-Attach:\nX-MS-TNEF-Correlator:\nX-Auto-Response-Suppress: All\n" +
		"X-MS-Exchange-Organization-AuthAs: Internal\nX-MS-Exchange-Transport-CrossTenantHeadersStamped: AM7PR03MB\n",
		"Accepted, thanks.\n\nIvy\n\nFrom: Acme Support <" + owner + ">\nSent: Monday, March 10, 2025 9:00 AM\nTo: Ivy Invitee <" + invitee + ">\n" +
			"Subject: " + inviteSubj + "\n\nHello Ivy,\nInvitation code: " + token + "\n", ""},
	{"outlook-mac", "Re: " + inviteSubj, "User-Agent: Microsoft-MacOutlook/16.93.25011212\nThread-Topic: " + inviteSubj + "\n", "Count me in.\n\nFrom: Acme Support <" + owner + ">\nDate: Monday, 10 March 2025 at 09:00\n", ""},
	{"outlook-com", "RE: " + inviteSubj, "X-MS-Exchange-Organization-SCL: 1\nX-OriginatorOrg: outlook.com\n", "OK, accepted.\n\n________________________________\nFrom: Acme Support\nSent: 10 March 2025 09:00\n", ""},
	{"apple-mail", "Re: " + inviteSubj, "X-Mailer: Apple Mail (2.3826.400.131.1.6)\nMime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))\n",
		"Yes please.\n\n> On 10 Mar 2025, at 09:00, Acme Support <" + owner + "> wrote:\n>\n> Invitation code: " + token + "\n", ""},
	{"iphone", "Re: " + inviteSubj, "X-Mailer: iPhone Mail (22D82)\n", "Yes\n\nSent from my iPhone\n\n> On 10 Mar 2025, at 09:00, Acme Support <" + owner + "> wrote:\n", ""},
	{"thunderbird", "Re: " + inviteSubj, "User-Agent: Mozilla Thunderbird\nContent-Language: en-GB\n", "Thanks, I accept.\n\nOn 10/03/2025 09:00, Acme Support wrote:\n> Hello Ivy,\n", ""},
	{"k9", "Re: " + inviteSubj, "User-Agent: K-9 Mail for Android\n", "Yes!\n--\nSent from my phone\n", ""},
	{"fairemail", "Re: " + inviteSubj, "User-Agent: FairEmail\n", "Happy to join.\n\n10 Mar 2025 09:00:00 Acme Support <" + owner + ">:\n> Invitation code: " + token + "\n", ""},
	{"yahoo-web", "Re: " + inviteSubj, "X-Mailer: WebService/1.1.23187 YMailNorrin\n", "yes that works\n\nOn Monday, March 10, 2025 at 09:00:00 AM GMT, Acme Support <" + owner + "> wrote:\n", ""},
	{"protonmail", "Re: " + inviteSubj, "X-Pm-Message-ID: abc123==\n", "Accepting.\n\nSent with Proton Mail secure email.\n\nOn Monday, March 10th, 2025 at 09:00, Acme Support <" + owner + "> wrote:\n", ""},
	{"fastmail", "Re: " + inviteSubj, "User-Agent: Cyrus-JMAP/3.11.1\nX-Me-Proxy: fastmail\n", "Yes, thank you!\n\nOn Mon, 10 Mar 2025, at 09:00, Acme Support wrote:\n", ""},
	{"gmx-web", "AW: " + inviteSubj, "X-UI-Message-Type: mail\n", "Ja, gerne.\n\nGesendet: Montag, 10. März 2025 um 10:00 Uhr\nVon: \"Acme Support\" <" + owner + ">\n", ""},
	{"german-outlook", "AW: " + inviteSubj, "Thread-Topic: " + inviteSubj + "\n", "Gerne, danke!\n\n-----Ursprüngliche Nachricht-----\nVon: Acme Support\nGesendet: Montag, 10. März 2025 10:00\n", ""},
	{"french", "RE : " + inviteSubj, "X-Mailer: Zimbra 10.0.6_GA_0020\n", "Oui, avec plaisir.\n\nLe lun. 10 mars 2025 à 09:00, Acme Support <" + owner + "> a écrit :\n> Bonjour\n", ""},
	{"swedish", "SV: " + inviteSubj, "", "Ja tack.\n\nFrån: Acme Support\nSkickat: den 10 mars 2025 09:00\n", ""},
	{"dutch", "Antw: " + inviteSubj, "", "Ja hoor.\n\nOp ma 10 mrt 2025 om 09:00 schreef Acme Support <" + owner + ">:\n> Hallo\n", ""},
	{"chinese", "回复：" + inviteSubj, "X-Mailer: QQMail 2.x\n", "好的，谢谢。\n", ""},
	{"html-only", "Re: " + inviteSubj, "", "<html><body><div>Yes, accepted.</div><blockquote>Invitation code: " + token + "</blockquote></body></html>\n", "text/html; charset=utf-8"},
	// Words that also begin auto-replies, later in a human subject or body.
	{"subject-mentions-absence", "Re: " + inviteSubj + " (absent next week, but yes)", "", "Yes, though I am out of the office next week.\n", ""},
	{"body-out-of-office", "Re: " + inviteSubj, "", "Yes. I'll be out of office until Monday, then I'll sign in.\n", ""},
	{"subject-rewritten", "Joining Acme Ltd", "", "Accepting the invitation. Invitation code: " + token + "\n", ""},
	{"x-auto-response-suppress", "Re: " + inviteSubj, "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\n", "Yes.\n", ""},
	{"auto-submitted-no", "Re: " + inviteSubj, "Auto-Submitted: no\n", "Yes, that is me.\n", ""},
}

var declines = []client{
	{"no-thanks", "Re: " + inviteSubj, "", quoteGmail("No, thanks."), ""},
	{"outlook-decline", "RE: " + inviteSubj, "Thread-Topic: " + inviteSubj + "\n", "Decline\n\nFrom: Acme Support\nSent: Monday, March 10, 2025 9:00 AM\n", ""},
	{"german", "AW: " + inviteSubj, "", "Nein, danke.\n", ""},
	{"french", "RE : " + inviteSubj, "", "Non merci.\n", ""},
	{"spanish", "RE: " + inviteSubj, "", "No acepto, gracias.\n", ""},
	{"not-interested", "Re: " + inviteSubj, "", "Not interested, sorry.\n", ""},
}

func replyCorpus() {
	for i, c := range clients {
		add(entry{dir: "reply", name: "accept-" + c.name, raw: c.message(i%2 == 0), verdict: "accept", authed: yes(i%2 == 0)})
	}
	for i, c := range declines {
		add(entry{dir: "reply", name: "decline-" + c.name, raw: c.message(i%2 == 1), verdict: "decline", authed: yes(i%2 == 1)})
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (c client) message(verified bool) string {
	s := "Return-Path: <" + invitee + ">\nDelivered-To: " + replyTo + "\n"
	if verified {
		s += "Authentication-Results: " + servID + ";\n\tdkim=pass (2048-bit key) header.d=example.com header.i=@example.com;\n" +
			"\tspf=pass (" + servID + ": domain of " + invitee + " designates 192.0.2.30 as permitted sender) smtp.mailfrom=" + invitee + ";\n" +
			"\tdmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=example.com\n"
	}
	ctype := c.ctype
	if ctype == "" {
		ctype = "text/plain; charset=utf-8"
	}
	return s + "Received: from mail.example.com (mail.example.com [192.0.2.30])\n\tby " + servID + " with ESMTPS; Mon, 10 Mar 2025 10:00:01 +0000\n" +
		"Date: Mon, 10 Mar 2025 10:00:00 +0000\nFrom: Ivy Invitee <" + invitee + ">\nTo: Acme Support <" + replyTo + ">\n" +
		"Subject: " + mimeWord(c.subject) + "\nMessage-ID: <reply." + c.name + "@mail.example.com>\nIn-Reply-To: <" + msgID + ">\n" +
		"References: <" + msgID + ">\n" + c.fields + "MIME-Version: 1.0\nContent-Type: " + ctype + "\nContent-Transfer-Encoding: 8bit\n\n" + c.body
}
