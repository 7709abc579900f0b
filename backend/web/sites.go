package web

import (
	"net/http"
	"time"

	"grantbook/backend/core"
)

// siteRoutes are the owner's settings for their own sites (Settings → Your
// site) and the OpenID Connect clients registered for them.
func (a *API) siteRoutes() []Route {
	return []Route{
		{"GET /api/sites", Owner, plain(a, "", a.app.Sites)},
		{"POST /api/sites", Owner, with(a, http.StatusCreated, a.app.CreateSite)},
		{"PUT /api/sites/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateSite)},
		{"DELETE /api/sites/{id}", Owner, a.deleteSite},
		{"GET /api/sites/{id}/clients", Owner, byID(a, http.StatusOK, "clients", a.app.OIDCClients)},
		{"POST /api/sites/{id}/clients", Owner, byIDWith(a, http.StatusCreated, a.app.CreateOIDCClient)},
		{"PUT /api/oidc/clients/{client_id}", Owner, a.updateClient},
		{"POST /api/oidc/clients/{client_id}/secret", Owner, a.clientSecret},
		{"DELETE /api/oidc/clients/{client_id}", Owner, a.deleteClient},
		{"GET /api/oidc/keys", Owner, a.oidcKeys},
		{"POST /api/oidc/keys/rotate", Owner, a.rotateOIDCKey},
	}
}

func (a *API) updateClient(w http.ResponseWriter, r *http.Request) {
	var in core.OIDCClientInput
	if !decode(w, r, &in) {
		return
	}
	c, err := a.app.UpdateOIDCClient(r.Context(), r.PathValue("client_id"), in)
	a.reply(w, r, http.StatusOK, c, err)
}

func (a *API) clientSecret(w http.ResponseWriter, r *http.Request) {
	c, err := a.app.NewOIDCSecret(r.Context(), r.PathValue("client_id"))
	a.reply(w, r, http.StatusOK, c, err)
}

func (a *API) deleteClient(w http.ResponseWriter, r *http.Request) {
	if err := a.app.DeleteOIDCClient(r.Context(), r.PathValue("client_id")); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// keyView is a signing key as the owner sees it: never the key itself.
type keyView struct {
	ID      string     `json:"id"`
	Created time.Time  `json:"created"`
	Retired *time.Time `json:"retired"`
}

func (a *API) oidcKeys(w http.ResponseWriter, r *http.Request) {
	k, err := a.app.OIDCKeys()
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	out := []keyView{}
	for _, key := range k.Published(time.Now()) {
		out = append(out, keyView{key.ID, key.Created, key.Retired})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out, "signing": k.Signing().ID})
}

func (a *API) rotateOIDCKey(w http.ResponseWriter, r *http.Request) {
	id, err := a.app.RotateOIDCKey(r.Context())
	a.reply(w, r, http.StatusOK, map[string]string{"signing": id}, err)
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
