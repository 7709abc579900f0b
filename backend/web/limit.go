package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// limiter allows n events per window for each key (a fixed window: simple,
// and enough to stop guessing and mail flooding).
type limiter struct {
	n      int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string]*window
}

type window struct {
	start time.Time
	count int
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
			if now.Sub(w.start) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.hits[key] = w
	}
	w.count++
	return w.count <= l.n
}

// clientIP is the peer address; no proxy headers are believed.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
