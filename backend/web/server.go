package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
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
	token  []byte
	public map[string]bool // "METHOD pattern" of routes open without the owner's token
	static http.Handler
	// failures counts wrong owner tokens per client address.
	failures *limiter
}

// NewServer wraps api with token auth and serves the frontend from assets
// (an fs whose root holds index.html).
func NewServer(api *API, assets fs.FS, token string) *Server {
	s := &Server{api: api, token: []byte(token), public: map[string]bool{}, failures: newLimiter(20, time.Minute)}
	for _, r := range api.Routes() {
		if r.Auth != Owner {
			s.public[r.Pattern] = true
		}
	}
	s.static = spa(assets)
	return s
}

// NewToken makes a random bearer token.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
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
	return ok && len(s.token) > 0 && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), s.token) == 1
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
