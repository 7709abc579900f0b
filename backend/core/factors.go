package core

import (
	"context"
	"fmt"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// What a session lacks before a contact may act (Principal.Factor).
const (
	// FactorSetup: the owner requires a second factor for this grant and
	// the person has none: they may only set one up.
	FactorSetup = "setup"
	// FactorVerify: the person has a second factor and this session, opened
	// with an emailed code, has not proved it yet.
	FactorVerify = "verify"
)

// factorHold decides whether a session may act as c: a session opened with
// a passkey, or one that proved a factor, may; otherwise a person who set
// up a factor must prove it (once set up, always asked: GitHub's rule),
// and a high-privilege grant whose owner requires one needs it set up.
// Every check of a session asks here: the portal (Authenticate), forward
// authentication and the OpenID Connect login (siteAdmin, VerifySite).
func (a *App) factorHold(ctx context.Context, c *model.Contact, s *model.Session) (string, error) {
	if s == nil || s.Factor != "" {
		return "", nil
	}
	// Both in memory until a factor or a setting changes: this runs on
	// every client-area request.
	n, err := a.cached.factors.Get(s.EmailKey, func() (int, error) { return a.store.CountFactors(ctx, s.EmailKey) })
	if err != nil {
		return "", err
	}
	if n > 0 {
		return FactorVerify, nil
	}
	st, err := a.lifecycleNow(ctx)
	if err != nil {
		return "", err
	}
	if st.RequireSecondFactor && highPrivilege(c) != "" {
		return FactorSetup, nil
	}
	return "", nil
}

// The refusals of a session held for its second factor (403).
var (
	ErrFactorSetup = &Error{Code: CodeSecondFactorSetup, Message: "your access needs a second factor: " +
		"add a passkey or an authenticator app in the client area to continue"}
	ErrFactorVerify = &Error{Code: CodeSecondFactor, Message: "confirm it is you with your passkey or authenticator app to continue"}
)

func factorError(hold string) *Error {
	if hold == FactorSetup {
		return ErrFactorSetup
	}
	return ErrFactorVerify
}

// FactorError is why p may not act yet (nil: it may).
func (p *Principal) FactorError() error {
	if p.Factor == "" {
		return nil
	}
	return factorError(p.Factor)
}

// Factors is a person's second factors as the client area shows them.
type Factors struct {
	Passkeys []*store.Passkey `json:"passkeys"`
	TOTP     bool             `json:"totp"` // a confirmed authenticator app
	// Required: the chosen contact's grant needs a second factor.
	Required bool `json:"required"`
	// Needed is what the session lacks now: "", "setup" or "verify".
	Needed string `json:"needed"`
	// Session is the factor this session proved ("" for a code only).
	Session string `json:"session"`
}

// PortalFactors lists the signed-in person's factors.
func (a *App) PortalFactors(ctx context.Context, p *Principal) (*Factors, error) {
	f, err := a.factorsOf(ctx, p.Session.EmailKey)
	if err != nil {
		return nil, err
	}
	f.Needed, f.Session = p.Factor, p.Session.Factor
	if p.Contact != nil {
		st, err := a.Lifecycle(ctx)
		if err != nil {
			return nil, err
		}
		f.Required = st.RequireSecondFactor && highPrivilege(p.Contact) != ""
	}
	return f, nil
}

func (a *App) factorsOf(ctx context.Context, emailKey string) (*Factors, error) {
	pks, err := a.store.Passkeys(ctx, emailKey)
	if err != nil {
		return nil, err
	}
	f := &Factors{Passkeys: pks}
	t, err := a.store.TOTPOf(ctx, emailKey)
	if err == nil {
		f.TOTP = t.ConfirmedAt != nil
	} else if err != store.ErrNotFound {
		return nil, err
	}
	return f, nil
}

// ContactFactors is what the owner sees of a contact's factors.
func (a *App) ContactFactors(ctx context.Context, contactID int64) (*Factors, error) {
	c, err := a.Contact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	f, err := a.factorsOf(ctx, store.EmailKey(c.Email))
	if err != nil {
		return nil, err
	}
	st, err := a.Lifecycle(ctx)
	f.Required = st.RequireSecondFactor && highPrivilege(c) != ""
	return f, err
}

// ResetFactors is the recovery of a contact who lost their passkeys and
// authenticator app: every factor of their address goes, their sessions
// end, and they are told; they sign in with an emailed code and set up a
// new one.
func (a *App) ResetFactors(ctx context.Context, contactID int64) (*Factors, error) {
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := tx.Contact(ctx, contactID)
		if err != nil {
			return notFoundOr(err, "contact", contactID)
		}
		now := a.now().UTC().Truncate(time.Second)
		if err := tx.ResetFactors(ctx, store.EmailKey(c.Email)); err != nil {
			return err
		}
		if _, err := tx.RevokeSessions(ctx, c.ID, 0, now); err != nil {
			return err
		}
		if err := a.toClient(ctx, tx, c.AccountID, 0, "factors", "Your sign-in factors were reset",
			"your passkeys and authenticator app were removed by the owner. Sign in with a code sent by email and set up a new one.",
			false, contactTo(c)); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "factor.reset", "contact", c.ID
		e.Summary = fmt.Sprintf("Reset %s's passkeys and authenticator app; their sessions ended", c.Name())
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.ContactFactors(ctx, contactID)
}

// proved records that the session proved a factor, in tx.
func proved(ctx context.Context, tx *store.Tx, p *Principal, factor string) error {
	if err := tx.SetSessionFactor(ctx, p.Session.ID, factor); err != nil {
		return err
	}
	p.Session.Factor, p.Factor = factor, ""
	return nil
}
