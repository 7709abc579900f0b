package store

import (
	"context"
	"fmt"
	"strings"
)

// SchemaObject is one entry of sqlite_master: a table, index, trigger or
// view. SQL has its runs of blanks made one space (empty for the indexes
// SQLite makes itself).
type SchemaObject struct {
	Type, Name, Table, SQL string
}

// Schema lists every entry of sqlite_master, ordered by type and name.
func (q Q) Schema(ctx context.Context) ([]SchemaObject, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	var out []SchemaObject
	for rows.Next() {
		var o SchemaObject
		if err := rows.Scan(&o.Type, &o.Name, &o.Table, &o.SQL); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		o.SQL = strings.Join(strings.Fields(o.SQL), " ")
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return out, nil
}

// columns lists a table's stored columns (generated ones are computed).
func (q Q) columns(ctx context.Context, table string) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ident quotes an SQL identifier.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
