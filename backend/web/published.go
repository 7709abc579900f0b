package web

import (
	"io/fs"
	"net/http"
	"strings"

	"grantbook/backend/core"
)

// ContactsOnly makes the server the client area's published face (the
// window's "Let contacts sign in"): the client area and its API, the
// sign-in of the owner's sites, forward authentication and OpenID Connect.
// The owner's routes are not there at all, whatever token comes with them.
func ContactsOnly() Option {
	return func(s *Server) { s.contactsOnly = true }
}

// notForContacts answers what the published face does not serve: the
// owner's API (404, no token is even read, so none can be guessed here)
// and the owner's pages (/ leads to the client area).
func (s *Server) notForContacts(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") {
		if _, pattern := s.api.mux.Handler(r); s.public[pattern] {
			return false
		}
		writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound,
			Message: "the owner's API is not served on the client area's address"})
		return true
	}
	if p == "/" || p == "/index.html" {
		http.Redirect(w, r, "/portal", http.StatusFound)
		return true
	}
	if p == "/portal" || strings.HasPrefix(p, "/portal/") {
		return false
	}
	// Files of the bundle (scripts, styles, icons) are the client area's too.
	if st, err := fs.Stat(s.assets, strings.TrimPrefix(p, "/")); err == nil && !st.IsDir() {
		return false
	}
	http.NotFound(w, r)
	return true
}
