package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
)

// InsertAudit records a change. Before and after are stored as JSON.
func (tx *Tx) InsertAudit(ctx context.Context, e *model.AuditEntry) error {
	before, err := jsonOrNull(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(e.After)
	if err != nil {
		return err
	}
	res, err := tx.q.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, entity, entity_id, summary, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.At.Unix(), e.Actor, e.Action, e.Entity, e.EntityID, e.Summary, before, after)
	if err != nil {
		return fmt.Errorf("insert audit: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

func jsonOrNull(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit json: %w", err)
	}
	return string(b), nil
}

// AuditFilter narrows the audit log listing.
type AuditFilter struct {
	Entity   string
	EntityID int64
	Limit    int
	Offset   int
}

// Audit lists entries newest first and counts all matches.
func (q Q) Audit(ctx context.Context, f AuditFilter) ([]*model.AuditEntry, int, error) {
	var where []string
	var args []any
	if f.Entity != "" {
		where, args = append(where, "entity = ?"), append(args, f.Entity)
	}
	if f.EntityID != 0 {
		where, args = append(where, "entity_id = ?"), append(args, f.EntityID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit: %w", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT id, at, actor, action, entity, entity_id, summary, before, after
		FROM audit_log`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := []*model.AuditEntry{}
	for rows.Next() {
		var e model.AuditEntry
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &e.Summary, &before, &after); err != nil {
			return nil, 0, fmt.Errorf("audit: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		out = append(out, &e)
	}
	return out, total, rows.Err()
}
