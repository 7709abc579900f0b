package classify

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

var verdicts = map[Verdict]bool{Accept: true, Decline: true, Bounce: true, Delayed: true, Ignore: true, Reject: true}

// FuzzClassify checks that Classify never panics, always returns one of the
// verdicts, and never grants (Accept or Decline) unless the message has
// exactly one From address, equal to the invitee's, and the invitation may
// still be answered.
func FuzzClassify(f *testing.F) {
	for _, c := range cases() {
		f.Add(c.raw)
	}
	// The corpus of real-world formats, about an invitation the lookup knows.
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.eml"))
	for _, file := range files {
		if raw, err := os.ReadFile(file); err == nil {
			f.Add(raw)
		}
	}
	l := newLookup()
	for k, v := range corpusLookup().byTok {
		l.byTok[k], l.byID[v.MessageID] = v, v
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		recoverPanics = false // let the fuzzer see panics
		defer func() { recoverPanics = true }()
		res := mustClassify(t, raw, l, testCfg)
		if !verdicts[res.Verdict] {
			t.Fatalf("unknown verdict %q", res.Verdict)
		}
		if res.Verdict != Accept && res.Verdict != Decline {
			return
		}
		inv, _ := l.ByToken(ctx, res.Token)
		if inv == nil {
			t.Fatalf("%s without a known token: %+v", res.Verdict, res)
		}
		if inv.State != "sent" && inv.State != "queued" && inv.State != "awaiting" || testNow.After(inv.ExpiresAt) {
			t.Fatalf("%s of invitation in state %s", res.Verdict, inv.State)
		}
		// Independent From check on the raw header.
		if bytes.HasPrefix(raw, []byte("From ")) {
			if i := bytes.IndexByte(raw, '\n'); i >= 0 {
				raw = raw[i+1:]
			}
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil && h.Len() == 0 {
			t.Fatalf("%s of a message without header", res.Verdict)
		}
		froms := h.Values("From")
		if len(froms) != 1 {
			t.Fatalf("%s with %d From fields", res.Verdict, len(froms))
		}
		addrs, err := mail.ParseAddressList(froms[0])
		if err != nil || len(addrs) != 1 {
			t.Fatalf("%s with From %q (%v)", res.Verdict, froms[0], err)
		}
		if !strings.EqualFold(addrs[0].Address, inv.Email) {
			t.Fatalf("%s with From %q, invitee %q", res.Verdict, addrs[0].Address, inv.Email)
		}
		if res.Authenticated && !trustedPassField(h.Values("Authentication-Results")) {
			t.Fatalf("authenticated without a pass from %s: %q", ourServID, h.Values("Authentication-Results"))
		}
		for _, k := range []string{"Auto-Submitted", "X-Autoreply", "X-Autorespond", "List-Id", "X-Apple-Action"} {
			for _, v := range h.Values(k) {
				if k != "Auto-Submitted" || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "no") {
					t.Fatalf("%s with %s: %q", res.Verdict, k, v)
				}
			}
		}
	})
}

// trustedPassField: some field begins with exactly our authserv-id and
// reports a pass (a weaker, independent check of senderAuth).
func trustedPassField(vals []string) bool {
	for _, v := range vals {
		id, rest, _ := strings.Cut(strings.TrimSpace(v), ";")
		id = strings.TrimSpace(id)
		if strings.HasSuffix(id, " 1") {
			id = strings.TrimSpace(strings.TrimSuffix(id, " 1"))
		}
		if id == ourServID && strings.Contains(strings.ToLower(rest), "=pass") {
			return true
		}
	}
	return false
}
