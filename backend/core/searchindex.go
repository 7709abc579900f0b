package core

import (
	"context"
	"time"
)

// searchIndexBatch is how many contacts one indexing transaction adds: a
// short hold of the writer, so requests' writes wait little.
const searchIndexBatch = 5000

// kickSearchIndex asks the indexer to look for contacts the search index
// lacks: after a restore, or at start after an upgrade.
func (a *App) kickSearchIndex() {
	select {
	case a.reindex <- struct{}{}:
	default:
	}
}

// runSearchIndex adds to the search index the contacts a restore or an
// upgrade left out (searches read those directly meanwhile), a batch at a
// time, then merges the index's pieces, a step at a time, until ctx ends.
func (a *App) runSearchIndex(ctx context.Context) {
	for {
		for more := true; more && ctx.Err() == nil; {
			var err error
			if more, err = a.store.IndexSearch(ctx, searchIndexBatch); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("search index", "err", err)
				}
				more = false
				time.AfterFunc(time.Minute, a.kickSearchIndex) // try again later
			}
		}
		// Then merge what the batches (or an import) left in pieces.
		for more := true; more && ctx.Err() == nil; {
			var err error
			if more, err = a.store.MergeSearch(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("search index merge", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-a.reindex:
		}
	}
}
