package core

import (
	"context"
	"errors"
	"fmt"

	"grantbook/backend/access"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// The helpers of every client-area action: evaluate, audit a denial with
// its reason, audit an allowed change with the contact as actor.

// asContact is ctx with the signed-in contact as the audit actor.
func asContact(ctx context.Context, p *Principal) context.Context {
	return WithActor(ctx, "contact "+p.Contact.Email)
}

// allow evaluates perm on svc for one action of p; a denial is audited
// and returned as a 403 with the evaluation's reason.
func (a *App) allow(ctx context.Context, p *Principal, perm permission.Permission, svc access.Service, action, what string) (access.Decision, error) {
	d := a.decide(p, perm, svc)
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, action, what, d.Reason())
		return d, forbidden(d)
	}
	return d, nil
}

// actionSummary is the audit summary of an allowed action.
func actionSummary(p *Principal, what string, d access.Decision) string {
	return p.Contact.Name() + ": " + what + " — " + d.Reason()
}

// missing audits a look-up of a record that is not in the contact's
// account and answers 404: an id of another account reveals nothing.
func (a *App) missing(ctx context.Context, p *Principal, action, what string, id int64) error {
	a.auditPortal(ctx, p.Contact, action, fmt.Sprintf("%s #%d", what, id), "denied: no such "+what+" in the account")
	return notFound(what, id)
}

// ownRecord loads a record of the contact's account, or answers missing.
func ownRecord[T any](a *App, ctx context.Context, p *Principal, action, what string, id int64,
	load func(context.Context, int64) (T, error), account func(T) int64) (T, error) {
	v, err := load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && account(v) != p.Contact.AccountID) {
		var zero T
		return zero, a.missing(ctx, p, action, what, id)
	}
	return v, err
}

// conflict is a change the record's state does not allow now.
func conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// once turns a conditional update's "did it apply" into an error: false
// means another request decided first.
func once(ok bool, err error) error {
	if err == nil && !ok {
		return conflict("this was decided meanwhile: reload and look again")
	}
	return err
}

// load reads a record by id; a missing one is a 404 naming it.
func load[T any](ctx context.Context, what string, id int64, get func(context.Context, int64) (T, error)) (T, error) {
	v, err := get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, notFound(what, id)
	}
	return v, err
}
