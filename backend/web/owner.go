package web

import (
	"fmt"
	"net/http"
	"time"

	"grantbook/backend/core"
)

// maxBackup bounds an uploaded backup.
const maxBackup = 1 << 30

func (a *API) updateAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var p core.AccountPatch
	if !decode(w, r, &p) {
		return
	}
	acc, err := a.app.UpdateAccount(r.Context(), id, p)
	a.reply(w, r, http.StatusOK, acc, err)
}

func (a *API) listInvoices(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	invs, err := a.app.Invoices(r.Context(), id)
	a.reply(w, r, http.StatusOK, map[string]any{"invoices": invs}, err)
}

func (a *API) createInvoice(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in core.InvoiceInput
	if !decode(w, r, &in) {
		return
	}
	inv, err := a.app.CreateInvoice(r.Context(), id, in)
	a.reply(w, r, http.StatusCreated, inv, err)
}

func (a *API) listQuotes(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	qs, err := a.app.Quotes(r.Context(), id)
	a.reply(w, r, http.StatusOK, map[string]any{"quotes": qs}, err)
}

func (a *API) createQuote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in core.QuoteInput
	if !decode(w, r, &in) {
		return
	}
	q, err := a.app.CreateQuote(r.Context(), id, in)
	a.reply(w, r, http.StatusCreated, q, err)
}

func (a *API) listSupport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	srs, err := a.app.SupportRequests(r.Context(), id)
	a.reply(w, r, http.StatusOK, map[string]any{"support_requests": srs}, err)
}

func (a *API) createSupport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in core.SupportInput
	if !decode(w, r, &in) {
		return
	}
	sr, err := a.app.CreateSupport(r.Context(), id, in)
	a.reply(w, r, http.StatusCreated, sr, err)
}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ss, err := a.app.Sessions(r.Context(), id)
	a.reply(w, r, http.StatusOK, map[string]any{"sessions": ss}, err)
}

func (a *API) revokeSessions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		SessionID int64 `json:"session_id"`
	}
	if r.ContentLength != 0 && !decode(w, r, &in) {
		return
	}
	n, err := a.app.RevokeSessions(r.Context(), id, in.SessionID)
	a.reply(w, r, http.StatusOK, map[string]any{"revoked": n}, err)
}

func (a *API) backup(w http.ResponseWriter, r *http.Request) {
	name := fmt.Sprintf("grantbook-%s.db", time.Now().UTC().Format("2006-01-02-150405"))
	w.Header().Set("Content-Type", "application/vnd.sqlite3")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := a.app.BackupStream(r.Context(), w); err != nil {
		a.log.Error("backup failed", "err", err)
	}
}

func (a *API) restore(w http.ResponseWriter, r *http.Request) {
	res, err := a.app.Restore(r.Context(), http.MaxBytesReader(w, r.Body, maxBackup))
	a.reply(w, r, http.StatusOK, res, err)
}

func (a *API) lockStatus(w http.ResponseWriter, r *http.Request) {
	on, err := a.app.LockEnabled(r.Context())
	a.reply(w, r, http.StatusOK, map[string]bool{"enabled": on}, err)
}

func (a *API) setLock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Current    string `json:"current"`
		Passphrase string `json:"passphrase"`
	}
	if !decode(w, r, &in) {
		return
	}
	err := a.app.SetPassphrase(r.Context(), in.Current, in.Passphrase)
	a.reply(w, r, http.StatusOK, map[string]bool{"enabled": in.Passphrase != ""}, err)
}
