package classify

import (
	"strings"
	"testing"
	"time"
)

// TestHostileInputs feeds large, pathological messages and checks that each
// is classified quickly and without granting.
func TestHostileInputs(t *testing.T) {
	big := func(s string, n int) string { return strings.Repeat(s, n) }
	nested := func(depth int) string {
		var b strings.Builder
		for i := 0; i < depth; i++ {
			b.WriteString("--b\nContent-Type: multipart/mixed; boundary=b\n\n")
		}
		b.WriteString("--b\nContent-Type: text/plain\n\nNo.\n")
		return b.String()
	}
	inputs := map[string][]byte{
		"unclosed titles":     reply(tokSent).set("Content-Type", "text/html").text(big("<title>", 500000)).bytes(),
		"unclosed blockquote": reply(tokSent).set("Content-Type", "text/html").text(big("<blockquote>", 300000) + "No").bytes(),
		"unclosed tag quote":  reply(tokSent).set("Content-Type", "text/html").text(big("<a title=\"x", 300000)).bytes(),
		"attribution lines":   reply(tokSent).text(big("On x\n", 800000)).bytes(),
		"outlook From lines":  reply(tokSent).text(big("From: x\n", 500000)).bytes(),
		"one huge line":       reply(tokSent).text(big("n", 4<<20)).bytes(),
		"many tokens":         reply(tokSent).del("In-Reply-To").del("References").set("To", owner).text(big("code "+tokUnknown+" ", 150000)).bytes(),
		"many references":     reply(tokUnknown).set("References", big("<a@b> ", 150000)).bytes(),
		"many From addresses": reply(tokSent).set("From", big(invitee+", ", 20000)).bytes(),
		"many header fields":  reply(tokSent).set("X-Filler", big("x", 100)+"\r\n"+big("X-Filler: y\r\n", 60000)+"X-End: 1").bytes(),
		"deep multipart":      reply(tokSent).set("Content-Type", "multipart/mixed; boundary=b").text(nested(5000)).bytes(),
		"many parts":          reply(tokSent).set("Content-Type", "multipart/mixed; boundary=b").text(big("--b\n\nNo.\n", 200000)).bytes(),
		"huge auth results":   reply(tokSent).prepend("Authentication-Results", ourServID+big("; dkim=pass header.d=x", 30000)).bytes(),
		"huge DSN":            dsn(tokSent, big("Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; x\n  "+big("y", 50)+"\n\n", 30000), "").bytes(),
		"comments":            reply(tokSent).set("Return-Path", big("(", 200000)+big(")", 200000)).bytes(),
	}
	for name, raw := range inputs {
		start := time.Now()
		res := mustClassify(t, raw, newLookup(), testCfg)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if strings.HasPrefix(res.Reason, "internal error") {
			t.Errorf("%s: %s", name, res.Reason)
		}
		if name == "many From addresses" && res.Verdict == Accept {
			t.Errorf("%s: accepted", name)
		}
		t.Logf("%-20s %-8s %v %.80q", name, res.Verdict, time.Since(start).Round(time.Millisecond), res.Reason)
	}
}
