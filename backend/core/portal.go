package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// auditPortal records one portal action and its outcome, e.g.
// "Bill Ing: pay invoice INV-2 — denied: service #2 is not among ...".
// It changes nothing, so it is queued (viewlog.go) rather than written
// while the contact waits.
func (a *App) auditPortal(ctx context.Context, c *model.Contact, action, what, outcome string) {
	a.auditPortalAs(c, action, "", what, outcome)
}

// auditPortalAs queues the row auditPortal would for verb + what, its
// summary made in one allocation (every client-area GET writes one).
func (a *App) auditPortalAs(c *model.Contact, action, verb, what, outcome string) {
	sum := c.FirstName + c.NameSep() + c.LastName + ": " + verb + what + " — " + outcome // c.Name(), in the same concatenation
	a.views.add(&model.AuditEntry{At: a.now().UTC(), Actor: "contact " + c.Email, Action: action,
		Entity: "contact", EntityID: c.ID, Summary: sum})
}

// decide evaluates one permission for the principal, now, and audits it
// when it is an action (not a listing filter).
func (a *App) decide(p *Principal, perm permission.Permission, svc access.Service) access.Decision {
	return a.decideAt(p, perm, svc, a.now().Unix())
}

// decideAt is decide at the instant now (unix seconds): a listing filters
// all its items at one instant, reading the clock once.
func (a *App) decideAt(p *Principal, perm permission.Permission, svc access.Service, now int64) access.Decision {
	return access.Evaluate(&p.Grant, perm, svc, now)
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
	Sections map[string]bool `json:"sections"` // services, invoices, quotes, support, profile, orders, emails, contacts, admin
	CSRF     string          `json:"csrf_token"`
	// SupportTargets is what a support request may be opened about.
	SupportTargets SupportTargets `json:"support_targets"`
	// Accounts are the client areas the person may switch to.
	Accounts []PortalAccount `json:"accounts"`
	// Admin lists the owner's sites whose administration the contact opens.
	Admin []AdminSite `json:"admin"`
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
	accounts, err := a.PortalAccounts(ctx, p)
	if err != nil {
		return nil, err
	}
	admin, err := a.portalAdmin(ctx, p)
	if err != nil {
		return nil, err
	}
	return &PortalHome{Contact: a.decorate(p.Contact), Account: acc.Name, CSRF: p.Session.CSRFToken, SupportTargets: targets,
		Accounts: accounts, Admin: admin,
		Sections: map[string]bool{
			"services": has(permission.ServicesView),
			"invoices": has(permission.InvoicesView, permission.InvoicesPay),
			"quotes":   has(permission.QuotesView),
			"support":  has(permission.SupportView, permission.SupportViewAll, permission.SupportOpen),
			"profile":  has(permission.ProfileView, permission.ProfileEdit),
			"orders":   has(permission.OrdersPlace),
			"emails":   has(permission.EmailsView),
			"contacts": has(permission.ContactsManage),
			"admin":    len(admin) > 0,
		}}, nil
}

// forbidden is the error of a denied portal action.
func forbidden(d access.Decision) *Error {
	return &Error{Code: CodeForbidden, Message: d.Reason(), Request: offerFor(d)}
}

// PortalServices lists the services the contact may view.
func (a *App) PortalServices(ctx context.Context, p *Principal) (Listing[*model.Service], error) {
	all, err := a.accountServices(ctx, p.Contact.AccountID)
	if err != nil {
		return Listing[*model.Service]{}, err
	}
	now := a.now().Unix() // one instant for the whole list, and one clock read
	out := all.filter(func(s *model.Service) bool {
		return a.decideAt(p, permission.ServicesView, serviceRef(s.AccountID, s.ID), now).Allowed
	})
	return out, a.listed(ctx, p, "services", permission.ServicesView, len(out.Items), len(all.Items))
}

// listed audits a listing, or refuses it when nothing at all is allowed.
func (a *App) listed(ctx context.Context, p *Principal, what string, perm permission.Permission, shown, total int) error {
	if d := a.decide(p, perm, access.Service{}); !d.Allowed {
		a.auditPortalAs(p.Contact, "portal.view", "view ", what, d.Reason())
		return forbidden(d)
	}
	outcome := "allowed"
	if total >= 0 {
		outcome = "allowed (" + strconv.Itoa(shown) + " of " + strconv.Itoa(total) + " shown)"
	}
	a.auditPortalAs(p.Contact, "portal.view", "view ", what, outcome)
	return nil
}

// PortalInvoices lists the invoices the contact may view.
func (a *App) PortalInvoices(ctx context.Context, p *Principal) (Listing[*model.Invoice], error) {
	all, err := a.accountInvoices(ctx, p.Contact.AccountID)
	if err != nil {
		return Listing[*model.Invoice]{}, err
	}
	now := a.now().Unix()
	out := all.filter(func(inv *model.Invoice) bool {
		return a.decideAt(p, permission.InvoicesView, serviceRef(inv.AccountID, inv.ServiceID), now).Allowed
	})
	return out, a.listed(ctx, p, "invoices", permission.InvoicesView, len(out.Items), len(all.Items))
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
			s.OpenedBy = "" // contacts see who by name, never their address
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
		Status: "open", OpenedBy: p.Contact.Email, OpenedByContactID: p.Contact.ID, OpenedByName: p.Contact.Name(),
		CreatedAt: a.now().UTC().Truncate(time.Second)}
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
