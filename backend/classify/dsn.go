package classify

import (
	"strings"
)

// isDSN reports a delivery status notification: a multipart/report of
// delivery status (RFC 6522, RFC 3464, RFC 6533), or any message carrying a
// message/delivery-status part (some MTAs wrap it in multipart/mixed).
func (m *parsedMessage) isDSN() bool {
	if m.mediaType == "multipart/report" {
		switch strings.ToLower(strings.TrimSpace(m.params["report-type"])) {
		case "delivery-status", "global-delivery-status":
			return true
		}
	}
	for _, l := range m.leaves {
		if l.mediaType == "message/delivery-status" || l.mediaType == "message/global-delivery-status" {
			return true
		}
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

// failed: the MTA gave up (RFC 3464 "failed", whatever the status class,
// e.g. 4.4.7 delivery time expired), or a 5.x.x status without an Action.
func (r dsnRecipient) failed() bool {
	return r.action == "failed" || (r.action == "" && statusClass(r.status) == '5')
}

// delayed: the MTA is still trying.
func (r dsnRecipient) delayed() bool {
	return r.action == "delayed" || (r.action == "" && statusClass(r.status) == '4')
}

func statusClass(status string) byte {
	if len(status) >= 2 && status[1] == '.' {
		return status[0]
	}
	return 0
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

func (r dsnRecipient) who() string {
	if r.final != "" {
		return r.final
	}
	return r.original
}

func (c *classifier) classifyDSN(m *parsedMessage, res Result) Result {
	var recips []dsnRecipient
	var returned, report strings.Builder
	for _, l := range m.leaves {
		switch l.mediaType {
		case "message/delivery-status", "message/global-delivery-status":
			recips = append(recips, parseDeliveryStatus(l.text())...)
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			returned.WriteString(l.text())
			returned.WriteString("\n")
		}
		report.WriteString(l.text())
		report.WriteString("\n")
	}
	inv := c.reportInvitation(m, returned.String(), report.String())
	want := ""
	if inv != nil {
		want = normalizeAddr(inv.Email)
	}
	var failed, delayed *dsnRecipient
	for i := range recips {
		r := &recips[i]
		matches := want != "" && (asciiLower(r.final) == want || asciiLower(r.original) == want)
		switch {
		case r.failed():
			if failed == nil || matches {
				failed = r
			}
		case r.delayed():
			if delayed == nil || matches {
				delayed = r
			}
		}
	}
	switch {
	case failed != nil:
		return c.reportOutcome(m, res, inv, Bounce, failed.who(), failed.status, failed.diag())
	case delayed != nil:
		return c.reportOutcome(m, res, inv, Delayed, delayed.who(), delayed.status, delayed.diag())
	}
	// No recipient block at all ("Delivery report unavailable", a
	// truncated report): the human-readable part may still say it.
	if len(recips) == 0 {
		notice, _ := m.noticeParts()
		if v := textKind(notice); v != "" {
			return c.noticeOutcome(m, res, inv, v, notice)
		}
	}
	switch {
	case len(recips) == 0:
		res.Verdict, res.Reason = Ignore, "delivery report without recipient status"
	default:
		res.Verdict, res.Reason = Ignore, "delivery report without failure (action: "+clip(recips[0].action)+")"
	}
	if inv != nil {
		res.Token = inv.Token
	}
	return res
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
