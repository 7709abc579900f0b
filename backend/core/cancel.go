package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// CancelInput asks for a service to be cancelled.
type CancelInput struct {
	Timing string `json:"timing"` // now | end_of_term
	Reason string `json:"reason"`
}

// RequestCancellation asks the owner to cancel a service; the service
// shows "cancellation requested" until the owner decides or the contact
// withdraws. Both sides are mailed.
func (a *App) RequestCancellation(ctx context.Context, p *Principal, id int64, in CancelInput) (*PortalService, error) {
	s, err := a.portalService(ctx, p, id, "portal.cancel")
	if err != nil {
		return nil, err
	}
	what := "ask to cancel " + s.Name
	d, err := a.allow(ctx, p, permission.ServicesCancel, access.Service{ID: s.ID, AccountID: s.AccountID}, "portal.cancel", what)
	if err != nil {
		return nil, err
	}
	if in.Timing != model.CancelNow && in.Timing != model.CancelEndOfTerm {
		return nil, invalid("timing", "timing must be now or end_of_term")
	}
	reason, err := checkText("reason", in.Reason, 2000)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, invalid("reason", "say why the service should be cancelled")
	}
	c := &model.Cancellation{ServiceID: id, ContactID: p.Contact.ID, ContactName: p.Contact.Name(), Timing: in.Timing,
		Reason: reason, State: model.CancelRequested, CreatedAt: a.now().UTC().Truncate(time.Second)}
	when := map[string]string{model.CancelNow: "now", model.CancelEndOfTerm: "at the end of its term"}[in.Timing]
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		cur, err := a.service(ctx, tx.Q, id)
		if err != nil {
			return err
		}
		if cur.Status == "cancelled" || cur.CancelAt != nil {
			return conflict("%s is already cancelled", cur.Name)
		}
		if err := tx.InsertCancellation(ctx, c); errors.Is(err, store.ErrDuplicate) {
			return conflict("a cancellation of %s is already waiting for the owner", cur.Name)
		} else if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "portal.cancel", "service", id, c
		e.Summary = actionSummary(p, what+" "+when, d)
		if err := a.toOwner(ctx, tx, s.AccountID, s.ID, "cancellation.requested", "Cancellation requested: "+s.Name,
			fmt.Sprintf("%s asks to cancel %s %s.\nReason: %s\nConfirm or decline it in Grantbook.", p.Contact.Name(), s.Name, when, reason)); err != nil {
			return err
		}
		return a.toClient(ctx, tx, s.AccountID, s.ID, "cancellation.requested", "We received your request to cancel "+s.Name,
			fmt.Sprintf("You asked to cancel %s %s. The service stays as it is until the owner confirms; until then you may withdraw the request.", s.Name, when),
			false, contactTo(p.Contact))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalServiceDetail(ctx, p, id)
}

// WithdrawCancellation takes back a waiting cancellation request.
func (a *App) WithdrawCancellation(ctx context.Context, p *Principal, id int64) (*PortalService, error) {
	s, err := a.portalService(ctx, p, id, "portal.cancel")
	if err != nil {
		return nil, err
	}
	what := "withdraw the cancellation of " + s.Name
	d, err := a.allow(ctx, p, permission.ServicesCancel, access.Service{ID: s.ID, AccountID: s.AccountID}, "portal.cancel", what)
	if err != nil {
		return nil, err
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := a.openCancellation(ctx, tx, id)
		if err != nil {
			return err
		}
		before, now := *c, a.now().UTC().Truncate(time.Second)
		c.State, c.DecidedAt = model.CancelWithdrawn, &now
		if err := once(tx.DecideCancellation(ctx, c, now)); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "portal.cancel", "service", id, &before, c
		e.Summary = actionSummary(p, what, d)
		return a.toOwner(ctx, tx, s.AccountID, s.ID, "cancellation.withdrawn", "Cancellation withdrawn: "+s.Name,
			fmt.Sprintf("%s withdrew the request to cancel %s.", p.Contact.Name(), s.Name))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalServiceDetail(ctx, p, id)
}

func (a *App) openCancellation(ctx context.Context, tx *store.Tx, serviceID int64) (*model.Cancellation, error) {
	cs, err := tx.Cancellations(ctx, 0, serviceID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.State == model.CancelRequested {
			return c, nil
		}
	}
	return nil, conflict("no cancellation of this service is waiting")
}

// AccountCancellations lists an account's cancellation requests (owner).
func (a *App) AccountCancellations(ctx context.Context, accountID int64) ([]*model.Cancellation, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Cancellations(ctx, accountID, 0)
}

// ConfirmInput is the owner's confirmation: an end-of-term cancellation
// takes effect at EffectiveAt, else at the service's renewal date.
type ConfirmInput struct {
	EffectiveAt *Expiry `json:"effective_at"`
}

// ConfirmCancellation cancels the service now, or at the end of its term.
func (a *App) ConfirmCancellation(ctx context.Context, id int64, in ConfirmInput) (*model.Cancellation, error) {
	return a.decideCancellation(ctx, id, true, in, "")
}

// DeclineCancellation refuses the request; the service stays.
func (a *App) DeclineCancellation(ctx context.Context, id int64, in ReasonInput) (*model.Cancellation, error) {
	reason, err := checkText("reason", in.Reason, 1000)
	if err != nil {
		return nil, err
	}
	return a.decideCancellation(ctx, id, false, ConfirmInput{}, reason)
}

func (a *App) decideCancellation(ctx context.Context, id int64, confirm bool, in ConfirmInput, reason string) (*model.Cancellation, error) {
	var out *model.Cancellation
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := load(ctx, "cancellation", id, tx.Cancellation)
		if err != nil {
			return err
		}
		if c.State != model.CancelRequested {
			return conflict("this request is %s: there is nothing to decide", c.State)
		}
		s, err := a.service(ctx, tx.Q, c.ServiceID)
		if err != nil {
			return err
		}
		now := a.now().UTC().Truncate(time.Second)
		before, svcBefore := *c, *s
		c.State, c.Note, c.DecidedAt = model.CancelDeclined, reason, &now
		subject, body := "Cancellation of "+s.Name+" declined", fmt.Sprintf("Your request to cancel %s was declined; the service continues.\n%s", s.Name, reason)
		if confirm {
			when := now
			if c.Timing == model.CancelEndOfTerm {
				switch {
				case in.EffectiveAt != nil:
					when = in.EffectiveAt.Time
				case s.RenewsAt != nil:
					when = *s.RenewsAt
				default:
					return invalid("effective_at", "%s has no renewal date: say when its term ends", s.Name)
				}
			}
			c.State, c.EffectiveAt = model.CancelConfirmed, &when
			if when.After(now) {
				s.CancelAt = &when
			} else {
				s.Status = "cancelled"
			}
			if err := tx.UpdateService(ctx, s); err != nil {
				return err
			}
			subject = "Cancellation of " + s.Name + " confirmed"
			body = fmt.Sprintf("%s is cancelled as of %s.", s.Name, when.Format("2 January 2006"))
		}
		if err := once(tx.DecideCancellation(ctx, c, now)); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "cancellation."+c.State, "service", s.ID
		e.Before, e.After = map[string]any{"request": &before, "service": &svcBefore}, map[string]any{"request": c, "service": s}
		e.Summary = fmt.Sprintf("%s the cancellation of %s asked by %s", map[bool]string{true: "Confirmed", false: "Declined"}[confirm], s.Name, c.ContactName)
		out = c
		var to []mailTo
		if who, err := tx.Contact(ctx, c.ContactID); err == nil {
			to = append(to, contactTo(who))
		}
		return a.toClient(ctx, tx, s.AccountID, s.ID, "cancellation."+c.State, subject, body, true, to...)
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return out, nil
}

// CancelDueServices ends the services whose confirmed end-of-term
// cancellation has come, even when it came while Grantbook was not running.
func (a *App) CancelDueServices(ctx context.Context) error {
	due, err := a.store.ServicesDue(ctx, a.now())
	if err != nil || len(due) == 0 {
		return err
	}
	return a.change(WithActor(ctx, "system"), func(tx *store.Tx, e *model.AuditEntry) error {
		var names []string
		for _, s := range due {
			after := *s
			after.Status = "cancelled"
			if err := tx.UpdateService(ctx, &after); err != nil {
				return err
			}
			names = append(names, s.Name)
		}
		e.Action, e.Entity, e.Summary = "service.cancelled", "service", fmt.Sprintf("Cancelled at the end of their term: %v", names)
		return nil
	})
}

// clientAreaJobs runs the client area's timed work once.
func (a *App) clientAreaJobs(ctx context.Context) {
	if err := a.SendReminders(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("overdue reminders", "err", err)
	}
	if err := a.CancelDueServices(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("cancelling services at the end of their term", "err", err)
	}
}
