package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Searching (migrations 12 and 19). A query of three characters or more
// finds its candidates in the trigram index (all of its trigrams, in any
// order: a MATCH that reads only the index), which the LIKE on search_key
// that a scan would use then checks exactly on the row read anyway. The
// index yields them by search rank, nearly in list order (searchorder.go):
// a page reads candidates until it has enough and its last search group is
// complete, and sorts only those. The rows the index lacks (above
// search_state's mark, which a bulk import left for the background
// indexer, or without a group) are read directly. A filtered listing (an
// account, a status) is first walked in its own order for a while: its
// matches may be few among the index's.
const (
	// SearchCountCap is how many matches a search counts at most; past
	// it the total says "more than" (ContactCount.Capped).
	SearchCountCap = 1000
)

// SearchWindow is how many entries of a filtered list, in order, a search
// reads for its page before it asks the trigram index (a variable for tests).
var SearchWindow = 20000

// search is a query prepared for both ways of answering it.
type search struct {
	like  string
	terms []string // its trigrams, quoted for FTS5 (none: shorter than one)
	match string   // the FTS5 query of the selective ones (termsOf)
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
	return search{like: "%" + escapeLike(s) + "%", terms: trigrams(s)}, true
}

// trigrams are every (or, for a long s, maxTrigrams spread) trigram of s,
// each a quoted string ("" doubled): the rows holding them all are a
// superset of the rows that contain s.
func trigrams(s string) []string {
	r := []rune(s)
	n := len(r) - 2
	if n < 1 {
		return nil
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
	return terms
}

// withMatch sets s.match: its rare trigrams (in at most commonTerm rows)
// when it has some, else the three least common below manyTerm, else all
// of them. The index walks every entry of each trigram it is asked for,
// and a rare one narrows enough: "user4242@" asks for "424", "242" and
// "42@", not for "use" and "ser", which are in every row. (The LIKE checks
// the rest: which trigrams are asked changes the time, never the answer.)
func (q Q) withMatch(ctx context.Context, s search) (search, error) {
	if len(s.terms) == 0 {
		return s, nil
	}
	var rare []string
	for _, t := range s.terms {
		n, err := q.termRows(ctx, t, commonTerm)
		if err != nil {
			return s, err
		}
		if n <= commonTerm {
			rare = append(rare, t)
		}
	}
	if len(rare) == 0 {
		counts := map[string]int{}
		for _, t := range s.terms {
			n, err := q.termRows(ctx, t, manyTerm)
			if err != nil {
				return s, err
			}
			if n <= manyTerm {
				rare, counts[t] = append(rare, t), n
			}
		}
		slices.SortStableFunc(rare, func(a, b string) int { return counts[a] - counts[b] })
		rare = rare[:min(len(rare), 3)]
	}
	if len(rare) == 0 {
		rare = s.terms
	}
	s.match = strings.Join(rare, " AND ")
	return s, nil
}

// A trigram in more than commonTerm rows is common; one in more than
// manyTerm is in too many to be worth asking for when others are fewer.
const (
	commonTerm = 1000
	manyTerm   = 50000
)

// termCounts are how many rows hold each trigram, counted up to a cap
// once and forgotten when contacts change (Store.tell).
type termCounts struct {
	mu sync.Mutex
	n  map[string]termCount
}

type termCount struct{ n, cap int }

// termRows is how many rows hold term, or cap+1 when more do.
func (q Q) termRows(ctx context.Context, term string, cap int) (int, error) {
	tc := q.terms
	if tc == nil {
		return 0, nil // (a transaction's own Q) every trigram counts as rare
	}
	tc.mu.Lock()
	c, ok := tc.n[term]
	tc.mu.Unlock()
	if ok && (c.n <= c.cap || c.cap >= cap) {
		return min(c.n, cap+1), nil
	}
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM contacts_search WHERE contacts_search MATCH ? LIMIT ?)`,
		term, cap+1).Scan(&n)
	if err != nil {
		return 0, err
	}
	tc.mu.Lock()
	if len(tc.n) >= 1<<16 {
		clear(tc.n)
	}
	tc.n[term] = termCount{n, cap}
	tc.mu.Unlock()
	return n, nil
}

func (tc *termCounts) forget() {
	if tc != nil {
		tc.mu.Lock()
		clear(tc.n)
		tc.mu.Unlock()
	}
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

// searchFrom is the FROM of the indexed candidates: the index first, each
// rank's contact by its id. (FTS5 takes MATCH on the table's own name, not
// an alias.)
func searchFrom(from string) string {
	from = strings.TrimPrefix(from, ` FROM contacts c`)
	return ` FROM contacts_search CROSS JOIN contacts c ON c.id = (contacts_search.rowid & ` + strconv.Itoa(rankMaxID) + `)` + from
}

// indexedCond is the WHERE of the indexed candidates; unindexedCond that
// of the rows the index lacks (its arguments: unindexedAbove twice), looked
// up by id: there are none but after a bulk import or a restore.
const (
	indexedCond   = `contacts_search MATCH ? AND c.search_key LIKE ? ESCAPE '\'`
	unindexedCond = `c.id IN (SELECT id FROM contacts WHERE id > ? UNION ALL
		SELECT id FROM contacts WHERE search_group IS NULL AND id <= ?) AND c.search_key LIKE ? ESCAPE '\'`
)

// unindexed is unindexedAbove, and whether any contact is not in the
// index (above it, or without a group): usually none, and a page need not
// look for them.
func (q Q) unindexed(ctx context.Context) (above int64, some bool, err error) {
	err = q.q.QueryRowContext(ctx, `SELECT a, EXISTS (SELECT 1 FROM contacts WHERE id > a) OR EXISTS (SELECT 1 FROM contacts WHERE search_group IS NULL)
		FROM (SELECT min(indexed_upto, `+strconv.Itoa(rankMaxID)+`) AS a FROM search_state)`).Scan(&above, &some)
	return above, some, err
}

// unindexedAbove is the id above which no contact is in the index.
func (q Q) unindexedAbove(ctx context.Context) (int64, error) {
	upto, err := q.indexedUpto(ctx)
	return min(upto, rankMaxID), err
}

// countSearch counts up to SearchCountCap+1 matches of f.
func (q Q) countSearch(ctx context.Context, f ContactFilter, s search) (int, error) {
	from, cond, args := contactWhere(filterOnly(f), true)
	limit := SearchCountCap + 1
	s, err := q.withMatch(ctx, s)
	if err != nil {
		return 0, err
	}
	if s.match == "" {
		var n int
		err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+from+andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`)+` LIMIT ?)`,
			append(args, s.like, limit)...).Scan(&n)
		return n, err
	}
	above, err := q.unindexedAbove(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+searchFrom(from)+andWhere(cond, indexedCond)+
		` UNION ALL SELECT 1`+from+andWhere(cond, unindexedCond)+` LIMIT ?)`,
		append(append(append(append([]any{}, args...), s.match, s.like), args...), above, above, s.like, limit)...).Scan(&n)
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
	s, err := q.withMatch(ctx, s)
	if err != nil {
		return nil, err
	}
	withAfter := func(c string) string {
		if after != "" {
			return andWhere(c, after)
		}
		return c
	}
	if s.match == "" {
		a := append(append(append([]any{}, args...), s.like), aargs...)
		return collectIDs(q, ctx, `SELECT c.id`+from+withAfter(andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`))+listOrder+` LIMIT ? OFFSET ?`,
			append(a, f.Limit+1, f.Offset)...)
	}
	if f.Offset == 0 && cond != "" {
		ids, err := q.walkWindow(ctx, from, withAfter(cond), append(append([]any{}, args...), aargs...), s, f.Limit+1)
		if err != nil || len(ids) == f.Limit+1 {
			return ids, err
		}
	}
	want := f.Offset + f.Limit + 1
	var start int64
	if f.After != nil {
		start = searchGroup(f.After.Last, f.After.First) << rankIDBits
	}
	p := pageQuery{q: q, from: from, cond: cond, withAfter: withAfter, args: args, aargs: aargs, s: s, want: want}
	// The index alone first: when the group of the want-th candidate holds
	// SearchGroupRead more, it is dense (a common last name) and the list
	// is walked there at once, no candidate's row read.
	var keys []rankedKey
	walked, tried := false, int64(-1) // keys are the list's own, in its order; the group walked from
	cands, err := collectIDs(q, ctx, `SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? AND rowid >= ? ORDER BY rowid LIMIT ?`,
		s.match, start, want+SearchGroupRead)
	if err != nil {
		return nil, err
	}
	if len(cands) == want+SearchGroupRead && cands[len(cands)-1] <= cands[want-1]|rankMaxID {
		tried = cands[0] >> rankIDBits
		if keys, walked, err = p.walkGroup(ctx, tried, cands[want-1]); err != nil {
			return nil, err
		}
	}
	if !walked {
		if keys, walked, err = p.rankedKeys(ctx, start, tried); err != nil {
			return nil, err
		}
	}
	return q.finishSearch(ctx, f, from, cond, withAfter, args, aargs, s, keys, walked)
}

// pageQuery is a search page's query, its filter and cursor.
type pageQuery struct {
	q           Q
	from, cond  string
	withAfter   func(string) string
	args, aargs []any // of cond, and of the cursor's condition
	s           search
	want        int
}

func (p pageQuery) listArgs() []any { return append(append([]any{}, p.args...), p.aargs...) }

// walkGroup walks the list from the first name group g can hold, for a
// page whose last candidate is last, if it is worth it: a short walk fills
// the page when the entries there mostly match (a common last name); a
// long one is tried only when the group holds too many candidates
// (SearchGroupMax) to read from the index instead (rankedKeys).
func (p pageQuery) walkGroup(ctx context.Context, g, last int64) ([]rankedKey, bool, error) {
	keys, err := p.q.walkFrom(ctx, p.from, p.withAfter(p.cond), p.listArgs(), p.s, g, p.want, shortWalkRows)
	if err != nil || len(keys) == p.want {
		return keys, err == nil, err
	}
	var n int
	if err := p.q.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM contacts_search WHERE contacts_search MATCH ? AND rowid > ? AND rowid <= ? LIMIT ?)`,
		p.s.match, last, last|rankMaxID, SearchGroupMax).Scan(&n); err != nil || n < SearchGroupMax {
		return nil, false, err
	}
	keys, err = p.q.walkFrom(ctx, p.from, p.withAfter(p.cond), p.listArgs(), p.s, g, p.want, walkRows)
	return keys, err == nil && len(keys) == p.want, err
}

// rankedKeys are the first want matches by rank from start, then the rest
// of the last one's group: every match that can sort before the page's
// end (a later group sorts after it). A group dense with matches may be
// walked in list order instead (walkGroup), unless it was (tried).
func (p pageQuery) rankedKeys(ctx context.Context, start, tried int64) (keys []rankedKey, walked bool, err error) {
	a := append(append(append([]any{}, p.args...), p.s.match, p.s.like), p.aargs...)
	indexed := `SELECT contacts_search.rowid, c.id, c.last_name, c.first_name` + searchFrom(p.from) + p.withAfter(andWhere(p.cond, indexedCond))
	// One read for both: the first want, and up to SearchGroupRead after
	// them (those of the last one's group come first: by rank).
	ranked, err := collectRanked(p.q, ctx, indexed+` AND contacts_search.rowid >= ? ORDER BY contacts_search.rowid LIMIT ?`,
		append(a, start, p.want+SearchGroupRead)...)
	if err != nil {
		return nil, false, err
	}
	keys = ranked[:min(len(ranked), p.want)]
	if len(keys) < p.want {
		return keys, false, nil
	}
	first, last := keys[0].rank, keys[p.want-1].rank
	var more []rankedKey
	for _, k := range ranked[p.want:] {
		if k.rank <= last|rankMaxID {
			more = append(more, k)
		}
	}
	if len(more) == SearchGroupRead {
		if g := first >> rankIDBits; g != tried {
			w, walked, err := p.walkGroup(ctx, g, last)
			if err != nil || walked {
				return w, walked, err
			}
		}
		if more, err = collectRanked(p.q, ctx, indexed+` AND contacts_search.rowid > ? AND contacts_search.rowid <= ? ORDER BY contacts_search.rowid`,
			append(a, last, last|rankMaxID)...); err != nil {
			return nil, false, err
		}
	}
	return append(keys[:p.want:p.want], more...), false, nil
}

// finishSearch adds the rows the index lacks to keys, puts them in list
// order (unless keys are walked and nothing was added) and cuts the page.
func (q Q) finishSearch(ctx context.Context, f ContactFilter, from, cond string, withAfter func(string) string, args, aargs []any,
	s search, keys []rankedKey, walked bool) ([]int64, error) {
	want := f.Offset + f.Limit + 1
	above, some, err := q.unindexed(ctx)
	if err != nil {
		return nil, err
	}
	var tail []rankedKey
	if some {
		tail, err = collectRanked(q, ctx, `SELECT 0, c.id, c.last_name, c.first_name`+from+withAfter(andWhere(cond, unindexedCond))+listOrder+` LIMIT ?`,
			append(append(append(append([]any{}, args...), above, above, s.like), aargs...), want)...)
		if err != nil {
			return nil, err
		}
	}
	if !walked || len(tail) > 0 {
		// In list order (listBefore is SQLite's listOrder), once each.
		keys = append(keys, tail...)
		slices.SortFunc(keys, func(x, y rankedKey) int {
			switch {
			case listBefore(x.SortKey, y.SortKey):
				return -1
			case listBefore(y.SortKey, x.SortKey):
				return 1
			}
			return 0
		})
		keys = slices.CompactFunc(keys, func(x, y rankedKey) bool { return x.ID == y.ID })
	}
	if f.Offset >= len(keys) {
		return nil, nil
	}
	keys = keys[f.Offset:min(len(keys), f.Offset+f.Limit+1)]
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids, nil
}

// A rankedKey is a candidate: its rank (0: not from the index) and its
// place in list order.
type rankedKey struct {
	rank int64
	SortKey
}

// SearchGroupRead is how many more matches of its last group a page reads
// from the index before it walks the list there instead (a variable for
// tests).
var SearchGroupRead = 64

// walkFrom reads the list in order from the first name group g can hold
// (no match after the cursor sorts before it) and returns the first want
// matches; fewer when they are not among the first rows×want entries.
// SQLite walks the covering index and checks each entry, and stops at the
// want-th match: only matches cross cgo, and a dense group reads no more
// than it returns. The walk's rows come in the index's order; that SQL
// does not promise it without an outer ORDER BY (which would read every
// entry to sort them) is checked here, and the sorted form answers if it
// ever fails.
func (q Q) walkFrom(ctx context.Context, from, cond string, args []any, s search, g int64, want, rows int) ([]rankedKey, error) {
	last, first := groupFloor(g)
	cond = andWhere(cond, `(c.last_name, c.first_name, c.id) >= (? COLLATE NOCASE, ? COLLATE NOCASE, 0)`)
	inner := `(SELECT c.id, c.last_name, c.first_name, c.search_key` + from + cond + listOrder + ` LIMIT ?) WHERE search_key LIKE ? ESCAPE '\'`
	a := append(append([]any{}, args...), last, first, rows*want, s.like, want)
	keys, err := collectRanked(q, ctx, `SELECT 0, id, last_name, first_name FROM `+inner+` LIMIT ?`, a...)
	for i := 1; err == nil && i < len(keys); i++ {
		if !listBefore(keys[i-1].SortKey, keys[i].SortKey) {
			return collectRanked(q, ctx, `SELECT 0, id, last_name, first_name FROM `+inner+
				` ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?`, a...)
		}
	}
	return keys, err
}

// listBefore tells whether a sorts before b in list order (listOrder:
// last and first name COLLATE NOCASE, which folds ASCII letters only, then
// the id).
func listBefore(a, b SortKey) bool {
	if c := nocase(a.Last, b.Last); c != 0 {
		return c < 0
	}
	if c := nocase(a.First, b.First); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

// nocase compares as SQLite's NOCASE collation does (sqlite3StrNICmp on
// the shorter length, then the lengths): its byte loop ends at a NUL of a,
// and what follows is not compared.
func nocase(a, b string) int {
	fold := func(c byte) int {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return int(c)
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == 0 {
			if b[i] != 0 {
				return -fold(b[i])
			}
			break
		}
		if x, y := fold(a[i]), fold(b[i]); x != y {
			return x - y
		}
	}
	return len(a) - len(b)
}

// walkRows bounds walkFrom: entries read a match wanted; shortWalkRows
// the first, short walk of a group dense with candidates.
const (
	walkRows      = 32
	shortWalkRows = 2
)

// SearchGroupMax is how many candidates of a page's last group, past the
// page, make it too large to read from the index rather than walk (a
// variable for tests). Reading a candidate costs about what walking five
// entries does (a row read at random against an index entry in order).
var SearchGroupMax = 512

// collectRanked reads (rank, id, last name, first name) rows.
func collectRanked(q Q, ctx context.Context, query string, args ...any) ([]rankedKey, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rankedKey
	for rows.Next() {
		var k rankedKey
		if err := rows.Scan(&k.rank, &k.ID, &k.Last, &k.First); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
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
