package core_test

import (
	"testing"
	"time"

	"grantbook/backend/core"
)

// unlockRig is a core with an owner passphrase and a clock the test moves.
func unlockRig(t *testing.T) (*core.App, *time.Time) {
	t.Helper()
	a := openApp(t, t.TempDir())
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	a.SetClock(func() time.Time { return now })
	if err := a.SetPassphrase(bg, "", "correct horse"); err != nil {
		t.Fatal(err)
	}
	return a, &now
}

// unlockErr runs Unlock and returns its error's code and wait.
func unlockErr(t *testing.T, a *core.App, pass string) (string, int) {
	t.Helper()
	err := a.Unlock(bg, pass)
	if err == nil {
		return "", 0
	}
	e, ok := core.AsError(err)
	if !ok {
		t.Fatalf("Unlock: %v", err)
	}
	return e.Code, e.RetryAfter
}

// After three free wrong passphrases each wrong one doubles the wait, up
// to five minutes; while waiting even the right one is refused, at once.
func TestUnlockWaitGrows(t *testing.T) {
	a, now := unlockRig(t)
	for i := range 3 {
		if code, wait := unlockErr(t, a, "wrong"); code != core.CodeInvalid || wait != 0 {
			t.Fatalf("wrong passphrase %d: %s, wait %d", i+1, code, wait)
		}
	}
	want := 1
	for i := range 12 {
		if code, _ := unlockErr(t, a, "wrong"); code != core.CodeInvalid {
			t.Fatalf("wrong passphrase %d after waiting: %s", i+4, code)
		}
		start := time.Now()
		code, wait := unlockErr(t, a, "correct horse")
		if code != core.CodeRateLimited || wait != want {
			t.Fatalf("after %d wrong: %s, wait %d; want rate_limited, wait %d", i+4, code, wait, want)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("a refused attempt took %v: it must not wait", d)
		}
		*now = now.Add(time.Duration(wait-1)*time.Second + 500*time.Millisecond)
		if code, _ := unlockErr(t, a, "correct horse"); code != core.CodeRateLimited {
			t.Fatalf("half a second before the end of the wait: %s", code)
		}
		*now = now.Add(500 * time.Millisecond)
		want = min(want*2, 300)
	}
	if code, _ := unlockErr(t, a, "correct horse"); code != "" {
		t.Fatalf("right passphrase after the wait: %s", code)
	}
	// A right passphrase starts the count over.
	if code, wait := unlockErr(t, a, "wrong"); code != core.CodeInvalid || wait != 0 {
		t.Errorf("first wrong one after unlocking: %s, wait %d", code, wait)
	}
}

// Changing the passphrase asks for the current one: wrong guesses there
// count with those of Unlock.
func TestSetPassphraseSharesTheLimit(t *testing.T) {
	a, _ := unlockRig(t)
	for range 2 {
		unlockErr(t, a, "wrong")
	}
	for range 2 {
		if err := a.SetPassphrase(bg, "wrong", "new passphrase"); err == nil {
			t.Fatal("a wrong current passphrase was accepted")
		}
	}
	err := a.SetPassphrase(bg, "correct horse", "new passphrase")
	if e, ok := core.AsError(err); !ok || e.Code != core.CodeRateLimited || e.Field != "current" || e.RetryAfter != 1 {
		t.Fatalf("SetPassphrase after 4 wrong guesses: %v", err)
	}
	if code, _ := unlockErr(t, a, "correct horse"); code != core.CodeRateLimited {
		t.Errorf("Unlock after 4 wrong guesses: %s", code)
	}
}
