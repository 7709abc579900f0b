package core

import (
	"context"
	"encoding/json"
	"fmt"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/servicekind"
	"grantbook/backend/store"
)

// FieldView is one setting of a service with its value and whether the
// contact may change it.
type FieldView struct {
	servicekind.Field
	Value    any  `json:"value"`
	Editable bool `json:"editable"`
}

// PortalService is one service as a contact sees it.
type PortalService struct {
	Service      *model.Service         `json:"service"`
	Fields       []FieldView            `json:"fields"`
	Actions      []servicekind.Action   `json:"actions"` // empty without services.modify
	Changes      []*model.ServiceChange `json:"changes"`
	Cancellation *model.Cancellation    `json:"cancellation"` // the newest request, if any
	CanModify    bool                   `json:"can_modify"`
	ModifyReason string                 `json:"modify_reason"`
	CanCancel    bool                   `json:"can_cancel"`
	CancelReason string                 `json:"cancel_reason"`
}

func (a *App) portalService(ctx context.Context, p *Principal, id int64, action string) (*model.Service, error) {
	return ownRecord(a, ctx, p, action, "service", id, a.store.Service, func(s *model.Service) int64 { return s.AccountID })
}

// PortalServiceDetail shows a service the contact may view: settings, what
// they may change, its history and its cancellation state.
func (a *App) PortalServiceDetail(ctx context.Context, p *Principal, id int64) (*PortalService, error) {
	s, err := a.portalService(ctx, p, id, "portal.view")
	if err != nil {
		return nil, err
	}
	ref := access.Service{ID: s.ID, AccountID: s.AccountID}
	d, err := a.allow(ctx, p, permission.ServicesView, ref, "portal.view", "view service "+s.Name)
	if err != nil {
		return nil, err
	}
	a.auditPortal(ctx, p.Contact, "portal.view", "view service "+s.Name, d.Reason())
	mod, cancel := a.decide(p, permission.ServicesModify, ref), a.decide(p, permission.ServicesCancel, ref)
	out := &PortalService{Service: s, Fields: []FieldView{}, Actions: []servicekind.Action{},
		CanModify: mod.Allowed, ModifyReason: mod.Reason(), CanCancel: cancel.Allowed, CancelReason: cancel.Reason()}
	k, _ := servicekind.Lookup(s.Kind)
	for _, f := range k.Fields {
		out.Fields = append(out.Fields, FieldView{Field: f, Value: s.Settings[f.Name], Editable: mod.Allowed && !f.OwnerOnly})
	}
	if mod.Allowed {
		out.Actions = k.Actions
	}
	if out.Changes, err = a.store.ServiceChanges(ctx, id); err != nil {
		return nil, err
	}
	for _, c := range out.Changes {
		c.Actor = "" // contacts see names, never addresses
	}
	cs, err := a.store.Cancellations(ctx, 0, id)
	if err != nil {
		return nil, err
	}
	if len(cs) > 0 {
		out.Cancellation = cs[0]
	}
	return out, nil
}

// ModifyService changes settings of a service on behalf of a contact with
// services.modify on it; each change is kept with before and after, and
// the owner is told.
func (a *App) ModifyService(ctx context.Context, p *Principal, id int64, changes map[string]json.RawMessage) (*PortalService, error) {
	s, err := a.portalService(ctx, p, id, "portal.modify")
	if err != nil {
		return nil, err
	}
	what := "change the settings of " + s.Name
	d, err := a.allow(ctx, p, permission.ServicesModify, access.Service{ID: s.ID, AccountID: s.AccountID}, "portal.modify", what)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, invalid("settings", "name at least one setting to change")
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		cur, err := a.service(ctx, tx.Q, id)
		if err != nil {
			return err
		}
		if cur.Status == "cancelled" {
			return conflict("%s is cancelled: its settings can no longer change", cur.Name)
		}
		k, _ := servicekind.Lookup(cur.Kind)
		next, ch, err := k.Apply(cur.Settings, changes, false)
		if err != nil {
			return settingError(err)
		}
		if len(ch) == 0 {
			return invalid("settings", "these are the settings %s already has", cur.Name)
		}
		after := *cur
		after.Settings = next
		if err := tx.UpdateService(ctx, &after); err != nil {
			return err
		}
		if err := a.recordChanges(ctx, tx, &after, ch, p.Contact); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "portal.modify", "service", id, cur, &after
		e.Summary = actionSummary(p, what+" ("+describe(cur, ch)+")", d)
		return a.toOwner(ctx, tx, cur.AccountID, cur.ID, "service.changed", p.Contact.Name()+" changed "+cur.Name,
			fmt.Sprintf("%s changed %s: %s.\nYou can revert each change on the service's page.", p.Contact.Name(), cur.Name, describe(cur, ch)))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalServiceDetail(ctx, p, id)
}

// RequestServiceAction asks the owner to carry out one of the kind's
// requests (a password reset); it is kept in the service's history.
func (a *App) RequestServiceAction(ctx context.Context, p *Principal, id int64, name string) (*PortalService, error) {
	s, err := a.portalService(ctx, p, id, "portal.modify")
	if err != nil {
		return nil, err
	}
	k, _ := servicekind.Lookup(s.Kind)
	act, ok := k.Action(name)
	if !ok {
		return nil, &Error{Code: CodeNotFound, Message: fmt.Sprintf("a %s service has no request %q", s.Kind, name)}
	}
	what := act.Label + " for " + s.Name
	d, err := a.allow(ctx, p, permission.ServicesModify, access.Service{ID: s.ID, AccountID: s.AccountID}, "portal.modify", what)
	if err != nil {
		return nil, err
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := a.recordChanges(ctx, tx, s, []servicekind.Change{{Field: act.Name, Before: json.RawMessage("null"),
			After: json.RawMessage(`"requested"`)}}, p.Contact); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary = "portal.request", "service", id, actionSummary(p, what, d)
		return a.toOwner(ctx, tx, s.AccountID, s.ID, "service.request", act.Label+": "+s.Name,
			fmt.Sprintf("%s asks: %s for %s.", p.Contact.Name(), act.Label, s.Name))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalServiceDetail(ctx, p, id)
}
