package store

import (
	"context"
	"strings"
)

// Searching (migration 12). A query of three characters or more finds its
// candidates in the trigram index (all of its trigrams, in any order: a
// MATCH that reads only the index), which the LIKE on search_key that a
// scan would use then checks exactly on the row read anyway; the rows above search_state's mark, which a bulk import left
// for the background indexer, are read directly. A query that matches
// densely from the start of the list is served by walking the list order
// instead, which stops after one page.
const (
	// SearchCountCap is how many matches a search counts at most; past
	// it the total says "more than" (ContactCount.Capped).
	SearchCountCap = 1000
)

// SearchWindow is how many entries of the list, in order, a search reads
// for its page before it asks the trigram index (a variable for tests).
var SearchWindow = 20000

// search is a query prepared for both ways of answering it.
type search struct {
	like  string
	match string // the FTS5 query of its trigrams ("": shorter than one)
}

// maxTrigrams is how many of a long query's trigrams the index is asked
// for: the first, the last and some between narrow enough, and the LIKE
// checks the rest.
const maxTrigrams = 8

func newSearch(query string) (search, bool) {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(query), "\x1f", ""))
	if s == "" {
		return search{}, false
	}
	return search{like: "%" + escapeLike(s) + "%", match: trigramMatch(s)}, true
}

// trigramMatch is an FTS5 query for rows holding every (or, for a long s,
// maxTrigrams spread) trigram of s, each a quoted string ("" doubled):
// a superset of the rows that contain s.
func trigramMatch(s string) string {
	r := []rune(s)
	n := len(r) - 2
	if n < 1 {
		return ""
	}
	var terms []string
	seen := map[string]bool{}
	for k := range min(n, maxTrigrams) {
		i := k
		if n > maxTrigrams {
			i = k * (n - 1) / (maxTrigrams - 1)
		}
		t := string(r[i : i+3])
		if !seen[t] {
			seen[t] = true
			terms = append(terms, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
		}
	}
	return strings.Join(terms, " AND ")
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
// (FTS5 takes MATCH on the table's own name, not an alias.)
func searchFrom(from string) string {
	from = strings.TrimPrefix(from, ` FROM contacts c`)
	return ` FROM contacts_search CROSS JOIN contacts c ON c.id = contacts_search.rowid` + from
}

// indexedCond is the WHERE of the indexed candidates.
const indexedCond = `contacts_search MATCH ? AND c.search_key LIKE ? ESCAPE '\'`

// countSearch counts up to SearchCountCap+1 matches of f.
func (q Q) countSearch(ctx context.Context, f ContactFilter, s search) (int, error) {
	from, cond, args := contactWhere(filterOnly(f), true)
	limit := SearchCountCap + 1
	if s.match == "" {
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
	err = q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+searchFrom(from)+andWhere(cond, indexedCond)+
		` UNION ALL SELECT 1`+from+andWhere(cond, `c.id > ? AND c.search_key LIKE ? ESCAPE '\'`)+` LIMIT ?)`,
		append(append(append(append([]any{}, args...), s.match, s.like), args...), upto, s.like, limit)...).Scan(&n)
	return n, err
}

// searchIDs is the page of f's matches in list order (Limit+1 ids: the
// last says whether more follow).
func (q Q) searchIDs(ctx context.Context, f ContactFilter, s search) ([]int64, error) {
	from, cond, args := contactWhere(filterOnly(f), true)
	after, aargs := "", []any(nil)
	if f.After != nil {
		after, aargs = afterCond, []any{f.After.Last, f.After.First, f.After.ID}
	}
	if s.match == "" {
		c := andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`)
		if after != "" {
			c = andWhere(c, after)
		}
		a := append(append(append([]any{}, args...), s.like), aargs...)
		return collectIDs(q, ctx, `SELECT c.id`+from+c+listOrder+` LIMIT ? OFFSET ?`, append(a, f.Limit+1, f.Offset)...)
	}
	if f.Offset == 0 {
		wc := cond
		if after != "" {
			wc = andWhere(cond, after)
		}
		ids, err := q.walkWindow(ctx, from, wc, append(append([]any{}, args...), aargs...), s, f.Limit+1)
		if err != nil || len(ids) == f.Limit+1 {
			return ids, err
		}
	}
	upto, err := q.indexedUpto(ctx)
	if err != nil {
		return nil, err
	}
	indexed, tail := andWhere(cond, indexedCond), andWhere(cond, `c.id > ? AND c.search_key LIKE ? ESCAPE '\'`)
	if after != "" {
		indexed, tail = andWhere(indexed, after), andWhere(tail, after)
	}
	a := append(append(append([]any{}, args...), s.match, s.like), aargs...)
	a = append(append(append(append(a, args...), upto, s.like), aargs...), f.Limit+1, f.Offset)
	const cols = `SELECT c.id, c.last_name, c.first_name`
	return collectIDs(q, ctx, `SELECT id FROM (`+cols+searchFrom(from)+indexed+` UNION ALL `+cols+from+tail+`)
		ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ? OFFSET ?`, a...)
}

// walkWindow reads the next SearchWindow entries of the listing in order
// (from its covering index: no row is read) and returns up to want of
// them that match. A query that matches densely there fills its page
// at once; otherwise the index answers, in a time that grows with the
// matches rather than with their place in the list.
func (q Q) walkWindow(ctx context.Context, from, cond string, args []any, s search, want int) ([]int64, error) {
	return collectIDs(q, ctx, `SELECT id FROM (SELECT c.id, c.last_name, c.first_name, c.search_key`+from+cond+listOrder+` LIMIT ?)
		WHERE search_key LIKE ? ESCAPE '\' ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?`,
		append(append([]any{}, args...), SearchWindow, s.like, want)...)
}

const afterCond = `(c.last_name, c.first_name, c.id) > (? COLLATE NOCASE, ? COLLATE NOCASE, ?)`
