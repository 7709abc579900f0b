package core

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

var errWrongPasskey = &Error{Code: CodeInvalidPasskey, Field: "credential", Message: "this passkey did not sign you in: " +
	"try again, or sign in with a code sent by email"}

// BeginPasskeySignin starts a sign-in with a passkey alone. The prompt is
// bound to nonce (a cookie of the browser that asked).
func (a *App) BeginPasskeySignin(ctx context.Context, rp RelyingParty, nonce string) (*protocol.CredentialAssertion, error) {
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	assertion, data, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	a.ceremonies.put("signin "+string(nonceHash(nonce)), ceremony{data: *data, expires: a.now().Add(CeremonyTTL)})
	return assertion, nil
}

// FinishPasskeySignin verifies the browser's answer and opens a session for
// every contact of the passkey's person in good standing; the session has
// proved its second factor.
func (a *App) FinishPasskeySignin(ctx context.Context, rp RelyingParty, nonce string, in PasskeyInput, userAgent, remote string) (*NewSession, error) {
	if nonce == "" {
		return nil, errPasskeyExpired
	}
	cer, w, parsed, err := a.passkeyAnswer("signin "+string(nonceHash(nonce)), rp, in)
	if err != nil {
		return nil, err
	}
	var u *person
	cred, err := w.ValidateDiscoverableLogin(func(_, handle []byte) (webauthn.User, error) {
		key, err := a.store.PersonByHandle(ctx, handle)
		if err != nil {
			return nil, err
		}
		u, err = a.loadPerson(ctx, key, false)
		return u, err
	}, cer.data, parsed)
	if err != nil || u == nil {
		return nil, errWrongPasskey
	}
	pk, err := used(u, cred)
	if err != nil {
		return nil, err
	}
	cs, err := a.signinContacts(ctx, u.email)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errWrongPasskey // the person has no access any more
	}
	return a.openSession(ctx, cs, "passkey", userAgent, remote, func(tx *store.Tx) error {
		return a.usePasskey(ctx, tx, pk, cred)
	})
}

// used finds the stored passkey behind a verified credential and refuses
// one whose signature counter went back: a cloned authenticator.
func used(u *person, cred *webauthn.Credential) (*store.Passkey, error) {
	for _, k := range u.keys {
		if subtle.ConstantTimeCompare(k.CredentialID, cred.ID) == 1 {
			if cred.Authenticator.CloneWarning {
				return nil, &Error{Code: CodeInvalidPasskey, Field: "credential", Message: "this passkey looks copied: " +
					"it was refused; sign in with a code sent by email and tell the owner"}
			}
			return k, nil
		}
	}
	return nil, errWrongPasskey
}

func (a *App) usePasskey(ctx context.Context, tx *store.Tx, pk *store.Passkey, cred *webauthn.Credential) error {
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	return tx.UsePasskey(ctx, pk.ID, string(raw), a.now().UTC().Truncate(time.Second))
}

// passkeyAnswer takes the prompt a sign-in answers (once) and reads the answer.
func (a *App) passkeyAnswer(key string, rp RelyingParty, in PasskeyInput) (ceremony, *webauthn.WebAuthn,
	*protocol.ParsedCredentialAssertionData, error) {
	cer, ok := a.ceremonies.take(key, a.now())
	if !ok {
		return cer, nil, nil, errPasskeyExpired
	}
	w, err := rp.webauthn()
	if err != nil {
		return cer, nil, nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(in.Credential)
	if err != nil {
		return cer, nil, nil, errWrongPasskey
	}
	return cer, w, parsed, nil
}

// BeginPasskeyCheck asks the person in a session opened with an emailed
// code to prove it with one of their passkeys.
func (a *App) BeginPasskeyCheck(ctx context.Context, p *Principal, rp RelyingParty) (*protocol.CredentialAssertion, error) {
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	u, err := a.loadPerson(ctx, p.Session.EmailKey, false)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(u.creds) == 0) {
		return nil, invalid("credential", "you have no passkey yet")
	}
	if err != nil {
		return nil, err
	}
	assertion, data, err := w.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	a.ceremonies.put(sessionKey(p, "check"), ceremony{data: *data, user: u, expires: a.now().Add(CeremonyTTL)})
	return assertion, nil
}

// FinishPasskeyCheck verifies the answer: the session has proved its
// second factor.
func (a *App) FinishPasskeyCheck(ctx context.Context, p *Principal, rp RelyingParty, in PasskeyInput) (*Factors, error) {
	cer, w, parsed, err := a.passkeyAnswer(sessionKey(p, "check"), rp, in)
	if err != nil {
		return nil, err
	}
	cred, err := w.ValidateLogin(cer.user, cer.data, parsed)
	if err != nil {
		a.auditPerson(ctx, p, "confirm with a passkey", "denied: "+err.Error())
		return nil, errWrongPasskey
	}
	pk, err := used(cer.user, cred)
	if err != nil {
		return nil, err
	}
	err = a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := a.usePasskey(ctx, tx, pk, cred); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary = "portal.factor", "contact", personContact(p), "Confirmed the sign-in with the passkey "+pk.Name
		return proved(ctx, tx, p, "passkey")
	})
	if err != nil {
		return nil, err
	}
	return a.PortalFactors(ctx, p)
}

// RemovePasskey deletes one of the person's passkeys; the last factor of a
// grant that requires one stays.
func (a *App) RemovePasskey(ctx context.Context, p *Principal, id int64) (*Factors, error) {
	return a.removeFactor(ctx, p, "Removed a passkey", func(tx *store.Tx) error {
		return notFoundOr(tx.DeletePasskey(ctx, p.Session.EmailKey, id), "passkey", id)
	})
}

// removeFactor runs one removal of the person's factors, refusing it when a
// required second factor would be left with none.
func (a *App) removeFactor(ctx context.Context, p *Principal, summary string, del func(*store.Tx) error) (*Factors, error) {
	if err := a.mayChangeFactors(ctx, p); err != nil {
		return nil, err
	}
	err := a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := del(tx); err != nil {
			return err
		}
		n, err := tx.CountFactors(ctx, p.Session.EmailKey)
		if err != nil {
			return err
		}
		if n == 0 && p.Contact != nil {
			if st, err := a.lifecycle(ctx, tx.Q); err != nil {
				return err
			} else if st.RequireSecondFactor && highPrivilege(p.Contact) != "" {
				return conflict("your access needs a second factor: add another before removing this one")
			}
		}
		e.Action, e.Entity, e.EntityID, e.Summary = "factor.remove", "contact", personContact(p), summary
		return a.tellPerson(ctx, tx, p, "A sign-in factor was removed", summary+" from your client area sign-in. "+
			"If this was not you, tell the owner at once.")
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalFactors(ctx, p)
}

// auditPerson records a refused factor step.
func (a *App) auditPerson(ctx context.Context, p *Principal, what, outcome string) {
	c := p.Contact
	if c == nil && len(p.Choices) > 0 {
		c = p.Choices[0]
	}
	if c != nil {
		a.auditPortal(ctx, c, "portal.factor", what, outcome)
	}
}
