package web

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"

	"grantbook/backend/core"
	"grantbook/backend/openid"
)

// NewContactsServer is what the window publishes (backend/publish): the
// client area with the sites' sign-in and OpenID Connect, never the
// owner's API.
func NewContactsServer(app *core.App, assets fs.FS, log *slog.Logger) http.Handler {
	opts := []Option{ContactsOnly()}
	if p, err := openid.New(app); err == nil {
		opts = append(opts, WithOpenID(p))
	} else {
		log.Error("OpenID Connect is not served from the window", "err", err)
	}
	// No owner token works there; this one is never compared.
	unused := make([]byte, 32)
	rand.Read(unused)
	return NewServer(NewAPI(app, log), assets, hex.EncodeToString(unused), opts...)
}

// publishRoutes are the window's "Let contacts sign in" (backend/publish):
// behind the passphrase like every owner route.
func (win *Window) publishRoutes() []Route {
	return []Route{
		{"GET /api/publish", Desktop, win.publishStatus},
		{"PUT /api/publish", Desktop, win.publishSet},
		{"POST /api/publish/check", Desktop, win.publishCheck},
	}
}

func (win *Window) publishing(w http.ResponseWriter) bool {
	if win.Publish == nil {
		writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound, Message: "this window does not publish the client area"})
	}
	return win.Publish != nil
}

func (win *Window) publishStatus(w http.ResponseWriter, r *http.Request) {
	if win.publishing(w) {
		writeJSON(w, http.StatusOK, win.Publish.Status(r.Context()))
	}
}

func (win *Window) publishSet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		On bool `json:"on"`
	}
	if !win.publishing(w) || !decode(w, r, &in) {
		return
	}
	st, err := win.Publish.Set(r.Context(), in.On)
	win.api.reply(w, r, http.StatusOK, st, err)
}

func (win *Window) publishCheck(w http.ResponseWriter, r *http.Request) {
	if !win.publishing(w) {
		return
	}
	st, err := win.Publish.SelfCheck(r.Context())
	win.api.reply(w, r, http.StatusOK, st, err)
}
