package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"grantbook/backend/core"
)

// SessionCookie holds a contact's portal session.
const SessionCookie = "gb_session"

type principalKey struct{}

func principal(r *http.Request) *core.Principal {
	p, _ := r.Context().Value(principalKey{}).(*core.Principal)
	return p
}

// contact authenticates the session cookie, and for anything but GET and
// HEAD also the CSRF header and the Origin; the grant is re-evaluated on
// every request, so a revoked or expired contact is out at once.
func (a *API) contact(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		p, err := a.app.Authenticate(r.Context(), token)
		if err != nil {
			clearSessionCookie(w, r)
			a.reply(w, r, 0, nil, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !p.CheckCSRF(r.Header.Get("X-CSRF-Token")) || !sameOrigin(r) {
				writeError(w, http.StatusForbidden, &core.Error{Code: "csrf", Message: "this request did not come from the Grantbook page: reload the page and try again"})
				return
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// sameOrigin refuses a request whose Origin names another site: another
// host, or the same host over the other scheme (http://host is not
// https://host).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser's cross-site request: the CSRF token decides
	}
	scheme := "http"
	if clientOf(r).https {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// setSessionCookie uses Max-Age, not Expires: a browser whose clock is off
// still keeps the cookie for the session's life.
func setSessionCookie(w http.ResponseWriter, r *http.Request, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: clientOf(r).https, SameSite: http.SameSiteStrictMode})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: clientOf(r).https, SameSite: http.SameSiteStrictMode})
}

func (a *API) portalSignin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !a.signinLimit.allow(clientIP(r)) {
		writeError(w, http.StatusTooManyRequests, &core.Error{Code: "rate_limited", Message: "too many sign-in attempts: wait a minute and try again"})
		return
	}
	err := a.app.RequestSignin(r.Context(), in.Email)
	a.reply(w, r, http.StatusAccepted, map[string]any{"ok": true,
		"message": "If this address has access, a sign-in code is on its way. It works for 10 minutes."}, err)
}

func (a *API) portalVerify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
		Code  string `json:"code"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !a.verifyLimit.allow(clientIP(r)) {
		writeError(w, http.StatusTooManyRequests, &core.Error{Code: "rate_limited", Message: "too many codes tried: wait a minute and try again"})
		return
	}
	s, err := a.app.VerifySignin(r.Context(), in.Email, in.Code, r.UserAgent(), clientIP(r))
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	setSessionCookie(w, r, s.Token, core.SessionTTL)
	writeJSON(w, http.StatusOK, map[string]any{"contact": s.Contact, "csrf_token": s.CSRF, "expires_at": s.Expires})
}

func (a *API) portalSignout(w http.ResponseWriter, r *http.Request) {
	err := a.app.Signout(r.Context(), principal(r))
	clearSessionCookie(w, r)
	a.reply(w, r, http.StatusOK, map[string]bool{"ok": true}, err)
}
