package core

import (
	"context"
	"errors"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// patchContact applies p to contact id inside tx and writes it, with what
// a change of status or address brings (patchContact → writeContact): the
// one way a stored contact changes, for a single edit, a bulk action and
// an import that updates.
func (a *App) patchContact(ctx context.Context, tx *store.Tx, id int64, p ContactPatch, guard contactGuard) (before, after *model.Contact, err error) {
	before, err = tx.Contact(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound("contact", id)
	}
	if err != nil {
		return nil, nil, err
	}
	c := cloneContact(before)
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.AccountType, p.AccountType)
	set(&c.FirstName, p.FirstName)
	set(&c.LastName, p.LastName)
	set(&c.Email, p.Email)
	set(&c.Phone, p.Phone)
	set(&c.Company, p.Company)
	set(&c.Role, p.Role)
	if p.Status != nil {
		if err := a.checkStatus(ctx, tx, before, *p.Status); err != nil {
			return nil, nil, err
		}
		c.Status = *p.Status
	}
	if err := normaliseContact(c); err != nil {
		return nil, nil, err
	}
	g := grantInput{Preset: c.Grant.Preset, Permissions: c.Grant.Permissions, ServiceIDs: c.Grant.ServiceIDs,
		ExpiresAt: c.Grant.ExpiresAt, BillingScope: c.Grant.BillingScope}
	if p.BillingScope != nil {
		g.BillingScope = *p.BillingScope
	}
	if c.Admin != nil {
		g.Admin = &AdminInput{All: c.Admin.All, Areas: c.Admin.Areas}
	}
	if p.Preset != nil {
		g.Preset = *p.Preset
	}
	if p.Permissions != nil {
		g.Permissions = *p.Permissions
	}
	if p.ServiceIDs != nil {
		g.ServiceIDs = *p.ServiceIDs
	}
	if p.ExpiresAt.Set {
		if g.ExpiresAt, err = a.grantEnd(ctx, p.ExpiresAt.Value); err != nil {
			return nil, nil, err
		}
	}
	if p.Admin.Set {
		g.Admin = p.Admin.Value
	}
	if err := a.applyGrant(ctx, c, g); err != nil {
		return nil, nil, err
	}
	if guard != nil {
		if err := guard(tx, before, c); err != nil {
			return nil, nil, err
		}
	}
	return before, c, a.writeContact(ctx, tx, before, c)
}

// checkStatus refuses a status the owner cannot set on before.
func (a *App) checkStatus(ctx context.Context, tx *store.Tx, before *model.Contact, status string) error {
	if status != model.StatusActive && status != model.StatusSuspended {
		return invalid("status", "status can be set to active or suspended")
	}
	if before.Status == model.StatusInvited && status == model.StatusActive {
		return invalid("status", "an invited contact becomes active only by accepting the invitation")
	}
	return a.checkReactivation(ctx, tx, before, status)
}

// writeContact stores c (checked) over before: a suspension ends the
// contact's sessions and voids their invitations, a new address ends what
// the old one could do.
func (a *App) writeContact(ctx context.Context, tx *store.Tx, before, c *model.Contact) error {
	c.UpdatedAt = a.now().UTC().Truncate(time.Second)
	if err := tx.UpdateContact(ctx, c); err != nil {
		return a.contactWriteError(err)
	}
	if c.Status == model.StatusSuspended && before.Status != model.StatusSuspended {
		if _, err := tx.RevokeSessions(ctx, c.ID, 0, c.UpdatedAt); err != nil {
			return err
		}
		if err := a.voidInvitations(ctx, tx, c, "the contact was suspended", c.UpdatedAt); err != nil {
			return err
		}
		if err := tx.SetSuspendedBy(ctx, c.ID, actor(ctx)); err != nil {
			return err
		}
	}
	if store.EmailKey(c.Email) != store.EmailKey(before.Email) {
		// Whoever holds the old address no longer acts as this contact.
		if err := a.endPortalAccess(ctx, tx, c.ID, c.UpdatedAt); err != nil {
			return err
		}
	}
	return nil
}
