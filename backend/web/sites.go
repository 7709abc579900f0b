package web

import "net/http"

// siteRoutes are the owner's settings for their own sites (Settings → Your
// site) and the OpenID Connect clients registered for them.
func (a *API) siteRoutes() []Route {
	return []Route{
		{"GET /api/sites", Owner, plain(a, "", a.app.Sites)},
		{"POST /api/sites", Owner, with(a, http.StatusCreated, a.app.CreateSite)},
		{"PUT /api/sites/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateSite)},
		{"DELETE /api/sites/{id}", Owner, a.deleteSite},
		{"PUT /api/settings/public-url", Owner, with(a, http.StatusOK, a.app.PutPublicURL)},
	}
}

func (a *API) deleteSite(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := a.app.DeleteSite(r.Context(), id); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
