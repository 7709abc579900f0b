package classify

import (
	"html"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DeclineWords are the phrases that turn a reply into a Decline, keyed by
// language code. A phrase declines when the first non-empty line of the
// reply's new text (lower-cased, whitespace collapsed, leading punctuation
// removed) starts with it and it is followed by the end of the line or by a
// character that is neither a letter nor a digit. Entries listed in
// StrictDeclineWords must instead be the whole line or be followed (after
// optional spaces) by punctuation that is not a hyphen or an apostrophe.
// Phrases are written in lower case with single spaces.
var DeclineWords = map[string][]string{
	"en": {"no", "no thanks", "no thank you", "decline", "i decline", "reject", "i reject", "refuse", "i refuse", "not interested"},
	"fr": {"non", "non merci", "je refuse", "refuser", "je décline"},
	"de": {"nein", "nein danke", "ablehnen", "lehne ab", "ich lehne ab"},
	"es": {"no acepto", "no gracias", "rechazo", "rechazar"},
	"it": {"rifiuto", "non accetto", "no grazie"},
	"nl": {"nee", "nee bedankt", "weiger", "ik weiger"},
}

// StrictDeclineWords are the short, ambiguous entries of DeclineWords that
// only decline when they stand alone on the first line or are followed by
// punctuation: "No." declines, "No problem, happy to help!" does not.
var StrictDeclineWords = []string{"no", "non", "nein", "nee"}

// declineMatch reports the language and phrase of DeclineWords that the new
// text starts with.
func declineMatch(text string) (lang, word string, ok bool) {
	line := firstLine(text)
	if line == "" {
		return "", "", false
	}
	langs := make([]string, 0, len(DeclineWords))
	for l := range DeclineWords {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		for _, w := range DeclineWords[l] {
			nw := normalizeLine(w)
			if nw == "" || !strings.HasPrefix(line, nw) {
				continue
			}
			if boundaryOK(line[len(nw):], isStrict(nw)) {
				return l, w, true
			}
		}
	}
	return "", "", false
}

func isStrict(w string) bool {
	for _, s := range StrictDeclineWords {
		if normalizeLine(s) == w {
			return true
		}
	}
	return false
}

// boundaryOK checks what follows a matched phrase.
func boundaryOK(rest string, strict bool) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if !strict {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	}
	switch r {
	case '-', '\'', '’', '‐', '‑':
		return false
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return true
	}
	r, _ = utf8.DecodeRuneInString(rest)
	return unicode.IsPunct(r)
}

// firstLine returns the normalised first non-empty line of text.
func firstLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if n := normalizeLine(l); n != "" {
			return n
		}
	}
	return ""
}

// normalizeLine lower-cases, turns every kind of space into one ASCII space
// and drops leading characters that are not letters or digits.
func normalizeLine(s string) string {
	s = strings.ToLower(s)
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	return strings.TrimLeftFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// ---- quoted text ----

var (
	// Attribution lines, possibly wrapped over up to three lines.
	attributionRE = regexp.MustCompile(`(?i)^(?:on\s.*\swrote\s*:|le\s.*\sa\s+écrit\s*:|am\s.*\sschrieb\b.*:|el\s.*\sescribió\s*:|il\s.*\sha\s+scritto\s*:|op\s.*\sschreef\b.*:)$`)
	// Separators after which everything is the original message.
	separatorRE = regexp.MustCompile(`(?i)^(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht)\s*-{2,}|_{10,})$`)
)

// newText returns the new text of a reply: quoted lines, quote headers and
// what follows them, and the signature removed.
func newText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	ts := make([]string, len(lines)) // trimmed, whitespace collapsed
	for i, l := range lines {
		ts[i] = strings.Join(strings.FieldsFunc(l, unicode.IsSpace), " ")
	}
	var out []string
	for i := 0; i < len(lines); i++ {
		t := ts[i]
		if strings.HasPrefix(t, ">") {
			continue
		}
		if lines[i] == "-- " {
			break // signature delimiter
		}
		if (strings.HasPrefix(t, "-") || strings.HasPrefix(t, "_")) && separatorRE.MatchString(t) {
			break
		}
		if outlookFromKeys[fieldKey(t)] {
			found := false
			for j := i + 1; j < len(lines) && j <= i+4; j++ {
				if outlookSentKeys[fieldKey(ts[j])] {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if len(t) > 3 && t[2] == ' ' && attributionStarts[asciiLower(t[:2])] {
			if n := attributionLen(ts, i); n > 0 {
				// Skip the attribution; if unquoted text follows, it is
				// the original message: stop.
				j := i + n
				for j < len(lines) && ts[j] == "" {
					j++
				}
				if j < len(lines) && strings.HasPrefix(ts[j], ">") {
					i = j - 1
					continue
				}
				break
			}
		}
		out = append(out, lines[i])
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// attributionStarts are the first words of attribution lines.
var attributionStarts = setOf("on", "le", "am", "el", "il", "op")

// Outlook header blocks: a "From:" line with a "Sent:"/"Date:" line at most
// four lines after it.
var (
	outlookFromKeys = setOf("from", "de", "von", "van", "da", "fra", "från")
	outlookSentKeys = setOf("sent", "date", "gesendet", "datum", "envoyé", "enviado", "fecha", "inviato", "data", "verzonden", "skickat", "sendt")
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// fieldKey returns the lower-cased key of a "Key:" or "*Key:*" line, or "".
func fieldKey(t string) string {
	if len(t) > 16 {
		t = t[:16]
	}
	i := strings.IndexByte(t, ':')
	if i <= 0 {
		return ""
	}
	return strings.ToLower(strings.Trim(t[:i], "* "))
}

// attributionLen returns how many trimmed lines (1..3) starting at i form
// an attribution line, or 0.
func attributionLen(ts []string, i int) int {
	joined := ""
	for n := 1; n <= 3 && i+n-1 < len(ts); n++ {
		part := ts[i+n-1]
		if n > 1 && (part == "" || strings.HasPrefix(part, ">")) {
			return 0
		}
		if joined == "" {
			joined = part
		} else {
			joined += " " + part
		}
		if len(joined) > 600 {
			return 0
		}
		if strings.HasSuffix(joined, ":") && attributionRE.MatchString(joined) {
			return n
		}
	}
	return 0
}

// ---- HTML ----

var blockTags = map[string]bool{
	"br": true, "p": true, "div": true, "tr": true, "li": true, "ul": true, "ol": true,
	"table": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"hr": true, "blockquote": true, "pre": true, "body": true,
}

// htmlToText strips tags from HTML; block elements become line breaks.
// With dropQuotes, the content of <blockquote> elements is removed.
func htmlToText(s string, dropQuotes bool) string {
	var b strings.Builder
	quoteDepth := 0
	lower := asciiLower(s)        // same byte offsets as s
	unclosed := map[string]bool{} // elements known to have no closing tag
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			if quoteDepth == 0 {
				b.WriteString(s[i : i+j])
			}
			i += j
			continue
		}
		// Comment.
		if strings.HasPrefix(s[i:], "<!--") {
			j := strings.Index(s[i+4:], "-->")
			if j < 0 {
				break
			}
			i += 4 + j + 3
			continue
		}
		end := tagEnd(s, i+1)
		tag := s[i+1 : end]
		i = end + 1
		closing := strings.HasPrefix(tag, "/")
		name := asciiLower(strings.TrimLeft(tag, "/!?"))
		if k := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '/' }); k >= 0 {
			name = name[:k]
		}
		switch {
		case (name == "script" || name == "style" || name == "title") && !closing && !strings.HasSuffix(tag, "/"):
			// Skip the element's content when it is closed.
			if i < len(s) && !unclosed[name] {
				if j := strings.Index(lower[i:], "</"+name); j >= 0 {
					i += j + tagEnd(s[i+j:], 1) + 1
				} else {
					unclosed[name] = true
				}
			}
			continue
		case name == "blockquote" && dropQuotes:
			if closing {
				if quoteDepth > 0 {
					quoteDepth--
				}
			} else {
				quoteDepth++
			}
		}
		if blockTags[name] && quoteDepth == 0 {
			b.WriteByte('\n')
		}
	}
	out := html.UnescapeString(b.String())
	return strings.ReplaceAll(out, "\u00a0", " ")
}

// tagEnd returns the index of the '>' closing the tag whose name starts at
// i, skipping quoted attribute values, or len(s).
func tagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return len(s)
}

// ---- subject ----

var replyPrefixRE = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|vs|antw|ref|回复|回覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+`)

// cleanSubject strips stacked reply prefixes and collapses whitespace.
func cleanSubject(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = replyPrefixRE.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}
