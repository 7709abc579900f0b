package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/servicekind"
	"grantbook/backend/store"
)

// ServiceKinds lists what each kind of service lets contacts change.
func (a *App) ServiceKinds(context.Context) ([]servicekind.Kind, error) {
	return servicekind.All(), nil
}

// ServiceRecord is a service as the owner sees it: settings, history and
// cancellation requests.
type ServiceRecord struct {
	Service       *model.Service         `json:"service"`
	Fields        []servicekind.Field    `json:"fields"`
	Actions       []servicekind.Action   `json:"actions"`
	Changes       []*model.ServiceChange `json:"changes"`
	Cancellations []*model.Cancellation  `json:"cancellations"`
}

// ServiceDetail loads a service for the owner.
func (a *App) ServiceDetail(ctx context.Context, id int64) (*ServiceRecord, error) {
	s, err := a.service(ctx, a.store.Q, id)
	if err != nil {
		return nil, err
	}
	k, _ := servicekind.Lookup(s.Kind)
	out := &ServiceRecord{Service: s, Fields: k.Fields, Actions: k.Actions}
	if out.Changes, err = a.store.ServiceChanges(ctx, id); err != nil {
		return nil, err
	}
	out.Cancellations, err = a.store.Cancellations(ctx, 0, id)
	return out, err
}

func (a *App) service(ctx context.Context, q store.Q, id int64) (*model.Service, error) {
	s, err := q.Service(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("service", id)
	}
	return s, err
}

// ServicePatch corrects a service (owner); absent fields stay. Settings
// are the kind's fields (null clears one), owner-only ones included.
type ServicePatch struct {
	Name     *string                    `json:"name"`
	Kind     *string                    `json:"kind"`
	Status   *string                    `json:"status"`
	RenewsAt Nullable[Expiry]           `json:"renews_at"`
	Settings map[string]json.RawMessage `json:"settings"`
}

// UpdateService corrects a service; setting changes go into its history.
func (a *App) UpdateService(ctx context.Context, id int64, p ServicePatch) (*ServiceRecord, error) {
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := a.service(ctx, tx.Q, id)
		if err != nil {
			return err
		}
		s := *before
		if p.Name != nil {
			s.Name = strings.TrimSpace(*p.Name)
		}
		if p.Kind != nil {
			s.Kind = *p.Kind
		}
		if p.Status != nil {
			s.Status = *p.Status
		}
		if p.RenewsAt.Set {
			s.RenewsAt = nil
			if p.RenewsAt.Value != nil {
				s.RenewsAt = &p.RenewsAt.Value.Time
			}
		}
		if err := checkService(&s); err != nil {
			return err
		}
		k, _ := servicekind.Lookup(s.Kind)
		next, changes, err := k.Apply(s.Settings, p.Settings, true)
		if err != nil {
			return settingError(err)
		}
		s.Settings = next
		if err := tx.UpdateService(ctx, &s); err != nil {
			return err
		}
		if err := a.recordChanges(ctx, tx, &s, changes, nil); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "service.update", "service", id, before, &s
		e.Summary = "Corrected service " + s.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.ServiceDetail(ctx, id)
}

func checkService(s *model.Service) error {
	switch {
	case s.Name == "":
		return invalid("name", "service name is required")
	case len(s.Name) > 200:
		return invalid("name", "service name is too long (200 characters at most)")
	case !oneOf(s.Kind, model.ServiceKinds):
		return invalid("kind", "kind must be one of %s", strings.Join(model.ServiceKinds, ", "))
	case !oneOf(s.Status, model.ServiceStatuses):
		return invalid("status", "status must be one of %s", strings.Join(model.ServiceStatuses, ", "))
	}
	return nil
}

func settingError(err error) error {
	var fe *servicekind.FieldError
	if errors.As(err, &fe) {
		return invalid("settings."+fe.Field, "%s", fe.Message)
	}
	return err
}

// DeleteService removes a service (owner): grants lose it from their
// selection; its invoices and support requests stay, tied to no service.
func (a *App) DeleteService(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := a.service(ctx, tx.Q, id)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "service.delete", "service", id, before
		e.Summary = "Deleted service " + before.Name
		return tx.DeleteService(ctx, id)
	})
}

// recordChanges writes one history row per changed setting; by is the
// contact who made them (nil: the owner).
func (a *App) recordChanges(ctx context.Context, tx *store.Tx, s *model.Service, changes []servicekind.Change, by *model.Contact) error {
	now := a.now().UTC().Truncate(time.Second)
	for _, ch := range changes {
		c := &model.ServiceChange{ServiceID: s.ID, Field: ch.Field, Before: ch.Before, After: ch.After, Actor: actor(ctx),
			ActorName: "Owner", CreatedAt: now}
		if by != nil {
			c.ContactID, c.ActorName, c.Actor = by.ID, by.Name(), "contact "+by.Email
		}
		if err := tx.InsertServiceChange(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// describe says which settings changed, for summaries and mails.
func describe(s *model.Service, changes []servicekind.Change) string {
	k, _ := servicekind.Lookup(s.Kind)
	var parts []string
	for _, ch := range changes {
		label := ch.Field
		if f, ok := k.Field(ch.Field); ok {
			label = f.Label
		}
		parts = append(parts, fmt.Sprintf("%s: %s → %s", label, ch.Before, ch.After))
	}
	return strings.Join(parts, "; ")
}

// RevertChange sets a setting back to its value before a change (owner).
// Only the newest change of a field can be reverted: a later one would be
// lost silently.
func (a *App) RevertChange(ctx context.Context, changeID int64) (*ServiceRecord, error) {
	var serviceID int64
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := tx.ServiceChange(ctx, changeID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("service change", changeID)
		}
		if err != nil {
			return err
		}
		s, err := a.service(ctx, tx.Q, c.ServiceID)
		if err != nil {
			return err
		}
		serviceID = s.ID
		k, _ := servicekind.Lookup(s.Kind)
		if _, ok := k.Field(c.Field); !ok {
			return conflict("%s is a request, not a setting: there is nothing to revert", c.Field)
		}
		if c.RevertedBy != 0 {
			return conflict("this change was already reverted")
		}
		if last, err := tx.LastChange(ctx, s.ID, c.Field); err != nil || last.ID != c.ID {
			return conflict("%s was changed again since: revert the newer change first", c.Field)
		}
		// The value before was checked when it was set: it goes back as is.
		before, changes := *s, []servicekind.Change{{Field: c.Field, Before: c.After, After: c.Before}}
		s.Settings = restore(s.Settings, c.Field, c.Before)
		if err := tx.UpdateService(ctx, s); err != nil {
			return err
		}
		undo := &model.ServiceChange{ServiceID: s.ID, Field: c.Field, Before: c.After, After: c.Before, Actor: actor(ctx),
			ActorName: "Owner", CreatedAt: a.now().UTC().Truncate(time.Second), Reverts: c.ID}
		if err := tx.InsertServiceChange(ctx, undo); err != nil {
			return err
		}
		if err := tx.MarkReverted(ctx, c.ID, undo.ID); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "service.revert", "service", s.ID, &before, s
		e.Summary = fmt.Sprintf("Reverted %s's change of %s on %s: %s", c.ActorName, c.Field, s.Name, describe(s, changes))
		if c.ContactID == 0 {
			return nil
		}
		who, err := tx.Contact(ctx, c.ContactID)
		if err != nil {
			return nil // the contact is gone: nobody to tell
		}
		return a.toClient(ctx, tx, s.AccountID, s.ID, "service.reverted", "Your change to "+s.Name+" was undone",
			fmt.Sprintf("The owner set %s of %s back to %s.", c.Field, s.Name, c.Before), false, contactTo(who))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.ServiceDetail(ctx, serviceID)
}

// restore puts a JSON value (null: not set) back into settings as stored.
func restore(settings map[string]any, field string, raw json.RawMessage) map[string]any {
	out := map[string]any{}
	for k, v := range settings {
		out[k] = v
	}
	var v any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		delete(out, field)
		return out
	}
	out[field] = v
	return out
}
