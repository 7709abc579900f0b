package web

import (
	"sync"
	"sync/atomic"
	"time"
)

// limiter allows n events per window for each key (a fixed window: simple,
// and enough to stop guessing and mail flooding). With a lockout, a key
// that goes over the limit stays refused for that long.
type limiter struct {
	n       int
	window  time.Duration
	lockout time.Duration
	now     func() time.Time

	mu   sync.Mutex
	hits map[string]*window
	// keys is len(hits), read without the lock: with no key at all (no
	// wrong token yet, the usual case) blocked needs no lock.
	keys atomic.Int64
}

type window struct {
	start  time.Time
	count  int
	locked time.Time // refused until then
}

func newLimiter(n int, per time.Duration) *limiter {
	return &limiter{n: n, window: per, now: time.Now, hits: map[string]*window{}}
}

// allow counts one event for key and reports whether it is within the limit.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) > 10000 { // forget old windows so memory stays bounded
		for k, w := range l.hits {
			if now.Sub(w.start) >= l.window && !now.Before(w.locked) {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w != nil && now.Before(w.locked) {
		return false
	}
	if w == nil || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.hits[key] = w
	}
	l.keys.Store(int64(len(l.hits)))
	w.count++
	if w.count > l.n && l.lockout > 0 {
		w.locked = now.Add(l.lockout)
	}
	return w.count <= l.n
}

// blocked reports, without counting, how long key stays refused (0: not).
func (l *limiter) blocked(key string) time.Duration {
	if l.keys.Load() == 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.hits[key]
	if w == nil {
		return 0
	}
	now := l.now()
	if now.Before(w.locked) {
		return w.locked.Sub(now)
	}
	if w.count > l.n && now.Sub(w.start) < l.window {
		return w.start.Add(l.window).Sub(now)
	}
	return 0
}
