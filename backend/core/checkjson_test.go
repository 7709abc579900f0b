package core_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"grantbook/backend/core"
)

// A check's answer is written by hand: byte for byte what encoding/json's
// Encoder writes (the API wrote it that way before), whatever the reason
// holds.
func FuzzCheckResultJSON(f *testing.F) {
	for _, s := range []string{"", "allowed by the contact's grant: Billing on all services",
		"denied: Élodie's grant ended on 1 June 2026", `quotes " and \ back`, "<b>&amp;</b>", "tab\there\nnew line\x00",
		"line\u2028sep\u2029", "bad \xff utf-8 \xe2\x28\xa1", "del \x7f", "emoji 😀 café", "\xed\xa0\x80 surrogate"} {
		f.Add(true, s)
		f.Add(false, s)
	}
	f.Fuzz(func(t *testing.T, allowed bool, reason string) {
		r := core.CheckResult{Allowed: allowed, Reason: reason}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(r); err != nil {
			t.Fatal(err)
		}
		got := append(r.AppendJSON([]byte("prefix")), '\n')
		if !bytes.Equal(got[len("prefix"):], want.Bytes()) {
			t.Errorf("AppendJSON %q\nencoding/json %q", got[len("prefix"):], want.Bytes())
		}
	})
}
