package core

import (
	"context"
	"fmt"
	"strings"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// ManagedContact is one of the account's contacts as a contact with
// contacts.manage sees them: whether they may manage them, and why not.
type ManagedContact struct {
	*model.Contact
	You        bool   `json:"you"`
	Holder     bool   `json:"holder"` // the account holder
	Manageable bool   `json:"manageable"`
	Reason     string `json:"manage_reason"`
}

// PortalContacts lists the account's contacts for a contact with
// contacts.manage, each with the evaluation's answer to "may I manage them?".
func (a *App) PortalContacts(ctx context.Context, p *Principal) ([]ManagedContact, error) {
	if err := a.listed(ctx, p, "contacts", permission.ContactsManage, -1, -1); err != nil {
		return nil, err
	}
	acc, err := a.store.Account(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	cs, err := a.store.AccountContacts(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]ManagedContact, 0, len(cs))
	for _, c := range cs {
		g, err := a.grantFor(ctx, c)
		if err != nil {
			return nil, err
		}
		d, err := labelled(ctx, a.store.Q, access.EvaluateManage(&p.Grant, access.Manage{Target: &g, TargetIsHolder: c.ID == acc.HolderContactID}, a.now().Unix()))
		if err != nil {
			return nil, err
		}
		out = append(out, ManagedContact{Contact: a.decorate(c), You: c.ID == p.Contact.ID, Holder: c.ID == acc.HolderContactID,
			Manageable: d.Allowed, Reason: d.Reason()})
	}
	return out, nil
}

// manage runs one contacts.manage action: fn gets the guard that asks
// the evaluation inside the change's transaction (with the target as it is
// then) and tells the owner; a refusal is audited with its reason.
func (a *App) manage(ctx context.Context, p *Principal, what string, fn func(ctx context.Context, guard contactGuard) error) error {
	var denied *access.Decision
	guard := func(tx *store.Tx, before, after *model.Contact) error {
		d, err := a.evaluateManage(ctx, tx, p, before, after)
		if err != nil {
			return err
		}
		if !d.Allowed {
			denied = &d
			return forbidden(d)
		}
		name := ""
		if after != nil {
			name = after.Name()
		} else {
			name = before.Name()
		}
		return a.toOwner(ctx, tx, p.Contact.AccountID, 0, "contacts.changed", p.Contact.Name()+" changed the contacts of the account",
			fmt.Sprintf("%s: %s (%s).\nSee the audit log in Grantbook for the details.", p.Contact.Name(), what, name))
	}
	err := fn(asContact(ctx, p), guard)
	if denied != nil {
		a.auditPortal(ctx, p.Contact, "portal.contacts", what, denied.Reason())
	}
	if err == nil {
		a.wake()
	}
	return err
}

// evaluateManage compiles the contact before and after the change and asks
// the evaluation.
func (a *App) evaluateManage(ctx context.Context, tx *store.Tx, p *Principal, before, after *model.Contact) (access.Decision, error) {
	var m access.Manage
	acc, err := tx.Account(ctx, p.Contact.AccountID)
	if err != nil {
		return access.Decision{}, err
	}
	if before != nil {
		g, err := a.grantFor(ctx, before)
		if err != nil {
			return access.Decision{}, err
		}
		m.Target, m.TargetIsHolder = &g, before.ID == acc.HolderContactID
		if before.Status == model.StatusSuspended && after != nil && after.Status != model.StatusSuspended {
			by, err := tx.SuspendedBy(ctx, before.ID)
			if err != nil {
				return access.Decision{}, err
			}
			m.Restore, m.SuspendedByOwner = true, !strings.HasPrefix(by, "contact ")
		}
	}
	if after != nil {
		g, err := a.grantFor(ctx, after)
		if err != nil {
			return access.Decision{}, err
		}
		m.Proposed = &g
	}
	return labelled(ctx, tx.Q, access.EvaluateManage(&p.Grant, m, a.now().Unix()))
}

// labelled words a decision for whoever reads it: an admin area by its
// label rather than its key in a no-escalation denial (grants hold keys,
// sites the labels), a service by its name, dates in the owner's zone.
func labelled(ctx context.Context, q store.Q, d access.Decision) (access.Decision, error) {
	d.Zone = zoneOf(ctx, q)
	if d.ServiceID != 0 {
		if s, err := q.Service(ctx, d.ServiceID); err == nil {
			d.ServiceName = s.Name
		}
	}
	if d.Code != access.DeniedAreaNotHeld {
		return d, nil
	}
	sites, err := q.Sites(ctx)
	if err != nil {
		return d, err
	}
	for _, s := range sites {
		for _, ar := range s.Areas {
			if ar.Name == d.Area {
				d.Area = ar.Label
				return d, nil
			}
		}
	}
	return d, nil
}

// PortalAddContact adds a contact to the account, active at once, with at
// most the acting contact's own access.
func (a *App) PortalAddContact(ctx context.Context, p *Principal, in ContactInput) (*model.Contact, error) {
	in.AccountID = p.Contact.AccountID
	var out *model.Contact
	err := a.manage(ctx, p, "add a contact", func(ctx context.Context, guard contactGuard) (err error) {
		out, err = a.createContact(ctx, in, guard)
		return err
	})
	return out, err
}

// PortalInvite invites someone to the account through the usual reply
// flow, with at most the acting contact's own access.
func (a *App) PortalInvite(ctx context.Context, p *Principal, in InvitationInput) (*model.Invitation, error) {
	in.AccountID = p.Contact.AccountID
	var out *model.Invitation
	err := a.manage(ctx, p, "invite a contact", func(ctx context.Context, guard contactGuard) (err error) {
		out, err = a.invite(ctx, in, guard)
		return err
	})
	return out, err
}

// PortalUpdateContact edits, suspends or restores another contact of the
// account; the contact before and after must both be within the acting
// contact's access.
func (a *App) PortalUpdateContact(ctx context.Context, p *Principal, id int64, patch ContactPatch) (*model.Contact, error) {
	if err := a.managedTarget(ctx, p, id); err != nil {
		return nil, err
	}
	what := "edit a contact"
	if patch.Status != nil {
		what = map[string]string{model.StatusSuspended: "suspend a contact", model.StatusActive: "restore a contact"}[*patch.Status]
	}
	var out *model.Contact
	err := a.manage(ctx, p, orDefault(what, "edit a contact"), func(ctx context.Context, guard contactGuard) (err error) {
		out, err = a.updateContact(ctx, id, patch, guard)
		return err
	})
	return out, err
}

// PortalDeleteContact removes another contact of the account whose access
// is within the acting contact's.
func (a *App) PortalDeleteContact(ctx context.Context, p *Principal, id int64) (struct{}, error) {
	if err := a.managedTarget(ctx, p, id); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, a.manage(ctx, p, "remove a contact", func(ctx context.Context, guard contactGuard) error {
		return a.deleteContact(ctx, id, guard)
	})
}

// managedTarget answers 404 for a contact outside the acting contact's
// account.
func (a *App) managedTarget(ctx context.Context, p *Principal, id int64) error {
	_, err := ownRecord(a, ctx, p, "portal.contacts", "contact", id, a.store.Contact, func(c *model.Contact) int64 { return c.AccountID })
	return err
}
