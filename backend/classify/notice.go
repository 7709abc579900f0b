package classify

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// Plain-text failure notices: the bounces of qmail, Exim, Sendmail, older
// Exchange, Domino, Yahoo, Gmail and many others send no multipart/report.
// They are recognised by who sends them (the mail system) and by their
// structure: a notice in the mail system's own words, then the returned
// original, which names the invitation. The marker lists are in noticewords.go.

// isFailureNotice reports a message from the mail system that reads like a
// failure or delay notice.
func (m *parsedMessage) isFailureNotice() bool {
	if !m.fromMailSystem() {
		return false
	}
	if m.header.Has("X-Failed-Recipients") || hasAny(strings.ToLower(m.rawSubject), noticeSubjects) {
		return true
	}
	notice, _ := m.noticeParts()
	n := flat(notice)
	return hasAny(n, noticeIntros) || hasAny(n, hardFinalMarkers) || hasAny(n, delayMarkers) || hasAny(n, finalMarkers)
}

// fromMailSystem: MAILER-DAEMON or postmaster and their kin, a mail system
// display name, or a null return path.
func (m *parsedMessage) fromMailSystem() bool {
	for _, v := range m.header.Values("Return-Path") {
		if isNullPath(v) {
			return true
		}
	}
	for _, v := range m.header.Values("From") {
		if isDaemon(v) {
			return true
		}
		addrs, err := mail.ParseAddressList(v)
		if err != nil {
			// e.g. "MAILER-DAEMON <>"
			if hasAny(strings.ToLower(v), mailSystemNames) {
				return true
			}
			continue
		}
		for _, a := range addrs {
			local, _, _ := strings.Cut(asciiLower(a.Address), "@")
			if mailSystemLocals[local] || hasAny(strings.ToLower(a.Name), mailSystemNames) {
				return true
			}
		}
	}
	return false
}

// noticeParts splits the message into the notice (the first text part, up
// to the line that introduces the returned message) and everything
// returned with it (the rest of that part, the other parts).
func (m *parsedMessage) noticeParts() (notice, returned string) {
	first := m.noticeLeaf()
	var rest strings.Builder
	if first >= 0 {
		t := m.leaves[first].text()
		if m.leaves[first].mediaType == "text/html" {
			t = htmlToText(t, false)
		}
		notice = t
		if i := returnMarker(t); i >= 0 {
			notice = t[:i]
			rest.WriteString(t[i:])
			rest.WriteString("\n")
		}
	}
	for i, l := range m.leaves {
		if i != first && (strings.HasPrefix(l.mediaType, "text/") || strings.HasPrefix(l.mediaType, "message/")) {
			rest.WriteString(l.text())
			rest.WriteString("\n")
		}
	}
	return notice, rest.String()
}

// noticeLeaf is the index of the first inline text/plain leaf, else of the
// first text/html one, else -1.
func (m *parsedMessage) noticeLeaf() int {
	for _, mt := range []string{"text/plain", "text/html"} {
		for i, l := range m.leaves {
			if l.mediaType == mt && !l.attachment {
				return i
			}
		}
	}
	return -1
}

// returnMarker is the offset of the first line that introduces the
// returned message, or -1.
func returnMarker(t string) int {
	lower := strings.ToLower(t)
	at := -1
	for _, mk := range returnMarkers {
		if i := strings.Index(lower, mk); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	return at
}

// classifyNotice decides a plain-text notice.
func (c *classifier) classifyNotice(m *parsedMessage, res Result) Result {
	notice, returned := m.noticeParts()
	inv := c.reportInvitation(m, returned, notice+"\n"+returned)
	v := noticeKind(notice, m.rawSubject)
	if v == "" {
		if inv == nil {
			res.Verdict, res.Reason = Ignore, "notice from the mail system not related to an invitation"
			return res
		}
		res.Token, res.Verdict = inv.Token, Reject
		res.Reason = "automatic notice from the mail system (neither a failure nor a delay was recognised)"
		return res
	}
	return c.noticeOutcome(m, res, inv, v, notice)
}

// noticeOutcome reports a failure or delay read from a notice's text.
func (c *classifier) noticeOutcome(m *parsedMessage, res Result, inv *Invitation, v Verdict, notice string) Result {
	diag := noticeDiagnostic(notice)
	status := enhancedStatus(diag)
	if status == "" {
		status = enhancedStatus(notice)
	}
	if diag == "" {
		diag = status
	}
	return c.reportOutcome(m, res, inv, v, noticeRecipient(notice, inv), status, diag)
}

// noticeKind says whether a notice reports a final failure (Bounce), a
// delay (Delayed) or neither (""). Words that say the mail system gave up
// win over words of a delay, which win over other failure words: a delay
// warning often explains what will happen if delivery fails for good. A
// notice that says none of it is judged by its subject.
func noticeKind(notice, subject string) Verdict {
	if v := textKind(notice); v != "" {
		return v
	}
	s := strings.ToLower(subject)
	switch {
	case hasAny(s, delaySubjects):
		return Delayed
	case hasAny(s, finalSubjects):
		return Bounce
	}
	return ""
}

func textKind(notice string) Verdict {
	n := flat(notice)
	switch {
	case hasAny(n, hardFinalMarkers):
		return Bounce
	case hasAny(n, delayMarkers):
		return Delayed
	case hasAny(n, finalMarkers), smtpFailureRE.MatchString(notice), codeClass(notice) == '5':
		return Bounce
	case codeClass(notice) == '4':
		return Delayed
	}
	return ""
}

// codeClass is the class of the first status code quoted with an SMTP
// reply ("550 5.1.1") or the qmail way ("(#4.4.1)"), or 0.
func codeClass(notice string) byte {
	for _, re := range []*regexp.Regexp{smtpLineRE, qmailCodeRE} {
		if m := re.FindString(notice); m != "" {
			return statusClass(enhancedStatus(m))
		}
	}
	return 0
}

var (
	// statusRE is an RFC 3463 enhanced status code.
	statusRE = regexp.MustCompile(`\b([245]\.[0-9]{1,3}\.[0-9]{1,3})\b`)
	// smtpFailureRE is a 5xx SMTP reply at the start of a line, as
	// transcripts quote it ("<<< 550 ...", "Remote host said: 550 ...").
	smtpFailureRE = regexp.MustCompile(`(?im)^[ \t]*(?:<<<[ \t]*|[^\n]{0,80}\bsaid:[ \t]*)?5[0-9]{2}[ -][^\s]`)
	smtpLineRE    = regexp.MustCompile(`(?i)\b[45][0-9]{2}[ -]#?[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)
	qmailCodeRE   = regexp.MustCompile(`\(#[45]\.[0-9]{1,3}\.[0-9]{1,3}\)`)
	replyStartRE  = regexp.MustCompile(`^[45][0-9]{2}(?:[ -]|: )[^\s]`)
)

func enhancedStatus(s string) string {
	if m := statusRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// noticeDiagnostic picks the line that says what went wrong: an SMTP reply
// with its status code, qmail's "(#5.1.1)", a bare reply or status code,
// or a line naming a known reason.
func noticeDiagnostic(notice string) string {
	lines := strings.Split(strings.ReplaceAll(notice, "\r\n", "\n"), "\n")
	for _, match := range []func(string) bool{
		smtpLineRE.MatchString,
		qmailCodeRE.MatchString,
		func(l string) bool { return replyStartRE.MatchString(replyPart(l)) },
		statusRE.MatchString,
		func(l string) bool { n := flat(l); return hasAny(n, reasonPhrases) && !hasAny(n, noticeIntros) },
	} {
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), ">>>") || !match(l) {
				continue // ">>>" lines are the commands that were sent
			}
			d := joinContinuation(lines, i)
			if hostCodeRE.MatchString(d) {
				// Exchange puts "<host #5.1.1>" under the sentence that says it.
				if p := previousLine(lines, i); p != "" {
					d = p + " " + d
				}
			}
			return clipLong(d)
		}
	}
	return ""
}

var hostCodeRE = regexp.MustCompile(`^<[^<>]*#[245]\.[0-9]{1,3}\.[0-9]{1,3}>$`)

func previousLine(lines []string, i int) string {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if l := strings.TrimSpace(lines[j]); l != "" {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	return ""
}

// replyPart strips what introduces a quoted SMTP reply.
func replyPart(l string) string {
	l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "<<<"))
	if i := strings.Index(strings.ToLower(l), "said:"); i >= 0 && i < 80 {
		l = strings.TrimSpace(l[i+len("said:"):])
	}
	return l
}

// joinContinuation returns line i with the indented lines that continue it.
func joinContinuation(lines []string, i int) string {
	out := replyPart(lines[i])
	for j := i + 1; j < len(lines) && j < i+4; j++ {
		l := lines[j]
		if l == "" || (l[0] != ' ' && l[0] != '\t') {
			break
		}
		out += " " + strings.TrimSpace(l)
	}
	return strings.Join(strings.Fields(out), " ")
}

// noticeRecipient is the invitee when the notice names them.
func noticeRecipient(notice string, inv *Invitation) string {
	if inv != nil && inv.Email != "" && strings.Contains(asciiLower(notice), asciiLower(inv.Email)) {
		return inv.Email
	}
	return ""
}

// flat lower-cases s and collapses its whitespace: notices wrap their
// sentences anywhere.
func flat(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

func hasAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
