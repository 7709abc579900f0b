package web_test

import (
	"strings"
	"testing"
)

// Guessing the current passphrase through PUT /api/lock meets the limit
// core keeps for every transport: 429 with how long to wait.
func TestPassphraseGuessesOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.ok(200, "PUT", "/api/lock", `{"current":"","passphrase":"correct horse"}`)
	for range 4 {
		if r := e.do("PUT", "/api/lock", `{"current":"wrong","passphrase":"another one"}`); r.status != 422 {
			t.Fatalf("wrong current: %d %s", r.status, r.body)
		}
	}
	r := e.do("PUT", "/api/lock", `{"current":"correct horse","passphrase":""}`)
	if r.status != 429 || !strings.Contains(string(r.body), `"retry_after":1`) {
		t.Fatalf("right current after 4 wrong: %d %s", r.status, r.body)
	}
	if code, field := r.errorOf(t); code != "rate_limited" || field != "current" {
		t.Errorf("error %s on %q", code, field)
	}
}
