package core

import (
	"context"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// ProductInput is an entry of the catalogue (owner); on update absent
// fields stay.
type ProductInput struct {
	Name         *string `json:"name"`
	Kind         *string `json:"kind"`
	Description  *string `json:"description"`
	PriceCents   *int64  `json:"price_cents"`
	Currency     *string `json:"currency"`
	BillingCycle *string `json:"billing_cycle"`
	Active       *bool   `json:"active"`
}

func (in ProductInput) apply(p *model.Product) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&p.Name, in.Name)
	set(&p.Kind, in.Kind)
	set(&p.Description, in.Description)
	set(&p.Currency, in.Currency)
	set(&p.BillingCycle, in.BillingCycle)
	if in.PriceCents != nil {
		p.PriceCents = *in.PriceCents
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	var err error
	if p.Name, err = checkLine("name", p.Name, 200); err != nil {
		return err
	}
	if p.Description, err = checkText("description", p.Description, 2000); err != nil {
		return err
	}
	switch {
	case p.Name == "":
		return invalid("name", "a product needs a name")
	case !oneOf(p.Kind, model.ServiceKinds):
		return invalid("kind", "kind must be one of %s", strings.Join(model.ServiceKinds, ", "))
	case !oneOf(p.BillingCycle, model.BillingCycles):
		return invalid("billing_cycle", "billing cycle must be one of %s", strings.Join(model.BillingCycles, ", "))
	}
	return checkMoney("-", p.PriceCents, p.Currency)
}

// CreateProduct adds a product to the catalogue (active unless said).
func (a *App) CreateProduct(ctx context.Context, in ProductInput) (*model.Product, error) {
	p := &model.Product{Kind: "other", Currency: "EUR", BillingCycle: "monthly", Active: true, CreatedAt: a.now().UTC().Truncate(time.Second)}
	if err := in.apply(p); err != nil {
		return nil, fieldOf(err, "amount_cents", "price_cents")
	}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertProduct(ctx, p); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After, e.Summary = "product.create", "product", p.ID, p, "Added product "+p.Name
		return nil
	})
	return p, err
}

// fieldOf renames the field of checkMoney's error for other inputs.
func fieldOf(err error, from, to string) error {
	if e, ok := AsError(err); ok && e.Field == from {
		e.Field = to
	}
	return err
}

// UpdateProduct changes a product; orders already placed keep what was ordered.
func (a *App) UpdateProduct(ctx context.Context, id int64, in ProductInput) (*model.Product, error) {
	var out *model.Product
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "product", id, tx.Product)
		if err != nil {
			return err
		}
		p := *before
		if err := in.apply(&p); err != nil {
			return fieldOf(err, "amount_cents", "price_cents")
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After, e.Summary = "product.update", "product", id, before, &p, "Changed product "+p.Name
		out = &p
		return tx.UpdateProduct(ctx, &p)
	})
	return out, err
}

// DeleteProduct removes a product from the catalogue.
func (a *App) DeleteProduct(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "product", id, tx.Product)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.Summary = "product.delete", "product", id, before, "Deleted product "+before.Name
		return tx.DeleteProduct(ctx, id)
	})
}

// Products lists the whole catalogue (owner).
func (a *App) Products(ctx context.Context) ([]*model.Product, error) {
	return a.store.Products(ctx, false)
}

// termEnd is when a term that starts at t ends.
func termEnd(t time.Time, cycle string) *time.Time {
	var end time.Time
	switch cycle {
	case "monthly":
		end = t.AddDate(0, 1, 0)
	case "quarterly":
		end = t.AddDate(0, 3, 0)
	case "yearly":
		end = t.AddDate(1, 0, 0)
	default:
		return nil
	}
	return &end
}
