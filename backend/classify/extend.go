package classify

import (
	"strings"
	"unicode"
)

// ExtendWords are the words that ask for more time in a reply to a grant
// reminder, by language. One counts when it stands as a whole word in the
// first three non-empty lines of the reply's new text and no negation
// comes shortly before it on its line ("please don't extend").
var ExtendWords = map[string][]string{
	"en": {"extend", "extension", "extended", "more time", "renew", "prolong"},
	"fr": {"prolonger", "prolongez", "prolongation", "prolonge", "renouveler"},
	"de": {"verlängern", "verlängerung", "verlängert", "verlängere"},
	"es": {"extender", "prorrogar", "prórroga", "ampliar", "extienda"},
	"it": {"prolungare", "prolungate", "estendere", "proroga", "prorogare"},
	"nl": {"verlengen", "verlenging", "verleng"},
}

// negations void an extend word up to three words after them.
var negations = setOf("not", "don't", "dont", "do not", "no need", "never", "no", "without",
	"pas", "ne", "nicht", "kein", "keine", "nein", "niet", "geen", "nee", "non", "nessuna", "nunca")

// ExtendRequested reports whether the new text of a reply asks for an
// extension, and the phrase that does. A decline ("no", "no thanks") never
// does.
func ExtendRequested(text string) (string, bool) {
	if _, _, ok := declineMatch(text); ok {
		return "", false
	}
	n := 0
	for _, line := range strings.Split(text, "\n") {
		l := normalizeLine(line)
		if l == "" {
			continue
		}
		if n++; n > 3 {
			break
		}
		words := strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’' })
		for i := range words {
			words[i] = strings.ReplaceAll(words[i], "’", "'")
		}
		for _, list := range ExtendWords {
			for _, phrase := range list {
				if i := findPhrase(words, strings.Fields(phrase)); i >= 0 && !negated(words, i) {
					return phrase, true
				}
			}
		}
	}
	return "", false
}

// findPhrase is the index of the first run of words equal to phrase, or -1.
func findPhrase(words, phrase []string) int {
	for i := 0; i+len(phrase) <= len(words); i++ {
		ok := true
		for j, p := range phrase {
			if words[i+j] != p {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// negated reports a negation among the three words before words[i].
func negated(words []string, i int) bool {
	for j := max(0, i-3); j < i; j++ {
		if negations[words[j]] || (j+1 < i && negations[words[j]+" "+words[j+1]]) {
			return true
		}
	}
	return false
}
