package classify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExtendRequested(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"please extend", true},
		{"Please extend!\n\nThanks, Ann", true},
		{"Yes — could you EXTEND my access?", true},
		{"Hi,\nI still need it, can we extend it by a month?", true},
		{"I need more time please", true},
		{"Pouvez-vous prolonger mon accès ?", true},
		{"Bitte verlängern, danke", true},
		{"Por favor, prorrogar el acceso", true},
		{"graag verlengen", true},
		{"no", false},
		{"No thanks, I'm done.", false},
		{"please don't extend, the project is over", false},
		{"Do not extend my access", false},
		{"no need to extend", false},
		{"thanks for the reminder", false},
		{"extendable plans", false},              // a whole word only
		{"\n\n\nhello\nfine\nok\nextend", false}, // past the first three lines
		{"", false},
	} {
		if _, got := ExtendRequested(c.text); got != c.want {
			t.Errorf("ExtendRequested(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// A whole reply: quoted text of the reminder (which says "please extend")
// never counts, only the new text.
func TestExtendRequestedIgnoresQuote(t *testing.T) {
	quoted := "Thanks!\n\nOn Mon, 2 Mar 2026, Owner wrote:\n> reply to this email with \"please extend\"\n"
	if _, ok := ExtendRequested(newText(quoted)); ok {
		t.Fatal("the quoted reminder asked for an extension")
	}
}

func FuzzExtendRequested(f *testing.F) {
	for _, s := range []string{"please extend", "no", "don't extend", "prolonger", "\xff\xfe extend", strings.Repeat("a ", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		phrase, ok := ExtendRequested(s)
		if ok != (phrase != "") {
			t.Fatalf("ok %v with phrase %q", ok, phrase)
		}
		if ok && !utf8.ValidString(phrase) {
			t.Fatalf("phrase %q", phrase)
		}
		if ok {
			if _, _, declined := declineMatch(s); declined {
				t.Fatalf("%q both declines and extends", s)
			}
		}
	})
}
