package main

import "strings"

// Windows mail servers and a few localised notices.
var windowsMTAs = []plainMTA{
	{name: "mdaemon", final: finals[:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Permanent Delivery Failure", from: "MDaemon@mail.example.com", attach: true,
			text: "The attached message had PERMANENT fatal delivery errors!\n\nAfter one or more unsuccessful delivery attempts the attached message has been removed from\n" +
				"the mail queue on this server.  The number and frequency of delivery attempts are determined by local configuration parameters.\n\n" +
				"YOU SHOULD NOT RESEND THIS MESSAGE AS-IS; an error occurred which prevented its delivery.\n\n--- Session Transcript ---\n" +
				" Mon 2025-03-10 09:00:04.123: Parsing message <pd20.msg>\n Mon 2025-03-10 09:00:04.456: --> RCPT TO:<" + invitee + ">\n" +
				" Mon 2025-03-10 09:00:04.789: <-- " + remoteSaid(r) + "\n--- End Transcript ---\n"}
	}},
	{name: "mailenable", final: finals[:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Message Delivery Failure", from: "\"Mail Administrator\" <postmaster@me.example.com>", attach: true,
			text: "MailEnable: Message could not be delivered to some recipients.\n\nThe following recipient(s) could not be reached:\n\n" +
				"\tRecipient: [SMTP:" + invitee + "]\n\tReason: Remote SMTP Server Returned: " + remoteSaid(r) + "\n"}
	}},
	{name: "hmailserver", final: finals[:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Message undeliverable: " + inviteSubj, from: "mailer-daemon@hmail.example.com", attach: true,
			text: "Your message did not reach some or all of the intended recipients.\n\n   Sent: Mon, 10 Mar 2025 09:00:00 +0000\n   Subject: " + inviteSubj +
				"\n\nThe following recipient(s) could not be reached:\n\n" + invitee + "\n   Error Type: SMTP\n   Remote server (192.0.2.25) issued an error.\n" +
				"   hMailServer sent: RCPT TO:<" + invitee + ">\n   Remote server replied: " + remoteSaid(r) + "\n\nhMailServer\n"}
	}},
	{name: "postfix-2.1", final: finals[:4], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Undelivered Mail Returned to Sender", from: "MAILER-DAEMON@old.example.org (Mail Delivery System)", attach: true,
			text: "This is the Postfix program at host old.example.org.\n\nI'm sorry to have to inform you that the message returned\nbelow could not be delivered to one or more destinations.\n\n" +
				"For further assistance, please send mail to <postmaster>\n\n\t\t\tThe Postfix program\n\n<" + invitee + ">: host mx.example.com[192.0.2.25] said: " + remoteSaid(r) + "\n"}
	}},
	{name: "groupwise", final: []reason{
		{"unknown", "", "", "%s (user unknown)", "user unknown"},
		{"host", "", "", "%s (host not found)", "host not found"},
	}, make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Undeliverable mail", from: "Mail Delivery System <postmaster@gw.example.edu>",
			text: "The message that you sent was undeliverable to the following:\n\t" + r.line() + "\n\nPossible causes:\n\tA typing error in the address\n\n" +
				"Original message follows.\n\n" + ret}
	}},
	{name: "kerio", final: finals[:3], make: func(r reason, final bool, ret string) notice {
		return notice{subject: "Undelivered mail: " + inviteSubj, from: "Mail Delivery Subsystem <postmaster@kerio.example.com>", attach: true,
			text: "Your message did not reach some or all of the intended recipients.\n\n   Subject: " + inviteSubj + "\n   Sent: 10.3.2025 10:00\n\n" +
				"The following recipient(s) could not be reached:\n\n   " + invitee + "\n      Error Type: SMTP\n      Remote server replied: " + remoteSaid(r) + "\n"}
	}},
}

// localised are notices in the sender's language; the diagnostic is the
// remote server's reply all the same.
var localised = []struct{ lang, subject, intro string }{
	{"de", "Unzustellbar: " + inviteSubj, "Die Nachricht konnte nicht zugestellt werden.\nDie Übermittlung an folgende Empfänger ist endgültig fehlgeschlagen:"},
	{"fr", "Non remis : " + inviteSubj, "Votre message n'a pas pu être remis.\nÉchec de la remise à ces destinataires ou groupes :"},
	{"es", "No se puede entregar: " + inviteSubj, "Su mensaje no pudo ser entregado.\nError en la entrega a estos destinatarios o grupos:"},
	{"it", "Non recapitabile: " + inviteSubj, "Non è stato possibile recapitare il messaggio.\nRecapito non riuscito a questi destinatari o gruppi:"},
	{"nl", "Onbestelbaar: " + inviteSubj, "Uw bericht kon niet worden bezorgd.\nDe bezorging bij deze ontvangers of groepen is mislukt:"},
	{"pt", "Não é possível entregar: " + inviteSubj, "Não foi possível entregar a sua mensagem.\nFalha na entrega para estes destinatários ou grupos:"},
	{"ru", "Не доставлено: " + inviteSubj, "Ваше письмо не может быть доставлено одному или нескольким получателям:"},
	{"ja", "配信不能: " + inviteSubj, "次の受信者またはグループへの配信に失敗しました:"},
	{"zh", "退信: " + inviteSubj, "很抱歉，您发送的邮件无法投递到以下收件人："},
	{"sv", "Olevererbart: " + inviteSubj, "Det gick inte att leverera meddelandet till följande mottagare:"},
}

func localisedMTAs() []plainMTA {
	var out []plainMTA
	for _, l := range localised {
		l := l
		out = append(out, plainMTA{name: "localised-" + l.lang, final: finals[:1], make: func(r reason, final bool, ret string) notice {
			return notice{subject: mimeWord(l.subject), from: "postmaster@mail.example." + l.lang, attach: true,
				text: l.intro + "\n\n" + invitee + "\n" + strings.Repeat("-", 20) + "\nRemote Server returned '" + r.reply() + "'\n"}
		}})
	}
	return out
}

func init() {
	plainMTAs = append(plainMTAs, moreMTAs...)
	plainMTAs = append(plainMTAs, windowsMTAs...)
	plainMTAs = append(plainMTAs, localisedMTAs()...)
}
