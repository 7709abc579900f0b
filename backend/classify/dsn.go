package classify

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// isDSN reports a top-level multipart/report of delivery status.
func (m *parsedMessage) isDSN() bool {
	if m.mediaType != "multipart/report" {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(m.params["report-type"])) {
	case "delivery-status", "global-delivery-status":
		return true
	}
	return false
}

// dsnRecipient is one per-recipient block of a delivery-status part.
type dsnRecipient struct {
	final, original string // addresses, type prefix removed
	action          string // lower-cased first word
	status          string // e.g. "5.1.1"
	diagnostic      string // Diagnostic-Code without its type
}

func (r dsnRecipient) failed() bool {
	if r.action != "failed" {
		return false
	}
	return r.status == "" || r.status[0] == '5' || (r.status[0] != '2' && r.status[0] != '4')
}

func (r dsnRecipient) delayed() bool {
	return r.action == "delayed" || (r.status != "" && r.status[0] == '4')
}

func (r dsnRecipient) diag() string {
	if r.diagnostic != "" {
		return r.diagnostic
	}
	if r.status != "" {
		return r.status
	}
	return "delivery failed"
}

func (c *classifier) classifyDSN(m *parsedMessage, res Result) Result {
	var recips []dsnRecipient
	var returnedIDs []string
	var reportText strings.Builder
	for _, l := range m.leaves {
		switch l.mediaType {
		case "message/delivery-status", "message/global-delivery-status":
			recips = append(recips, parseDeliveryStatus(l.text())...)
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			br := bufio.NewReader(bytes.NewReader(l.body))
			h, _ := textproto.ReadHeader(br) // partial headers are fine here
			returnedIDs = append(returnedIDs, msgIDs(h.Values("Message-Id"))...)
		}
		reportText.WriteString(l.text())
		reportText.WriteString("\n")
	}

	inv := c.byIDs(returnedIDs)
	if inv == nil {
		inv = c.byTokens(reportTokens(reportText.String()))
	}
	if inv == nil {
		inv = c.byTokens(plusTokensOf(m.header))
	}
	if inv != nil {
		res.Token = inv.Token
	}

	var failed, delayed *dsnRecipient
	want := ""
	if inv != nil {
		want = normalizeAddr(inv.Email)
	}
	for i := range recips {
		r := &recips[i]
		matches := want != "" && (asciiLower(r.final) == want || asciiLower(r.original) == want)
		switch {
		case r.failed():
			if failed == nil || matches {
				failed = r
			}
		case r.delayed():
			if delayed == nil {
				delayed = r
			}
		}
	}
	switch {
	case failed != nil:
		res.Diagnostic = failed.diag()
		who := failed.final
		if who == "" {
			who = failed.original
		}
		if inv == nil {
			res.Verdict, res.Reason = Ignore, "bounce not related to an invitation"
			return res
		}
		res.Verdict = Bounce
		res.Reason = "delivery failed"
		if who != "" {
			res.Reason += " for " + who
		}
		if failed.status != "" {
			res.Reason += " (" + failed.status + ")"
		}
		return res
	case delayed != nil:
		res.Verdict, res.Reason = Ignore, "delivery delayed"
		if delayed.status != "" {
			res.Reason += " (" + delayed.status + ")"
		}
		return res
	case len(recips) == 0:
		res.Verdict, res.Reason = Ignore, "delivery report without recipient status"
		return res
	default:
		res.Verdict, res.Reason = Ignore, "delivery report without failure (action: "+clip(recips[0].action)+")"
		return res
	}
}

// parseDeliveryStatus parses the blocks of a message/delivery-status body
// (RFC 3464): per-message fields, then per-recipient fields, separated by
// blank lines. Only blocks with Action, Status or Final-Recipient are kept.
func parseDeliveryStatus(s string) []dsnRecipient {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []dsnRecipient
	for _, block := range splitBlocks(s) {
		fields := parseFields(block)
		if fields["action"] == "" && fields["status"] == "" && fields["final-recipient"] == "" {
			continue
		}
		r := dsnRecipient{
			final:      addrOfTyped(fields["final-recipient"]),
			original:   addrOfTyped(fields["original-recipient"]),
			action:     firstWord(fields["action"]),
			diagnostic: clipLong(stripType(fields["diagnostic-code"])),
		}
		if st := strings.Fields(fields["status"]); len(st) > 0 {
			r.status = clip(st[0])
		}
		out = append(out, r)
		if len(out) >= 100 {
			break
		}
	}
	return out
}

func splitBlocks(s string) []string {
	var blocks []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				blocks = append(blocks, strings.Join(cur, "\n"))
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		blocks = append(blocks, strings.Join(cur, "\n"))
	}
	return blocks
}

// parseFields parses "Key: value" lines with continuation lines; keys are
// lower-cased, the first occurrence wins.
func parseFields(block string) map[string]string {
	fields := map[string]string{}
	key := ""
	for _, line := range strings.Split(block, "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if key != "" && len(fields[key]) < 4096 {
				fields[key] += " " + strings.TrimSpace(line)
			}
			continue
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 {
			key = ""
			continue
		}
		k := strings.ToLower(strings.TrimSpace(line[:i]))
		if _, dup := fields[k]; dup {
			key = ""
			continue
		}
		key = k
		fields[k] = strings.TrimSpace(line[i+1:])
	}
	return fields
}

// stripType removes an RFC 3464 type prefix such as "smtp;" or "rfc822;".
func stripType(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i > 0 && !strings.ContainsAny(strings.TrimSpace(v[:i]), " \t") {
		v = v[i+1:]
	}
	return strings.Join(strings.Fields(v), " ")
}

func addrOfTyped(v string) string {
	a := strings.Trim(stripType(v), "<> ")
	return clip(a)
}

// clipLong shortens a diagnostic to a sane length.
func clipLong(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= 500 {
		return s
	}
	r := []rune(s)
	if len(r) > 500 {
		r = r[:500]
	}
	return string(r) + "…"
}
