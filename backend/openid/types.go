package openid

import (
	"crypto/rsa"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"grantbook/backend/model"
)

// TokenTTL bounds ID and access tokens: a relying party that wants to know
// again asks again, and a contact who lost access gets no new token.
const TokenTTL = 10 * time.Minute

// ClaimAreas names the claim with the site's area keys the contact opens.
const ClaimAreas = "grantbook_admin_areas"

// request is a stored authorization request as the library sees it.
type request struct {
	ID        string
	Req       oidc.AuthRequest
	Subject   string
	AuthTime  time.Time
	ContactID int64
	SessionID int64 // the client-area session that signed in for it
}

func (r *request) GetID() string          { return r.ID }
func (r *request) GetACR() string         { return "" }
func (r *request) GetAudience() []string  { return []string{r.Req.ClientID} }
func (r *request) GetAuthTime() time.Time { return r.AuthTime }
func (r *request) GetClientID() string    { return r.Req.ClientID }
func (r *request) GetNonce() string       { return r.Req.Nonce }
func (r *request) GetRedirectURI() string { return r.Req.RedirectURI }
func (r *request) GetScopes() []string    { return r.Req.Scopes }
func (r *request) GetState() string       { return r.Req.State }
func (r *request) GetSubject() string     { return r.Subject }
func (r *request) Done() bool             { return r.Subject != "" }

func (r *request) GetResponseType() oidc.ResponseType { return r.Req.ResponseType }
func (r *request) GetResponseMode() oidc.ResponseMode { return r.Req.ResponseMode }

// GetAMR: the contact proved the address with a code sent to it.
func (r *request) GetAMR() []string {
	if r.Done() {
		return []string{"otp"}
	}
	return nil
}

func (r *request) GetCodeChallenge() *oidc.CodeChallenge {
	if r.Req.CodeChallenge == "" {
		return nil
	}
	// The method as sent: VerifyCodeChallenge refuses one it does not know.
	return &oidc.CodeChallenge{Challenge: r.Req.CodeChallenge, Method: r.Req.CodeChallengeMethod}
}

// client is a relying party the owner registered: a confidential web
// application with a secret, redirect addresses matched exactly.
type client struct{ c *model.OIDCClient }

func (c client) GetID() string                       { return c.c.ID }
func (c client) RedirectURIs() []string              { return c.c.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string    { return []string{} }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string           { return LoginPath + "?id=" + id }
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration      { return TokenTTL }
func (c client) DevMode() bool                       { return false }
func (c client) ClockSkew() time.Duration            { return 0 }
func (c client) IsScopeAllowed(string) bool          { return false }

// IDTokenUserinfoClaimsAssertion: sites' plugins read email and name from
// the ID token, so they go in it even next to an access token.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// signingKey and publicKey give the library one of Grantbook's RSA keys.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }
