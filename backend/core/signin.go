package core

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
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
	CodeAttempts     = 5  // wrong guesses from one browser before its code is spent
	CodesPerQuarter  = 3  // codes mailed for one contact per 15 minutes
	CodesPerDay      = 10 // codes mailed for one contact per 24 hours
	SessionTTL       = 8 * time.Hour
	SessionIdle      = time.Hour
	sessionTokenSize = 32
	kindSigninCode   = "signin_code"
)

// ErrSignedOut means the session is missing, expired, revoked, or its grant
// no longer allows anything.
var ErrSignedOut = &Error{Code: CodeUnauthorized, Message: "you are signed out: sign in again"}

var errWrongCode = &Error{Code: CodeInvalidCode, Field: "code", Message: "this code is wrong or expired: check the latest email or ask for a new code"}

// nonceHash finds a browser's codes; the nonce itself is never stored.
func nonceHash(nonce string) []byte {
	s := sha256.Sum256([]byte("grantbook signin nonce\x00" + nonce))
	return s[:]
}

// codeHash is keyed by the browser's nonce: a 6-digit code's plain hash is
// reversed by trying a million values, but without the cookie nobody can
// try them, not even a reader of the database.
func codeHash(nonce string, contactID int64, code string) []byte {
	m := hmac.New(sha256.New, []byte(nonce))
	binary.Write(m, binary.BigEndian, contactID)
	m.Write([]byte(code))
	return m.Sum(nil)
}

func tokenHash(token string) []byte {
	s := sha256.Sum256([]byte(token))
	return s[:]
}

func randomCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return fmt.Sprintf("%06d", n.Int64())
}

func randomToken() string {
	b := make([]byte, sessionTokenSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewNonce makes the value of the cookie a sign-in request sets: the code
// it asks for works only with it.
func NewNonce() string { return randomToken() }

// signinContacts are the contacts an address may sign in as: those in good
// standing (active, not expired), in every account.
func (a *App) signinContacts(ctx context.Context, email string) ([]*model.Contact, error) {
	cs, err := a.store.ContactsByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	var out []*model.Contact
	for _, c := range cs {
		g, err := a.grantFor(ctx, c)
		if err != nil {
			return nil, err
		}
		if access.Standing(&g, a.now().Unix()).Allowed {
			out = append(out, c)
		}
	}
	return out, nil
}

// signinJob is one code request waiting for the background worker.
type signinJob struct{ email, nonce, previous string }

// QueueSignin asks for a code for email, to work only with nonce, and
// returns at once: looking the address up and mailing happen in the
// background, so the answer and its timing are the same for every address.
// previous is the nonce the browser held before, whose codes stop working.
func (a *App) QueueSignin(email, nonce, previous string) error {
	email, err := NormaliseEmail(email)
	if err != nil {
		return err
	}
	select {
	case a.signins <- signinJob{email, nonce, previous}:
	default:
		a.log.Warn("portal: too many sign-in requests waiting; one was dropped")
	}
	return nil
}

func (a *App) runSignins(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-a.signins:
			if err := a.RequestSignin(ctx, j.email, j.nonce, j.previous); err != nil && ctx.Err() == nil {
				a.log.Error("portal: sign-in request", "err", err)
			}
		}
	}
}

// RequestSignin mails a one-time code to an address with access, bound to
// the browser's nonce; one code opens every account where the address is
// in good standing and under its quota. An unknown address, one without
// access, or one over its quota gets no mail and no error: callers answer
// the same whatever happens.
func (a *App) RequestSignin(ctx context.Context, email, nonce, previous string) error {
	now := a.now().UTC().Truncate(time.Second)
	if previous != "" {
		if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.VoidBrowserCodes(ctx, nonceHash(previous), now) }); err != nil {
			return err
		}
	}
	all, err := a.signinContacts(ctx, email)
	if err != nil {
		return err
	}
	var cs []*model.Contact
	var names []string
	for _, c := range all {
		over, err := a.overQuota(ctx, c.ID, now)
		if err != nil {
			return err
		}
		if over {
			continue
		}
		acc, err := a.store.Account(ctx, c.AccountID)
		if err != nil {
			return err
		}
		cs, names = append(cs, c), append(names, acc.Name)
	}
	if len(cs) == 0 {
		a.log.Info("portal: no sign-in code mailed (no access, or quota reached)", "email", email)
		return nil
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	if !st.SMTP.Configured() {
		a.log.Warn("portal: cannot mail a sign-in code: no SMTP server is set up")
		return nil
	}
	code := randomCode()
	where := strings.Join(names, ", ")
	fromName := "Grantbook"
	if len(names) == 1 {
		fromName = names[0]
	}
	area, err := a.ClientArea(ctx)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("Hello %s,\n\nyour code to sign in to %s is:\n\n%s\n\nIt works once, for %d minutes, in the browser "+
		"where you asked for it. If you did not ask for it, ignore this email.\n", cs[0].FirstName, where, code, int(CodeTTL.Minutes()))
	if area.SignIn != "" {
		// Naming the one genuine page helps spot a look-alike asking for it.
		text += "\nEnter it only on the sign-in page at " + area.SignIn + "\n"
	}
	msgID := "grantbook-signin." + randomToken()[:20] + "@" + domainOf(st.SMTP.FromEmail, "grantbook.invalid")
	raw, err := outbox.Compose(outbox.Message{FromName: orDefault(st.SMTP.FromName, fromName), FromEmail: st.SMTP.FromEmail,
		ToName: cs[0].Name(), ToEmail: cs[0].Email, MessageID: msgID, Date: now,
		Subject: "Your sign-in code for " + where, Text: text})
	if err != nil {
		return err
	}
	if err := a.held.put(msgID, raw, now.Add(CodeTTL), now); err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			if err := tx.InsertSigninCode(ctx, c.ID, nonceHash(nonce), codeHash(nonce, c.ID, code), now, now.Add(CodeTTL)); err != nil {
				return err
			}
		}
		return tx.EnqueueMail(ctx, &model.OutboxMessage{MessageID: msgID, Kind: kindSigninCode, RefID: cs[0].ID,
			From: st.SMTP.FromEmail, To: cs[0].Email, Raw: []byte{}}, now)
	})
	if err != nil {
		a.held.drop(msgID)
		return err
	}
	a.outbox.Wake()
	return nil
}

// overQuota tells whether a contact had as many codes as it may: a burst
// limit, and a daily cap so nobody can flood a contact with mail.
func (a *App) overQuota(ctx context.Context, contactID int64, now time.Time) (bool, error) {
	for _, q := range []struct {
		n   int
		per time.Duration
	}{{CodesPerQuarter, 15 * time.Minute}, {CodesPerDay, 24 * time.Hour}} {
		n, err := a.store.CountSigninCodes(ctx, contactID, now.Add(-q.per))
		if err != nil {
			return false, err
		}
		if n >= q.n {
			a.log.Info("portal: sign-in code not mailed: quota reached", "contact", contactID, "per", q.per)
			return true, nil
		}
	}
	return false, nil
}

// NewSession is a signed-in person: Token goes in the cookie, CSRF in a
// header of every state-changing request. Contact is set when the code
// opened one account; with several, the person chooses among Accounts.
type NewSession struct {
	Token    string
	CSRF     string
	Contact  *model.Contact
	Accounts []PortalAccount
	Expires  time.Time
}

// VerifySignin checks a code from the browser holding nonce and opens a
// session for the contacts it was mailed for. A guess without the
// browser's nonce changes nothing, so guessing from elsewhere cannot burn
// the code the person received.
func (a *App) VerifySignin(ctx context.Context, email, code, nonce, userAgent, remote string) (*NewSession, error) {
	code = strings.TrimSpace(code)
	if nonce == "" || len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return nil, errWrongCode
	}
	cs, err := a.signinContacts(ctx, strings.TrimSpace(email))
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	var right []*model.Contact
	var codes, wrong []*store.SigninCode
	for _, c := range cs {
		live, err := a.store.LiveSigninCode(ctx, c.ID, nonceHash(nonce), now)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(live.Hash, codeHash(nonce, c.ID, code)) == 1 {
			right, codes = append(right, c), append(codes, live)
		} else {
			wrong = append(wrong, live)
		}
	}
	if len(right) == 0 {
		return nil, a.wrongCode(ctx, cs, wrong, now)
	}
	return a.openSession(ctx, right, "", userAgent, remote, func(tx *store.Tx) error {
		for _, live := range codes {
			used, err := tx.UseSigninCode(ctx, live.ID, now)
			if err != nil {
				return err
			}
			if !used {
				return errWrongCode
			}
		}
		return tx.VoidBrowserCodes(ctx, nonceHash(nonce), now)
	})
}

// openSession opens a session for the contacts a sign-in proved, with the
// second factor it proved ("" for an emailed code alone); spend runs in
// the same transaction and uses up what proved it.
func (a *App) openSession(ctx context.Context, right []*model.Contact, factor, userAgent, remote string, spend func(*store.Tx) error) (*NewSession, error) {
	now := a.now().UTC().Truncate(time.Second)
	p := &Principal{Session: &model.Session{EmailKey: store.EmailKey(right[0].Email), CSRFToken: randomToken(), CreatedAt: now,
		LastSeen: now, ExpiresAt: now.Add(SessionTTL), UserAgent: truncate(userAgent, 200), RemoteAddr: remote, Factor: factor}, Choices: right}
	if len(right) == 1 {
		p.Session.ContactID, p.Contact = right[0].ID, a.decorate(right[0])
	}
	ns := &NewSession{Token: randomToken(), CSRF: p.Session.CSRFToken, Contact: p.Contact, Expires: p.Session.ExpiresAt}
	var err error
	if ns.Accounts, err = a.PortalAccounts(ctx, p); err != nil {
		return nil, err
	}
	how := ""
	if factor == "passkey" {
		how = " with a passkey"
	}
	ids := make([]int64, len(right))
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		if err := spend(tx); err != nil {
			return err
		}
		for i, c := range right {
			ids[i] = c.ID
			if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + c.Email, Action: "portal.signin",
				Entity: "contact", EntityID: c.ID, Summary: c.Name() + " signed in to the portal" + how + " from " + remote}); err != nil {
				return err
			}
		}
		return tx.InsertSession(ctx, p.Session, tokenHash(ns.Token), ids)
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}

// wrongCode counts a wrong guess against this browser's codes. It takes
// the write lock whether or not there was a code to count against, so the
// time a wrong guess takes says little about the address.
func (a *App) wrongCode(ctx context.Context, cs []*model.Contact, wrong []*store.SigninCode, now time.Time) error {
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		for _, live := range wrong {
			if err := tx.FailSigninCode(ctx, live.ID, CodeAttempts, now); err != nil {
				return err
			}
			for _, c := range cs {
				if c.ID == live.ContactID {
					err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + c.Email, Action: "portal.signin",
						Entity: "contact", EntityID: c.ID, Summary: c.Name() + ": sign in — denied: wrong code"})
					if err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errWrongCode
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
