package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// OIDCRequest is an authorization request on its way to a token.
type OIDCRequest = store.OIDCRequest

// OIDCToken is an access token's record.
type OIDCToken = store.OIDCToken

// SaveOIDCRequest stores a validated authorization request.
func (a *App) SaveOIDCRequest(ctx context.Context, r *OIDCRequest) error {
	now := a.now().UTC()
	r.ExpiresAt = now.Add(OIDCRequestTTL)
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.InsertOIDCRequest(ctx, r, now) })
}

// OIDCRequestByID finds a live request.
func (a *App) OIDCRequestByID(ctx context.Context, id string) (*OIDCRequest, error) {
	return a.store.OIDCRequestByID(ctx, id, a.now())
}

// OIDCRequestByCode finds a live request by its code.
func (a *App) OIDCRequestByCode(ctx context.Context, code string) (*OIDCRequest, error) {
	return a.store.OIDCRequestByCode(ctx, tokenHash(code), a.now())
}

// SaveOIDCCode records the code issued for a request (its hash only).
func (a *App) SaveOIDCCode(ctx context.Context, id, code string) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.SetOIDCCode(ctx, id, tokenHash(code)) })
}

// DeleteOIDCRequest forgets a request once its code is spent.
func (a *App) DeleteOIDCRequest(ctx context.Context, id string) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteOIDCRequest(ctx, id) })
}

// ApproveOIDCRequest is the login step: the signed-in person p answers
// request id. Only a contact with admin access to the client's site gets
// through; the others are told why. It returns the contact's subject.
func (a *App) ApproveOIDCRequest(ctx context.Context, id string, p *Principal) (string, error) {
	r, err := a.OIDCRequestByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", &Error{Code: CodeNotFound, Message: "this sign-in request is unknown or expired: start again from the site"}
	}
	if err != nil {
		return "", err
	}
	client, s, err := a.OIDCClient(ctx, r.ClientID)
	if err != nil {
		return "", err
	}
	now := a.now().UTC().Truncate(time.Second)
	c, d, err := a.siteAdmin(ctx, p, s, now)
	if err != nil {
		return "", err
	}
	if c == nil {
		a.auditPortal(ctx, p.Choices[0], "oidc.signin", "sign in to "+s.Name+" with OpenID Connect", d.Reason())
		return "", &Error{Code: CodeForbidden, Message: d.Reason()}
	}
	var sub string
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		if sub, err = tx.OIDCSubject(ctx, c.ID); err != nil {
			return err
		}
		// auth_time is when the person proved the address: the session's start.
		if err := tx.CompleteOIDCRequest(ctx, id, c.ID, p.Session.ID, p.Session.CreatedAt); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + c.Email, Action: "oidc.signin", Entity: "contact",
			EntityID: c.ID, Summary: fmt.Sprintf("%s: sign in to %s with OpenID Connect (%s) — %s", c.Name(), s.Name, client.Name, d.Reason())})
	})
	return sub, err
}

// OIDCUser is what a relying party learns about a contact, decided now.
type OIDCUser struct {
	ContactID int64
	Subject   string
	Email     string
	Name      string
	Areas     []string // the site's areas the contact opens
}

// OIDCUser re-evaluates a contact for a client's site: it fails when the
// contact is no longer in good standing or lost admin access to the site,
// or when the client-area session that signed in for the request or token
// (sessionID) ended or is held for its second factor, so a token is refused
// as soon as access ends.
func (a *App) OIDCUser(ctx context.Context, subject, clientID string, sessionID int64) (*OIDCUser, error) {
	id, err := a.store.ContactBySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	c, err := a.store.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	_, s, err := a.OIDCClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	g, err := a.grantFor(ctx, c)
	if err != nil {
		return nil, err
	}
	probe := *s
	probe.Unlisted = model.UnlistedAnyAdmin
	if d := access.EvaluateAdmin(&g, &probe, -1, a.now().Unix()); !d.Allowed {
		return nil, &Error{Code: CodeForbidden, Message: d.Reason()}
	}
	if err := a.oidcSessionHold(ctx, c, sessionID); err != nil {
		return nil, err
	}
	return &OIDCUser{ContactID: c.ID, Subject: subject, Email: c.Email, Name: c.Name(), Areas: access.SiteAreas(&g, s, a.now().Unix())}, nil
}

var errOIDCSessionEnded = &Error{Code: CodeForbidden, Message: "denied: the client-area sign-in this came from has ended"}

// oidcSessionHold asks the session's rule of a token, as of a site cookie:
// live (not signed out, expired, idle or reset), still holding c, and not
// held for a second factor (one set up since, or one required since).
func (a *App) oidcSessionHold(ctx context.Context, c *model.Contact, sessionID int64) error {
	if sessionID == 0 {
		return errOIDCSessionEnded
	}
	s, err := a.store.SessionByID(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return errOIDCSessionEnded
	}
	if err != nil {
		return err
	}
	cs, err := liveContacts(ctx, a.store.Q, s, a.now().UTC())
	if errors.Is(err, ErrSignedOut) || (err == nil && !slices.ContainsFunc(cs, func(x *model.Contact) bool { return x.ID == c.ID })) {
		return errOIDCSessionEnded
	}
	if err != nil {
		return err
	}
	hold, err := a.factorHold(ctx, c, s)
	if err != nil {
		return err
	}
	if hold != "" {
		return &Error{Code: CodeForbidden, Message: "denied: " + factorError(hold).Message}
	}
	return nil
}

// CreateOIDCToken records an access token for a contact, with its audit row.
// sessionID is the client-area session that signed in for the request.
func (a *App) CreateOIDCToken(ctx context.Context, id, clientID, subject string, sessionID int64, scopes []string, ttl time.Duration) (time.Time, error) {
	u, err := a.OIDCUser(ctx, subject, clientID, sessionID)
	if err != nil {
		return time.Time{}, err
	}
	client, s, err := a.OIDCClient(ctx, clientID)
	if err != nil {
		return time.Time{}, err
	}
	now := a.now().UTC().Truncate(time.Second)
	t := &OIDCToken{ID: id, ClientID: clientID, ContactID: u.ContactID, SessionID: sessionID, Scopes: scopes, ExpiresAt: now.Add(ttl)}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOIDCToken(ctx, t, now); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + u.Email, Action: "oidc.token", Entity: "contact",
			EntityID: u.ContactID, Summary: fmt.Sprintf("%s: token for %s (%s) with areas %v", u.Name, s.Name, client.Name, u.Areas)})
	})
	return t.ExpiresAt, err
}

// OIDCTokenUser finds a live access token's contact, re-evaluated now.
func (a *App) OIDCTokenUser(ctx context.Context, tokenID, subject string) (*OIDCToken, *OIDCUser, error) {
	t, err := a.store.OIDCTokenByID(ctx, tokenID)
	if err != nil {
		return nil, nil, err
	}
	if t.Revoked || !a.now().Before(t.ExpiresAt) {
		return nil, nil, errors.New("token is revoked or expired")
	}
	u, err := a.OIDCUser(ctx, subject, t.ClientID, t.SessionID)
	if err != nil {
		return nil, nil, err
	}
	if u.ContactID != t.ContactID {
		return nil, nil, errors.New("token and subject disagree")
	}
	return t, u, nil
}

// RevokeOIDCTokens revokes one token (id) or a contact's tokens for a
// client (id empty).
func (a *App) RevokeOIDCTokens(ctx context.Context, id, clientID, subject string) error {
	var contactID int64
	if subject != "" {
		var err error
		if contactID, err = a.store.ContactBySubject(ctx, subject); err != nil {
			return err
		}
	}
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeOIDCTokens(ctx, id, clientID, contactID, a.now()) })
}

// OIDCSubjectOf is the subject of a contact who signed in for a request.
func (a *App) OIDCSubjectOf(ctx context.Context, contactID int64) (string, error) {
	return a.store.OIDCSubjectOf(ctx, contactID)
}
