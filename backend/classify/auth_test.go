package classify

import "strings"

// authCases: only a positive result from our own receiving server (the
// topmost Authentication-Results fields with exactly ourServID) verifies
// the sender; everything else leaves the reply unverified.
func authCases(add func(tcase)) {
	ar := func(vals ...string) []byte {
		m := reply(tokSent)
		for i := len(vals) - 1; i >= 0; i-- {
			k, v, _ := strings.Cut(vals[i], ": ")
			m.prepend(k, v)
		}
		return m.bytes()
	}
	pass := func(name string, raw []byte, auth string) {
		add(tcase{name: "verified: " + name, want: Accept, token: tokSent, authed: "yes", auth: auth, raw: raw})
	}
	unverified := func(name string, raw []byte, auth string) {
		add(tcase{name: "unverified: " + name, want: Accept, token: tokSent, authed: "no", auth: auth, raw: raw})
	}
	const A = "Authentication-Results: "
	pass("dmarc=pass", ar(A+ourServID+"; dmarc=pass (p=none) header.from=example.com"), "DMARC pass")
	pass("all pass, folded, with comments", ar(A+ourServID+";\r\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com;\r\n\tspf=pass (domain of invitee@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=example.com;\r\n\tdmarc=pass (p=none) header.from=example.com"), "pass")
	pass("dkim=pass aligned by header.d", ar(A+ourServID+"; dkim=pass header.d=example.com header.s=sel"), "DKIM pass for example.com")
	pass("dkim=pass aligned by header.i only", ar(A+ourServID+"; dkim=pass header.i=@example.com"), "DKIM pass")
	pass("dkim=pass of a subdomain (relaxed alignment)", ar(A+ourServID+"; dkim=pass header.d=mail.example.com"), "DKIM pass for mail.example.com")
	pass("spf=pass aligned", ar(A+ourServID+"; spf=pass smtp.mailfrom=invitee@example.com"), "SPF pass for example.com")
	pass("spf=pass of a bounce subdomain", ar(A+ourServID+"; spf=pass smtp.mailfrom=bounces.example.com"), "SPF pass")
	pass("dmarc=pass although dkim failed", ar(A+ourServID+"; dkim=fail header.d=example.com; dmarc=pass header.from=example.com"), "DMARC pass")
	pass("with a version", ar(A+ourServID+" 1; dmarc=pass header.from=example.com"), "DMARC pass")
	pass("two adjacent fields of our server", ar(A+ourServID+"; dkim=none", A+ourServID+"; dmarc=pass header.from=example.com"), "DMARC pass")
	pass("our field below an internal filter's", ar(A+"spamfilter.internal; x-spam=pass", A+ourServID+"; dmarc=pass header.from=example.com"), "DMARC pass")

	add(tcase{name: "unverified: no trusted authserv-id configured", want: Accept, token: tokSent, authed: "no", auth: "no trusted authserv-id",
		cfg: &Config{Now: testNow}, raw: ar(A + ourServID + "; dmarc=pass header.from=example.com")})
	unverified("no Authentication-Results at all", reply(tokSent).bytes(), "no Authentication-Results header from "+ourServID)
	unverified("dmarc=none", ar(A+ourServID+"; dmarc=none header.from=example.com"), "dmarc=none")
	unverified("spf=softfail", ar(A+ourServID+"; spf=softfail smtp.mailfrom=example.com"), "spf=softfail")
	unverified("spf=neutral, dkim=none", ar(A+ourServID+"; spf=neutral smtp.mailfrom=example.com; dkim=none"), "spf=neutral")
	unverified("dmarc=fail", ar(A+ourServID+"; dkim=none; spf=softfail smtp.mailfrom=example.com; dmarc=fail (p=reject dis=none) header.from=example.com"), "dmarc=fail")
	unverified("dkim=fail", ar(A+ourServID+" 1; dkim=fail (signature verification failed) header.d=example.com header.i=@example.com"), "dkim=fail")
	unverified("spf=fail", ar(A+ourServID+"; spf=fail smtp.mailfrom=example.com"), "spf=fail")
	unverified("dkim=pass for another domain", ar(A+ourServID+"; dkim=pass header.d=lists.example.org"), "not the sender's domain")
	unverified("spf=pass for another domain", ar(A+ourServID+"; spf=pass smtp.mailfrom=bounce.mailer.example.net"), "not the sender's domain")
	unverified("dmarc=pass for another From domain", ar(A+ourServID+"; dmarc=pass header.from=attacker.example"), "dmarc=pass")
	unverified("look-alike public suffix sibling", ar(A+ourServID+"; dkim=pass header.d=example.co.uk"), "not the sender's domain")
	unverified("pass from another authserv-id", ar(A+"mx.attacker.example; dmarc=pass header.from=example.com"), "no Authentication-Results header from")
	unverified("pass from a look-alike authserv-id", ar(A+ourServID+".attacker.example; dmarc=pass header.from=example.com"), "no Authentication-Results header from")
	unverified("case variant of the authserv-id", ar(A+strings.ToUpper(ourServID)+"; dmarc=pass header.from=example.com"), "no Authentication-Results header from")
	unverified("quoted authserv-id", ar(A+`"`+ourServID+`"; dmarc=pass header.from=example.com`), "no Authentication-Results header from")
	unverified("forged pass lower in the header", ar(A+ourServID+"; dkim=fail header.d=example.com; dmarc=fail header.from=example.com",
		"Received: from mx.attacker.example by "+ourServID, A+ourServID+"; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"), "dmarc=fail")
	unverified("forged pass below an unrelated field", ar(A+ourServID+"; dmarc=none header.from=example.com",
		"X-Something: x", A+ourServID+"; dmarc=pass header.from=example.com"), "dmarc=none")
	unverified("unknown version", ar(A+ourServID+" 2; dmarc=pass header.from=example.com"), "no Authentication-Results header from")
	unverified("unreadable results", ar(A+ourServID+"; dmarc"), "unreadable")
	unverified("none", ar(A+ourServID+"; none"), "no DMARC, DKIM or SPF result")
	unverified("pass in a returned attachment only", reply(tokSent).set("Content-Type", `multipart/mixed; boundary="m"`).del("Content-Transfer-Encoding").
		text("--m\nContent-Type: text/plain\n\nYes!\n--m\nContent-Type: message/rfc822\n\nAuthentication-Results: "+ourServID+"; dmarc=pass header.from=example.com\nFrom: "+invitee+"\n\nhi\n--m--\n").bytes(), "no Authentication-Results header from")

	// A decline is verified the same way.
	add(tcase{name: "verified decline", want: Decline, token: tokSent, authed: "yes",
		raw: reply(tokSent).prepend("Authentication-Results", ourServID+"; dmarc=pass header.from=example.com").text("No, thanks.\n").bytes()})
	add(tcase{name: "unverified decline", want: Decline, token: tokSent, authed: "no", raw: reply(tokSent).text("No, thanks.\n").bytes()})
}
