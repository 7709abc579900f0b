package web

import (
	"net/http"
)

// syncRoutes are the window's "Connect to your hub" (issue 18): behind the
// passphrase like every owner route.
func (win *Window) syncRoutes() []Route {
	a := win.api
	return []Route{
		{"GET /api/sync", Desktop, plain(a, "", a.sync.status)},
		{"POST /api/sync/connect", Desktop, with(a, http.StatusOK, a.sync.connect)},
		{"POST /api/sync/disconnect", Desktop, plain(a, "", a.sync.disconnect)},
	}
}
