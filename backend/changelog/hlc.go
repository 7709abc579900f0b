package changelog

import (
	"sync"
	"time"
)

// clock is a hybrid logical clock: unix milliseconds << 16 | a counter.
// It never goes back, and after seeing a remote event it stays ahead of
// it (the receive rule), so a device whose wall clock is ten minutes behind
// still orders its new writes after what it has seen.
type clock struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
}

func newClock(last uint64) *clock { return &clock{last: last, now: time.Now} }

func physical(t time.Time) uint64 { return uint64(t.UnixMilli()) << 16 }

// Now is the clock of a new local event.
func (c *clock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(physical(c.now()), c.last+1)
	return c.last
}

// Observe takes in a remote event's clock.
func (c *clock) Observe(h uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, h)
}

// maxAhead is how far ahead of this device's wall clock an event's clock
// may be: more is a broken or hostile clock that would drag this one along.
const maxAhead = time.Hour

func (c *clock) tooFarAhead(h uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return h > physical(c.now().Add(maxAhead))
}

// SetWallClock makes the log's clock read now instead of time.Now: for
// tests and benchmarks that run a device ten minutes off (bench/syncfault).
// The rules of the clock stay: it never goes back, and it keeps ahead of
// what it has seen.
func (l *Log) SetWallClock(now func() time.Time) {
	l.clock.mu.Lock()
	defer l.clock.mu.Unlock()
	l.clock.now = now
}
