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

// Principal is a person acting through a live session: one address, which
// may have access in several accounts. Contact is the contact chosen for
// the session (nil until the person chooses), Choices every contact the
// session may act as now.
type Principal struct {
	Session *model.Session
	Contact *model.Contact
	Grant   access.Grant
	Choices []*model.Contact
	// Factor is what the session lacks before Contact may act: "",
	// FactorSetup or FactorVerify (see factorHold).
	Factor string
	// Room for Authenticate's session and first choice, so that a
	// request's principal is one allocation.
	session model.Session
	first   model.Contact
	choices [1]*model.Contact
}

// ErrChooseAccount answers a request that needs an account before the
// person chose one (or after the chosen one lost its access).
var ErrChooseAccount = &Error{Code: CodeChooseAccount, Message: "choose which client area to open"}

// PortalAccount is one client area a signed-in person may open.
type PortalAccount struct {
	ContactID int64  `json:"contact_id"`
	Account   string `json:"account"`
}

// Authenticate resolves a session cookie and re-checks, on every request,
// which contacts it may act as: each must still have the address signed
// in with, be in good standing (not suspended, expired or deleted), and not
// have been signed out of the session by the owner. A session left with
// none ends; one whose chosen contact fell out must choose again.
func (a *App) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	ls, err := a.sessionByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	if !ls.live(now) {
		return nil, ErrSignedOut
	}
	p := &Principal{session: ls.session()}
	p.Session, p.Choices = &p.session, p.choices[:0]
	s := p.Session
	for i, c := range ls.contacts {
		if !access.Standing(&ls.grants[i], now.Unix()).Allowed {
			continue
		}
		own := &p.first // the cached contact is shared: each choice is a copy
		if len(p.Choices) > 0 {
			own = new(model.Contact)
		}
		*own = *c
		p.Choices = append(p.Choices, a.decorate(own))
		if c.ID == s.ContactID {
			p.Contact, p.Grant = own, ls.grants[i]
		}
	}
	switch {
	case len(p.Choices) == 0:
		err = a.store.Tx(ctx, func(tx *store.Tx) error { return tx.EndSession(ctx, s.ID, now) })
		if err != nil {
			return nil, err
		}
		return nil, ErrSignedOut
	case s.ContactID != 0 && p.Contact == nil:
		if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.ChooseContact(ctx, s.ID, 0) }); err != nil {
			return nil, err
		}
		s.ContactID = 0
	}
	if p.Contact != nil {
		if p.Factor, err = a.factorHold(ctx, p.Contact, p.Session); err != nil {
			return nil, err
		}
	}
	a.touch(ls, p.Session, now)
	return p, nil
}

// live reports whether the session may still be used at now: not signed
// out, not expired, not idle too long.
func (ls *liveSession) live(now time.Time) bool {
	s := ls.session()
	return sessionLive(&s, now)
}

func sessionLive(s *model.Session, now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt) && now.Sub(s.LastSeen) <= SessionIdle
}

func liveContacts(ctx context.Context, q store.Q, s *model.Session, now time.Time) ([]*model.Contact, error) {
	if !sessionLive(s, now) {
		return nil, ErrSignedOut
	}
	all, err := q.SessionContacts(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	var cs []*model.Contact
	for _, c := range all {
		if store.EmailKey(c.Email) == s.EmailKey {
			cs = append(cs, c)
		}
	}
	return cs, nil
}

// touch records activity at most once a minute: it keeps the session from
// going idle, queued with the views rather than written on the request,
// and known at once to the cached session ls.
func (a *App) touch(ls *liveSession, s *model.Session, now time.Time) {
	if now.Sub(s.LastSeen) > time.Minute {
		ls.saw(now)
		a.views.touch(s.ID, now)
	}
}

// CheckCSRF compares a request's CSRF header with the session's.
func (p *Principal) CheckCSRF(header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(p.Session.CSRFToken)) == 1
}

// PortalAccounts lists the client areas the person may open.
func (a *App) PortalAccounts(ctx context.Context, p *Principal) ([]PortalAccount, error) {
	out := []PortalAccount{}
	for _, c := range p.Choices {
		acc, err := a.store.Account(ctx, c.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, PortalAccount{ContactID: c.ID, Account: acc.Name})
	}
	return out, nil
}

// ChooseAccount makes the session act as one of the person's contacts,
// without signing in again.
func (a *App) ChooseAccount(ctx context.Context, p *Principal, contactID int64) (*PortalHome, error) {
	for _, c := range p.Choices {
		if c.ID != contactID {
			continue
		}
		g, err := a.grantFor(ctx, c)
		if err != nil {
			return nil, err
		}
		err = a.store.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.ChooseContact(ctx, p.Session.ID, c.ID); err != nil {
				return err
			}
			return tx.InsertAudit(ctx, &model.AuditEntry{At: a.now().UTC(), Actor: "contact " + c.Email, Action: "portal.switch",
				Entity: "contact", EntityID: c.ID, Summary: c.Name() + " opened the client area"})
		})
		if err != nil {
			return nil, err
		}
		p.Contact, p.Grant, p.Session.ContactID = c, g, c.ID
		if p.Factor, err = a.factorHold(ctx, c, p.Session); err != nil || p.Factor != "" {
			if err == nil {
				err = p.FactorError()
			}
			return nil, err
		}
		return a.Home(ctx, p)
	}
	return nil, invalid("contact_id", "this is not a client area you can open")
}

// Signout ends the principal's session, in every account.
func (a *App) Signout(ctx context.Context, p *Principal) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.EndSession(ctx, p.Session.ID, a.now()) })
}

// Sessions lists a contact's portal sessions (owner).
func (a *App) Sessions(ctx context.Context, contactID int64) ([]*model.Session, error) {
	if _, err := a.Contact(ctx, contactID); err != nil {
		return nil, err
	}
	return a.store.Sessions(ctx, contactID)
}

// RevokeSessions signs a contact out of one (sessionID) or every session
// (owner). A session that may act in other accounts too keeps those.
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

// endPortalAccess signs a contact out of every session and voids its
// unused sign-in codes.
func (a *App) endPortalAccess(ctx context.Context, tx *store.Tx, contactID int64, now time.Time) error {
	if _, err := tx.RevokeSessions(ctx, contactID, 0, now); err != nil {
		return err
	}
	return tx.VoidContactCodes(ctx, contactID, now)
}
