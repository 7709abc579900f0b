package main

import "fmt"

// Automatic replies to the invitation, threaded to it like a reply. None
// of them may grant.

// autoReply builds one: the invitee's address, In-Reply-To the invitation,
// the given header fields and subject.
func autoReply(name, subject, fields, body, reason string) {
	raw := "Return-Path: <" + invitee + ">\nDelivered-To: " + replyTo + "\n" +
		"Authentication-Results: " + servID + "; dkim=pass header.d=example.com; dmarc=pass header.from=example.com\n" +
		"Date: Mon, 10 Mar 2025 09:00:07 +0000\nFrom: Ivy Invitee <" + invitee + ">\nTo: Acme Support <" + replyTo + ">\n" +
		"Subject: " + mimeWord(subject) + "\nMessage-ID: <auto." + name + "@mail.example.com>\nIn-Reply-To: <" + msgID + ">\n" +
		"References: <" + msgID + ">\n" + fields + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body
	add(entry{dir: "autoreply", name: name, raw: raw, verdict: "reject", diag: reason})
}

const away = "Thank you for your message. I am out of the office until Monday 17 March with limited access to email.\n\nIvy\n"

// oofSubjects are Outlook's "Automatic reply" in the languages it ships.
var oofSubjects = []struct{ lang, prefix string }{
	{"en", "Automatic reply: "}, {"de", "Automatische Antwort: "}, {"fr", "Réponse automatique : "},
	{"es", "Respuesta automática: "}, {"it", "Risposta automatica: "}, {"nl", "Automatisch antwoord: "},
	{"pt", "Resposta automática: "}, {"sv", "Automatiskt svar: "}, {"da", "Automatisk svar: "},
	{"fi", "Automaattinen vastaus: "}, {"pl", "Automatyczna odpowiedź: "}, {"cs", "Automatická odpověď: "},
	{"hu", "Automatikus válasz: "}, {"ro", "Răspuns automat: "}, {"ru", "Автоматический ответ: "},
	{"uk", "Автоматична відповідь: "}, {"bg", "Автоматичен отговор: "}, {"el", "Αυτόματη απάντηση: "},
	{"tr", "Otomatik yanıt: "}, {"ja", "自動応答: "}, {"zh-cn", "自动回复: "}, {"zh-tw", "自動回覆: "},
	{"ko", "자동 회신: "}, {"he", "תשובה אוטומטית: "}, {"ar", "رد تلقائي: "}, {"th", "ตอบกลับอัตโนมัติ: "},
	{"vi", "Trả lời tự động: "}, {"id", "Balasan otomatis: "},
}

// oldSubjects are out-of-office subjects of older or other systems.
var oldSubjects = []struct{ name, subject string }{
	{"exchange2003-oof", "Out of Office AutoReply: " + inviteSubj},
	{"exchange-oof-short", "Out of Office: " + inviteSubj},
	{"lotus-notes", "Out of the office: " + inviteSubj},
	{"de-abwesenheit", "Abwesenheitsnotiz: " + inviteSubj},
	{"de-nicht-im-buero", "Nicht im Büro: " + inviteSubj},
	{"fr-absent", "Absent du bureau : " + inviteSubj},
	{"es-fuera", "Fuera de la oficina: " + inviteSubj},
	{"it-fuori-sede", "Fuori sede: " + inviteSubj},
	{"nl-afwezig", "Afwezig: " + inviteSubj},
	{"pt-ausencia", "Ausência temporária: " + inviteSubj},
	{"no-fravaer", "Fraværsmelding: " + inviteSubj},
	{"yandex", "Автоответ: " + inviteSubj},
	{"qq", "自动回复：" + inviteSubj},
	{"naver", "부재중: " + inviteSubj},
	{"cyrus-sieve", "Auto: " + inviteSubj},
	{"yahoo", "Auto Response"},
	{"vacation-away", "Away: " + inviteSubj},
	{"holiday", "On holiday until 17 March"},
	{"bracketed", "[Auto-Reply] " + inviteSubj},
}

func autoCorpus() {
	// Apple iCloud: no Auto-Submitted, only its own field and the subject.
	autoReply("apple-icloud-vacation", "Auto reply: "+inviteSubj, "X-Apple-Action: VACATION\nX-Mailer: iCloud MailClient2401 MailServer2401\n", away, "auto-reply")
	autoReply("apple-icloud-header-only", "Re: "+inviteSubj, "X-Apple-Action: VACATION\n", away, "X-Apple-Action")
	autoReply("apple-icloud-subject-only", "Auto reply: "+inviteSubj, "", away, "Subject: Auto reply")
	for _, s := range oofSubjects {
		// As Exchange sends it, and as it arrives when a gateway dropped the fields.
		autoReply("outlook-oof-"+s.lang, s.prefix+inviteSubj, "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: "+invitee+
			"\nX-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\nThread-Topic: "+mimeWord(inviteSubj)+"\n", away, "auto-reply")
		autoReply("outlook-oof-subject-only-"+s.lang, s.prefix+inviteSubj, "", away, "Subject:")
	}
	for _, s := range oldSubjects {
		autoReply("subject-"+s.name, s.subject, "", away, "Subject:")
	}
	fields := []struct{ name, fields, reason string }{
		{"gmail-vacation", "Auto-Submitted: auto-replied\nX-Google-Smtp-Source: AGHT+IE0abc\n", "Auto-Submitted: auto-replied"},
		{"google-workspace", "Auto-Submitted: auto-replied\nPrecedence: bulk\n", "Auto-Submitted"},
		{"exchange-2016-oof", "Auto-Submitted: auto-generated\nX-MS-Exchange-Inbox-Rules-Loop: " + invitee + "\n", "Auto-Submitted: auto-generated"},
		{"zimbra-vacation", "Auto-Submitted: auto-replied (zimbra; vacation)\n", "zimbra; vacation"},
		{"sieve-vacation", "Auto-Submitted: auto-replied (vacation)\nX-Sieve: Pigeonhole Sieve 0.5.19\n", "vacation"},
		{"auto-notified", "Auto-Submitted: auto-notified\n", "auto-notified"},
		{"cpanel-autoresponder", "X-Autorespond: " + invitee + "\nPrecedence: auto_reply\nX-Precedence: auto_reply\n", "X-Autorespond"},
		{"boxtrapper", "Preference: auto_reply\nX-Precedence: auto_reply\n", "auto_reply"},
		{"postfixadmin-vacation", "X-Loop: Postfix Admin Virtual Vacation\nPrecedence: junk\n", "Precedence: junk"},
		{"bsd-vacation", "Precedence: bulk\nX-Mailer: vacation 1.2.7\n", "Precedence: bulk"},
		{"x-autoreply", "X-Autoreply: yes\n", "X-Autoreply"},
		{"x-autoresponse", "X-Autoresponse: out of office\n", "X-Autoresponse"},
		{"x-autoresponder", "X-Autoresponder: true\n", "X-Autoresponder"},
		{"x-auto-reply", "X-Auto-Reply: yes\n", "X-Auto-Reply"},
		{"x-mail-autoreply", "X-Mail-Autoreply: yes\nX-AutoReply-From: " + invitee + "\n", "auto-reply"},
		{"communigate", "X-Autogenerated: Reply\n", "X-Autogenerated"},
		{"x-vacation", "X-Vacation: yes\n", "X-Vacation"},
		{"firstclass", "X-FC-MachineGenerated: true\n", "X-FC-MachineGenerated"},
		{"mailtraq", "X-POST-MessageClass: 9; Autoresponder\n", "X-POST-MessageClass"},
		{"qmail-autoresponder", "Delivered-To: Autoresponder\n", "Autoresponder"},
		{"null-return-path", "Return-Path: <>\n", "Return-Path: <>"},
		{"mailing-list", "List-Id: <clients.lists.example.com>\n", "List-Id"},
	}
	for _, f := range fields {
		autoReply("fields-"+f.name, "Re: "+inviteSubj, f.fields, away, f.reason)
	}
	// A read receipt is a report, not a reply.
	raw := "Return-Path: <" + invitee + ">\nDate: Mon, 10 Mar 2025 09:10:00 +0000\nFrom: Ivy Invitee <" + invitee + ">\nTo: " + replyTo +
		"\nSubject: Read: " + inviteSubj + "\nMessage-ID: <mdn.1@mail.example.com>\nIn-Reply-To: <" + msgID + ">\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/report; report-type=disposition-notification; boundary=\"mdn\"\n\n--mdn\nContent-Type: text/plain\n\n" +
		"Your message was read on Monday 10 March 2025 09:09.\n--mdn\nContent-Type: message/disposition-notification\n\n" +
		fmt.Sprintf("Reporting-UA: mail.example.com; Microsoft Outlook 16.0\nFinal-Recipient: rfc822;%s\nOriginal-Message-ID: <%s>\n", invitee, msgID) +
		"Disposition: manual-action/MDN-sent-manually; displayed\n--mdn--\n"
	add(entry{dir: "autoreply", name: "read-receipt-outlook", raw: raw, verdict: "reject", diag: "disposition-notification"})
}
