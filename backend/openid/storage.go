package openid

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"grantbook/backend/core"
)

// storage is op.Storage on Grantbook's core: requests, codes and tokens in
// SQLite, keys in the data folder, and every claim decided by the same
// evaluation as everything else, at the moment it is asked.
type storage struct{ app *core.App }

var (
	_ op.Storage                   = storage{}
	_ op.CanSetUserinfoFromRequest = storage{}
)

var errNoRefresh = errors.New("refresh tokens are not offered: ask again")

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if len(req.Prompt) == 1 && req.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired() // signing in always goes through the client area
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	r := &core.OIDCRequest{ID: randomID(), ClientID: req.ClientID, Request: raw}
	if err := s.app.SaveOIDCRequest(ctx, r); err != nil {
		return nil, err
	}
	return &request{ID: r.ID, Req: *req}, nil
}

func (s storage) load(r *core.OIDCRequest, err error) (op.AuthRequest, error) {
	if err != nil {
		return nil, err
	}
	out := &request{ID: r.ID, AuthTime: r.AuthTime, ContactID: r.ContactID, SessionID: r.SessionID}
	if err := json.Unmarshal(r.Request, &out.Req); err != nil {
		return nil, err
	}
	return out, nil
}

func (s storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.app.OIDCRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	req, err := s.load(r, nil)
	if err == nil && r.ContactID != 0 {
		req.(*request).Subject, err = s.app.OIDCSubjectOf(ctx, r.ContactID)
	}
	return req, err
}

func (s storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.app.OIDCRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.AuthRequestByID(ctx, r.ID)
}

func (s storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.app.SaveOIDCCode(ctx, id, code)
}

func (s storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.app.DeleteOIDCRequest(ctx, id)
}

func (s storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	r, ok := req.(*request)
	if !ok || r.GetClientID() == "" {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	id := randomID()
	exp, err := s.app.CreateOIDCToken(ctx, id, r.GetClientID(), req.GetSubject(), r.SessionID, req.GetScopes(), TokenTTL)
	if err != nil {
		return "", time.Time{}, oidc.ErrAccessDenied().WithDescription("%s", err.Error())
	}
	return id, exp, nil
}

func (s storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	return s.app.RevokeOIDCTokens(ctx, "", clientID, userID)
}

func (s storage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	if err := s.app.RevokeOIDCTokens(ctx, tokenOrID, clientID, ""); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s storage) SigningKey(context.Context) (op.SigningKey, error) {
	k, err := s.app.OIDCKeys()
	if err != nil {
		return nil, err
	}
	key := k.Signing()
	return signingKey{key.ID, key.Key}, nil
}

func (s storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s storage) KeySet(context.Context) ([]op.Key, error) {
	k, err := s.app.OIDCKeys()
	if err != nil {
		return nil, err
	}
	var out []op.Key
	for _, key := range k.Published(time.Now()) {
		out = append(out, publicKey{signingKey{key.ID, key.Key}})
	}
	return out, nil
}

func (s storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, _, err := s.app.OIDCClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{c}, nil
}

func (s storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	return s.app.CheckOIDCSecret(ctx, id, secret)
}

func (s storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil // SetUserinfoFromRequest does it
}

// SetUserinfoFromRequest fills the ID token; the contact is evaluated again
// now, so one who lost admin access since the sign-in gets none.
func (s storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	r, ok := req.(*request)
	if !ok {
		return oidc.ErrAccessDenied()
	}
	return s.userinfo(ctx, info, req.GetSubject(), req.GetClientID(), r.SessionID, scopes)
}

func (s storage) userinfo(ctx context.Context, info *oidc.UserInfo, subject, clientID string, sessionID int64, scopes []string) error {
	u, err := s.app.OIDCUser(ctx, subject, clientID, sessionID)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("%s", err.Error())
	}
	info.Subject = u.Subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = u.Email, true // the sign-in code went to it
		case oidc.ScopeProfile:
			info.Name = u.Name
		}
	}
	info.AppendClaims(ClaimAreas, u.Areas)
	return nil
}

func (s storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, _, err := s.app.OIDCTokenUser(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	return s.userinfo(ctx, info, subject, t.ClientID, t.SessionID, t.Scopes)
}

func (s storage) SetIntrospectionFromToken(ctx context.Context, in *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, _, err := s.app.OIDCTokenUser(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if t.ClientID != clientID {
		return errors.New("the token was not issued to this client")
	}
	info := new(oidc.UserInfo)
	if err := s.userinfo(ctx, info, subject, t.ClientID, t.SessionID, t.Scopes); err != nil {
		return err
	}
	in.SetUserInfo(info)
	in.Scope, in.ClientID, in.Expiration = t.Scopes, t.ClientID, oidc.FromTime(t.ExpiresAt)
	return nil
}

func (s storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile is not offered")
}

func (s storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile is not offered")
}

func (s storage) Health(ctx context.Context) error { return nil }
