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
	"grantbook/backend/permission"
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

// auditPortal records one portal action and its outcome, e.g.
// "Bill Ing: pay invoice INV-2 — denied: service #2 is not among ...".
func (a *App) auditPortal(ctx context.Context, c *model.Contact, action, what, outcome string) {
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertAudit(ctx, &model.AuditEntry{At: a.now().UTC(), Actor: "contact " + c.Email, Action: action,
			Entity: "contact", EntityID: c.ID, Summary: c.Name() + ": " + what + " — " + outcome})
	})
	if err != nil {
		a.log.Error("portal audit", "err", err)
	}
}

// decide evaluates one permission for the principal, now, and audits it
// when it is an action (not a listing filter).
func (a *App) decide(p *Principal, perm permission.Permission, svc access.Service) access.Decision {
	return access.Evaluate(&p.Grant, perm, svc, a.now().Unix())
}

func serviceRef(accountID, serviceID int64) access.Service {
	if serviceID == 0 {
		return access.NoService(accountID)
	}
	return access.Service{ID: serviceID, AccountID: accountID}
}

// PortalHome is what a signed-in contact may open.
type PortalHome struct {
	Contact  *model.Contact  `json:"contact"`
	Account  string          `json:"account"`
	Sections map[string]bool `json:"sections"` // services, invoices, quotes, support, profile
	CSRF     string          `json:"csrf_token"`
	// SupportTargets is what a support request may be opened about.
	SupportTargets SupportTargets `json:"support_targets"`
}

// SupportTargets lists the services support.open allows, and whether a
// request about no service is allowed.
type SupportTargets struct {
	Services []ServiceName `json:"services"`
	None     bool          `json:"none"`
}

// ServiceName is a service as a choice in a form.
type ServiceName struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Home describes the portal for the principal.
func (a *App) Home(ctx context.Context, p *Principal) (*PortalHome, error) {
	acc, err := a.store.Account(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	has := func(ps ...permission.Permission) bool {
		for _, x := range ps {
			if a.decide(p, x, access.Service{}).Allowed {
				return true
			}
		}
		return false
	}
	svcs, err := a.store.Services(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	targets := SupportTargets{Services: []ServiceName{},
		None: a.decide(p, permission.SupportOpen, access.NoService(p.Contact.AccountID)).Allowed}
	for _, s := range svcs {
		if a.decide(p, permission.SupportOpen, serviceRef(s.AccountID, s.ID)).Allowed {
			targets.Services = append(targets.Services, ServiceName{s.ID, s.Name})
		}
	}
	return &PortalHome{Contact: a.decorate(p.Contact), Account: acc.Name, CSRF: p.Session.CSRFToken, SupportTargets: targets,
		Sections: map[string]bool{
			"services": has(permission.ServicesView),
			"invoices": has(permission.InvoicesView, permission.InvoicesPay),
			"quotes":   has(permission.QuotesView),
			"support":  has(permission.SupportView, permission.SupportViewAll, permission.SupportOpen),
			"profile":  has(permission.ProfileView, permission.ProfileEdit),
		}}, nil
}

// forbidden is the error of a denied portal action.
func forbidden(d access.Decision) *Error {
	return &Error{Code: "forbidden", Message: d.Reason()}
}

// PortalServices lists the services the contact may view.
func (a *App) PortalServices(ctx context.Context, p *Principal) ([]*model.Service, error) {
	all, err := a.store.Services(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	out := []*model.Service{}
	for _, s := range all {
		if a.decide(p, permission.ServicesView, serviceRef(s.AccountID, s.ID)).Allowed {
			out = append(out, s)
		}
	}
	return out, a.listed(ctx, p, "services", permission.ServicesView, len(out), len(all))
}

// listed audits a listing, or refuses it when nothing at all is allowed.
func (a *App) listed(ctx context.Context, p *Principal, what string, perm permission.Permission, shown, total int) error {
	if d := a.decide(p, perm, access.Service{}); !d.Allowed {
		a.auditPortal(ctx, p.Contact, "portal.view", "view "+what, d.Reason())
		return forbidden(d)
	}
	outcome := "allowed"
	if total >= 0 {
		outcome = fmt.Sprintf("allowed (%d of %d shown)", shown, total)
	}
	a.auditPortal(ctx, p.Contact, "portal.view", "view "+what, outcome)
	return nil
}

// PortalInvoices lists the invoices the contact may view.
func (a *App) PortalInvoices(ctx context.Context, p *Principal) ([]*model.Invoice, error) {
	all, err := a.store.Invoices(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	out := []*model.Invoice{}
	for _, inv := range all {
		if a.decide(p, permission.InvoicesView, serviceRef(inv.AccountID, inv.ServiceID)).Allowed {
			out = append(out, inv)
		}
	}
	return out, a.listed(ctx, p, "invoices", permission.InvoicesView, len(out), len(all))
}

// PayInvoice marks an invoice paid on behalf of the contact.
func (a *App) PayInvoice(ctx context.Context, p *Principal, id int64) (*model.Invoice, error) {
	inv, err := a.store.Invoice(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.AccountID != p.Contact.AccountID) {
		a.auditPortal(ctx, p.Contact, "portal.pay", fmt.Sprintf("pay invoice #%d", id), "denied: no such invoice in the account")
		return nil, notFound("invoice", id)
	}
	if err != nil {
		return nil, err
	}
	d := a.decide(p, permission.InvoicesPay, serviceRef(inv.AccountID, inv.ServiceID))
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, "portal.pay", "pay invoice "+inv.Number, d.Reason())
		return nil, forbidden(d)
	}
	now := a.now().UTC().Truncate(time.Second)
	err = a.change(WithActor(ctx, "contact "+p.Contact.Email), func(tx *store.Tx, e *model.AuditEntry) error {
		ok, err := tx.MarkInvoicePaid(ctx, id, p.Contact.Email, now)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("status", "invoice %s is already paid", inv.Number)
		}
		after, err := tx.Invoice(ctx, id)
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "portal.pay", "invoice", id, inv, after
		e.Summary = p.Contact.Name() + ": pay invoice " + inv.Number + " — " + d.Reason()
		inv = after
		return err
	})
	return inv, err
}

// PortalQuotes lists the account's quotes when the contact may view them.
func (a *App) PortalQuotes(ctx context.Context, p *Principal) ([]*model.Quote, error) {
	if err := a.listed(ctx, p, "quotes", permission.QuotesView, -1, -1); err != nil {
		return nil, err
	}
	return a.store.Quotes(ctx, p.Contact.AccountID)
}

// PortalSupport lists support requests the contact may view: those about
// a service they may see, and, with support.view_all, the others.
func (a *App) PortalSupport(ctx context.Context, p *Principal) ([]*model.SupportRequest, error) {
	all, err := a.store.SupportRequests(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	out := []*model.SupportRequest{}
	for _, s := range all {
		ref := serviceRef(s.AccountID, s.ServiceID)
		if a.decide(p, permission.SupportView, ref).Allowed || a.decide(p, permission.SupportViewAll, ref).Allowed {
			out = append(out, s)
		}
	}
	perm := permission.SupportView
	if !a.decide(p, perm, access.Service{}).Allowed {
		perm = permission.SupportViewAll
	}
	return out, a.listed(ctx, p, "support requests", perm, len(out), len(all))
}

// SupportInput opens a support request.
type SupportInput struct {
	ServiceID int64  `json:"service_id"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// OpenSupport opens a support request on behalf of the contact.
func (a *App) OpenSupport(ctx context.Context, p *Principal, in SupportInput) (*model.SupportRequest, error) {
	in.Subject, in.Body = strings.TrimSpace(in.Subject), strings.TrimSpace(in.Body)
	switch {
	case in.Subject == "":
		return nil, invalid("subject", "a subject is required")
	case len(in.Subject) > 200:
		return nil, invalid("subject", "the subject is too long (200 characters at most)")
	case len(in.Body) > 20000:
		return nil, invalid("body", "the message is too long")
	}
	ref := serviceRef(p.Contact.AccountID, in.ServiceID)
	if in.ServiceID != 0 {
		s, err := a.store.Service(ctx, in.ServiceID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("service_id", "no such service")
		}
		if err != nil {
			return nil, err
		}
		ref.AccountID = s.AccountID
	}
	d := a.decide(p, permission.SupportOpen, ref)
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, "portal.support", "open a support request", d.Reason())
		return nil, forbidden(d)
	}
	sr := &model.SupportRequest{AccountID: p.Contact.AccountID, ServiceID: in.ServiceID, Subject: in.Subject, Body: in.Body,
		Status: "open", OpenedBy: p.Contact.Email, CreatedAt: a.now().UTC().Truncate(time.Second)}
	err := a.change(WithActor(ctx, "contact "+p.Contact.Email), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertSupportRequest(ctx, sr); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "portal.support", "support_request", sr.ID, sr
		e.Summary = fmt.Sprintf("%s: open support request %q — %s", p.Contact.Name(), sr.Subject, d.Reason())
		return nil
	})
	return sr, err
}

// PortalProfile shows the account's profile when the contact may.
func (a *App) PortalProfile(ctx context.Context, p *Principal) (*model.Account, error) {
	d := a.decide(p, permission.ProfileView, access.Service{})
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, "portal.profile", "view profile", d.Reason())
		return nil, forbidden(d)
	}
	a.auditPortal(ctx, p.Contact, "portal.profile", "view profile", d.Reason())
	return a.store.Account(ctx, p.Contact.AccountID)
}

// ProfileInput edits the account's profile.
type ProfileInput struct {
	Email   *string `json:"email"`
	Phone   *string `json:"phone"`
	Address *string `json:"address"`
}

// EditProfile changes the account's contact details on behalf of a contact.
func (a *App) EditProfile(ctx context.Context, p *Principal, in ProfileInput) (*model.Account, error) {
	d := a.decide(p, permission.ProfileEdit, access.Service{})
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, "portal.profile", "edit profile", d.Reason())
		return nil, forbidden(d)
	}
	return a.updateProfile(WithActor(ctx, "contact "+p.Contact.Email), p.Contact.AccountID, AccountPatch{Email: in.Email, Phone: in.Phone, Address: in.Address})
}
