package core

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"grantbook/backend/store"
)

// listMarkEvery is how far apart a listing's marks are: an offset= page
// steps over fewer index entries than this past the mark before it.
var listMarkEvery = 2048

// listMarks are the sort keys of every listMarkEvery-th contact of a
// listing (store.ListMarks).
type listMarks struct{ keys []store.SortKey }

// fromMark turns a deep offset= page of a counted listing into a page
// after the mark before it: SQLite steps over index entries one by one,
// a million in 14–26 ms. A page that lies more than listMarkEvery entries
// from both ends of a listing without marks is read as before (from the
// nearer end), and the listing's marks are read in the background for
// the next pages; they are kept until its contacts change, like its count.
func (a *App) fromMark(f ContactFilter, n store.ContactCount) ContactFilter {
	if !f.Counted || f.After != nil || strings.TrimSpace(f.Query) != "" || f.Offset >= f.Total {
		return f
	}
	if min(f.Offset, f.Total-min(f.Offset+f.Limit+1, f.Total)) <= listMarkEvery {
		return f // the store steps over at most that many, from the start or from the end
	}
	// Marks hold while the count does: for the filters on active or
	// expired, from the time it was counted at until the next expiry.
	// (No Forget here: it would start a new epoch for every listing's
	// marks, and drop those being read.)
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%d\x00%d", f.AccountID, f.Preset, f.Status, n.At, n.ChangesAt)
	m, ok := a.cached.marks.Peek(key)
	if !ok {
		a.marking.start(key, func(ctx context.Context) {
			_, err := a.cached.marks.Get(key, func() (listMarks, error) {
				keys, err := a.store.ListMarks(ctx, f, listMarkEvery)
				return listMarks{keys: keys}, err
			})
			if err != nil && ctx.Err() == nil {
				a.log.Warn("contact list: reading the listing's marks", "err", err)
			}
		})
		return f
	}
	if i := f.Offset/listMarkEvery - 1; i >= 0 && i < len(m.keys) {
		f.After, f.Offset = &m.keys[i], f.Offset%listMarkEvery
	}
	return f
}

// markBuilder runs the reads of listings' marks, one at a time per
// listing, until stopped.
type markBuilder struct {
	mu      sync.Mutex
	running map[string]bool
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newMarkBuilder() *markBuilder {
	ctx, cancel := context.WithCancel(context.Background())
	return &markBuilder{running: map[string]bool{}, ctx: ctx, cancel: cancel}
}

// start runs fn for key in the background unless it is running already.
func (b *markBuilder) start(key string, fn func(ctx context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || b.running[key] {
		return
	}
	b.running[key] = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(b.ctx)
		b.mu.Lock()
		delete(b.running, key)
		b.mu.Unlock()
	}()
}

// stop cancels the reads under way, waits for them and starts no more.
func (b *markBuilder) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}
