package core

import (
	"context"
	"sync"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// viewLogMax bounds what may wait: past it a request waits for the writer
// rather than drop a row (about 300 bytes a row).
const viewLogMax = 100_000

// A batch gathers for up to viewLogEvery after the last one began (or
// until viewLogBatch rows wait, or someone flushes): a transaction costs
// about three times its rows (begin, cache drain, commit), and under load
// back-to-back batches of a few rows spent most of the writer's time there.
const (
	viewLogEvery = 50 * time.Millisecond
	viewLogBatch = 5_000
)

// viewLog keeps writes off the client area's read path: the audit rows of
// what contacts looked at (or were refused), and the once-a-minute touch
// that keeps a session from going idle. Requests queue them; one goroutine
// writes whatever has queued in one transaction, through the store's one
// writer, then the next batch. A clean stop (Close) writes everything
// first; a crash loses what was queued and not yet committed, which is the
// views of the batch being written and of those arriving meanwhile (at most
// viewLogEvery plus a commit's worth), and Open records in the log that it
// happened.
type viewLog struct {
	st  *store.Store
	log func(msg string, args ...any)

	mu      sync.Mutex
	cond    *sync.Cond // signalled when rows are queued, written or stopped
	rows    []*model.AuditEntry
	touches map[int64]time.Time
	queued  uint64 // rows and touches ever queued
	written uint64 // of those, committed
	stop    bool
	done    chan struct{}
	hurry   chan struct{} // flush and close cut a batch's gathering short
}

func newViewLog(st *store.Store, log func(string, ...any)) *viewLog {
	v := &viewLog{st: st, log: log, touches: map[int64]time.Time{}, done: make(chan struct{}), hurry: make(chan struct{}, 1)}
	v.cond = sync.NewCond(&v.mu)
	go v.run()
	return v
}

// add queues an audit row.
func (v *viewLog) add(e *model.AuditEntry) {
	v.mu.Lock()
	for len(v.rows) >= viewLogMax && !v.stop {
		v.cond.Wait()
	}
	v.rows = append(v.rows, e)
	v.queued++
	v.cond.Broadcast()
	v.mu.Unlock()
}

// touch queues a session's last activity; a later one replaces it.
func (v *viewLog) touch(sessionID int64, at time.Time) {
	v.mu.Lock()
	if _, ok := v.touches[sessionID]; !ok {
		v.queued++
	}
	v.touches[sessionID] = at
	v.cond.Broadcast()
	v.mu.Unlock()
}

// flush waits until everything queued before the call is committed: the
// audit log, a backup or a restore then include it.
func (v *viewLog) flush() {
	v.rush()
	v.mu.Lock()
	target := v.queued
	for v.written < target && !v.stopped() {
		v.cond.Wait()
	}
	v.mu.Unlock()
}

// stopped reports whether the writer has ended (v.mu held).
func (v *viewLog) stopped() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// close writes what is queued and ends the writer.
func (v *viewLog) close() {
	v.mu.Lock()
	v.stop = true
	v.cond.Broadcast()
	v.mu.Unlock()
	v.rush()
	<-v.done
}

// rush ends the gathering of the batch waiting to be written.
func (v *viewLog) rush() {
	select {
	case v.hurry <- struct{}{}:
	default:
	}
}

func (v *viewLog) run() {
	defer close(v.done)
	defer v.cond.Broadcast()
	var last time.Time // when the last batch began
	for {
		v.mu.Lock()
		for len(v.rows) == 0 && len(v.touches) == 0 && !v.stop {
			v.cond.Wait()
		}
		if wait := viewLogEvery - time.Since(last); wait > 0 && !v.stop && len(v.rows) < viewLogBatch {
			v.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-v.hurry:
			}
			t.Stop()
			v.mu.Lock()
		}
		last = time.Now()
		rows, touches, stop := v.rows, v.touches, v.stop
		v.rows, v.touches = nil, map[int64]time.Time{}
		v.cond.Broadcast() // room for requests waiting on viewLogMax
		v.mu.Unlock()
		if len(rows)+len(touches) > 0 {
			v.write(rows, touches)
		}
		if stop {
			v.mu.Lock()
			empty := len(v.rows) == 0 && len(v.touches) == 0
			v.mu.Unlock()
			if empty {
				return
			}
		}
	}
}

// write commits one batch, retrying until it goes in: a row is never
// dropped.
func (v *viewLog) write(rows []*model.AuditEntry, touches map[int64]time.Time) {
	ctx := context.Background()
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := v.st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAudits(ctx, rows); err != nil {
				return err
			}
			for id, at := range touches {
				if err := tx.TouchSession(ctx, id, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			break
		}
		v.log("writing the client area's views", "err", err, "rows", len(rows), "retry in", wait)
		time.Sleep(wait)
	}
	v.mu.Lock()
	v.written += uint64(len(rows) + len(touches))
	v.cond.Broadcast()
	v.mu.Unlock()
}
