package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// AdminInput asks for admin access: everything or chosen areas.
type AdminInput struct {
	All   bool     `json:"all"`
	Areas []string `json:"areas"`
}

// ContactInput creates a contact.
type ContactInput struct {
	AccountID   int64       `json:"account_id"`
	AccountType string      `json:"account_type"`
	FirstName   string      `json:"first_name"`
	LastName    string      `json:"last_name"`
	Email       string      `json:"email"`
	Phone       string      `json:"phone"`
	Company     string      `json:"company"`
	Role        string      `json:"role"`
	Preset      string      `json:"preset"`
	Permissions []string    `json:"permissions"`
	ServiceIDs  []int64     `json:"service_ids"`
	ExpiresAt   *Expiry     `json:"expires_at"`
	Admin       *AdminInput `json:"admin"`
	// BillingScope: "services" (default) or "account".
	BillingScope string `json:"billing_scope"`
	// Notify mails a contact added directly that their access is active
	// and where to sign in (an invitation mails anyway).
	Notify bool `json:"notify"`
}

// ContactPatch changes some fields of a contact; absent fields stay.
type ContactPatch struct {
	AccountType  *string              `json:"account_type"`
	FirstName    *string              `json:"first_name"`
	LastName     *string              `json:"last_name"`
	Email        *string              `json:"email"`
	Phone        *string              `json:"phone"`
	Company      *string              `json:"company"`
	Role         *string              `json:"role"`
	Status       *string              `json:"status"`
	Preset       *string              `json:"preset"`
	Permissions  *[]string            `json:"permissions"`
	ServiceIDs   *[]int64             `json:"service_ids"`
	ExpiresAt    Nullable[Expiry]     `json:"expires_at"`
	Admin        Nullable[AdminInput] `json:"admin"`
	BillingScope *string              `json:"billing_scope"`
}

// grantInput is the part of a create or patch that defines access.
type grantInput struct {
	Preset       string
	Permissions  []string
	ServiceIDs   []int64
	ExpiresAt    *time.Time
	Admin        *AdminInput
	BillingScope string
}

// CreateContact adds a contact with an active grant.
func (a *App) CreateContact(ctx context.Context, in ContactInput) (*model.Contact, error) {
	return a.createContact(ctx, in, nil)
}

func (a *App) createContact(ctx context.Context, in ContactInput, guard contactGuard) (*model.Contact, error) {
	c, err := a.prepareContact(ctx, in, model.StatusActive)
	if err != nil {
		return nil, err
	}
	if err := a.canNotify(ctx, in.Notify); err != nil {
		return nil, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if guard != nil {
			if err := guard(tx, nil, c); err != nil {
				return err
			}
		}
		if err := tx.InsertContact(ctx, c); err != nil {
			return a.contactWriteError(err)
		}
		if in.Notify {
			if err := a.queueAccessMail(ctx, tx, c, accessAdded, randomToken()[:20], c.CreatedAt); err != nil {
				return err
			}
		}
		e.Action, e.Entity, e.EntityID, e.After = "contact.create", "contact", c.ID, c
		e.Summary = fmt.Sprintf("Added %s <%s> with %s access", c.Name(), c.Email, presetLabel(c.Grant.Preset))
		if in.Notify {
			e.Summary += "; an email tells them where to sign in"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.Notify {
		a.outbox.Wake()
	}
	return a.decorate(c), nil
}

// UpdateContact applies a patch.
func (a *App) UpdateContact(ctx context.Context, id int64, p ContactPatch) (*model.Contact, error) {
	return a.updateContact(ctx, id, p, nil)
}

// contactGuard checks a change in its transaction, before it is written:
// contacts.manage refuses escalation there.
type contactGuard func(tx *store.Tx, before, after *model.Contact) error

func (a *App) updateContact(ctx context.Context, id int64, p ContactPatch, guard contactGuard) (*model.Contact, error) {
	var out *model.Contact
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, c, err := a.patchContact(ctx, tx, id, p, guard)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "contact.update", "contact", c.ID, before, c
		e.Summary = "Updated " + c.Name() + ": " + describeChanges(before, c)
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.decorateOne(ctx, out), nil
}

// DeleteContact removes a contact and its access.
func (a *App) DeleteContact(ctx context.Context, id int64) error {
	return a.deleteContact(ctx, id, nil)
}

func (a *App) deleteContact(ctx context.Context, id int64, guard contactGuard) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := a.removeContact(ctx, tx, id, guard)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "contact.delete", "contact", id, before
		e.Summary = fmt.Sprintf("Removed %s <%s>", before.Name(), before.Email)
		return nil
	})
}

// removeContact deletes contact id inside tx, voiding its invitations: the
// one way a contact goes, alone or in a bulk action.
func (a *App) removeContact(ctx context.Context, tx *store.Tx, id int64, guard contactGuard) (*model.Contact, error) {
	before, err := tx.Contact(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("contact", id)
	}
	if err != nil {
		return nil, err
	}
	if guard != nil {
		if err := guard(tx, before, nil); err != nil {
			return nil, err
		}
	}
	if err := a.voidInvitations(ctx, tx, before, "the contact was removed", a.now().UTC().Truncate(time.Second)); err != nil {
		return nil, err
	}
	return before, tx.DeleteContact(ctx, id)
}

// Contact loads one contact.
func (a *App) Contact(ctx context.Context, id int64) (*model.Contact, error) {
	c, err := a.store.Contact(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("contact", id)
	}
	if err != nil {
		return nil, err
	}
	return a.decorateOne(ctx, c), nil
}

// LookupEmail finds a known contact by address (case-insensitive),
// preferring the given account; nil when unknown.
func (a *App) LookupEmail(ctx context.Context, email string, accountID int64) (*model.Contact, error) {
	c, err := a.store.ContactByEmail(ctx, email, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return a.decorateOne(ctx, c), nil
}

// decorate fills the derived fields of a contact served to a client.
func (a *App) decorate(c *model.Contact) *model.Contact {
	c.EffectiveStatus = c.Status
	if c.Status == model.StatusActive && c.Grant.ExpiresAt != nil && !a.now().Before(*c.Grant.ExpiresAt) {
		c.EffectiveStatus = model.StatusExpired
	}
	return c
}

func (a *App) contactWriteError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		return &Error{Code: CodeConflict, Field: "email", Message: "a contact with this email already exists in this account"}
	}
	return err
}

// applyGrant validates g against the catalog and the account's services and
// writes it into c.
func (a *App) applyGrant(ctx context.Context, c *model.Contact, g grantInput) error {
	return a.applyGrantKnown(ctx, c, g, nil)
}

// applyGrantKnown is applyGrant checking service ids against known, the
// account's services read once (a CSV import's rules), when not nil.
func (a *App) applyGrantKnown(ctx context.Context, c *model.Contact, g grantInput, known map[int64]bool) error {
	g.Preset = strings.TrimSpace(g.Preset)
	if g.Preset == "" {
		return invalid("preset", "choose an access level: full, personal, technical, billing or custom")
	}
	preset, ok := permission.LookupPreset(g.Preset)
	if !ok {
		return invalid("preset", "unknown preset %q: use full, personal, technical, billing or custom", g.Preset)
	}
	set, err := permission.Parse(g.Permissions)
	if err != nil {
		return &Error{Code: CodeUnknownPermission, Field: "permissions", Message: err.Error()}
	}
	if preset.Name != permission.PresetCustom {
		set = preset.Set
	} else if set == 0 && g.Admin == nil {
		return invalid("permissions", "a custom grant needs at least one action")
	}
	if set.Has(permission.QuotesAccept) && !set.Has(permission.QuotesView) {
		return invalid("permissions", "quotes.accept needs quotes.view: a contact accepts only quotes they can see")
	}
	scope := orDefault(g.BillingScope, model.BillingServices)
	if scope != model.BillingServices && scope != model.BillingAccount {
		return invalid("billing_scope", "billing scope must be services (follows the selected services) or account (the whole account)")
	}
	c.Grant = model.Grant{Preset: preset.Name, Permissions: set.Names(), AllServices: len(g.ServiceIDs) == 0, ServiceIDs: []int64{},
		BillingScope: scope}
	if len(g.ServiceIDs) > 0 {
		ids := slices.Clone(g.ServiceIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			if known != nil {
				if !known[id] {
					return invalid("service_ids", "service %d is not a service of this account", id)
				}
				continue
			}
			s, err := a.store.Service(ctx, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && s.AccountID != c.AccountID) {
				return invalid("service_ids", "service %d is not a service of this account", id)
			}
			if err != nil {
				return err
			}
		}
		c.Grant.ServiceIDs = ids
	}
	if g.ExpiresAt != nil {
		t := g.ExpiresAt.UTC()
		if t.Year() < 2000 || t.Year() > 9999 {
			return invalid("expires_at", "expiry %s is out of range", t.Format("2006-01-02"))
		}
		c.Grant.ExpiresAt = &t
	}
	c.Admin = nil
	if g.Admin != nil {
		areas, err := a.validAdminAreas(ctx, g.Admin.Areas)
		if err != nil {
			return err
		}
		if !g.Admin.All && len(areas) == 0 {
			return invalid("admin", "admin access needs \"all\" or at least one area")
		}
		// Everything is every area of every site, present and future.
		if g.Admin.All {
			areas = []string{}
		}
		c.Admin = &model.AdminAccess{All: g.Admin.All, Areas: areas}
	}
	return nil
}
