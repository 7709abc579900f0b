package core

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// AuditQuery is the audit log's search: text, a contact, who acted (owner,
// contact, watcher) and a range of whole days (yyyy-mm-dd, both included)
// in the owner's time zone.
type AuditQuery struct {
	Entity    string
	EntityID  int64
	ContactID int64
	Query     string
	Actor     string
	From, To  string
	Limit     int
	Offset    int
}

// AuditColumns is the header of an exported audit log.
var AuditColumns = []string{"time", "actor", "action", "entity", "entity_id", "summary", "before", "after"}

func (a *App) auditFilter(ctx context.Context, q AuditQuery) (AuditFilter, error) {
	f := AuditFilter{Entity: q.Entity, EntityID: q.EntityID, ContactID: q.ContactID, Query: q.Query, Actor: q.Actor}
	if f.Actor != "" && !store.ValidActorKind(f.Actor) {
		return f, invalid("actor", "actor must be owner, contact or watcher")
	}
	zone := a.zone(ctx)
	for _, d := range []struct {
		day, field string
		dst        *time.Time
		end        bool
	}{{q.From, "from", &f.From, false}, {q.To, "to", &f.To, true}} {
		if d.day == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.day, zone)
		if err != nil {
			return f, invalid(d.field, "%q is not a date like 2026-01-31", d.day)
		}
		if d.end {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, invalid("to", "the end of the range is before its start")
	}
	f.Limit, f.Offset = page(q.Limit, q.Offset)
	return f, nil
}

// SearchAudit lists the entries q matches, newest first, and counts them.
func (a *App) SearchAudit(ctx context.Context, q AuditQuery) ([]*model.AuditEntry, int, error) {
	f, err := a.auditFilter(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	a.views.flush() // the client area's queued rows first
	return a.store.Audit(ctx, f)
}

// ExportAudit writes the entries q matches to w as CSV (AuditColumns),
// times in the owner's time zone; cells a spreadsheet would run as a
// formula are neutralised as in the contacts' CSV.
func (a *App) ExportAudit(ctx context.Context, q AuditQuery, w io.Writer) error {
	f, err := a.auditFilter(ctx, q)
	if err != nil {
		return err
	}
	a.views.flush()
	zone := a.zone(ctx)
	cw := csv.NewWriter(w)
	if err := cw.Write(AuditColumns); err != nil {
		return err
	}
	rec := make([]string, len(AuditColumns))
	err = a.store.EachAudit(ctx, f, func(e *model.AuditEntry) error {
		copy(rec, []string{e.At.In(zone).Format(time.RFC3339), e.Actor, e.Action, e.Entity, strconv.FormatInt(e.EntityID, 10),
			e.Summary, rawJSON(e.Before), rawJSON(e.After)})
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func rawJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case json.RawMessage:
		return string(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
