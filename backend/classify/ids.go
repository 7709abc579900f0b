package classify

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message"
)

var (
	angleIDRE   = regexp.MustCompile(`<([^<>\s]+)>`)
	tokenRE     = regexp.MustCompile(`^[a-z2-7]{26}$`)
	grantIDRE   = regexp.MustCompile(`(?i)^grantbook\.([a-z2-7]{26})@`)
	plusTokenRE = regexp.MustCompile(`(?i)\+([a-z2-7]{26})@`)
	reportIDRE  = regexp.MustCompile(`(?i)grantbook\.([a-z2-7]{26})@`)
	// returnTagRE is the tag outbox.ReturnPath puts in the envelope sender.
	returnTagRE = regexp.MustCompile(`(?i)\+bounce-([a-z2-7]{20})@`)
	// textIDRE is a Message-ID header line quoted in a text part.
	textIDRE = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)`)
)

func isToken(s string) bool { return tokenRE.MatchString(s) }

func tokenFromMessageID(id string) string {
	if m := grantIDRE.FindStringSubmatch(id); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// msgIDs extracts message ids (without <>) from msg-id list fields,
// leniently: every <...>, or, without any, every word containing "@".
func msgIDs(vals []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] && len(out) < 100 {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, v := range vals {
		ms := angleIDRE.FindAllStringSubmatch(v, 100)
		if len(ms) > 0 {
			for _, m := range ms {
				add(m[1])
			}
			continue
		}
		for _, f := range strings.FieldsFunc(stripComments(v), func(r rune) bool {
			return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n'
		}) {
			if strings.Contains(f, "@") {
				add(f)
			}
		}
	}
	return out
}

func firstID(vals []string) string {
	if ids := msgIDs(vals); len(ids) > 0 {
		return strings.ToValidUTF8(ids[0], "\uFFFD")
	}
	return ""
}

// plusTokens returns the plus tokens of the recipient fields.
func (m *parsedMessage) plusTokens() []string {
	return plusTokensOf(m.header)
}

func plusTokensOf(h message.Header) []string {
	var out []string
	for _, k := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, v := range h.Values(k) {
			for _, m := range plusTokenRE.FindAllStringSubmatch(v, -1) {
				out = append(out, strings.ToLower(m[1]))
			}
		}
	}
	return dedupe(out)
}

// returnTags returns the return-path tags of the addresses a report was
// delivered to (the receiving server's Delivered-To and its kin, To, Cc).
func returnTags(h message.Header) []string {
	var out []string
	for _, k := range []string{"Delivered-To", "X-Original-To", "X-Delivered-To", "Envelope-To", "X-Envelope-To", "To", "Cc"} {
		for _, v := range h.Values(k) {
			for _, m := range returnTagRE.FindAllStringSubmatch(v, 10) {
				out = append(out, strings.ToLower(m[1]))
			}
		}
	}
	return dedupe(out)
}

// textMessageIDs finds Message-ID header lines in quoted or returned text.
func textMessageIDs(text string) []string {
	var out []string
	for _, m := range textIDRE.FindAllStringSubmatch(text, 20) {
		out = append(out, msgIDs([]string{m[1]})...)
	}
	return dedupe(out)
}

// codeTokens finds 26-character base32 words with "code" shortly before.
func codeTokens(text string) []string {
	var out []string
	isAlnum := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	lower := asciiLower(text) // same byte offsets as text
	for i := 0; i < len(text) && len(out) < 20; {
		if !isAlnum(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isAlnum(text[j]) {
			j++
		}
		if j-i == 26 {
			w := lower[i:j]
			start := i - 64
			if start < 0 {
				start = 0
			}
			if isToken(w) && strings.Contains(lower[start:i], "code") {
				out = append(out, w)
			}
		}
		i = j
	}
	return dedupe(out)
}

// reportTokens finds any token form in the text of a delivery report.
func reportTokens(text string) []string {
	var out []string
	for _, m := range reportIDRE.FindAllStringSubmatch(text, 20) {
		out = append(out, strings.ToLower(m[1]))
	}
	for _, m := range plusTokenRE.FindAllStringSubmatch(text, 20) {
		out = append(out, strings.ToLower(m[1]))
	}
	out = append(out, codeTokens(text)...)
	return dedupe(out)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
