package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/site"
	"grantbook/backend/store"
)

// Forward authentication: the owner's proxy asks Grantbook about each
// request to a site's administration. The browser proves who it is with a
// cookie of the site's own (Grantbook's portal cookie never reaches the
// site): a sign-in at Grantbook hands the site a one-time ticket, which the
// site's /_grantbook/callback (Grantbook, through the proxy) trades for it.

// SiteTicketTTL is how long a ticket waits for the site's callback.
const SiteTicketTTL = time.Minute

// SiteCallbackPath and SiteStartPath are served by Grantbook on the site's
// own host, through the proxy.
const (
	SiteStartPath    = "/_grantbook/start"
	SiteCallbackPath = "/_grantbook/callback"
	SiteSignoutPath  = "/_grantbook/signout"
)

// SiteRequest is a request to a site, as the proxy describes it.
type SiteRequest struct {
	Method string
	URI    string // path and query as the browser sent them
	Token  string // the site cookie, "" when none
}

// SiteDecision answers a SiteRequest: Status is 200, 401 or 403.
type SiteDecision struct {
	Status  int
	Site    *model.Site
	Contact *model.Contact
	Areas   []string // the site's areas the contact opens
	Reason  string
	// Signin is, for 401, where the browser goes to sign in (on the site).
	Signin string
	// Request is, for 403, what an access request would ask for, and
	// RequestURL the client area's page that offers it (when Grantbook's
	// public address is set).
	Request    *RequestOffer
	RequestURL string
}

// VerifySite decides a forwarded request to site s (found by its host):
// the area by the longest prefix of the cleaned path, the person by the
// site cookie, and EvaluateAdmin for each of the person's contacts, now: a
// suspended, expired or revoked contact is refused at its next request.
func (a *App) VerifySite(ctx context.Context, s *model.Site, in SiteRequest) (*SiteDecision, error) {
	d := &SiteDecision{Site: s, Status: 403}
	path, err := site.CleanPath(in.URI)
	if err != nil {
		d.Reason = "denied: " + err.Error()
		return d, nil
	}
	area := site.Match(s, path)
	ls, err := a.siteSession(ctx, s, in.Token)
	if errors.Is(err, ErrSignedOut) {
		d.Status, d.Reason = 401, "sign in to open "+s.Name+"'s administration"
		d.Signin = s.BaseURL + SiteStartPath + "?rd=" + url.QueryEscape(site.ReturnURL(s, in.URI))
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	var best *access.Decision
	for i, c := range ls.contacts {
		g := &ls.grants[i]
		dec := access.EvaluateAdmin(g, s, area, now.Unix())
		if dec.Allowed {
			if hold, err := a.factorHold(ctx, c, &ls.s); err != nil {
				return nil, err
			} else if hold != "" {
				d.Reason = "denied: " + factorError(hold).Message
				continue
			}
			own := *c // the cached contact is shared
			d.Status, d.Contact, d.Reason = 200, a.decorate(&own), dec.Reason()
			d.Areas = access.SiteAreas(g, s, now.Unix())
			break
		}
		if best == nil || dec.Code > best.Code {
			best = &dec // the most particular reason: about the area rather than the person
		}
	}
	if d.Status != 200 && d.Reason == "" {
		d.Reason = "denied: nobody is signed in"
		if best != nil {
			d.Reason, d.Request = best.Reason(), offerFor(*best)
		}
		if d.Request != nil {
			if d.RequestURL, err = a.requestURL(ctx, d.Request); err != nil {
				return nil, err
			}
		}
	}
	sess := ls.session()
	a.touch(ls, &sess, now)
	return d, nil
}

// siteSession resolves a site cookie to the live portal session it
// stands for, with that session's contacts.
func (a *App) siteSession(ctx context.Context, s *model.Site, token string) (*liveSession, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	siteID, sessionID, err := a.store.SiteSession(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && siteID != s.ID) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, err
	}
	ls, err := a.sessionByID(ctx, sessionID)
	if err == nil && (!ls.live(a.now().UTC()) || len(ls.contacts) == 0) {
		err = ErrSignedOut
	}
	return ls, err
}

// StateHash is what a ticket keeps of the site-side state cookie.
func StateHash(state string) string {
	h := sha256.Sum256([]byte("grantbook site state\x00" + state))
	return fmt.Sprintf("%x", h)
}

// SiteSigninURL is where a site's start sends the browser: Grantbook's own
// sign-in for that site, with the state hash and the return address.
func (a *App) SiteSigninURL(ctx context.Context, s *model.Site, state, rd string) (string, error) {
	pub, err := a.PublicAddress(ctx)
	if err != nil {
		return "", err
	}
	if pub == "" {
		return "", &Error{Code: CodeInvalid, Field: "address", Message: "Grantbook's public address is not set: " +
			"the owner sets it in Settings → Client area"}
	}
	q := url.Values{"site": {strconv.FormatInt(s.ID, 10)}, "state": {StateHash(state)}, "rd": {site.ReturnURL(s, rd)}}
	return pub + "/auth/signin?" + q.Encode(), nil
}

// SiteFromHost finds a set-up site by the host a request was for.
func (a *App) SiteFromHost(ctx context.Context, host string) (*model.Site, error) {
	s, err := a.siteByHost(ctx, host)
	if err == nil && s == nil {
		err = &Error{Code: CodeNotFound, Message: fmt.Sprintf("denied: %q is not the address of a site set up in Grantbook", host)}
	}
	return s, err
}

// IssueSiteTicket hands a signed-in person to a site: a one-time ticket
// for the site's callback. Only someone with admin access to the site gets
// one; the others are told why.
func (a *App) IssueSiteTicket(ctx context.Context, p *Principal, siteID int64, stateHash, rd string) (string, error) {
	s, err := a.store.Site(ctx, siteID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.BaseURL == "") {
		return "", &Error{Code: CodeNotFound, Message: fmt.Sprintf("site %d is not set up", siteID)}
	}
	if err != nil {
		return "", err
	}
	if len(stateHash) != 64 {
		return "", invalid("state", "this sign-in link is incomplete: open the site again")
	}
	now := a.now().UTC().Truncate(time.Second)
	c, d, err := a.siteAdmin(ctx, p, s, now)
	if err != nil {
		return "", err
	}
	if c == nil {
		a.auditPortal(ctx, p.Choices[0], "site.signin", "sign in to "+s.Name, d.Reason())
		return "", &Error{Code: CodeForbidden, Message: d.Reason()}
	}
	ticket := randomToken()
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		t := &store.SiteTicket{SiteID: s.ID, SessionID: p.Session.ID, StateHash: []byte(stateHash), ReturnURL: site.ReturnURL(s, rd)}
		return tx.InsertSiteTicket(ctx, tokenHash(ticket), t, now.Add(SiteTicketTTL))
	})
	if err != nil {
		return "", err
	}
	return s.BaseURL + SiteCallbackPath + "?ticket=" + url.QueryEscape(ticket), nil
}

// siteAdmin is the first of the person's contacts with admin access to the
// site (any of its areas), or the reason there is none.
// A contact whose second factor the session has not proved is passed
// over; when that leaves none, the error says what the person must do.
func (a *App) siteAdmin(ctx context.Context, p *Principal, s *model.Site, now time.Time) (*model.Contact, access.Decision, error) {
	var last access.Decision
	var held error
	for _, c := range p.Choices {
		g, err := a.grantFor(ctx, c)
		if err != nil {
			return nil, last, err
		}
		probe := *s
		probe.Unlisted = model.UnlistedAnyAdmin
		if last = access.EvaluateAdmin(&g, &probe, -1, now.Unix()); last.Allowed {
			hold, err := a.factorHold(ctx, c, p.Session)
			if err != nil {
				return nil, last, err
			}
			if hold == "" {
				return c, last, nil
			}
			held = factorError(hold)
		}
	}
	return nil, last, held
}

// SiteSession is a site cookie to set.
type SiteSession struct {
	Token     string
	ReturnURL string
	MaxAge    time.Duration
	Site      *model.Site
}

// RedeemSiteTicket trades a ticket for a site cookie. It works once, on
// the site it was issued for, in the browser that started the sign-in
// (state), so nobody can sign someone else in as themselves.
func (a *App) RedeemSiteTicket(ctx context.Context, host, ticket, state string) (*SiteSession, error) {
	s, err := a.SiteFromHost(ctx, host)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	wrong := &Error{Code: CodeInvalidTicket, Message: "this sign-in link is used, expired or from another browser: open " + s.Name + " again"}
	out := &SiteSession{Token: randomToken(), Site: s}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := tx.UseSiteTicket(ctx, tokenHash(ticket), now)
		if errors.Is(err, store.ErrNotFound) {
			return wrong
		}
		if err != nil {
			return err
		}
		// A wrong state rolls back: the ticket still works in the browser
		// that asked for it.
		if t.SiteID != s.ID || state == "" || string(t.StateHash) != StateHash(state) {
			return wrong
		}
		sess, err := tx.SessionByID(ctx, t.SessionID)
		if err != nil {
			return err
		}
		cs, err := liveContacts(ctx, tx.Q, sess, now)
		if errors.Is(err, ErrSignedOut) || (err == nil && len(cs) == 0) {
			return wrong
		}
		if err != nil {
			return err
		}
		out.ReturnURL, out.MaxAge = t.ReturnURL, sess.ExpiresAt.Sub(now)
		if err := tx.InsertSiteSession(ctx, tokenHash(out.Token), s.ID, t.SessionID, now); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "contact " + cs[0].Email, Action: "site.signin",
			Entity: "contact", EntityID: cs[0].ID, Summary: cs[0].Name() + ": sign in to " + s.Name + " — allowed: session handed to " + s.BaseURL})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SignoutSite forgets one site cookie; the portal session goes on.
func (a *App) SignoutSite(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteSiteSession(ctx, tokenHash(token)) })
}
