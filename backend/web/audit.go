package web

import (
	"bufio"
	"net/http"
	"net/url"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// auditQuery reads the audit log's search from the query string.
func auditQuery(w http.ResponseWriter, q url.Values) (core.AuditQuery, bool) {
	f := core.AuditQuery{Entity: q.Get("entity"), Query: q.Get("q"), Actor: q.Get("actor"), From: q.Get("from"), To: q.Get("to")}
	var ok bool
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"entity_id", &f.EntityID}, {"contact_id", &f.ContactID}} {
		if *p.dst, ok = queryInt(w, q.Get(p.name), p.name); !ok {
			return f, false
		}
	}
	if f.Limit, f.Offset, ok = paging(w, q); !ok {
		return f, false
	}
	return f, true
}

func (a *API) audit(w http.ResponseWriter, r *http.Request) {
	f, ok := auditQuery(w, r.URL.Query())
	if !ok {
		return
	}
	entries, total, err := a.app.SearchAudit(r.Context(), f)
	if entries == nil {
		entries = []*model.AuditEntry{}
	}
	a.reply(w, r, http.StatusOK, map[string]any{"entries": entries, "total": total}, err)
}

// exportAudit streams the entries the search matches as CSV.
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request) {
	f, ok := auditQuery(w, r.URL.Query())
	if !ok {
		return
	}
	// A bad search is answered before anything is written.
	if _, _, err := a.app.SearchAudit(r.Context(), core.AuditQuery{Actor: f.Actor, From: f.From, To: f.To, Limit: 1}); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+time.Now().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := a.app.ExportAudit(r.Context(), f, bw); err != nil {
		a.log.Error("audit export failed", "err", err)
		return
	}
	if err := bw.Flush(); err != nil {
		a.log.Warn("audit export not delivered", "err", err)
	}
}
