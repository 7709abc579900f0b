package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"grantbook/backend/core"
	"grantbook/backend/publish"
)

// Window is what the desktop window talks to: the same API and pages as
// Server, handed to Wails' asset server, so the page reaches it with fetch
// on the window's own scheme (wails://wails) inside this process; there is
// no socket. The window is the owner; instead of a token, the owner
// passphrase guards it: while one is set and has not been given in this
// window, every route but the lock's own answers 423.
type Window struct {
	api    *API
	static http.Handler
	own    *http.ServeMux // the window's routes open while locked (unlock, lock now)
	desk   *http.ServeMux // the window's other routes (publishing)
	origin string         // the page's origin, e.g. wails://wails
	// Log, when set, gets one line per API request (the desktop smoke test
	// reads them).
	Log *slog.Logger
	// Publish is "Let contacts sign in" (nil: the routes answer 404).
	Publish *publish.Publisher

	mu       sync.Mutex
	unlocked bool // the passphrase was given (or set) in this window
}

// NewWindow serves api and assets to the window whose pages have origin.
func NewWindow(api *API, assets fs.FS, origin string) *Window {
	w := &Window{api: api, static: spa(assets), own: http.NewServeMux(), desk: http.NewServeMux(), origin: origin}
	for _, r := range w.lockRoutes() {
		w.own.HandleFunc(r.Pattern, r.Handler)
	}
	for _, r := range append(w.publishRoutes(), w.syncRoutes()...) {
		w.desk.HandleFunc(r.Pattern, r.Handler)
	}
	return w
}

// Routes are the endpoints only the window has.
func (win *Window) Routes() []Route {
	return append(append(win.lockRoutes(), win.publishRoutes()...), win.syncRoutes()...)
}

func (win *Window) lockRoutes() []Route {
	return []Route{
		{"POST /api/unlock", Desktop, win.unlock},
		{"POST /api/lock", Desktop, win.lock},
	}
}

func (win *Window) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		win.static.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	win.serveAPI(rec, r)
	if win.Log != nil {
		win.Log.Info("api", "method", r.Method, "path", r.URL.RequestURI(), "status", rec.status)
	}
}

// RequestedBy is the header the frontend puts on every API request. A page
// from elsewhere that the web view was made to load can send neither it
// (a form cannot set headers, and fetch to the window's scheme is not CORS
// enabled) nor the window's Origin.
const RequestedBy = "X-Requested-By"

func (win *Window) serveAPI(w *statusRecorder, r *http.Request) {
	// WebKitGTK sends no Origin to a custom scheme from the window's own
	// page; another origin, or a state change without the header, is refused.
	o := r.Header.Get("Origin")
	changes := r.Method != http.MethodGet && r.Method != http.MethodHead
	if (o != "" && o != win.origin) || (changes && r.Header.Get(RequestedBy) != "grantbook") {
		writeError(w, http.StatusForbidden, &core.Error{Code: core.CodeCSRF, Message: "this request did not come from the Grantbook window"})
		return
	}
	r = r.WithContext(core.WithActor(r.Context(), "owner"))
	if h, pattern := win.own.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	_, pattern := win.api.mux.Handler(r)
	if pattern != "GET /api/health" && pattern != "GET /api/lock" && !win.Unlocked(r.Context()) {
		writeError(w, http.StatusLocked, &core.Error{Code: core.CodeLocked, Message: "Grantbook is locked: enter your passphrase"})
		return
	}
	if h, pattern := win.desk.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	win.api.ServeHTTP(w, r)
	if pattern == "PUT /api/lock" && w.status == http.StatusOK {
		// The owner just proved the passphrase (or set the first one):
		// keep the window open.
		win.setUnlocked(true)
	}
}

// Unlocked reports whether the window is open: the passphrase was given in
// it, or none is set.
func (win *Window) Unlocked(ctx context.Context) bool {
	win.mu.Lock()
	open := win.unlocked
	win.mu.Unlock()
	if open {
		return true
	}
	on, err := win.api.app.LockEnabled(ctx)
	return err == nil && !on
}

func (win *Window) setUnlocked(v bool) {
	win.mu.Lock()
	win.unlocked = v
	win.mu.Unlock()
}

// unlock opens the window with the owner passphrase. Wrong ones count
// towards core's limit (core.Unlock): after a few, 429 says how long to wait.
func (win *Window) unlock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Passphrase string `json:"passphrase"`
	}
	if !decode(w, r, &in) {
		return
	}
	err := win.api.app.Unlock(r.Context(), in.Passphrase)
	if err == nil {
		win.setUnlocked(true)
	}
	win.api.reply(w, r, http.StatusOK, map[string]bool{"unlocked": true}, err)
}

// lock closes the window until the passphrase is given again.
func (win *Window) lock(w http.ResponseWriter, r *http.Request) {
	win.setUnlocked(false)
	on, err := win.api.app.LockEnabled(r.Context())
	win.api.reply(w, r, http.StatusOK, map[string]bool{"locked": on}, err)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers (a backup, a CSV export) through.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
