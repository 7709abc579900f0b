package core

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Passphrase attempts: the first unlockFree wrong ones cost nothing; each
// later one refuses every attempt for a time that doubles, from
// unlockFirstWait up to unlockMaxWait. A right passphrase starts over.
const (
	unlockFree      = 3
	unlockFirstWait = time.Second
	unlockMaxWait   = 5 * time.Minute
)

// passGuard counts wrong passphrases for every transport (the window, the
// API's PUT /api/lock). Its lock is held while one passphrase is checked, so
// a burst of guesses is counted one by one; refused attempts return at once.
type passGuard struct {
	mu       sync.Mutex
	failures int
	until    time.Time
}

// check runs try (a passphrase comparison) unless attempts are refused
// until later, and counts its outcome.
func (g *passGuard) check(now time.Time, try func() (bool, error)) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if wait := g.until.Sub(now); wait > 0 {
		return false, tooManyPassphrases(wait)
	}
	ok, err := try()
	if err != nil {
		return false, err
	}
	if ok {
		g.failures, g.until = 0, time.Time{}
		return true, nil
	}
	g.failures++
	if n := g.failures - unlockFree; n > 0 {
		wait := unlockMaxWait
		if n < 20 { // past that the shift would overflow; the cap is long reached
			wait = min(unlockFirstWait<<(n-1), unlockMaxWait)
		}
		g.until = now.Add(wait)
	}
	return false, nil
}

func tooManyPassphrases(wait time.Duration) *Error {
	s := int(math.Ceil(wait.Seconds()))
	return &Error{Code: CodeRateLimited, Field: "passphrase", RetryAfter: s,
		Message: fmt.Sprintf("too many wrong passphrases: try again in %d %s", s, plural(s, "second", "seconds"))}
}

// Unlock checks the owner passphrase for a transport that opens the app.
// A wrong one is an invalid passphrase error; while attempts are refused
// (see passGuard) it is a rate_limited error whose RetryAfter says how
// many seconds to wait, and the passphrase is not even looked at.
func (a *App) Unlock(ctx context.Context, pass string) error {
	ok, err := a.pass.check(a.now(), func() (bool, error) { return a.CheckPassphrase(ctx, pass) })
	if err != nil {
		return err
	}
	if !ok {
		return invalid("passphrase", "that passphrase is not right")
	}
	return nil
}
