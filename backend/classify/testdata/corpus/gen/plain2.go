package main

// More plain-text notices, one mail system each.

// eximNotice is Exim's deliver.c bounce, or its delay warning.
func eximNotice(from, host, preface string) func(r reason, final bool, ret string) notice {
	return func(r reason, final bool, ret string) notice {
		smtpErr := "  " + invitee + "\n    SMTP error from remote mail server after RCPT TO:<" + invitee + ">:\n    host mx.example.com [192.0.2.25]: " + r.reply() + "\n"
		if r.code == "" {
			smtpErr = "  " + invitee + "\n    " + r.line() + "\n"
		}
		if !final {
			return notice{subject: "Warning: message 1tBxyz-000AbC-5q delayed 24 hours", from: from,
				text: preface + "This message was created automatically by mail delivery software.\n" +
					"A message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on " + host + ".\n\n" +
					"The message identifier is:     1tBxyz-000AbC-5q\nThe subject of the message is: " + inviteSubj + "\n" +
					"The date of the message is:    Mon, 10 Mar 2025 09:00:00 +0000\n\n" +
					"The address to which the message has not yet been delivered is:\n\n  " + invitee + "\n    Delay reason: " +
					"SMTP error from remote mail server after RCPT TO:<" + invitee + ">:\n    host mx.example.com [192.0.2.25]: " + r.reply() + "\n\n" +
					"No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\n" +
					"remains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n\n" +
					"------ This is a copy of the message's headers. ------\n\n" + headers()}
		}
		marker := "------ This is a copy of the message, including all the headers. ------\n\n"
		if ret == bodyOnly() {
			marker = "------ This is a copy of the body of the message, without the headers. ------\n\n"
		}
		return notice{subject: "Mail delivery failed: returning message to sender", from: from,
			extra: "X-Failed-Recipients: " + invitee + "\nAuto-Submitted: auto-replied\n",
			text: preface + "This message was created automatically by mail delivery software.\n\n" +
				"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
				smtpErr + "\n" + marker + ret}
	}
}

var moreMTAs = []plainMTA{
	{name: "sendmail-v5", final: finals[:3], delays: delays[:2], make: func(r reason, final bool, ret string) notice {
		if !final {
			return notice{subject: "Warning: could not send message for past 4 hours", from: "Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>",
				text: "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n" +
					"    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n" +
					"The original message was received at Mon, 10 Mar 2025 09:00:02 GMT\nfrom mail.grantbook.example [198.51.100.7]\n\n" +
					"   ----- Transcript of session follows -----\n" + invitee + "... Deferred: " + remoteSaid(r) +
					"\nWarning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n\n" +
					"   ----- Original message follows -----\n" + ret}
		}
		return notice{subject: "Returned mail: User unknown", from: "Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>",
			text: "   ----- Transcript of session follows -----\n" + r.code + " " + invitee + "... " + r.line() + "\n\n   ----- Unsent message follows -----\n" + ret}
	}},
	{name: "exchange2003", final: []reason{
		{"no-account", "", "5.1.1", "The e-mail account does not exist at the organization this message was sent to.  Check the e-mail address, or contact the recipient directly to find out the correct address.\n    <mx.example.com #5.1.1>", "does not exist"},
		{"full", "", "5.2.2", "The recipient's mailbox is full and can't accept messages now.\n    <mx.example.com #5.2.2>", "mailbox is full"},
		{"no-route", "", "5.4.0", "Unable to deliver the message because the destination address was not found.\n    <mx.example.com #5.4.0>", "Unable to deliver"},
	}, delays: delays[:2], make: func(r reason, final bool, ret string) notice {
		if !final {
			return notice{subject: "Delivery Status Notification (Delay)", from: "postmaster@corp.example.net", attach: true,
				text: "This is an automatically generated Delivery Status Notification.\n\nTHIS IS A WARNING MESSAGE ONLY.\n\n" +
					"YOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\nDelivery to the following recipients has been delayed.\n\n       " + invitee +
					"\n\nThe remote server said: " + remoteSaid(r) + "\n"}
		}
		return notice{subject: "Undeliverable: " + inviteSubj, from: "System Administrator <postmaster@corp.example.net>", attach: true,
			text: "Your message\n\n  To:      " + invitee + "\n  Subject: " + inviteSubj + "\n  Sent:    Mon, 10 Mar 2025 09:00:00 +0000\n\n" +
				"did not reach the following recipient(s):\n\n" + invitee + " on Mon, 10 Mar 2025 09:00:05 +0000\n    " + r.line() + "\n"}
	}},
	{name: "domino", final: []reason{
		{"not-listed", "", "", "User Ivy Invitee (%s) not listed in Domino Directory", "not listed in Domino Directory"},
		{"router", "", "", "Router: Unable to route message - no route to host example.com", "Unable to route message"},
		{"quota", "", "", "Unable to deliver message because the recipient's mail database has exceeded its quota", "exceeded its quota"},
	}, make: func(r reason, final bool, ret string) notice {
		return notice{subject: "DELIVERY FAILURE: " + r.line(), from: "Postmaster@notes.example.co.uk", attach: true,
			text: "Your message\n\n  Subject: " + inviteSubj + "\n\nwas not delivered to:\n\n  " + invitee + "\n\nbecause:\n\n  " + r.line() + "\n"}
	}},
	{name: "notes", final: []reason{{"not-listed", "", "", "User not listed in public Name & Address Book", "not listed"}},
		make: func(r reason, final bool, ret string) notice {
			return notice{subject: "Undeliverable message", from: "postmaster@notes.example.jp",
				text: "------- Failure Reasons  --------\n\n" + r.line() + "\n" + invitee + "\n\n\n------- Returned Message --------\n" + ret}
		}},
	{name: "gmail-2014", final: finals[:3], delays: delays[:2], make: func(r reason, final bool, ret string) notice {
		if !final {
			return notice{subject: "Delivery Status Notification (Delay)", from: "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
				text: "This is an automatically generated Delivery Status Notification\n\nTHIS IS A WARNING MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\n" +
					"Delivery to the following recipient has been delayed:\n\n     " + invitee + "\n\nMessage will be retried for 2 more day(s)\n\n" +
					"Technical details of temporary failure:\nThe recipient server did not accept our requests to connect. Learn more at https://support.google.com/mail/answer/7720\n" +
					"[mx.example.com. 192.0.2.25: timed out]\n" + remoteSaid(r) + "\n\n----- Original message -----\n\n" + ret}
		}
		return notice{subject: "Delivery Status Notification (Failure)", from: "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
			text: "Delivery to the following recipient failed permanently:\n\n     " + invitee + "\n\nTechnical details of permanent failure:\n" +
				"Google tried to deliver your message, but it was rejected by the server for the recipient domain example.com by mx.example.com. [192.0.2.25].\n\n" +
				"The error that the other server returned was:\n" + remoteSaid(r) + "\n\n----- Original message -----\n\n" + ret}
	}},
	{name: "opensmtpd", final: finals[:4], delays: delays[:3], make: func(r reason, final bool, ret string) notice {
		if !final {
			return notice{subject: "Delivery status notification: delay", from: "Mailer Daemon <MAILER-DAEMON@smtpd.example.org>",
				text: "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n" +
					"    A message is delayed for more than 4 hours for the following\n    list of recipients:\n\n" + invitee + ": " + remoteSaid(r) + "\n\n" +
					"    Please note that this is only a temporary failure report.\n    The message is kept in the queue for up to 4 days.\n" +
					"    You DO NOT NEED to re-send the message to these recipients.\n\n    Below is a copy of the original message:\n\n" + ret}
		}
		return notice{subject: "Delivery status notification: error", from: "Mailer Daemon <MAILER-DAEMON@smtpd.example.org>",
			text: "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n" +
				"    An error has occurred while attempting to deliver a message for\n    the following list of recipients:\n\n" + invitee + ": " + remoteSaid(r) +
				"\n\n    Below is a copy of the original message:\n\n" + ret}
	}},
	{name: "imail", final: []reason{
		{"unknown", "", "", "Unknown user: %s", "Unknown user"},
		{"too-big", "", "", "User mailbox exceeds allowed size: %s", "exceeds allowed size"},
	}, make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Undeliverable Mail", from: "\"Postmaster\" <postmaster@imail.example.com>",
			text: r.line() + "\n\n\nOriginal message follows.\n\n" + ret}
	}},
	{name: "zoho", final: finals[:2], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Undelivered Mail Returned to Sender", from: "mailer-daemon@mx.zohomail.com",
			text: "This message was created automatically by mail delivery software.\nA message that you sent could not be delivered to one or more of its recipients. This is a permanent error.\n\n" +
				invitee + " Invalid Address, ERROR_CODE :" + r.code + ", ERROR_CODE :" + r.status + " " + r.line() + "\n\n\n" + ret}
	}},
	{name: "dragonfly", final: finals[:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Mail delivery failed", from: "MAILER-DAEMON <>",
			text: "This is the DragonFly Mail Agent v0.13 at dma.example.org.\n\nThere was an error delivering your mail to <" + invitee + ">.\n\n" +
				"mx.example.com [192.0.2.25] did not like our RCPT TO:\n" + remoteSaid(r) + "\n\nMessage headers follow.\n\n" + headers()}
	}},
}
