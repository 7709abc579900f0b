package web

import (
	"context"
	"net/http"
	"strconv"

	"grantbook/backend/core"
)

// lifecycleRoutes are issue 17's: reminders' settings, extensions, access
// requests, reviews and "Needs your attention".
func (a *API) lifecycleRoutes() []Route {
	return []Route{
		{"GET /api/attention", Owner, plain(a, "", a.app.Attention)},
		{"GET /api/settings/lifecycle", Owner, plain(a, "", a.app.Lifecycle)},
		{"PUT /api/settings/lifecycle", Owner, with(a, http.StatusOK, a.app.PutLifecycle)},
		{"POST /api/contacts/{id}/extend", Owner, byIDOptional(a, http.StatusOK, a.app.ExtendGrant)},
		{"GET /api/access-requests", Owner, a.listRequests},
		{"POST /api/access-requests/{id}/approve", Owner, byIDOptional(a, http.StatusOK, a.app.ApproveRequest)},
		{"POST /api/access-requests/{id}/decline", Owner, byIDOptional(a, http.StatusOK, a.app.DeclineRequest)},
		{"GET /api/access-reviews", Owner, plain(a, "", a.app.AccessReviews)},
		{"POST /api/access-reviews", Owner, a.openReview},
		{"GET /api/access-reviews/{id}", Owner, byID(a, http.StatusOK, "", a.app.Review)},
		{"POST /api/access-reviews/{id}/items/{position}", Owner, a.decideReviewItem},
		{"POST /api/access-reviews/{id}/finish", Owner, byID(a, http.StatusOK, "", a.app.FinishReview)},

		{"GET /api/portal/access-requests", Contact, asContact(a, "access_requests", a.app.PortalRequests)},
		{"POST /api/portal/access-requests", Contact, asContactWith(a, http.StatusCreated, a.app.RequestAccess)},
	}
}

func (a *API) listRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := core.RequestFilter{State: q.Get("state")}
	var ok bool
	if f.ContactID, ok = queryInt(w, q.Get("contact_id"), "contact_id"); !ok {
		return
	}
	if f.AccountID, ok = queryInt(w, q.Get("account_id"), "account_id"); !ok {
		return
	}
	if f.Limit, f.Offset, ok = paging(w, q); !ok {
		return
	}
	rs, total, err := a.app.AccessRequests(r.Context(), f)
	a.reply(w, r, http.StatusOK, map[string]any{"access_requests": rs, "total": total}, err)
}

func (a *API) openReview(w http.ResponseWriter, r *http.Request) {
	v, err := a.app.OpenReview(r.Context())
	a.reply(w, r, http.StatusCreated, v, err)
}

func (a *API) decideReviewItem(w http.ResponseWriter, r *http.Request) {
	pos, err := strconv.Atoi(r.PathValue("position"))
	if err != nil || pos <= 0 {
		writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound, Message: "no such review item: " + r.PathValue("position")})
		return
	}
	byIDWith(a, http.StatusOK, func(ctx context.Context, id int64, in core.ReviewDecision) (any, error) {
		return a.app.DecideReviewItem(ctx, id, pos, in)
	})(w, r)
}
