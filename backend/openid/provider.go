// Package openid is Grantbook's OpenID Connect provider ("Sign in with
// Grantbook") for the owner's sites, built on zitadel/oidc's op package:
// the protocol and the token crypto are the library's; requests, codes,
// tokens, clients and keys are Grantbook's (see storage).
package openid

import (
	"context"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"grantbook/backend/core"
)

// Paths: discovery where the standard puts it, the rest under /oidc/.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	Prefix        = "/oidc/"
	LoginPath     = core.OIDCLoginPath
)

// Provider serves the OpenID Connect endpoints. The issuer is Grantbook's
// public address (the client area's, Settings → Client area), read at each
// request; without one the provider is off.
type Provider struct {
	app *core.App
	op  *op.Provider
}

// New builds the provider on the core.
func New(app *core.App) (*Provider, error) {
	keys, err := app.OIDCKeys()
	if err != nil {
		return nil, err
	}
	cfg := &op.Config{
		CryptoKey:                [32]byte(keys.Crypto),
		DefaultLogoutRedirectURI: "/portal",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedClaims:          append(append([]string{}, op.DefaultSupportedClaims...), ClaimAreas),
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail},
	}
	issuer := func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string {
			pub, _ := app.PublicAddress(r.Context())
			return pub
		}, nil
	}
	p, err := op.NewProvider(cfg, storage{app}, issuer,
		// The public address is checked when the owner sets it: https, or
		// http on this computer or a private network only.
		op.WithAllowInsecure(),
		op.WithCustomEndpoints(op.NewEndpoint("oidc/authorize"), op.NewEndpoint("oidc/token"), op.NewEndpoint("oidc/userinfo"),
			op.NewEndpoint("oidc/revoke"), op.NewEndpoint("oidc/end_session"), op.NewEndpoint("oidc/keys")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("oidc/introspect")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("oidc/device_authorization")),
	)
	if err != nil {
		return nil, err
	}
	return &Provider{app: app, op: p}, nil
}

// Serves reports whether path belongs to the provider.
func Serves(path string) bool {
	return path == DiscoveryPath || strings.HasPrefix(path, Prefix)
}

// ServeHTTP answers the protocol's endpoints (not the login step, which
// needs the client area's session: see Approve and Refuse).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pub, err := p.app.PublicAddress(r.Context())
	if err != nil || pub == "" {
		http.Error(w, "OpenID Connect is off: the owner sets Grantbook's public address in Settings → Client area", http.StatusNotFound)
		return
	}
	p.op.ServeHTTP(w, r)
}

// Approve records the signed-in person for request id and sends the
// browser on to the library's callback, which issues the code.
func (p *Provider) Approve(w http.ResponseWriter, r *http.Request, id string, person *core.Principal) error {
	if _, err := p.app.ApproveOIDCRequest(r.Context(), id, person); err != nil {
		return err
	}
	pub, err := p.app.PublicAddress(r.Context())
	if err != nil {
		return err
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(op.ContextWithIssuer(r.Context(), pub), id), http.StatusFound)
	return nil
}

// Refuse answers the relying party: access_denied with the reason, at its
// registered redirect address.
func (p *Provider) Refuse(w http.ResponseWriter, r *http.Request, id, reason string) {
	req, err := storage{p.app}.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "this sign-in request is unknown or expired: start again from the site", http.StatusBadRequest)
		return
	}
	op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("%s", reason), p.op)
}

// Known reports whether id is a live authorization request.
func (p *Provider) Known(ctx context.Context, id string) bool {
	_, err := p.app.OIDCRequestByID(ctx, id)
	return err == nil
}
