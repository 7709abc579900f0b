package main

import "fmt"

// postfixNotice is Postfix's bounce(8) text: the failure or the delay
// warning, then one line per recipient in its own words.
func postfixNotice(host string) func(r reason, final bool) string {
	return func(r reason, final bool) string {
		s := "This is the mail system at host " + host + ".\n\n"
		if final {
			s += "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n" +
				"For further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\n" +
				"delete your own text from the attached returned message.\n\n                   The mail system\n\n"
		} else {
			s += "####### THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #######\n\n" +
				"Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n" +
				"For further assistance, please send mail to postmaster.\n\n                   The mail system\n\n"
		}
		if r.code != "" {
			return s + "<" + invitee + ">: host mx.example.com[192.0.2.25] said: " + r.code + " " + r.status + "\n    " + r.line() + " (in reply to RCPT TO command)\n"
		}
		return s + "<" + invitee + ">: " + r.line() + "\n"
	}
}

func postfixPerMsg(host string) string {
	return "Reporting-MTA: dns; " + host + "\nX-Postfix-Queue-ID: 4Z1abc1Yz2z9sRr\nX-Postfix-Sender: rfc822; " + returnPath +
		"\nArrival-Date: Mon, 10 Mar 2025 09:00:02 +0000 (UTC)\n"
}

func postfixMTA(name, host, preface string) dsnMTA {
	notice := postfixNotice(host)
	return dsnMTA{name: name,
		head:    head("MAILER-DAEMON@"+host+" (Mail Delivery System)", "20250310090005.4Z1abc1Yz2z9sRr@"+host, ""),
		subject: subjects("Undelivered Mail Returned to Sender", "Delayed Mail (still being retried)"),
		notice:  func(r reason, final bool) string { return preface + notice(r, final) },
		perMsg:  postfixPerMsg(host),
		rcpt: standardRcpt("X-Postfix", "mx.example.com", func(final bool) string {
			if final {
				return ""
			}
			return "Will-Retry-Until: Sat, 15 Mar 2025 09:00:02 +0000 (UTC)\n"
		}),
	}
}

var dsnMTAs = []dsnMTA{
	postfixMTA("postfix", "mail.grantbook.example", ""),
	postfixMTA("zimbra", "zcs.example.org", ""),
	postfixMTA("icloud", "p00-icloudmta-asmtp-us-west-1a-100-percent-1.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-west-1a.k8s.cloud.apple.com", ""),
	postfixMTA("yandex", "forward101a.mail.yandex.net", "              **********\n\nЭто письмо отправлено почтовым сервером yandex.ru.\n\n"+
		"К сожалению, мы вынуждены сообщить Вам о том, что Ваше письмо не может\nбыть отправлено одному или нескольким адресатам.\n\n              **********\n\n"),
	{name: "sendmail",
		head:    head("Mail Delivery Subsystem <MAILER-DAEMON@smtp.example.org>", "202503100900.52A905Kq012345@smtp.example.org", ""),
		subject: subjects("Returned mail: see transcript for details", "Warning: could not send message for past 4 hours"),
		notice: func(r reason, final bool) string {
			s := ""
			if !final {
				s = "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n" +
					"    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n"
			}
			s += "The original message was received at Mon, 10 Mar 2025 09:00:02 GMT\nfrom mail.grantbook.example [198.51.100.7]\n\n"
			if final {
				s += "   ----- The following addresses had permanent fatal errors -----\n<" + invitee + ">\n    (reason: " + r.reply() + ")\n\n"
				s += "   ----- Transcript of session follows -----\n... while talking to mx.example.com.:\n>>> RCPT To:<" + invitee + ">\n<<< " + r.reply() + "\n"
			} else {
				s += "   ----- Transcript of session follows -----\n<" + invitee + ">... Deferred: " + r.reply() +
					"\nWarning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"
			}
			return s
		},
		perMsg: "Reporting-MTA: dns; smtp.example.org\nReceived-From-MTA: DNS; mail.grantbook.example\nArrival-Date: Mon, 10 Mar 2025 09:00:02 GMT\n",
		rcpt: func(r reason, final bool) string {
			s := "Final-Recipient: RFC822; " + invitee + "\nAction: " + action(final) + "\nStatus: " + r.status + "\n"
			if r.code != "" {
				s += "Remote-MTA: DNS; mx.example.com\n"
			}
			s += "Diagnostic-Code: " + r.dsnType("X-Unix") + "; " + r.reply() + "\nLast-Attempt-Date: Mon, 10 Mar 2025 13:00:04 GMT\n"
			if !final {
				s += "Will-Retry-Until: Sat, 15 Mar 2025 09:00:02 GMT\n"
			}
			return s
		},
	},
	{name: "exchange-online",
		head: head("Microsoft Outlook <MAILER-DAEMON@EUR03-AM7-obe.outbound.protection.outlook.com>",
			"3f1f7a0b-0d1c-4f7e-9a7e-1c2b3d4e5f60@AM7EUR03HT123.eop-EUR03.prod.protection.outlook.com",
			"X-MS-Exchange-Message-Is-Ndr:\nContent-Language: en-US\nX-MS-Exchange-Organization-SCL: -1\n"),
		subject: subjects("Undeliverable: "+inviteSubj, "Delivery delayed:"+inviteSubj),
		notice: func(r reason, final bool) string {
			if !final {
				return "Delivery is delayed to these recipients or groups:\n\n" + invitee + " (" + invitee + ")\n\n" +
					"Subject: " + inviteSubj + "\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n\n" +
					"The server will keep trying to deliver this message for the next 1 days, 19 hours and 50 minutes. You'll be notified if the message can't be delivered by that time.\n\n" +
					"Diagnostic information for administrators:\n\nGenerating server: AM7EUR03HT123.eop-EUR03.prod.protection.outlook.com\nReceiving server: mx.example.com\n\n" +
					invitee + "\nRemote Server returned '" + r.code + " " + r.status + " " + r.line() + "'\n"
			}
			return "Your message to " + invitee + " couldn't be delivered.\n\n" +
				"ivy.invitee wasn't found at example.com.\n\nowner\tOffice 365\tivy.invitee\nAction Required\t\t\tRecipient\n\n" +
				"How to Fix It\nThe address may be misspelled or may not exist. Try one or more of the following:\n\n" +
				"Diagnostic information for administrators:\n\nGenerating server: AM7EUR03HT123.eop-EUR03.prod.protection.outlook.com\n\n" +
				invitee + "\nRemote Server returned '" + r.reply() + "'\n"
		},
		perMsg: "Reporting-MTA: dns;AM7EUR03HT123.eop-EUR03.prod.protection.outlook.com\nReceived-From-MTA: dns;mail.grantbook.example\n" +
			"Arrival-Date: Mon, 10 Mar 2025 09:00:02 +0000\n",
		rcpt: func(r reason, final bool) string {
			return "Final-Recipient: rfc822;" + invitee + "\nAction: " + action(final) + "\nStatus: " + r.status + "\n" +
				"Diagnostic-Code: smtp;" + r.reply() + "\n"
		},
		headersOnly: true,
	},
	{name: "exchange-2016",
		head:    head("postmaster@corp.example.net", "f0e1d2c3b4a5@EXCH01.corp.example.net", "X-MS-Exchange-Message-Is-Ndr:\n"),
		subject: subjects("Undeliverable: "+inviteSubj, "Delivery delayed:"+inviteSubj),
		notice: func(r reason, final bool) string {
			if !final {
				return "Delivery is delayed to these recipients or groups:\n\n" + invitee + "\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n"
			}
			return "Delivery has failed to these recipients or groups:\n\n" + invitee + "\nThe email address you entered couldn't be found. " +
				"Please check the recipient's email address and try to resend the message. If the problem continues, please contact your helpdesk.\n\n" +
				"Diagnostic information for administrators:\n\nGenerating server: EXCH01.corp.example.net\n\n" + invitee +
				"\nmx.example.com\nRemote Server returned '" + r.reply() + "'\n\nOriginal message headers:\n\n" + headers()
		},
		perMsg: "Reporting-MTA: dns;EXCH01.corp.example.net\nReceived-From-MTA: dns;mail.grantbook.example\nArrival-Date: Mon, 10 Mar 2025 09:00:02 +0000\n",
		rcpt: func(r reason, final bool) string {
			return "Final-Recipient: rfc822;" + invitee + "\nAction: " + action(final) + "\nStatus: " + r.status + "\n" +
				"Remote-MTA: dns;mx.example.com\nDiagnostic-Code: smtp;" + r.reply() + "\n"
		},
	},
	{name: "gmail",
		head:    head("Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "67cea8b5.050a0220.1a2b3c.0000.GMR@mx.google.com", ""),
		subject: subjects("Delivery Status Notification (Failure)", "Delivery Status Notification (Delay)"),
		notice: func(r reason, final bool) string {
			if !final {
				return "** Delivery incomplete **\n\nThere was a temporary problem delivering your message to " + invitee +
					". Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently.\n\n" +
					"The response from the remote server was:\n" + r.reply() + "\n"
			}
			return "** Message not delivered **\n\nThere was a problem delivering your message to " + invitee +
				". See the technical details below, or try resending in a few minutes.\n\nThe response from the remote server was:\n" + r.reply() + "\n"
		},
		perMsg: "Reporting-MTA: dns; googlemail.com\nArrival-Date: Mon, 10 Mar 2025 01:00:02 -0800 (PST)\nX-Original-Message-ID: <" + msgID + ">\n",
		rcpt: standardRcpt("X-Gmail", "mx.example.com. (192.0.2.25, the server for the domain example.com.)",
			fixed("Last-Attempt-Date: Mon, 10 Mar 2025 01:00:04 -0800 (PST)\n")),
	},
	{name: "courier",
		head:    head("\"Courier mail server at mail.example.org\" <@>", "courier.000000000067CEA8B5.00001234@mail.example.org", ""),
		subject: subjects("NOTICE: mail delivery status.", "WARNING: delayed mail."),
		notice: func(r reason, final bool) string {
			s := "This is a delivery status notification from mail.example.org,\nrunning the Courier mail server, version 1.1.14.\n\n" +
				"The original message was received on Mon, 10 Mar 2025 09:00:02 +0000\nfrom mail.grantbook.example [198.51.100.7]\n\n" +
				"---------------------------------------------------------------------------\n\n"
			if final {
				s += "                           UNDELIVERABLE MAIL\n\nYour message to the following recipients cannot be delivered:\n\n"
			} else {
				s += "                              DELAYED MAIL\n\nYour message to the following recipients has not been delivered yet.\n" +
					"Delivery attempts will continue to be made for 5 days.\n\n"
			}
			return s + "<" + invitee + ">:\n    mx.example.com [192.0.2.25]:\n>>> RCPT TO:<" + invitee + ">\n<<< " + r.reply() + "\n"
		},
		perMsg: "Reporting-MTA: dns; mail.example.org\nArrival-Date: Mon, 10 Mar 2025 09:00:02 +0000\n",
		rcpt:   standardRcpt("x-courier", "mx.example.com", nil),
	},
	{name: "amazonses",
		head:    head("MAILER-DAEMON@amazonses.com", "0100019580a1b2c3-d4e5f6a7-0000-0000-0000-000000000000-000000@email.amazonses.com", ""),
		subject: subjects("Delivery Status Notification (Failure)", ""),
		notice: func(r reason, final bool) string {
			return "An error occurred while trying to deliver the mail to the following recipients:\n" + invitee + "\n"
		},
		perMsg: "Reporting-MTA: dns; a8-12.smtp-out.amazonses.com\n",
		rcpt: func(r reason, final bool) string {
			return "Action: failed\nFinal-Recipient: rfc822; " + invitee + "\nDiagnostic-Code: " + r.dsnType("amazonses") + "; " + r.reply() + "\nStatus: " + r.status + "\n"
		},
	},
	{name: "messagingserver",
		head:    head("Internet Mail Delivery <postmaster@ms.example.net>", "0SRC00A1B2C3D4E5@ms.example.net", ""),
		subject: subjects("Delivery Notification: Delivery has failed", "Delivery Notification: Delivery has been delayed"),
		notice: func(r reason, final bool) string {
			s := "This report relates to a message you sent with the following header fields:\n\n  Message-id: <" + msgID + ">\n" +
				"  Date: Mon, 10 Mar 2025 09:00:00 +0000\n  From: Acme Support <" + owner + ">\n  To: Ivy Invitee <" + invitee + ">\n  Subject: " + inviteSubj + "\n\n"
			if final {
				s += "Your message cannot be delivered to the following recipients:\n\n"
			} else {
				s += "Your message has been delayed and is still awaiting delivery\nto the following recipients:\n\n"
			}
			return s + "  Recipient address: " + invitee + "\n  Reason: Remote SMTP server has rejected address\n  Diagnostic code: smtp;" + r.reply() +
				"\n  Remote system: dns;mx.example.com (TCP|198.51.100.1|47323|192.0.2.25|25)\n"
		},
		perMsg: "Original-envelope-id: 0SRC00A1B2C3D4E5@ms.example.net\nReporting-MTA: dns;ms.example.net (tcp_intranet-daemon)\nArrival-date: Mon, 10 Mar 2025 09:00:02 +0000 (GMT)\n",
		rcpt: func(r reason, final bool) string {
			return "Original-recipient: rfc822;" + invitee + "\nFinal-recipient: rfc822;" + invitee + "\nAction: " + action(final) +
				"\nStatus: " + r.status + " (Remote SMTP server has rejected address)\nRemote-MTA: dns;mx.example.com\nDiagnostic-code: smtp;" + r.reply() + "\n"
		},
	},
	{name: "powermta",
		head:    head("MAILER-DAEMON@pmta.mailer.example", "pmta.1741597205.1234@pmta.mailer.example", ""),
		subject: subjects("Delivery report", ""),
		notice:  func(r reason, final bool) string { return "This is a delivery status notification.\n" },
		perMsg:  "Reporting-MTA: dns; pmta.mailer.example\nReceived-From-MTA: dns; mail.grantbook.example (198.51.100.7)\nArrival-Date: Mon, 10 Mar 2025 09:00:02 +0000\n",
		rcpt:    standardRcpt("X-PowerMTA", "mx.example.com", fixed(fmt.Sprintf("X-PowerMTA-BounceCategory: %s\n", "bad-mailbox"))),
	},
	{name: "mimecast",
		head:    head("Mimecast Postmaster <postmaster@eu.mimecast.com>", "dsn.mc1234567890@eu-smtp-inbound-1.mimecast.com", ""),
		subject: subjects("Delivery Status Notification (Failure)", ""),
		notice: func(r reason, final bool) string {
			return "Your message couldn't be delivered to the recipients shown below.\n\nRecipient: " + invitee + "\nReason: " + r.reply() + "\n"
		},
		perMsg: "Reporting-MTA: dns; eu-smtp-inbound-1.mimecast.com\n",
		rcpt:   standardRcpt("X-Mimecast", "mx.example.com", nil),
	},
}
