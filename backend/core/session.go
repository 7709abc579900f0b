package core

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Principal is a contact acting through a live session.
type Principal struct {
	Session *model.Session
	Contact *model.Contact
	Grant   access.Grant
}

// Authenticate resolves a session cookie. It fails as soon as the session
// is revoked, expired or idle too long, or the contact's grant no longer
// stands (suspended, expired, deleted).
func (a *App) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	s, err := a.store.SessionByHash(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	if s.RevokedAt != nil || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeen) > SessionIdle {
		return nil, ErrSignedOut
	}
	c, err := a.store.Contact(ctx, s.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, err
	}
	g, err := access.Compile(c)
	if err != nil {
		return nil, err
	}
	if !access.Standing(&g, now.Unix()).Allowed {
		return nil, ErrSignedOut
	}
	if now.Sub(s.LastSeen) > time.Minute {
		a.store.Tx(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, s.ID, now) })
	}
	return &Principal{Session: s, Contact: c, Grant: g}, nil
}

// CheckCSRF compares a request's CSRF header with the session's.
func (p *Principal) CheckCSRF(header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(p.Session.CSRFToken)) == 1
}

// Signout ends the principal's session.
func (a *App) Signout(ctx context.Context, p *Principal) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.RevokeSessions(ctx, p.Contact.ID, p.Session.ID, a.now())
		return err
	})
}

// Sessions lists a contact's portal sessions (owner).
func (a *App) Sessions(ctx context.Context, contactID int64) ([]*model.Session, error) {
	if _, err := a.Contact(ctx, contactID); err != nil {
		return nil, err
	}
	return a.store.Sessions(ctx, contactID)
}

// RevokeSessions ends one (sessionID) or every session of a contact (owner).
func (a *App) RevokeSessions(ctx context.Context, contactID, sessionID int64) (int64, error) {
	var n int64
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := tx.Contact(ctx, contactID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("contact", contactID)
		}
		if err != nil {
			return err
		}
		if n, err = tx.RevokeSessions(ctx, contactID, sessionID, a.now()); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "session.revoke", "contact", contactID
		e.Summary = fmt.Sprintf("Signed %s out of the portal (%d session(s))", c.Name(), n)
		return nil
	})
	return n, err
}
