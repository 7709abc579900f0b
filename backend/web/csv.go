package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"time"
)

// csvRoutes are the contact import and export endpoints.
func (a *API) csvRoutes() []Route {
	return []Route{
		{"GET /api/accounts/{id}/contacts.csv", Owner, a.exportContacts},
		{"POST /api/accounts/{id}/contacts/import", Owner, a.importContacts},
		{"GET /api/imports/{job_id}", Owner, a.importStatus},
	}
}

// exportContacts streams the account's contacts as CSV.
func (a *API) exportContacts(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.app.Account(r.Context(), id); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="account-%d-contacts.csv"`, id))
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := a.app.ExportContacts(r.Context(), id, bw); err != nil {
		// The status line is gone: the client sees a cut-off file.
		a.log.Error("contact export failed", "account", id, "err", err)
		return
	}
	if err := bw.Flush(); err != nil {
		a.log.Warn("contact export not delivered", "account", id, "err", err)
	}
}

// importContacts reads a CSV body and starts its import in the background.
func (a *API) importContacts(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.app.Account(r.Context(), id); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	// The body goes to a file as it comes (core spools it): memory stays
	// flat for a file of any size up to the limit.
	body := uploadReader{r.Body, http.NewResponseController(w)}
	job, err := a.app.StartImportFrom(r.Context(), id, body)
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"job_id": job})
}

// importStatus reports an import's progress.
func (a *API) importStatus(w http.ResponseWriter, r *http.Request) {
	p, err := a.app.ImportStatus(r.PathValue("job_id"))
	a.reply(w, r, http.StatusOK, p, err)
}

// uploadIdle is how long an upload may stall before it is cut off.
const uploadIdle = 30 * time.Second

// uploadReader lets a large upload take as long as it keeps coming: the
// server's read timeout bounds a request, and a 1 GiB file on a slow link
// needs longer. Each read that brings data moves the deadline on.
type uploadReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func (u uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if n > 0 {
		u.rc.SetReadDeadline(time.Now().Add(uploadIdle)) // unsupported: the server's own timeout stays
	}
	return n, err
}
