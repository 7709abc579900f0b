package web

import (
	"net/http"
	"net/url"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/openid"
)

// WithOpenID serves the OpenID Connect provider.
func WithOpenID(p *openid.Provider) Option {
	return func(s *Server) { s.oidc, s.oidcLimit = p, newLimiter(30, time.Minute) }
}

// openID serves the provider's paths; the login step is the client area's
// sign-in, in the same session.
func (s *Server) openID(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	switch r.URL.Path {
	case openid.LoginPath:
		s.oidcLogin(w, r)
		return
	case "/oidc/authorize":
		// Anyone may start a request: bound what one address may store.
		if !s.oidcLimit.allow(clientIP(r)) {
			s.tooMany(w, time.Minute)
			return
		}
	}
	s.oidc.ServeHTTP(w, r)
}

func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if !s.oidc.Known(r.Context(), id) {
		page(w, http.StatusBadRequest, "Sign-in request expired", "this sign-in request is unknown or expired: start again from the site", "/portal", "Go to the client area")
		return
	}
	p, err := s.api.app.Authenticate(r.Context(), cookieValue(r, SessionCookie))
	if err != nil {
		http.Redirect(w, r, "/portal?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	err = s.oidc.Approve(w, r, id, p)
	if e, ok := core.AsError(err); ok && (e.Code == core.CodeSecondFactor || e.Code == core.CodeSecondFactorSetup) {
		// The client area asks for the second factor, then comes back here.
		http.Redirect(w, r, "/portal?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	if e, ok := core.AsError(err); ok && e.Code == "forbidden" {
		s.oidc.Refuse(w, r, id, e.Message)
		return
	}
	if err != nil {
		s.siteError(w, r, err)
	}
}
