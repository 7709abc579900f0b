package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// PortalProducts lists the active catalogue for a contact who may order.
func (a *App) PortalProducts(ctx context.Context, p *Principal) ([]*model.Product, error) {
	if err := a.listed(ctx, p, "products", permission.OrdersPlace, -1, -1); err != nil {
		return nil, err
	}
	return a.store.Products(ctx, true)
}

// PortalOrders lists the account's orders for a contact who may order.
func (a *App) PortalOrders(ctx context.Context, p *Principal) ([]*model.Order, error) {
	if err := a.listed(ctx, p, "orders", permission.OrdersPlace, -1, -1); err != nil {
		return nil, err
	}
	return a.store.Orders(ctx, p.Contact.AccountID)
}

// AccountOrders lists an account's orders (owner).
func (a *App) AccountOrders(ctx context.Context, accountID int64) ([]*model.Order, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Orders(ctx, accountID)
}

// OrderInput orders a product, or (UpgradeOf) an upgrade of a service the
// contact may view to that product.
type OrderInput struct {
	ProductID int64  `json:"product_id"`
	UpgradeOf int64  `json:"upgrade_of"`
	Label     string `json:"label"` // a name for the new service: a domain, a site
	Note      string `json:"note"`
}

// PlaceOrder records an order for the owner to accept or decline.
func (a *App) PlaceOrder(ctx context.Context, p *Principal, in OrderInput) (*model.Order, error) {
	d, err := a.allow(ctx, p, permission.OrdersPlace, access.Service{}, "portal.order", "place an order")
	if err != nil {
		return nil, err
	}
	prod, err := a.store.Product(ctx, in.ProductID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !prod.Active) {
		return nil, invalid("product_id", "choose a product of the catalogue")
	}
	if err != nil {
		return nil, err
	}
	o := &model.Order{AccountID: p.Contact.AccountID, ContactID: p.Contact.ID, ContactName: p.Contact.Name(), ProductID: prod.ID,
		ProductName: prod.Name, Kind: prod.Kind, PriceCents: prod.PriceCents, Currency: prod.Currency, BillingCycle: prod.BillingCycle,
		State: model.OrderPending, CreatedAt: a.now().UTC().Truncate(time.Second)}
	if o.Label, err = checkLine("label", in.Label, 200); err != nil {
		return nil, err
	}
	if o.Note, err = checkText("note", in.Note, 2000); err != nil {
		return nil, err
	}
	what := "order " + prod.Name
	if in.UpgradeOf != 0 {
		s, err := a.portalService(ctx, p, in.UpgradeOf, "portal.order")
		if err != nil {
			return nil, err
		}
		what = "order an upgrade of " + s.Name + " to " + prod.Name
		if _, err := a.allow(ctx, p, permission.ServicesView, access.Service{ID: s.ID, AccountID: s.AccountID}, "portal.order", what); err != nil {
			return nil, err
		}
		switch {
		case s.Kind != prod.Kind:
			return nil, invalid("upgrade_of", "%s is a %s service; %s is for %s", s.Name, s.Kind, prod.Name, prod.Kind)
		case s.Status == "cancelled":
			return nil, invalid("upgrade_of", "%s is cancelled", s.Name)
		}
		o.Upgrade, o.ServiceID = true, s.ID
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertOrder(ctx, o); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After, e.Summary = "portal.order", "order", o.ID, o, actionSummary(p, what, d)
		price := money(o.PriceCents, o.Currency) + " " + cycleWords(o.BillingCycle)
		if err := a.toOwner(ctx, tx, o.AccountID, o.ServiceID, "order.placed", "New order: "+prod.Name,
			fmt.Sprintf("%s would like to %s (%s).\n%s\nAccept or decline it in Grantbook.", p.Contact.Name(), what, price, o.Note)); err != nil {
			return err
		}
		return a.toClient(ctx, tx, o.AccountID, o.ServiceID, "order.placed", "We received your order: "+prod.Name,
			fmt.Sprintf("You asked to %s (%s). You will hear when it is accepted.", what, price), false, contactTo(p.Contact))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return o, nil
}

func cycleWords(c string) string {
	return map[string]string{"one_time": "once", "monthly": "a month", "quarterly": "a quarter", "yearly": "a year"}[c]
}

// WithdrawOrder takes back a pending order.
func (a *App) WithdrawOrder(ctx context.Context, p *Principal, id int64) (*model.Order, error) {
	o, err := ownRecord(a, ctx, p, "portal.order", "order", id, a.store.Order, func(o *model.Order) int64 { return o.AccountID })
	if err != nil {
		return nil, err
	}
	what := "withdraw the order of " + o.ProductName
	d, err := a.allow(ctx, p, permission.OrdersPlace, access.Service{}, "portal.order", what)
	if err != nil {
		return nil, err
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		before, now := *o, a.now().UTC().Truncate(time.Second)
		o.State, o.DecidedAt = model.OrderWithdrawn, &now
		if err := once(tx.DecideOrder(ctx, o, now)); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After, e.Summary = "portal.order", "order", id, &before, o, actionSummary(p, what, d)
		return a.toOwner(ctx, tx, o.AccountID, o.ServiceID, "order.withdrawn", "Order withdrawn: "+o.ProductName,
			fmt.Sprintf("%s withdrew the order of %s.", p.Contact.Name(), o.ProductName))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return o, nil
}

// AcceptInput is the owner's acceptance: the invoice's number (default
// ORDER-<id>) and due date.
type AcceptInput struct {
	InvoiceNumber string  `json:"invoice_number"`
	DueAt         *Expiry `json:"due_at"`
}

// AcceptOrder creates the service (or upgrades it) and its invoice. A
// contact whose grant is limited to selected services gets the new
// service added to their selection.
func (a *App) AcceptOrder(ctx context.Context, id int64, in AcceptInput) (*model.Order, error) {
	return a.decideOrder(ctx, id, true, in, "")
}

// DeclineOrder refuses an order; the contact is told why.
func (a *App) DeclineOrder(ctx context.Context, id int64, in ReasonInput) (*model.Order, error) {
	reason, err := checkText("reason", in.Reason, 1000)
	if err != nil {
		return nil, err
	}
	return a.decideOrder(ctx, id, false, AcceptInput{}, reason)
}

func (a *App) decideOrder(ctx context.Context, id int64, accept bool, in AcceptInput, reason string) (*model.Order, error) {
	var out *model.Order
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		o, err := load(ctx, "order", id, tx.Order)
		if err != nil {
			return err
		}
		if o.State != model.OrderPending {
			return conflict("this order is %s: there is nothing to decide", o.State)
		}
		before, now := *o, a.now().UTC().Truncate(time.Second)
		var who *model.Contact
		if c, err := tx.Contact(ctx, o.ContactID); err == nil {
			who = c
		}
		o.State, o.Reason, o.DecidedAt = model.OrderDeclined, reason, &now
		subject, body := "Order declined: "+o.ProductName, fmt.Sprintf("Your order of %s was declined.\n%s", o.ProductName, reason)
		if accept {
			if err := a.fulfil(ctx, tx, o, who, in, now); err != nil {
				return err
			}
			o.State = model.OrderAccepted
			subject, body = "Order accepted: "+o.ProductName, fmt.Sprintf("Your order of %s is accepted; its invoice follows.", o.ProductName)
		}
		if err := once(tx.DecideOrder(ctx, o, now)); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "order."+o.State, "order", id, &before, o
		e.Summary = fmt.Sprintf("%s the order of %s by %s", map[bool]string{true: "Accepted", false: "Declined"}[accept], o.ProductName, o.ContactName)
		var to []mailTo
		if who != nil {
			to = append(to, contactTo(who))
		}
		out = o
		return a.toClient(ctx, tx, o.AccountID, o.ServiceID, "order."+o.State, subject, body, true, to...)
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return out, nil
}

// fulfil carries out an accepted order in tx: the service, its place in
// the orderer's selection, and the invoice.
func (a *App) fulfil(ctx context.Context, tx *store.Tx, o *model.Order, who *model.Contact, in AcceptInput, now time.Time) error {
	var s *model.Service
	if o.Upgrade {
		cur, err := tx.Service(ctx, o.ServiceID)
		if err != nil || o.ServiceID == 0 {
			return conflict("the service to upgrade no longer exists: decline the order")
		}
		s = cur
		s.ProductID, s.RenewsAt = o.ProductID, termEnd(now, o.BillingCycle)
		if err := tx.UpdateService(ctx, s); err != nil {
			return err
		}
	} else {
		s = &model.Service{AccountID: o.AccountID, Name: orDefault(o.Label, o.ProductName), Kind: o.Kind, Status: "active",
			CreatedAt: now, ProductID: o.ProductID, RenewsAt: termEnd(now, o.BillingCycle)}
		if err := tx.InsertService(ctx, s); err != nil {
			return err
		}
		if who != nil && !who.Grant.AllServices {
			who.Grant.ServiceIDs = append(slices.Clone(who.Grant.ServiceIDs), s.ID)
			who.UpdatedAt = now
			if err := tx.UpdateContact(ctx, who); err != nil {
				return err
			}
		}
	}
	o.ServiceID = s.ID
	inv := &model.Invoice{AccountID: o.AccountID, ServiceID: s.ID, Number: orDefault(in.InvoiceNumber, fmt.Sprintf("ORDER-%d", o.ID)),
		AmountCents: o.PriceCents, Currency: o.Currency, Status: "unpaid", IssuedAt: now}
	if in.DueAt != nil {
		inv.DueAt = &in.DueAt.Time
	}
	if err := checkMoney(inv.Number, inv.AmountCents, inv.Currency); err != nil {
		return fieldOf(err, "number", "invoice_number")
	}
	if err := tx.InsertInvoice(ctx, inv); err != nil {
		return err
	}
	o.InvoiceID = inv.ID
	return a.newInvoiceNotice(ctx, tx, inv)
}
