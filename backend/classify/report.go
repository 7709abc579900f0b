package classify

import (
	"bufio"
	"crypto/subtle"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// reportInvitation finds the invitation a delivery report is about: by the
// Message-ID of the returned message (its own header, or a Message-ID line
// in returned text), else a token in the returned text, else anywhere in
// the report, else the plus token the report was delivered to.
func (c *classifier) reportInvitation(m *parsedMessage, returned, report string) *Invitation {
	var ids []string
	for _, l := range m.leaves {
		switch l.mediaType {
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			h, _ := textproto.ReadHeader(bufio.NewReader(strings.NewReader(l.text()))) // partial headers are fine
			ids = append(ids, msgIDs(h.Values("Message-Id"))...)
		}
	}
	ids = append(ids, textMessageIDs(returned)...)
	if inv := c.byIDs(dedupe(ids)); inv != nil {
		return inv
	}
	if inv := c.byTokens(reportTokens(returned)); inv != nil {
		return inv
	}
	if inv := c.byIDs(textMessageIDs(report)); inv != nil {
		return inv
	}
	if inv := c.byTokens(reportTokens(report)); inv != nil {
		return inv
	}
	return c.byTokens(plusTokensOf(m.header))
}

// reportOutcome turns a failure or a delay for recipient who into the
// result. A report about no invitation is ignored.
func (c *classifier) reportOutcome(m *parsedMessage, res Result, inv *Invitation, v Verdict, who, status, diag string) Result {
	what := "delivery failed"
	if v == Delayed {
		what = "delivery delayed"
	}
	if inv == nil {
		res.Verdict, res.Reason = Ignore, what+": report not related to an invitation"
		return res
	}
	res.Token, res.Verdict, res.Reason = inv.Token, v, what
	if who != "" {
		res.Reason += " for " + clip(who)
	}
	if status != "" {
		res.Reason += " (" + clip(status) + ")"
	}
	res.Diagnostic = clipLong(diag)
	res.ReturnPath = reachedReturnPath(m, inv)
	return res
}

// reachedReturnPath reports whether the report was delivered to the
// return path Grantbook gave the invitation message. The tag is an HMAC
// of the message's Message-ID: only the mail systems that carried the
// invitation have seen it, so anyone else cannot address a report there.
func reachedReturnPath(m *parsedMessage, inv *Invitation) bool {
	want := strings.ToLower(inv.ReturnTag)
	if want == "" {
		return false
	}
	for _, tag := range returnTags(m.header) {
		if subtle.ConstantTimeCompare([]byte(tag), []byte(want)) == 1 {
			return true
		}
	}
	return false
}
