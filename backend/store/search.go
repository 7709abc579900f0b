package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Searching (migration 12). A query of three characters or more finds its
// candidates in the trigram index, which a GLOB on search_key then checks
// exactly; the rows above search_state's mark, which a bulk import left
// for the background indexer, are read directly. A query that matches
// densely from the start of the list is served by walking the list order
// instead, which stops after one page.
const (
	// SearchCountCap is how many matches a search counts at most; past
	// it the total says "more than" (ContactCount.Capped).
	SearchCountCap = 1000
	// A probe reads this many entries of the list in order; that many
	// matches among them make a query dense.
	probeRows  = 2000
	probeDense = 20
)

// search is a query prepared for both ways of answering it.
type search struct {
	like, glob string
	indexed    bool // the trigram index can answer it
}

func newSearch(query string) (search, bool) {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(query), "\x1f", ""))
	if s == "" {
		return search{}, false
	}
	// GLOB's own characters would split the literal the index looks up:
	// such a query, and one shorter than a trigram, walks the list.
	indexed := utf8.RuneCountInString(s) >= 3 && !strings.ContainsAny(s, "*?[")
	return search{like: "%" + escapeLike(s) + "%", glob: "*" + s + "*", indexed: indexed}, true
}

// indexedUpto is the id up to which contacts are in the trigram index.
func (q Q) indexedUpto(ctx context.Context) (int64, error) {
	var upto int64
	err := q.q.QueryRowContext(ctx, `SELECT indexed_upto FROM search_state`).Scan(&upto)
	return upto, err
}

// filterOnly is f without its query: the rest of the listing's filter.
func filterOnly(f ContactFilter) ContactFilter {
	f.Query = ""
	return f
}

// searchFrom is the FROM of the indexed candidates: the index first.
func searchFrom(from string) string {
	from = strings.TrimPrefix(from, ` FROM contacts c`)
	return ` FROM contacts_search s CROSS JOIN contacts c ON c.id = s.rowid` + from
}

// countSearch counts up to SearchCountCap+1 matches of f.
func (q Q) countSearch(ctx context.Context, f ContactFilter, s search) (int, error) {
	from, cond, args := contactWhere(filterOnly(f), true)
	limit := SearchCountCap + 1
	if !s.indexed {
		var n int
		err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+from+andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`)+` LIMIT ?)`,
			append(args, s.like, limit)...).Scan(&n)
		return n, err
	}
	upto, err := q.indexedUpto(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+searchFrom(from)+andWhere(cond, `s.search_key GLOB ?`)+
		` UNION ALL SELECT 1`+from+andWhere(cond, `c.id > ? AND c.search_key LIKE ? ESCAPE '\'`)+` LIMIT ?)`,
		append(append(append(append([]any{}, args...), s.glob), args...), upto, s.like, limit)...).Scan(&n)
	return n, err
}

// searchIDs is the page of f's matches in list order (Limit+1 ids: the
// last says whether more follow).
func (q Q) searchIDs(ctx context.Context, f ContactFilter, s search) ([]int64, error) {
	from, cond, args := contactWhere(filterOnly(f), true)
	walk := !s.indexed
	if !walk {
		dense, err := q.denseFromStart(ctx, from, cond, args, s)
		if err != nil {
			return nil, err
		}
		walk = dense
	}
	after, aargs := "", []any(nil)
	if f.After != nil {
		after, aargs = afterCond, []any{f.After.Last, f.After.First, f.After.ID}
	}
	if walk {
		c := andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`)
		if after != "" {
			c = andWhere(c, after)
		}
		a := append(append(append([]any{}, args...), s.like), aargs...)
		return collectIDs(q, ctx, `SELECT c.id`+from+c+listOrder+` LIMIT ? OFFSET ?`, append(a, f.Limit+1, f.Offset)...)
	}
	upto, err := q.indexedUpto(ctx)
	if err != nil {
		return nil, err
	}
	indexed, tail := andWhere(cond, `s.search_key GLOB ?`), andWhere(cond, `c.id > ? AND c.search_key LIKE ? ESCAPE '\'`)
	if after != "" {
		indexed, tail = andWhere(indexed, after), andWhere(tail, after)
	}
	a := append(append(append([]any{}, args...), s.glob), aargs...)
	a = append(append(append(append(a, args...), upto, s.like), aargs...), f.Limit+1, f.Offset)
	const cols = `SELECT c.id, c.last_name, c.first_name`
	return collectIDs(q, ctx, `SELECT id FROM (`+cols+searchFrom(from)+indexed+` UNION ALL `+cols+from+tail+`)
		ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ? OFFSET ?`, a...)
}

// denseFromStart probes the first entries of the listing in order: a
// query that matches often among them fills its page there at once, and a
// listing shorter than the probe is read whole anyway.
func (q Q) denseFromStart(ctx context.Context, from, cond string, args []any, s search) (bool, error) {
	var n, hits int
	err := q.q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(search_key LIKE ? ESCAPE '\'), 0) FROM (SELECT c.search_key`+
		from+cond+listOrder+` LIMIT ?)`, append(append([]any{s.like}, args...), probeRows)...).Scan(&n, &hits)
	if err != nil {
		return false, fmt.Errorf("search probe: %w", err)
	}
	return n < probeRows || hits >= probeDense, nil
}

const afterCond = `(c.last_name, c.first_name, c.id) > (? COLLATE NOCASE, ? COLLATE NOCASE, ?)`
