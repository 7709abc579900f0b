package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// Forward authentication (nginx auth_request, Caddy forward_auth, Traefik
// ForwardAuth) and the site-side paths of the sign-in hand-over. These are
// answered for a site's host too (the proxy forwards them as they came), so
// each handler finds the site itself and refuses any other host.

// forwarded reads the original request from a proxy's headers. Only a
// proxy named with --trusted-proxy, or one on this computer, is believed:
// the headers say which site and path a decision is about, and anyone else
// could make them say anything. Each header must come once.
func (s *Server) forwarded(r *http.Request) (host, method, uri string, err error) {
	peer := peerIP(r)
	if !peer.IsLoopback() && !s.proxies.trusts(peer) {
		return "", "", "", errors.New("denied: forwarding headers from " + peer.String() +
			" are not believed: run serve with --trusted-proxy naming the proxy")
	}
	one := func(names ...string) (string, error) {
		for _, n := range names {
			switch v := r.Header.Values(n); len(v) {
			case 0:
				continue
			case 1:
				return strings.TrimSpace(v[0]), nil
			default:
				return "", errors.New("denied: the proxy sent " + n + " more than once")
			}
		}
		return "", nil
	}
	if host, err = one("X-Forwarded-Host"); err != nil {
		return
	}
	if strings.Contains(host, ",") {
		return "", "", "", errors.New("denied: X-Forwarded-Host names several hosts")
	}
	if host == "" {
		host = r.Host // Caddy's forward_auth keeps the original Host
	}
	if method, err = one("X-Forwarded-Method"); err != nil {
		return
	}
	if uri, err = one("X-Forwarded-Uri", "X-Original-URI"); err != nil {
		return
	}
	if uri == "" {
		return "", "", "", errors.New("denied: the proxy sent no X-Forwarded-Uri or X-Original-URI")
	}
	return HostName(host), method, uri, nil
}

// siteHost is the host a request to a site's /_grantbook/ path was for.
func (s *Server) siteHost(r *http.Request) string {
	peer := peerIP(r)
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && (peer.IsLoopback() || s.proxies.trusts(peer)) && !strings.Contains(h, ",") {
		return HostName(h)
	}
	return HostName(r.Host)
}

// Site cookies are the site's own, host-only: __Host- on https so that no
// other host (a sibling subdomain) can plant one.
func siteCookieName(st *model.Site) string {
	if strings.HasPrefix(st.BaseURL, "https://") {
		return "__Host-gb_site"
	}
	return "gb_site"
}

func stateCookieName(st *model.Site) string {
	if strings.HasPrefix(st.BaseURL, "https://") {
		return "__Secure-gb_site_state"
	}
	return "gb_site_state"
}

func setSiteCookie(w http.ResponseWriter, st *model.Site, name, path, value string, ttl time.Duration) {
	maxAge := int(ttl.Seconds())
	if ttl <= 0 {
		maxAge, value = -1, ""
	}
	// Lax: the callback and the first admin page arrive by a redirect from
	// Grantbook, another site, on which Strict cookies are not sent.
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: strings.HasPrefix(st.BaseURL, "https://"), SameSite: http.SameSiteLaxMode})
}

// verify answers the proxy: 200 with the contact's headers, 401 with where
// to sign in, 403 with the reason. With ?redirect=1 (Caddy, Traefik: they
// pass the answer to the browser), an unsigned GET or HEAD gets a 302.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	host, method, uri, err := s.forwarded(r)
	if err != nil {
		s.refuse(w, err.Error())
		return
	}
	st, err := s.api.app.SiteFromHost(r.Context(), host)
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	d, err := s.api.app.VerifySite(r.Context(), st, core.SiteRequest{Method: method, URI: uri, Token: cookieValue(r, siteCookieName(st))})
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	switch d.Status {
	case http.StatusOK:
		h.Set("X-Grantbook-Email", d.Contact.Email)
		h.Set("X-Grantbook-Name", headerSafe(d.Contact.Name()))
		h.Set("X-Grantbook-Areas", strings.Join(d.Areas, ","))
		h.Set("X-Grantbook-Reason", headerSafe(d.Reason))
		w.WriteHeader(http.StatusOK)
	case http.StatusUnauthorized:
		h.Set("Location", d.Signin)
		h.Set("X-Grantbook-Signin", d.Signin)
		status := http.StatusUnauthorized
		if r.URL.Query().Get("redirect") == "1" && (method == "" || method == http.MethodGet || method == http.MethodHead) {
			status = http.StatusFound
		}
		page(w, status, "Sign in", d.Reason, d.Signin, "Sign in with Grantbook")
	default:
		if o := d.Request; o != nil {
			// The client area offers the request: this page (which Caddy
			// shows as is) links to it, the site's own 403 page may too
			// (see docs/api.md).
			h.Set("X-Grantbook-Request", o.Kind+" "+o.Item)
		}
		s.refuse(w, d.Reason, d.RequestURL)
	}
}

// refuse is forward authentication's 403; link, when set, asks for access.
func (s *Server) refuse(w http.ResponseWriter, reason string, link ...string) {
	w.Header().Set("X-Grantbook-Reason", headerSafe(reason))
	if len(link) > 0 && link[0] != "" {
		page(w, http.StatusForbidden, "Not allowed", reason, link[0], "Request access")
		return
	}
	page(w, http.StatusForbidden, "Not allowed", reason, "", "")
}

// headerSafe keeps a value on one header line.
func headerSafe(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
}

// siteStart is where an unsigned visitor of a site begins: a state cookie
// on the site (the callback must see it: a sign-in started elsewhere
// cannot be finished here), then Grantbook's sign-in.
func (s *Server) siteStart(w http.ResponseWriter, r *http.Request) {
	st, err := s.api.app.SiteFromHost(r.Context(), s.siteHost(r))
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	state := core.NewNonce()
	to, err := s.api.app.SiteSigninURL(r.Context(), st, state, r.URL.Query().Get("rd"))
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	setSiteCookie(w, st, stateCookieName(st), "/_grantbook/", state, 10*time.Minute)
	http.Redirect(w, r, to, http.StatusFound)
}

// siteSignin runs on Grantbook's own host: a signed-in person with admin
// access to the site goes back to it with a ticket; anyone else signs in
// first, and comes back here.
func (s *Server) siteSignin(w http.ResponseWriter, r *http.Request) {
	p, err := s.api.app.Authenticate(r.Context(), cookieValue(r, SessionCookie))
	if err != nil {
		http.Redirect(w, r, "/portal?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	q := r.URL.Query()
	id, ok := parseID(q.Get("site"))
	if !ok {
		page(w, http.StatusBadRequest, "Sign-in link incomplete", "this sign-in link has no site: open the site again", "/portal", "Go to the client area")
		return
	}
	to, err := s.api.app.IssueSiteTicket(r.Context(), p, id, q.Get("state"), q.Get("rd"))
	if e, ok := core.AsError(err); ok && (e.Code == core.ErrFactorSetup.Code || e.Code == core.ErrFactorVerify.Code) {
		// The client area asks for the second factor, then comes back here.
		http.Redirect(w, r, "/portal?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// siteCallback trades the ticket for the site's cookie and returns the
// browser to where it was going.
func (s *Server) siteCallback(w http.ResponseWriter, r *http.Request) {
	host := s.siteHost(r)
	st, err := s.api.app.SiteFromHost(r.Context(), host)
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	ss, err := s.api.app.RedeemSiteTicket(r.Context(), host, r.URL.Query().Get("ticket"), cookieValue(r, stateCookieName(st)))
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	setSiteCookie(w, st, stateCookieName(st), "/_grantbook/", "", 0)
	setSiteCookie(w, st, siteCookieName(st), "/", ss.Token, ss.MaxAge)
	http.Redirect(w, r, ss.ReturnURL, http.StatusFound)
}

// siteSignout forgets the site's cookie; the client area stays signed in.
func (s *Server) siteSignout(w http.ResponseWriter, r *http.Request) {
	st, err := s.api.app.SiteFromHost(r.Context(), s.siteHost(r))
	if err != nil {
		s.siteError(w, r, err)
		return
	}
	if err := s.api.app.SignoutSite(r.Context(), cookieValue(r, siteCookieName(st))); err != nil {
		s.siteError(w, r, err)
		return
	}
	setSiteCookie(w, st, siteCookieName(st), "/", "", 0)
	http.Redirect(w, r, st.BaseURL+"/", http.StatusFound)
}

func (s *Server) siteError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := core.AsError(err)
	if !ok {
		s.api.log.Error("site sign-in failed", "path", r.URL.Path, "err", err)
		page(w, http.StatusInternalServerError, "Something went wrong", "something went wrong; the details are in Grantbook's log", "", "")
		return
	}
	status := statusOf(e.Code)
	switch e.Code {
	case core.CodeNotFound:
		status = http.StatusForbidden
	case core.CodeInvalidTicket, core.CodeInvalid:
		status = http.StatusBadRequest
	}
	if status == http.StatusForbidden {
		w.Header().Set("X-Grantbook-Reason", headerSafe(e.Message))
	}
	page(w, status, "Not allowed", e.Message, "", "")
}
