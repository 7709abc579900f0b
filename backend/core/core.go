// Package core is Grantbook's application layer: every operation the UIs and
// the API offer, with validation, one transaction per change and its audit
// row. Transports (the window, the HTTP API) only translate.
package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// App is the application core.
type App struct {
	store *store.Store
	now   func() time.Time
}

// New builds the core on an open store.
func New(s *store.Store) *App { return &App{store: s, now: time.Now} }

// SetClock replaces the clock (tests).
func (a *App) SetClock(now func() time.Time) { a.now = now }

// Store exposes the store to maintenance code.
func (a *App) Store() *store.Store { return a.store }

type actorKey struct{}

// WithActor names who acts in ctx; the audit log records it.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

func actor(ctx context.Context) string {
	if s, ok := ctx.Value(actorKey{}).(string); ok && s != "" {
		return s
	}
	return "owner"
}

// change runs fn in a transaction and records its audit row in the same one.
func (a *App) change(ctx context.Context, fn func(tx *store.Tx, e *model.AuditEntry) error) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error {
		e := &model.AuditEntry{At: a.now().UTC(), Actor: actor(ctx)}
		if err := fn(tx, e); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, e)
	})
}

// CreateAccount adds one of the owner's client accounts.
func (a *App) CreateAccount(ctx context.Context, name string) (*model.Account, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalid("name", "account name is required")
	}
	if len(name) > 200 {
		return nil, invalid("name", "account name is too long (200 characters at most)")
	}
	acc := &model.Account{Name: name, CreatedAt: a.now().UTC().Truncate(time.Second)}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertAccount(ctx, acc); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary, e.After = "account.create", "account", acc.ID, "Created account "+acc.Name, acc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// Accounts lists the accounts.
func (a *App) Accounts(ctx context.Context) ([]*model.Account, error) {
	return a.store.Accounts(ctx)
}

// Account loads one account.
func (a *App) Account(ctx context.Context, id int64) (*model.Account, error) {
	acc, err := a.store.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("account", id)
	}
	return acc, err
}

// ServiceInput describes a new service.
type ServiceInput struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// CreateService adds a purchase to an account.
func (a *App) CreateService(ctx context.Context, accountID int64, in ServiceInput) (*model.Service, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	s := &model.Service{AccountID: accountID, Name: strings.TrimSpace(in.Name), Kind: orDefault(in.Kind, "other"),
		Status: orDefault(in.Status, "active"), CreatedAt: a.now().UTC().Truncate(time.Second)}
	switch {
	case s.Name == "":
		return nil, invalid("name", "service name is required")
	case len(s.Name) > 200:
		return nil, invalid("name", "service name is too long (200 characters at most)")
	case !oneOf(s.Kind, model.ServiceKinds):
		return nil, invalid("kind", "kind must be one of %s", strings.Join(model.ServiceKinds, ", "))
	case !oneOf(s.Status, model.ServiceStatuses):
		return nil, invalid("status", "status must be one of %s", strings.Join(model.ServiceStatuses, ", "))
	}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertService(ctx, s); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary, e.After = "service.create", "service", s.ID, "Added service "+s.Name, s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Services lists an account's services.
func (a *App) Services(ctx context.Context, accountID int64) ([]*model.Service, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Services(ctx, accountID)
}

// AuditFilter narrows the audit log.
type AuditFilter = store.AuditFilter

// Audit lists the audit log newest first.
func (a *App) Audit(ctx context.Context, f AuditFilter) ([]*model.AuditEntry, int, error) {
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	return a.store.Audit(ctx, f)
}

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	return min(limit, 500), max(offset, 0)
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
