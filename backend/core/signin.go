package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

// Portal timing and limits.
const (
	CodeTTL          = 10 * time.Minute
	CodeAttempts     = 5 // wrong guesses before a code is spent
	CodesPerQuarter  = 3 // codes one contact may request per 15 minutes
	SessionTTL       = 8 * time.Hour
	SessionIdle      = time.Hour
	sessionTokenSize = 32
)

// ErrSignedOut means the session is missing, expired, revoked, or its grant
// no longer allows anything.
var ErrSignedOut = &Error{Code: "unauthorized", Message: "you are signed out: sign in again"}

func codeHash(contactID int64, code string) []byte {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, contactID)
	h.Write([]byte(code))
	return h.Sum(nil)
}

func tokenHash(token string) []byte {
	s := sha256.Sum256([]byte(token))
	return s[:]
}

func randomCode() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(b[:])%1_000_000)
}

func randomToken() string {
	b := make([]byte, sessionTokenSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// portalContact finds the active contact an address signs in as. An
// address known in several accounts signs in to the most recently updated.
func (a *App) portalContact(ctx context.Context, email string) (*model.Contact, access.Grant, bool) {
	c, err := a.store.ContactByEmail(ctx, email, 0)
	if err != nil {
		return nil, access.Grant{}, false
	}
	g, err := access.Compile(c)
	if err != nil || !access.Standing(&g, a.now().Unix()).Allowed {
		return nil, access.Grant{}, false
	}
	return c, g, true
}

// RequestSignin mails a one-time code to an active contact. It answers the
// same whether or not the address is known, so it reveals nothing.
func (a *App) RequestSignin(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	if _, err := NormaliseEmail(email); err != nil {
		return err
	}
	c, _, ok := a.portalContact(ctx, email)
	if !ok {
		a.log.Info("portal: sign-in requested for an address without access", "email", email)
		return nil
	}
	now := a.now().UTC().Truncate(time.Second)
	n, err := a.store.CountSigninCodes(ctx, c.ID, now.Add(-15*time.Minute))
	if err != nil {
		return err
	}
	if n >= CodesPerQuarter {
		return &Error{Code: "rate_limited", Message: "too many codes requested: wait a few minutes and try again"}
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	if !st.SMTP.Configured() {
		a.log.Warn("portal: cannot mail a sign-in code: no SMTP server is set up")
		return nil
	}
	acc, err := a.store.Account(ctx, c.AccountID)
	if err != nil {
		return err
	}
	code := randomCode()
	msgID := "grantbook-signin." + randomToken()[:20] + "@" + domainOf(st.SMTP.FromEmail, "grantbook.invalid")
	raw, err := outbox.Compose(outbox.Message{FromName: orDefault(st.SMTP.FromName, acc.Name), FromEmail: st.SMTP.FromEmail,
		ToName: c.Name(), ToEmail: c.Email, MessageID: msgID, Date: now,
		Subject: "Your sign-in code for " + acc.Name + ": " + code,
		Text: fmt.Sprintf("Hello %s,\n\nyour code to sign in to %s is:\n\n%s\n\nIt works once, for %d minutes. "+
			"If you did not ask for it, ignore this email.\n", c.FirstName, acc.Name, code, int(CodeTTL.Minutes()))})
	if err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSigninCode(ctx, c.ID, codeHash(c.ID, code), now, now.Add(CodeTTL)); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, &model.OutboxMessage{MessageID: msgID, Kind: "signin_code", RefID: c.ID,
			From: st.SMTP.FromEmail, To: c.Email, Raw: raw}, now)
	})
	if err != nil {
		return err
	}
	a.outbox.Wake()
	return nil
}

// NewSession is a signed-in contact: Token goes in the cookie, CSRF in a
// header of every state-changing request.
type NewSession struct {
	Token   string
	CSRF    string
	Contact *model.Contact
	Expires time.Time
}

// VerifySignin checks a code and opens a session.
func (a *App) VerifySignin(ctx context.Context, email, code, userAgent, remote string) (*NewSession, error) {
	wrong := &Error{Code: "invalid_code", Field: "code", Message: "this code is wrong or expired: check the latest email or ask for a new code"}
	code = strings.TrimSpace(code)
	c, _, ok := a.portalContact(ctx, strings.TrimSpace(email))
	if !ok || len(code) != 6 {
		return nil, wrong
	}
	now := a.now().UTC().Truncate(time.Second)
	live, err := a.store.LiveSigninCode(ctx, c.ID, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(live.Hash, codeHash(c.ID, code)) != 1 {
		if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.FailSigninCode(ctx, live.ID, CodeAttempts, now) }); err != nil {
			return nil, err
		}
		a.auditPortal(ctx, c, "portal.signin", "sign in", "denied: wrong code")
		return nil, wrong
	}
	ns := &NewSession{Token: randomToken(), CSRF: randomToken(), Contact: a.decorate(c), Expires: now.Add(SessionTTL)}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		used, err := tx.UseSigninCode(ctx, live.ID, now)
		if err != nil {
			return err
		}
		if !used {
			return wrong
		}
		s := &model.Session{ContactID: c.ID, CSRFToken: ns.CSRF, CreatedAt: now, LastSeen: now, ExpiresAt: ns.Expires,
			UserAgent: truncate(userAgent, 200), RemoteAddr: remote}
		if err := tx.InsertSession(ctx, s, tokenHash(ns.Token)); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + c.Email, Action: "portal.signin",
			Entity: "contact", EntityID: c.ID, Summary: c.Name() + " signed in to the portal from " + remote})
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

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
