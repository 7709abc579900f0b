package web

import (
	"context"
	"net/http"

	"grantbook/backend/core"
)

// PasskeyCookie binds a passkey sign-in prompt to the browser that asked.
const PasskeyCookie = "gb_passkey"

// factorRoutes are the second factors: the person's own (a session, no
// account needed, answered while the session is held for its factor),
// sign-in with a passkey alone, and the owner's view and recovery.
func (a *API) factorRoutes() []Route {
	return []Route{
		{"GET /api/portal/factors", Person, asContact(a, "", a.app.PortalFactors)},
		{"POST /api/portal/passkeys/register/begin", Person, withRP(a, a.app.BeginPasskey)},
		{"POST /api/portal/passkeys/register", Person, asRPWith(a, http.StatusCreated, a.app.FinishPasskey)},
		{"DELETE /api/portal/passkeys/{id}", Person, asContactByID(a, a.app.RemovePasskey)},
		{"POST /api/portal/passkeys/check/begin", Person, withRP(a, a.app.BeginPasskeyCheck)},
		{"POST /api/portal/passkeys/check", Person, asRPWith(a, http.StatusOK, a.app.FinishPasskeyCheck)},
		{"POST /api/portal/totp", Person, asContact(a, "", a.app.BeginTOTP)},
		{"POST /api/portal/totp/confirm", Person, asContactWith(a, http.StatusOK, a.app.ConfirmTOTP)},
		{"POST /api/portal/totp/verify", Person, asContactWith(a, http.StatusOK, a.app.VerifyTOTP)},
		{"DELETE /api/portal/totp", Person, asContact(a, "", a.app.RemoveTOTP)},
		{"POST /api/portal/passkey-signin/begin", Public, a.passkeySigninBegin},
		{"POST /api/portal/passkey-signin", Public, a.passkeySignin},
		{"GET /api/contacts/{id}/factors", Owner, byID(a, http.StatusOK, "", a.app.ContactFactors)},
		{"POST /api/contacts/{id}/factors/reset", Owner, byID(a, http.StatusOK, "", a.app.ResetFactors)},
	}
}

func (a *API) relyingParty(r *http.Request) (core.RelyingParty, error) {
	return a.app.RelyingParty(r.Context(), r.Host, clientOf(r).https)
}

// withRP serves f(ctx, the signed-in person, the relying party).
func withRP[R any](a *API, f func(context.Context, *core.Principal, core.RelyingParty) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rp, err := a.relyingParty(r)
		if err != nil {
			a.reply(w, r, 0, nil, err)
			return
		}
		v, err := f(r.Context(), principal(r), rp)
		a.reply(w, r, http.StatusOK, v, err)
	}
}

// asRPWith serves f(ctx, the signed-in person, the relying party, body).
func asRPWith[R any](a *API, status int, f func(context.Context, *core.Principal, core.RelyingParty, core.PasskeyInput) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in core.PasskeyInput
		if !decode(w, r, &in) {
			return
		}
		rp, err := a.relyingParty(r)
		if err != nil {
			a.reply(w, r, 0, nil, err)
			return
		}
		v, err := f(r.Context(), principal(r), rp, in)
		a.reply(w, r, status, v, err)
	}
}

// publicRP is the relying party of a sign-in step, counted against lim
// per client address; false when the answer is written.
func (a *API) publicRP(w http.ResponseWriter, r *http.Request, lim *limiter) (core.RelyingParty, bool) {
	if !lim.allow(clientIP(r)) {
		writeError(w, http.StatusTooManyRequests, &core.Error{Code: core.CodeRateLimited, Message: "too many sign-in attempts: wait a minute and try again"})
		return core.RelyingParty{}, false
	}
	rp, err := a.relyingParty(r)
	if err != nil {
		a.reply(w, r, 0, nil, err)
	}
	return rp, err == nil
}

func (a *API) passkeySigninBegin(w http.ResponseWriter, r *http.Request) {
	rp, ok := a.publicRP(w, r, a.signinLimit)
	if !ok {
		return
	}
	nonce := core.NewNonce()
	opts, err := a.app.BeginPasskeySignin(r.Context(), rp, nonce)
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	setCookie(w, r, PasskeyCookie, nonce, core.CeremonyTTL)
	writeJSON(w, http.StatusOK, opts)
}

func (a *API) passkeySignin(w http.ResponseWriter, r *http.Request) {
	var in core.PasskeyInput
	if !decode(w, r, &in) {
		return
	}
	rp, ok := a.publicRP(w, r, a.verifyLimit)
	if !ok {
		return
	}
	s, err := a.app.FinishPasskeySignin(r.Context(), rp, cookieValue(r, PasskeyCookie), in, r.UserAgent(), clientIP(r))
	if err != nil {
		setCookie(w, r, PasskeyCookie, "", 0)
		a.reply(w, r, 0, nil, err)
		return
	}
	a.signedIn(w, r, s, PasskeyCookie)
}
