package web

import (
	"context"
	"net/http"

	"grantbook/backend/core"
)

// asContactByIDWith serves f(ctx, the signed-in contact, {id}, body); an
// empty body is the zero value (optional notes, reasons).
func asContactByIDWith[T, R any](a *API, status int, f func(context.Context, *core.Principal, int64, T) (R, error)) http.HandlerFunc {
	return byIDOptional(a, status, func(ctx context.Context, id int64, in T) (R, error) {
		p, _ := ctx.Value(principalKey{}).(*core.Principal)
		return f(ctx, p, id, in)
	})
}

// deleted serves f(ctx, {id}) and answers 204.
func deleted(a *API, f func(context.Context, int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		if err := f(r.Context(), id); err != nil {
			a.reply(w, r, 0, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) serviceRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	v, err := a.app.RequestServiceAction(r.Context(), principal(r), id, r.PathValue("action"))
	a.reply(w, r, http.StatusCreated, v, err)
}

func (a *API) portalDeleteContact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.app.PortalDeleteContact(r.Context(), principal(r), id); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) portalEmails(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := paging(w, r.URL.Query())
	if !ok {
		return
	}
	ns, total, err := a.app.PortalEmails(r.Context(), principal(r), limit, offset)
	a.reply(w, r, http.StatusOK, map[string]any{"emails": ns, "total": total}, err)
}

func (a *API) accountEmails(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	limit, offset, ok := paging(w, r.URL.Query())
	if !ok {
		return
	}
	ns, total, err := a.app.AccountEmails(r.Context(), id, limit, offset)
	a.reply(w, r, http.StatusOK, map[string]any{"emails": ns, "total": total}, err)
}

// byIDOptional serves f(ctx, {id}, body) where the body may be left out.
func byIDOptional[T, R any](a *API, status int, f func(context.Context, int64, T) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		var in T
		if r.ContentLength != 0 && !decode(w, r, &in) {
			return
		}
		v, err := f(r.Context(), id, in)
		a.reply(w, r, status, v, err)
	}
}
