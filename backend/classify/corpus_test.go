package classify

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The corpus (testdata/corpus, written by testdata/corpus/gen): delivery
// reports, plain-text notices, delays, auto-replies and replies in the
// formats of many mail systems, all about one invitation. MANIFEST says
// what each must be classified as.
const (
	corpusToken     = "corpustokenforinvitations2"
	corpusReturnTag = "corpusreturntag22222"
)

func corpusLookup() *fakeLookup {
	inv := &Invitation{Token: corpusToken, Email: "ivy.invitee@example.com", MessageID: "grantbook." + corpusToken + "@grantbook.example",
		State: "sent", ExpiresAt: time.Date(2025, 3, 24, 0, 0, 0, 0, time.UTC), ReturnTag: corpusReturnTag}
	return &fakeLookup{byTok: map[string]*Invitation{corpusToken: inv}, byID: map[string]*Invitation{inv.MessageID: inv}}
}

type corpusCase struct {
	file, verdict, ret, authed, want string
}

func readManifest(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus", "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 5 {
			t.Fatalf("MANIFEST line %q", sc.Text())
		}
		out = append(out, corpusCase{p[0], p[1], p[2], p[3], p[4]})
	}
	return out
}

func TestCorpus(t *testing.T) {
	cases := readManifest(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.eml"))
	if len(files) != len(cases) || len(cases) < 300 {
		t.Fatalf("%d files, %d in MANIFEST: regenerate with go run ./backend/classify/testdata/corpus/gen", len(files), len(cases))
	}
	cfg := Config{AuthServID: "mx.grantbook.example", Now: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)}
	l := corpusLookup()
	counts := map[string]map[string]int{} // dir -> kind -> n
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "corpus", c.file))
			if err != nil {
				t.Fatal(err)
			}
			res := mustClassify(t, raw, l, cfg)
			dir, name, _ := strings.Cut(c.file, "/")
			kind, _, _ := strings.Cut(name, "-")
			if counts[dir] == nil {
				counts[dir] = map[string]int{}
			}
			counts[dir][kind]++
			if string(res.Verdict) != c.verdict || res.Token != corpusToken {
				t.Fatalf("verdict %s token %q, want %s (reason %q, diagnostic %q)", res.Verdict, res.Token, c.verdict, res.Reason, res.Diagnostic)
			}
			if c.ret != "-" && res.ReturnPath != (c.ret == "yes") {
				t.Errorf("return path %v, want %s", res.ReturnPath, c.ret)
			}
			if c.authed != "-" && res.Authenticated != (c.authed == "yes") {
				t.Errorf("authenticated %v, want %s (%s)", res.Authenticated, c.authed, res.Auth)
			}
			shown := res.Reason
			if res.Verdict == Bounce || res.Verdict == Delayed {
				shown = res.Diagnostic
			}
			if c.want != "-" && !strings.Contains(strings.ToLower(shown), strings.ToLower(c.want)) {
				t.Errorf("shows %q, want it to contain %q", shown, c.want)
			}
		})
	}
	var dirs []string
	for d := range counts {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		t.Logf("corpus %s: %v", d, counts[d])
	}
}
