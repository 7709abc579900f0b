package web

import (
	"io/fs"
	"net/http"
	"strings"
	"time"

	"grantbook/backend/core"
)

// Server is the network face of Grantbook: the API behind a bearer token,
// and the frontend files.
type Server struct {
	api    *API
	owner  *OwnerToken
	public map[string]bool // "METHOD pattern" of routes open without the owner's token
	static http.Handler
	// failures counts wrong owner tokens per client address.
	failures *limiter
}

// NewServer wraps api with a fixed token and serves the frontend from
// assets (an fs whose root holds index.html).
func NewServer(api *API, assets fs.FS, token string) *Server {
	return NewServerWithToken(api, assets, FixedToken(token))
}

// NewServerWithToken is NewServer with an owner token that may be stored
// and rotated. The API gets it too, for its token routes.
func NewServerWithToken(api *API, assets fs.FS, owner *OwnerToken) *Server {
	api.owner = owner
	s := &Server{api: api, owner: owner, public: map[string]bool{}, failures: newLimiter(20, time.Minute)}
	for _, r := range api.Routes() {
		if r.Auth != Owner {
			s.public[r.Pattern] = true
		}
	}
	s.static = spa(assets)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		s.static.ServeHTTP(w, r)
		return
	}
	if _, pattern := s.api.mux.Handler(r); !s.public[pattern] && !s.authorized(r) {
		if !s.failures.allow(clientIP(r)) {
			writeError(w, http.StatusTooManyRequests, &core.Error{Code: "rate_limited", Message: "too many wrong access tokens: wait a minute"})
			return
		}
		h.Set("WWW-Authenticate", `Bearer realm="grantbook"`)
		writeError(w, http.StatusUnauthorized, &core.Error{Code: "unauthorized", Message: "missing or wrong access token"})
		return
	}
	s.api.ServeHTTP(w, r.WithContext(core.WithActor(r.Context(), "owner (web)")))
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.owner.matches(strings.TrimSpace(got))
}

// spa serves files from assets and index.html for any other path, so the
// frontend's own routes survive a reload.
func spa(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p != "" {
			if st, err := fs.Stat(assets, p); err != nil || st.IsDir() {
				r = r.Clone(r.Context())
				r.URL.Path = "/"
			}
		}
		files.ServeHTTP(w, r)
	})
}
