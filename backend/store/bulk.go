package store

import (
	"context"
	"fmt"
	"strconv"
)

// suspendTriggers drops the schema's triggers (all, or those of the named
// tables) inside tx and returns what recreates them, unchanged, in the same
// transaction: a bulk write (an import, a restore's copy) skips their work
// row by row and makes up for it once (search: the background indexer;
// caches: one change of its own). A rollback brings them back too.
func (tx *Tx) suspendTriggers(ctx context.Context, tables ...string) (func() error, error) {
	return tx.suspendTriggersBut(ctx, false, tables...)
}

// suspendTriggersBut is suspendTriggers keeping, when keepLog, the change
// log's triggers (migration 18): a paired device's bulk write must still
// reach its hub row by row; nothing makes up for those afterwards.
func (tx *Tx) suspendTriggersBut(ctx context.Context, keepLog bool, tables ...string) (func() error, error) {
	query, args := `SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`, []any{}
	if len(tables) > 0 {
		query, args = query+` AND tbl_name IN (SELECT value FROM json_each(?))`, []any{jsonList(tables)}
	}
	if keepLog {
		query += ` AND sql NOT LIKE '%INSERT INTO change_log%'`
	}
	rows, err := tx.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	var names, ddl []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("triggers: %w", err)
		}
		names, ddl = append(names, n), append(ddl, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	for _, n := range names {
		if _, err := tx.q.ExecContext(ctx, `DROP TRIGGER `+ident(n)); err != nil {
			return nil, fmt.Errorf("suspend trigger %s: %w", n, err)
		}
	}
	return func() error {
		for _, d := range ddl {
			if _, err := tx.q.ExecContext(ctx, d); err != nil {
				return fmt.Errorf("recreate trigger: %w", err)
			}
		}
		return nil
	}, nil
}

func jsonList(ss []string) string {
	b := []byte{'['}
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q", s)
	}
	return string(append(b, ']'))
}

// hasSearch reports whether the schema has the search index (migration 12).
func (q Q) hasSearch(ctx context.Context) (bool, error) { return q.hasTable(ctx, "search_state") }

func (q Q) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n == 1, err
}

// resetSearch empties the search index: every contact is then above the
// mark, read directly by searches until the indexer has added it.
func (tx *Tx) resetSearch(ctx context.Context) error {
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO contacts_search (contacts_search) VALUES ('delete-all')`); err != nil {
		return fmt.Errorf("reset search: %w", err)
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE search_state SET indexed_upto = 0`)
	return err
}

// MergeSearch does one step of merging the search index's b-trees into
// one (FTS5's incremental 'optimize': a 'merge' of a negative size), in a
// short transaction of about searchMergePages pages, and reports whether
// there was work (FTS5's own test: total_changes grew by two or more). An
// index built a batch at a time (an import, the indexer) holds many, and
// each MATCH seeks in every one: merged, a common trigram's first page of
// matches took a third of the time (100k contacts).
func (s *Store) MergeSearch(ctx context.Context) (more bool, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		var before, after int64
		if err := tx.q.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', -`+
			strconv.Itoa(searchMergePages)+`)`); err != nil {
			return fmt.Errorf("merge search index: %w", err)
		}
		err := tx.q.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
		more = after-before >= 2
		return err
	})
	return more, err
}

// searchMergePages bounds a merge step (pages of about 4 KB): the writer
// is held some tens of milliseconds.
const searchMergePages = 200

// SearchSegments is how many b-trees the search index holds.
func (q Q) SearchSegments(ctx context.Context) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM contacts_search_idx`).Scan(&n)
	return n, err
}

// IndexSearch adds up to n contacts above the mark to the search index, in
// one transaction, and reports whether any are left.
func (s *Store) IndexSearch(ctx context.Context, n int) (more bool, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		upto, err := tx.indexedUpto(ctx)
		if err != nil {
			return err
		}
		var last, left int64
		if err := tx.q.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM (SELECT id FROM contacts WHERE id > ? ORDER BY id LIMIT ?)`,
			upto, n).Scan(&last); err != nil || last == 0 {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO contacts_search (rowid, search_key)
			SELECT search_group << `+strconv.Itoa(rankIDBits)+` | id, search_key FROM contacts
			WHERE id > ? AND id <= ? AND id <= ? AND search_group IS NOT NULL`, upto, last, rankMaxID); err != nil {
			return fmt.Errorf("index search: %w", err)
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE search_state SET indexed_upto = ?`, last); err != nil {
			return err
		}
		err = tx.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM contacts WHERE id > ? LIMIT 1)`, last).Scan(&left)
		more = left > 0
		return err
	})
	s.terms.forget() // the trigrams' counts grew
	return more, err
}
