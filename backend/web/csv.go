package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"

	"grantbook/backend/core"
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
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, core.MaxImportBytes))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		writeError(w, http.StatusRequestEntityTooLarge, &core.Error{Code: core.CodeTooLarge,
			Message: fmt.Sprintf("the file is too large: %d MiB at most", core.MaxImportBytes>>20)})
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, &core.Error{Code: core.CodeBadRequest, Message: "the file could not be read: " + err.Error()})
		return
	}
	job, err := a.app.StartImport(r.Context(), id, data)
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
