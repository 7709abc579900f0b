package web

import (
	"net/http"
	"strings"

	"grantbook/backend/core"
)

// syncRoutes are the hub's side of pairing (issue 18). The desktop's calls
// are public: the pairing code, then the leaf secret as bearer, are their
// credentials (checked in core); the owner page's are owner routes.
func (a *API) syncRoutes() []Route {
	return []Route{
		{"POST /api/sync/pair", Public, with(a, http.StatusOK, a.sync.pair)},
		{"POST /api/sync/unpair", Public, a.syncUnpairSelf},
		{"GET /api/sync/hub", Owner, plain(a, "", a.sync.hubStatus)},
		{"POST /api/sync/hub/code", Owner, plain(a, "", a.sync.newCode)},
		{"DELETE /api/sync/hub/peers/{origin}", Owner, a.syncUnpairByOwner},
	}
}

func bearer(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return v
}

func (a *API) syncUnpairSelf(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Origin string `json:"origin"`
	}
	if !decode(w, r, &in) {
		return
	}
	err := a.sync.unpair(r.Context(), in.Origin, bearer(r), false)
	a.reply(w, r, http.StatusOK, map[string]bool{"ok": true}, err)
}

func (a *API) syncUnpairByOwner(w http.ResponseWriter, r *http.Request) {
	err := a.sync.unpair(r.Context(), r.PathValue("origin"), "", true)
	a.reply(w, r, http.StatusOK, map[string]bool{"ok": true}, err)
}

// syncSocket passes a desktop's leaf WebSocket to the hub's nats server.
func (s *Server) syncSocket(w http.ResponseWriter, r *http.Request) {
	h := s.api.sync.socket()
	if h == nil {
		writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound, Message: "this Grantbook is not a hub"})
		return
	}
	h.ServeHTTP(w, r)
}
