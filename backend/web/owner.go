package web

import (
	"fmt"
	"net/http"
	"time"
)

// maxBackup bounds an uploaded backup.
const maxBackup = 1 << 30

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
