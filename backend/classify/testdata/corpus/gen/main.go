// Command gen writes the classifier's corpus of real-world formats:
// delivery reports, plain-text failure notices, delays, auto-replies and
// genuine replies, synthesised in each mail system's documented format
// (its manual, its source's message strings, RFC 3464/3834/6522), all about
// one invitation. Run from the repository root:
//
//	go run ./backend/classify/testdata/corpus/gen
//
// It rewrites backend/classify/testdata/corpus/*/ and MANIFEST, which
// TestCorpus reads. Nothing here is copied from another project's tests.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The invitation every message is about (TestCorpus's lookup knows it).
const (
	token      = "corpustokenforinvitations2"
	host       = "grantbook.example"
	owner      = "owner@" + host
	invitee    = "ivy.invitee@example.com"
	returnTag  = "corpusreturntag22222"
	servID     = "mx.grantbook.example" // the owner's receiving server
	inviteSubj = "Acme Support invites you to access Acme Ltd"
)

var (
	msgID      = "grantbook." + token + "@" + host
	replyTo    = "owner+" + token + "@" + host
	returnPath = "owner+bounce-" + returnTag + "@" + host
)

// entry is one corpus message and what the classifier must say about it.
type entry struct {
	dir, name string
	raw       string
	verdict   string // accept, decline, bounce, delayed, reject
	ret       string // yes/no: reached the return path; "-" n/a
	authed    string // yes/no; "-" n/a
	diag      string // substring of the diagnostic (bounce, delayed) or reason (reject); "-" none
}

var entries []entry

func add(e entry) {
	for _, f := range []*string{&e.ret, &e.authed, &e.diag} {
		if *f == "" {
			*f = "-"
		}
	}
	entries = append(entries, e)
}

func main() {
	root := filepath.Join("backend", "classify", "testdata", "corpus")
	if _, err := os.Stat(root); err != nil {
		fmt.Fprintln(os.Stderr, "run me from the repository root:", err)
		os.Exit(1)
	}
	dsnCorpus()
	plainCorpus()
	autoCorpus()
	replyCorpus()
	sort.Slice(entries, func(i, j int) bool { return entries[i].dir+entries[i].name < entries[j].dir+entries[j].name })
	for _, d := range []string{"bounce", "delayed", "autoreply", "reply"} {
		os.RemoveAll(filepath.Join(root, d))
		must(os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	var man strings.Builder
	man.WriteString("# file\tverdict\treturn-path\tauthenticated\tdiagnostic or reason contains\n")
	seen := map[string]bool{}
	for _, e := range entries {
		p := e.dir + "/" + e.name + ".eml"
		if seen[p] {
			fmt.Fprintln(os.Stderr, "duplicate", p)
			os.Exit(1)
		}
		seen[p] = true
		must(os.WriteFile(filepath.Join(root, p), []byte(crlf(e.raw)), 0o644))
		fmt.Fprintf(&man, "%s\t%s\t%s\t%s\t%s\n", p, e.verdict, e.ret, e.authed, e.diag)
	}
	must(os.WriteFile(filepath.Join(root, "MANIFEST"), []byte(man.String()), 0o644))
	fmt.Printf("wrote %d messages\n", len(entries))
}

func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
