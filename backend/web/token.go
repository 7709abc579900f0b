package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"
	"sync/atomic"

	"grantbook/backend/core"
)

// OwnerToken is the bearer token that makes a browser the owner. It is
// either fixed (GRANTBOOK_TOKEN) or kept in the data folder by the core, and
// then the owner can replace it while serve runs.
type OwnerToken struct {
	mu     sync.RWMutex
	value  string
	rotate func(context.Context) (string, error) // nil when fixed
	// want is value's bytes, for matches: read on every owner request
	// with no lock and no copy.
	want atomic.Pointer[[]byte]
}

func newOwnerToken(value string, rotate func(context.Context) (string, error)) *OwnerToken {
	t := &OwnerToken{value: value, rotate: rotate}
	t.set(value)
	return t
}

// set makes value the token matches compares with (t.mu held, or t new).
func (t *OwnerToken) set(value string) {
	t.value = value
	b := []byte(value)
	t.want.Store(&b)
}

// Where an owner token comes from, as the API reports it.
const (
	TokenFromEnvironment = "environment"
	TokenFromDataFolder  = "data_folder"
)

// FixedToken is a token that cannot be rotated (GRANTBOOK_TOKEN).
func FixedToken(value string) *OwnerToken { return newOwnerToken(value, nil) }

// StoredToken is the token kept in app's data folder, made on first use;
// with rotate a new one replaces it first (serve --new-token).
func StoredToken(ctx context.Context, app *core.App, rotate bool) (*OwnerToken, error) {
	var tok string
	var err error
	if rotate {
		tok, err = app.RotateOwnerToken(core.WithActor(ctx, "owner (command line)"))
	} else {
		tok, err = app.StoredOwnerToken()
	}
	if err != nil {
		return nil, err
	}
	return newOwnerToken(tok, app.RotateOwnerToken), nil
}

// String is the current token.
func (t *OwnerToken) String() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.value
}

// Source says where the token comes from (TokenFrom...).
func (t *OwnerToken) Source() string {
	if t.rotate == nil {
		return TokenFromEnvironment
	}
	return TokenFromDataFolder
}

func (t *OwnerToken) matches(got string) bool {
	want := *t.want.Load()
	var buf [128]byte // a token's copy stays on the stack (longer ones are no token)
	return len(want) > 0 && subtle.ConstantTimeCompare(append(buf[:0], got...), want) == 1
}

// Rotate replaces a stored token; the old one stops working at once.
func (t *OwnerToken) Rotate(ctx context.Context) (string, error) {
	if t.rotate == nil {
		return "", &core.Error{Code: core.CodeConflict, Message: "the access token comes from GRANTBOOK_TOKEN, " +
			"so Grantbook cannot replace it: change GRANTBOOK_TOKEN and restart grantbook serve"}
	}
	// Held across the write so two rotations cannot leave the file and the
	// memory with different tokens.
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, err := t.rotate(ctx)
	if err != nil {
		return "", err
	}
	t.set(tok)
	return tok, nil
}

type tokenView struct {
	Token  string `json:"token"`
	Source string `json:"source"`
}

func (a *API) tokenRoutes() []Route {
	return []Route{
		{"GET /api/settings/token", Owner, a.showToken},
		{"POST /api/settings/token", Owner, a.rotateToken},
	}
}

func (a *API) showToken(w http.ResponseWriter, r *http.Request) {
	if a.owner == nil {
		writeError(w, http.StatusNotFound, noTokenHere)
		return
	}
	writeJSON(w, http.StatusOK, tokenView{a.owner.String(), a.owner.Source()})
}

// rotateToken answers the new token: the tab that asked keeps working by
// storing it; every other holder of the old one is signed out.
func (a *API) rotateToken(w http.ResponseWriter, r *http.Request) {
	if a.owner == nil {
		writeError(w, http.StatusNotFound, noTokenHere)
		return
	}
	tok, err := a.owner.Rotate(r.Context())
	if err == nil {
		a.log.Info("the owner access token was replaced: links with the old one no longer work")
	}
	a.reply(w, r, http.StatusOK, tokenView{tok, a.owner.Source()}, err)
}

var noTokenHere = &core.Error{Code: core.CodeNotFound,
	Message: "the desktop window needs no access token; grantbook serve uses one"}
