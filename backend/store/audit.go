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
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.linkAudit(ctx, e)
}

// auditChunk is how many rows InsertAudits writes with one statement (six
// parameters a row, far below SQLite's limit).
const auditChunk = 100

// InsertAudits records entries in their order, as InsertAudit would, but
// a run of plain ones (no before or after, no other contacts, not about an
// invitation: the client area's views) goes in with one statement of up to
// auditChunk rows, which costs a fraction of a statement each. Plain
// entries do not learn their ID.
func (tx *Tx) InsertAudits(ctx context.Context, rows []*model.AuditEntry) error {
	args := make([]any, 0, 6*min(len(rows), auditChunk))
	n := 0 // plain rows in args
	var atV, actionV, entityV any
	var lastAt int64
	var lastAction, lastEntity string
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := auditRowsSQL
		if n < auditChunk {
			q = rowsSQL(auditInsert, auditValues, n)
		}
		_, err := tx.q.ExecContext(ctx, q, args...)
		args, n = args[:0], 0
		if err != nil {
			return fmt.Errorf("insert audit: %w", err)
		}
		return nil
	}
	for _, e := range rows {
		if e.Before != nil || e.After != nil || len(e.Contacts) > 0 || e.Entity == "invitation" {
			if err := flush(); err != nil {
				return err
			}
			if err := tx.InsertAudit(ctx, e); err != nil {
				return err
			}
			continue
		}
		// Rows in a batch mostly share the second, the action and the
		// entity: those are boxed once, not once a row.
		if at := e.At.Unix(); atV == nil || at != lastAt {
			atV, lastAt = at, at
		}
		if actionV == nil || e.Action != lastAction {
			actionV, lastAction = e.Action, e.Action
		}
		if entityV == nil || e.Entity != lastEntity {
			entityV, lastEntity = e.Entity, e.Entity
		}
		args = append(args, atV, e.Actor, actionV, entityV, e.EntityID, e.Summary)
		if n++; n == auditChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

const (
	auditInsert = `INSERT INTO audit_log (at, actor, action, entity, entity_id, summary) VALUES `
	auditValues = `(?, ?, ?, ?, ?, ?)`
)

var auditRowsSQL = rowsSQL(auditInsert, auditValues, auditChunk)

// linkAudit records the contacts an entry concerns (audit_contacts).
func (tx *Tx) linkAudit(ctx context.Context, e *model.AuditEntry) error {
	if e.Entity == "invitation" && e.EntityID != 0 {
		if _, err := tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO audit_contacts (audit_id, contact_id)
			SELECT ?, contact_id FROM invitations WHERE id = ?`, e.ID, e.EntityID); err != nil {
			return fmt.Errorf("audit contacts: %w", err)
		}
	}
	if len(e.Contacts) == 0 {
		return nil
	}
	_, err := tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO audit_contacts (audit_id, contact_id)
		SELECT ?, value FROM json_each(?)`, e.ID, idList(e.Contacts))
	if err != nil {
		return fmt.Errorf("audit contacts: %w", err)
	}
	return nil
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

// AuditFilter narrows the audit log listing. Zero fields match everything.
type AuditFilter struct {
	Entity   string
	EntityID int64
	// ContactID: entries about the contact, as its entity or among those a
	// bulk action, an import or an invitation concerned.
	ContactID int64
	Query     string // in the summary or the actor
	Actor     string // owner, contact or watcher (Grantbook's own: the mail watcher, timers)
	From, To  time.Time
	Limit     int
	Offset    int
}

// Actor kinds of the audit filter, by how actors are named.
var actorKinds = map[string]string{
	"owner":   `(actor = 'owner' OR actor LIKE 'owner %')`,
	"contact": `(actor LIKE 'contact %' OR actor LIKE 'invitee %')`,
	"watcher": `(actor IN ('system', 'mail watcher'))`,
}

// ValidActorKind reports whether kind is one the filter knows.
func ValidActorKind(kind string) bool { _, ok := actorKinds[kind]; return ok }

func auditWhere(f AuditFilter) (string, []any) {
	var where []string
	var args []any
	if f.Entity != "" {
		where, args = append(where, "entity = ?"), append(args, f.Entity)
	}
	if f.EntityID != 0 {
		where, args = append(where, "entity_id = ?"), append(args, f.EntityID)
	}
	if f.ContactID != 0 {
		where = append(where, `((entity = 'contact' AND entity_id = ?) OR id IN (SELECT audit_id FROM audit_contacts WHERE contact_id = ?))`)
		args = append(args, f.ContactID, f.ContactID)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		// LIKE ignores the case of ASCII letters only.
		like := "%" + escapeLike(s) + "%"
		where, args = append(where, `(summary LIKE ? ESCAPE '\' OR actor LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if cond, ok := actorKinds[f.Actor]; ok {
		where = append(where, cond)
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.Unix())
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Audit lists entries newest first and counts all matches.
func (q Q) Audit(ctx context.Context, f AuditFilter) ([]*model.AuditEntry, int, error) {
	cond, args := auditWhere(f)
	var total int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit: %w", err)
	}
	out := []*model.AuditEntry{}
	err := q.eachAudit(ctx, cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset), func(e *model.AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, total, err
}

// EachAudit calls fn with every entry f matches (Limit and Offset are
// ignored), newest first, one row at a time. fn must not use q.
func (q Q) EachAudit(ctx context.Context, f AuditFilter, fn func(*model.AuditEntry) error) error {
	cond, args := auditWhere(f)
	return q.eachAudit(ctx, cond+` ORDER BY id DESC`, args, fn)
}

func (q Q) eachAudit(ctx context.Context, tail string, args []any, fn func(*model.AuditEntry) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT id, at, actor, action, entity, entity_id, summary, before, after
		FROM audit_log`+tail, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e model.AuditEntry
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &e.Summary, &before, &after); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}
