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

// SigninCookie binds a sign-in code to the browser that asked for it: set
// by signin, required by verify, and never readable by the page's script.
const SigninCookie = "gb_signin"

type principalKey struct{}

func principal(r *http.Request) *core.Principal {
	p, _ := r.Context().Value(principalKey{}).(*core.Principal)
	return p
}

// session authenticates the session cookie, and for anything but GET and
// HEAD also the CSRF header and the Origin; the session's contacts are
// re-checked on every request, so a revoked or expired contact is out at
// once. With account, an account must have been chosen.
func (a *API) session(next http.HandlerFunc, account bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.app.Authenticate(r.Context(), cookieValue(r, SessionCookie))
		if err != nil {
			setCookie(w, r, SessionCookie, "", 0)
			a.reply(w, r, 0, nil, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !p.CheckCSRF(r.Header.Get("X-CSRF-Token")) || !sameOrigin(r) {
				writeError(w, http.StatusForbidden, &core.Error{Code: core.CodeCSRF, Message: "this request did not come from the Grantbook page: reload the page and try again"})
				return
			}
		}
		if account && p.Contact == nil {
			a.reply(w, r, 0, nil, core.ErrChooseAccount)
			return
		}
		// Held for a second factor: only the person routes (factors,
		// accounts, sign-out) answer until it is proved or set up.
		if err := p.FactorError(); account && err != nil {
			a.reply(w, r, 0, nil, err)
			return
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

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// setCookie sets (ttl > 0) or clears one of the portal's cookies. Max-Age,
// not Expires: a browser whose clock is off still keeps it for its life.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, ttl time.Duration) {
	maxAge, path := int(ttl.Seconds()), "/"
	if ttl <= 0 {
		maxAge, value = -1, ""
	}
	if name == SigninCookie || name == PasskeyCookie {
		path = "/api/portal/"
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
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
		writeError(w, http.StatusTooManyRequests, &core.Error{Code: core.CodeRateLimited, Message: "too many sign-in attempts: wait a minute and try again"})
		return
	}
	nonce := core.NewNonce()
	if err := a.app.QueueSignin(in.Email, nonce, cookieValue(r, SigninCookie)); err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	setCookie(w, r, SigninCookie, nonce, core.CodeTTL)
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true,
		"message": "If this address has access, a sign-in code is on its way. It works for 10 minutes, in this browser."})
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
		writeError(w, http.StatusTooManyRequests, &core.Error{Code: core.CodeRateLimited, Message: "too many codes tried: wait a minute and try again"})
		return
	}
	s, err := a.app.VerifySignin(r.Context(), in.Email, in.Code, cookieValue(r, SigninCookie), r.UserAgent(), clientIP(r))
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	a.signedIn(w, r, s, SigninCookie)
}

// signedIn sets the session cookie of a new session, clears the cookie
// that led to it and describes it.
func (a *API) signedIn(w http.ResponseWriter, r *http.Request, s *core.NewSession, spent string) {
	setCookie(w, r, SessionCookie, s.Token, core.SessionTTL)
	setCookie(w, r, spent, "", 0)
	writeJSON(w, http.StatusOK, map[string]any{"contact": s.Contact, "accounts": s.Accounts, "csrf_token": s.CSRF,
		"expires_at": s.Expires})
}

// portalAccounts lists the person's client areas, with the CSRF token the
// page needs to choose one.
func (a *API) portalAccounts(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	accounts, err := a.app.PortalAccounts(r.Context(), p)
	a.reply(w, r, http.StatusOK, map[string]any{"accounts": accounts, "csrf_token": p.Session.CSRFToken}, err)
}

func (a *API) chooseAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ContactID int64 `json:"contact_id"`
	}
	if !decode(w, r, &in) {
		return
	}
	home, err := a.app.ChooseAccount(r.Context(), principal(r), in.ContactID)
	a.reply(w, r, http.StatusOK, home, err)
}

func (a *API) portalSignout(w http.ResponseWriter, r *http.Request) {
	err := a.app.Signout(r.Context(), principal(r))
	setCookie(w, r, SessionCookie, "", 0)
	a.reply(w, r, http.StatusOK, map[string]bool{"ok": true}, err)
}

// signinReturn names the site a sign-in continues to (?return= of the
// client area's page), before anyone is signed in.
func (a *API) signinReturn(w http.ResponseWriter, r *http.Request) {
	v, err := a.app.SigninReturn(r.Context(), r.URL.Query().Get("to"))
	a.reply(w, r, http.StatusOK, v, err)
}
